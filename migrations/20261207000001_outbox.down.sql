DROP INDEX IF EXISTS jobs_effects_pending;
ALTER TABLE verification_tokens DROP COLUMN mail_sent_at;
