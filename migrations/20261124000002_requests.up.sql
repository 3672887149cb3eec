-- One account-recovery request per issue.
CREATE TABLE requests (
    id                 BIGSERIAL PRIMARY KEY,
    repository         TEXT        NOT NULL,
    repository_id      BIGINT      NOT NULL,
    issue_number       BIGINT      NOT NULL,
    author_id          BIGINT      NOT NULL,
    author_login       TEXT        NOT NULL,
    -- the bare account name read from the form (NULL when missing)
    username           TEXT,
    fields             JSONB       NOT NULL DEFAULT '{}',
    problems           JSONB       NOT NULL DEFAULT '[]',
    body_hash          TEXT        NOT NULL,
    state              TEXT        NOT NULL CHECK (state IN
                           ('incomplete', 'pending', 'awaiting_user', 'verified', 'approved', 'denied')),
    issue_open         BOOLEAN     NOT NULL DEFAULT TRUE,
    -- why the request waits for its requester: 'info' (a reply moves it
    -- back to pending) or 'email' (the emailed link does)
    awaiting_reason    TEXT CHECK (awaiting_reason IN ('info', 'email')),
    duplicate_of       BIGINT REFERENCES requests (id),
    status_comment_id  BIGINT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (repository_id, issue_number)
);
CREATE INDEX requests_open_username ON requests (repository_id, lower(username)) WHERE issue_open;
CREATE INDEX requests_state ON requests (state);

-- The verification checks of a request (email, project-ownership, ...).
CREATE TABLE request_checks (
    request_id  BIGINT      NOT NULL REFERENCES requests (id),
    name        TEXT        NOT NULL,
    status      TEXT        NOT NULL CHECK (status IN ('sent', 'passed')),
    actor_id    BIGINT,
    actor_login TEXT,
    note        TEXT,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, name)
);

-- Append-only history: every change of a request's state or checks.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    request_id  BIGINT      NOT NULL REFERENCES requests (id),
    actor_id    BIGINT,
    actor_login TEXT        NOT NULL,
    action      TEXT        NOT NULL,
    from_state  TEXT,
    to_state    TEXT,
    delivery_id TEXT,
    details     JSONB       NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_request ON audit_log (request_id, id);

CREATE FUNCTION recovery_bot_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION recovery_bot_audit_append_only();
