-- The real proofs and time that moves by itself: /verify-repo tokens, the
-- waiting period, reminders and closing for no response.

-- Why a request waits for its requester: also 'repo' (/verify-repo: the
-- token-named branch moves it on).
ALTER TABLE requests DROP CONSTRAINT IF EXISTS requests_awaiting_reason_check;
ALTER TABLE requests ADD CONSTRAINT requests_awaiting_reason_check
    CHECK (awaiting_reason IN ('info', 'email', 'repo'));

ALTER TABLE requests
    -- the requester's last edit or comment: reminders count from it (or
    -- from the last state change, whichever is later)
    ADD COLUMN requester_active_at TIMESTAMPTZ,
    -- when the state last changed
    ADD COLUMN state_changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- when the one reminder was posted; cleared by the requester's activity
    -- and by a state change
    ADD COLUMN reminded_at TIMESTAMPTZ,
    -- when the bot last looked for a /verify-repo branch
    ADD COLUMN repo_checked_at TIMESTAMPTZ;
UPDATE requests SET state_changed_at = updated_at;

ALTER TABLE verification_tokens
    -- /verify-repo: the branch name the owner pushes. Unlike an emailed
    -- link's secret it must be read back to look the branch up; it proves
    -- only a push to one of the round's repositories.
    ADD COLUMN branch       TEXT,
    -- /verify-repo: the round's repositories (`owner/name`), fixed when the
    -- token was mailed
    ADD COLUMN repositories JSONB,
    -- an expired, unused link was told to admins
    ADD COLUMN expiry_noted_at TIMESTAMPTZ;

-- At most one pending timer job per issue, whichever replica enqueues it.
CREATE UNIQUE INDEX jobs_one_timer_per_issue ON jobs (issue_key)
    WHERE kind = 'request_timers' AND status = 'pending';
CREATE INDEX requests_timers ON requests (state) WHERE issue_open AND removed_at IS NULL;
