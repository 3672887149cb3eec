-- A link confirms exactly one round: the username as read when it was sent,
-- and (as a hash) the address it went to. Revoked links stay for the record.
ALTER TABLE verification_tokens
    ADD COLUMN username       TEXT,
    ADD COLUMN address_hash   TEXT,
    ADD COLUMN revoked_at     TIMESTAMPTZ,
    ADD COLUMN revoked_reason TEXT;

ALTER TABLE requests
    -- the issue's updated_at of the newest version the bot has read: an
    -- older delivery never overrides it
    ADD COLUMN issue_updated_at TIMESTAMPTZ,
    -- the username changed after the request was read: shown to admins in
    -- the status comment until an admin's next command
    ADD COLUMN username_changed BOOLEAN NOT NULL DEFAULT FALSE,
    -- the issue was deleted or transferred away: no longer a request
    ADD COLUMN removed_at TIMESTAMPTZ,
    -- the ownership evidence (rows of the table shown to admins) and whether
    -- it put the request on the fast track
    ADD COLUMN ownership JSONB,
    ADD COLUMN fasttrack BOOLEAN NOT NULL DEFAULT FALSE;

CREATE INDEX requests_duplicate_of ON requests (duplicate_of) WHERE duplicate_of IS NOT NULL;

-- Shadow mode (`serve --dry-run`): each write to GitHub or mail the bot
-- would have made, stored by the job that decided it.
CREATE TABLE shadow_effects (
    id            BIGSERIAL PRIMARY KEY,
    repository    TEXT        NOT NULL,
    issue_number  BIGINT,
    job_id        BIGINT      NOT NULL,
    kind          TEXT        NOT NULL,
    detail        JSONB       NOT NULL DEFAULT '{}',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX shadow_effects_issue ON shadow_effects (lower(repository), issue_number, id);

-- A job an operator revived (`jobs retry`) may have done part of its work
-- before it died: it is a retry, whatever its fresh attempt count says.
ALTER TABLE jobs ADD COLUMN revived BOOLEAN NOT NULL DEFAULT FALSE;
