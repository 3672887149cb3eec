-- Every webhook delivery the bot accepted, exactly as GitHub sent it.
CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
    hook_id         TEXT        NOT NULL,
    delivery_id     TEXT        NOT NULL,
    event           TEXT        NOT NULL,
    action          TEXT,
    repository      TEXT,
    repository_id   BIGINT,
    issue_number    BIGINT,
    installation_id BIGINT,
    -- the JSON payload as text: kept byte for byte (jsonb would reject \u0000)
    payload         TEXT        NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at    TIMESTAMPTZ,
    UNIQUE (hook_id, delivery_id)
);

-- The durable job queue. A job is deleted when it succeeds; a job that used
-- up its attempts stays as 'dead' with its last error until an operator
-- retries it.
CREATE TABLE jobs (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT        NOT NULL,
    -- jobs with the same key run one at a time, in id order
    issue_key    TEXT,
    delivery_id  BIGINT REFERENCES deliveries (id) ON DELETE CASCADE,
    args         JSONB       NOT NULL DEFAULT '{}',
    status       TEXT        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
    attempts     INTEGER     NOT NULL DEFAULT 0,
    max_attempts INTEGER     NOT NULL CHECK (max_attempts > 0),
    run_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready ON jobs (run_at, id) WHERE status = 'pending';
CREATE INDEX jobs_issue_pending ON jobs (issue_key, id) WHERE status = 'pending';

-- One row per start of a job, written in its own autocommitted statement, so
-- that a worker killed mid-job still counts the attempt and a poison job
-- cannot loop forever.
CREATE TABLE job_starts (
    job_id     BIGINT      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX job_starts_job ON job_starts (job_id);

CREATE FUNCTION recovery_bot_notify_jobs() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('recovery_bot_jobs', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify
    AFTER INSERT OR UPDATE OF run_at, status ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION recovery_bot_notify_jobs();
