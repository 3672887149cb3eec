DROP INDEX IF EXISTS requests_timers;
DROP INDEX IF EXISTS jobs_one_timer_per_issue;
ALTER TABLE verification_tokens
    DROP COLUMN expiry_noted_at,
    DROP COLUMN repositories,
    DROP COLUMN branch;
ALTER TABLE requests
    DROP COLUMN repo_checked_at,
    DROP COLUMN reminded_at,
    DROP COLUMN state_changed_at,
    DROP COLUMN requester_active_at;
UPDATE requests SET awaiting_reason = 'info' WHERE awaiting_reason = 'repo';
ALTER TABLE requests DROP CONSTRAINT IF EXISTS requests_awaiting_reason_check;
ALTER TABLE requests ADD CONSTRAINT requests_awaiting_reason_check
    CHECK (awaiting_reason IN ('info', 'email'));
