-- Automatic proof rounds (`auto_verify`): at most one per account per
-- `auto_verify_cooldown`, whichever request started it.
CREATE TABLE auto_rounds (
    id BIGSERIAL PRIMARY KEY,
    -- lower(username): the index account the round was for.
    account TEXT NOT NULL,
    request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    round TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX auto_rounds_account ON auto_rounds (account, started_at);
