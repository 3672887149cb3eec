//! The `verification_tokens` table: hashes of emailed single-use links.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgExecutor};

#[derive(Debug, Clone, FromRow)]
pub struct Token {
    pub id: i64,
    pub request_id: i64,
    pub check_name: String,
    pub expires_at: DateTime<Utc>,
    pub mailed_at: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, request_id, check_name, expires_at, mailed_at, used_at";

/// The token a command already created (an earlier attempt of its job).
pub async fn by_command(e: impl PgExecutor<'_>, command_key: &str) -> sqlx::Result<Option<Token>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM verification_tokens WHERE command_key = $1"
    ))
    .bind(command_key)
    .fetch_optional(e)
    .await
}

/// Stores a new token's hash, replacing one of the same command that was
/// never mailed.
pub async fn create(
    e: impl PgExecutor<'_>,
    request_id: i64,
    check_name: &str,
    token_hash: &str,
    command_key: &str,
    valid_for: std::time::Duration,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO verification_tokens (request_id, check_name, token_hash, command_key, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
         ON CONFLICT (command_key) DO UPDATE
         SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at, created_at = now()
         WHERE verification_tokens.mailed_at IS NULL
         RETURNING id",
    )
    .bind(request_id)
    .bind(check_name)
    .bind(token_hash)
    .bind(command_key)
    .bind(valid_for.as_secs_f64())
    .fetch_one(e)
    .await
}

pub async fn mark_mailed(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE verification_tokens SET mailed_at = now() WHERE id = $1")
        .bind(id)
        .execute(e)
        .await?;
    Ok(())
}

/// The token with this hash, locked for the caller's transaction.
pub async fn lock_by_hash(
    conn: &mut PgConnection,
    token_hash: &str,
) -> sqlx::Result<Option<Token>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM verification_tokens WHERE token_hash = $1 FOR UPDATE"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

pub async fn find_by_hash(e: impl PgExecutor<'_>, token_hash: &str) -> sqlx::Result<Option<Token>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM verification_tokens WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(e)
    .await
}

pub async fn mark_used(conn: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE verification_tokens SET used_at = now() WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
