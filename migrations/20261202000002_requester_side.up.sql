-- The requester's side: a request may be withdrawn (and, later, closed for
-- no response); reopening it returns to the state it had before.
ALTER TABLE requests DROP CONSTRAINT IF EXISTS requests_state_check;
ALTER TABLE requests ADD CONSTRAINT requests_state_check CHECK (state IN
    ('incomplete', 'pending', 'awaiting_user', 'verified', 'approved', 'denied',
     'withdrawn', 'no_response'));

ALTER TABLE requests
    -- the state before the request was withdrawn: where a reopen returns
    ADD COLUMN state_before TEXT,
    -- when an admin first ran a command on the request: requests no admin
    -- has answered yet are the queue a requester waits in
    ADD COLUMN admin_answered_at TIMESTAMPTZ,
    -- what the account directory said when the request was read, for admins
    -- (`recovery::facts::AccountFacts`)
    ADD COLUMN account_facts JSONB,
    -- secrets pasted in public, by place (`recovery::facts::SecretSighting`):
    -- kinds only, never the secret
    ADD COLUMN secrets JSONB NOT NULL DEFAULT '[]';
