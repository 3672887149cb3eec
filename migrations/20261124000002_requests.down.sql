DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
DROP FUNCTION IF EXISTS recovery_bot_audit_append_only();
DROP TABLE IF EXISTS audit_log;
DROP TABLE IF EXISTS request_checks;
DROP TABLE IF EXISTS requests;
