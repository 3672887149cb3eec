-- Several indexes on one tracker: an account is a username on an index.
-- `index_key` is the `[indexes.<key>]` table's key; `default` is the one
-- index of a config without tables (every request stored before this).
ALTER TABLE requests ADD COLUMN index_key TEXT NOT NULL DEFAULT 'default';
-- Duplicates are per index.
DROP INDEX IF EXISTS requests_open_username;
CREATE INDEX requests_open_account ON requests (repository_id, index_key, lower(username)) WHERE issue_open;

-- A round is bound to the index as read when it was sent (its page and
-- mail name it, and its directory gives the address).
ALTER TABLE verification_tokens ADD COLUMN index_key TEXT NOT NULL DEFAULT 'default';

-- At most one automatic round per account, and an account is per index.
ALTER TABLE auto_rounds ADD COLUMN index_key TEXT NOT NULL DEFAULT 'default';
DROP INDEX IF EXISTS auto_rounds_account;
CREATE INDEX auto_rounds_account ON auto_rounds (index_key, account, started_at);
