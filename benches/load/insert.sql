-- What one accepted delivery costs the database: the delivery row and its
-- job, in one transaction (the same statements the webhook runs).
\set n random(1, 1000000000)
BEGIN;
INSERT INTO deliveries (hook_id, delivery_id, event, action, repository, repository_id, issue_number, payload)
  VALUES ('pgbench', :n || '-' || :client_id || '-' || random(), 'issues', 'opened', 'Codertocat/Hello-World', 1, 1, repeat('x', 12000))
  ON CONFLICT (hook_id, delivery_id) DO NOTHING;
SELECT pg_advisory_xact_lock(hashtextextended('1#1-' || :client_id, 0));
INSERT INTO jobs (kind, issue_key, args, max_attempts, status) VALUES ('bench', '1#1-' || :client_id, '{}', 8, 'dead');
COMMIT;
