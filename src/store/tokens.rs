//! The `verification_tokens` table: hashes of emailed single-use links.
//! A token belongs to one round: the request, the username as read when it
//! was sent, and (as a hash) the address it went to. Revoking a request's
//! links is written here once; callers in `requests` revoke on the changes
//! that end a round.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgExecutor};

/// A stored token. It holds only the hash of the link's secret.
#[derive(Debug, Clone, FromRow)]
pub struct Token {
    pub id: i64,
    pub request_id: i64,
    pub check_name: String,
    /// The username the round was for.
    pub username: Option<String>,
    /// The index it was for (`[indexes.<key>]`; `default` with one).
    pub index_key: String,
    /// The hash of the address the link went to (`verify::hash_address`).
    pub address_hash: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// When the link became live (just before its mail left).
    pub mailed_at: Option<DateTime<Utc>>,
    /// When the mail server took the round's mail.
    pub mail_sent_at: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `/verify-repo`: the branch name to look for (the token itself). Kept
    /// only while the round lives: erased when it is used, revoked, or its
    /// expiry is noted.
    pub branch: Option<String>,
    /// `/verify-repo`: the round's repositories (`owner/name`).
    pub repositories: Option<serde_json::Value>,
}

impl Token {
    pub fn repositories(&self) -> Vec<String> {
        self.repositories
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }
}

const COLUMNS: &str = "id, request_id, check_name, username, index_key, address_hash, expires_at, mailed_at, \
                       mail_sent_at, used_at, revoked_at, branch, repositories";

pub use crate::recovery::rounds::Revocation;

/// The token a command already created (an earlier attempt of its job).
pub async fn by_command(e: impl PgExecutor<'_>, command_key: &str) -> sqlx::Result<Option<Token>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM verification_tokens WHERE command_key = $1"
    ))
    .bind(command_key)
    .fetch_optional(e)
    .await
}

/// What a new token is bound to.
pub struct NewToken<'a> {
    pub request_id: i64,
    pub check_name: &'a str,
    pub token_hash: &'a str,
    pub command_key: &'a str,
    pub username: &'a str,
    pub index_key: &'a str,
    pub address_hash: &'a str,
    pub valid_for: std::time::Duration,
    /// `/verify-repo`: the branch name and the repositories to look in.
    pub branch: Option<&'a str>,
    pub repositories: Option<serde_json::Value>,
}

/// Stores a new token's hash (replacing one of the same command that was
/// never mailed) and revokes every other live link of the request: a newer
/// round supersedes the older ones.
pub async fn create(conn: &mut PgConnection, t: &NewToken<'_>) -> sqlx::Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO verification_tokens
             (request_id, check_name, token_hash, command_key, expires_at, username, address_hash,
              branch, repositories, index_key)
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7, $8, $9, $10)
         ON CONFLICT (command_key) DO UPDATE
         SET token_hash = EXCLUDED.token_hash, expires_at = EXCLUDED.expires_at,
             username = EXCLUDED.username, address_hash = EXCLUDED.address_hash,
             index_key = EXCLUDED.index_key,
             branch = EXCLUDED.branch, repositories = EXCLUDED.repositories,
             created_at = now(), mailed_at = NULL
         WHERE verification_tokens.mail_sent_at IS NULL
         RETURNING id",
    )
    .bind(t.request_id)
    .bind(t.check_name)
    .bind(t.token_hash)
    .bind(t.command_key)
    .bind(t.valid_for.as_secs_f64())
    .bind(t.username)
    .bind(t.address_hash)
    .bind(t.branch)
    .bind(&t.repositories)
    .bind(t.index_key)
    .fetch_one(&mut *conn)
    .await?;
    revoke(&mut *conn, t.request_id, Some(id), Revocation::Superseded).await?;
    Ok(id)
}

/// Revokes every live (unused, unrevoked) link of a request, but `except`.
pub async fn revoke(
    e: impl PgExecutor<'_>,
    request_id: i64,
    except: Option<i64>,
    why: Revocation,
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE verification_tokens SET revoked_at = now(), revoked_reason = $3, branch = NULL
         WHERE request_id = $1 AND used_at IS NULL AND revoked_at IS NULL
           AND ($2::int8 IS NULL OR id <> $2)",
    )
    .bind(request_id)
    .bind(except)
    .bind(why.as_str())
    .execute(e)
    .await?;
    Ok(done.rows_affected())
}

/// One round by id.
pub async fn get(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Token>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM verification_tokens WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(e)
    .await
}

/// Makes a round live just before its mail leaves: its link's hash (`None`
/// for a `/verify-repo` round, whose branch name is kept) and `mailed_at`.
/// False when it was mailed, used or revoked meanwhile.
pub async fn make_live(
    e: impl PgExecutor<'_>,
    id: i64,
    token_hash: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE verification_tokens
         SET token_hash = COALESCE($2, token_hash), mailed_at = now()
         WHERE id = $1 AND mail_sent_at IS NULL AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(token_hash)
    .execute(e)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The mail server took the round's mail: it is never sent again.
pub async fn mark_sent(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE verification_tokens SET mail_sent_at = now() WHERE id = $1")
        .bind(id)
        .execute(e)
        .await?;
    Ok(())
}

/// Revokes one round.
pub async fn revoke_one(e: impl PgExecutor<'_>, id: i64, why: Revocation) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE verification_tokens SET revoked_at = now(), revoked_reason = $2, branch = NULL
         WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(why.as_str())
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

/// The id of the request's newest mailed link for `check_name`: the round
/// the request waits for.
pub async fn latest_mailed(
    e: impl PgExecutor<'_>,
    request_id: i64,
    check_name: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT max(id) FROM verification_tokens
         WHERE request_id = $1 AND check_name = $2 AND mailed_at IS NOT NULL",
    )
    .bind(request_id)
    .bind(check_name)
    .fetch_one(e)
    .await
}

pub async fn mark_used(conn: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE verification_tokens SET used_at = now(), branch = NULL WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The request's `/verify-repo` token that may still prove ownership: the
/// newest mailed one, unused, unrevoked and unexpired.
pub async fn live_branch(e: impl PgExecutor<'_>, request_id: i64) -> sqlx::Result<Option<Token>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM verification_tokens
         WHERE request_id = $1 AND branch IS NOT NULL AND mailed_at IS NOT NULL
           AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
         ORDER BY id DESC LIMIT 1"
    ))
    .bind(request_id)
    .fetch_optional(e)
    .await
}

/// The request's mailed links and tokens that expired unused and were not
/// told to admins yet; marked as told.
pub async fn take_newly_expired(e: impl PgExecutor<'_>, request_id: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE verification_tokens SET expiry_noted_at = now(), branch = NULL
         WHERE request_id = $1 AND mailed_at IS NOT NULL AND used_at IS NULL
           AND revoked_at IS NULL AND expiry_noted_at IS NULL AND expires_at <= now()",
    )
    .bind(request_id)
    .execute(e)
    .await?;
    Ok(done.rows_affected())
}

/// The request's newest mailed link or token expired unused.
pub async fn latest_expired(e: impl PgExecutor<'_>, request_id: i64) -> sqlx::Result<bool> {
    let expired: Option<bool> = sqlx::query_scalar(
        "SELECT used_at IS NULL AND revoked_at IS NULL AND expires_at <= now()
         FROM verification_tokens
         WHERE request_id = $1 AND mailed_at IS NOT NULL
         ORDER BY id DESC LIMIT 1",
    )
    .bind(request_id)
    .fetch_optional(e)
    .await?;
    Ok(expired.unwrap_or(false))
}
