ALTER TABLE jobs DROP COLUMN IF EXISTS revived;
DROP TABLE IF EXISTS shadow_effects;
DROP INDEX IF EXISTS requests_duplicate_of;
ALTER TABLE requests
    DROP COLUMN IF EXISTS issue_updated_at,
    DROP COLUMN IF EXISTS username_changed,
    DROP COLUMN IF EXISTS removed_at,
    DROP COLUMN IF EXISTS ownership,
    DROP COLUMN IF EXISTS fasttrack;
ALTER TABLE verification_tokens
    DROP COLUMN IF EXISTS username,
    DROP COLUMN IF EXISTS address_hash,
    DROP COLUMN IF EXISTS revoked_at,
    DROP COLUMN IF EXISTS revoked_reason;
