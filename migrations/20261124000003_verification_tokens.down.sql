DROP TABLE IF EXISTS verification_tokens;
ALTER TABLE requests DROP COLUMN IF EXISTS installation_id;
