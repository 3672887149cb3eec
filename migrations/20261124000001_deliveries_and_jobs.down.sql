DROP TRIGGER IF EXISTS jobs_notify ON jobs;
DROP FUNCTION IF EXISTS recovery_bot_notify_jobs();
DROP TABLE IF EXISTS job_starts;
DROP TABLE IF EXISTS jobs;
DROP TABLE IF EXISTS deliveries;
