ALTER TABLE requests
    DROP COLUMN IF EXISTS state_before,
    DROP COLUMN IF EXISTS admin_answered_at,
    DROP COLUMN IF EXISTS account_facts,
    DROP COLUMN IF EXISTS secrets;
UPDATE requests SET state = 'denied' WHERE state IN ('withdrawn', 'no_response');
ALTER TABLE requests DROP CONSTRAINT IF EXISTS requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check CHECK (state IN
    ('incomplete', 'pending', 'awaiting_user', 'verified', 'approved', 'denied'));
