-- Commands bound to what the admin saw, and politeness under abuse.

ALTER TABLE requests
    -- the issue's `updated_at` of the edit that last changed the username,
    -- the index or whether the form is valid: an admin's command (but
    -- /status and /help) written before it is refused
    ADD COLUMN form_changed_at TIMESTAMPTZ;

-- When the bot last answered someone who is neither an admin nor the
-- requester on a request: at most one answer per person, request and hour.
CREATE TABLE outsider_answers (
    request_id  BIGINT      NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    user_id     BIGINT      NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (request_id, user_id)
);
