DROP INDEX IF EXISTS auto_rounds_account;
CREATE INDEX auto_rounds_account ON auto_rounds (account, started_at);
ALTER TABLE auto_rounds DROP COLUMN index_key;
ALTER TABLE verification_tokens DROP COLUMN index_key;
DROP INDEX IF EXISTS requests_open_account;
CREATE INDEX requests_open_username ON requests (repository_id, lower(username)) WHERE issue_open;
ALTER TABLE requests DROP COLUMN index_key;
