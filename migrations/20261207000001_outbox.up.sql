-- Effects after commit (an outbox). A job decides and stores its decision
-- together with the effects it implies (GitHub writes, a round's mail, the
-- index's recover call) as jobs of kind 'effect', in one transaction; the
-- effects run after it commits, each retried on its own.

-- A round's mail: `mailed_at` is when its link became live (its hash was
-- written, just before the mail left); `mail_sent_at` is when the mail server
-- took it. A round is mailed at most once: the effect skips a round that
-- has `mail_sent_at`, and one that was revoked in the meantime.
ALTER TABLE verification_tokens ADD COLUMN mail_sent_at TIMESTAMPTZ;
UPDATE verification_tokens SET mail_sent_at = mailed_at WHERE mailed_at IS NOT NULL;

-- An issue's effects are looked up by every claim of its other jobs.
CREATE INDEX jobs_effects_pending ON jobs (issue_key, id)
    WHERE status = 'pending' AND kind = 'effect';
