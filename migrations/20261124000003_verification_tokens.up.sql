-- Where the bot runs the request's issue from (GitHub App installation).
ALTER TABLE requests ADD COLUMN installation_id BIGINT;

-- Single-use links emailed by /verify-email. Only the SHA-256 of the token
-- is kept; the token itself exists only in the email.
CREATE TABLE verification_tokens (
    id           BIGSERIAL PRIMARY KEY,
    request_id   BIGINT      NOT NULL REFERENCES requests (id),
    check_name   TEXT        NOT NULL,
    token_hash   TEXT        NOT NULL UNIQUE,
    -- the command that asked for it (delivery and position), so that a
    -- retried job does not email twice
    command_key  TEXT        NOT NULL UNIQUE,
    expires_at   TIMESTAMPTZ NOT NULL,
    mailed_at    TIMESTAMPTZ,
    used_at      TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX verification_tokens_request ON verification_tokens (request_id);
