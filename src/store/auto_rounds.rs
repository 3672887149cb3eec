//! `auto_rounds`: the proof rounds the bot started itself, for the
//! `auto_verify_cooldown`; and whether an account has a live round on any
//! request.

use std::time::Duration;

use sqlx::PgExecutor;

/// Serializes automatic rounds for one account until the job's transaction
/// ends: two requests for the same account decided at once see each
/// other's round.
pub async fn lock_account(
    e: impl PgExecutor<'_>,
    index_key: &str,
    username: &str,
) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('auto_round:' || $2 || ':' || lower($1)))")
        .bind(username)
        .bind(index_key)
        .execute(e)
        .await?;
    Ok(())
}

/// Whether the bot started a round for the account within `cooldown`.
pub async fn started_within(
    e: impl PgExecutor<'_>,
    index_key: &str,
    username: &str,
    cooldown: Duration,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM auto_rounds WHERE index_key = $3 AND account = lower($1)
                        AND started_at > now() - make_interval(secs => $2))",
    )
    .bind(username)
    .bind(cooldown.as_secs_f64())
    .bind(index_key)
    .fetch_one(e)
    .await
}

/// Records an automatic round for the account.
pub async fn record(
    e: impl PgExecutor<'_>,
    index_key: &str,
    username: &str,
    request_id: i64,
    round: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO auto_rounds (index_key, account, request_id, round)
         VALUES ($4, lower($1), $2, $3)",
    )
    .bind(username)
    .bind(request_id)
    .bind(round)
    .bind(index_key)
    .execute(e)
    .await?;
    Ok(())
}

/// Whether any request for the account has a live round: a link or token
/// not used, revoked or expired, sent for this account.
pub async fn live_round(
    e: impl PgExecutor<'_>,
    index_key: &str,
    username: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (
             SELECT 1 FROM verification_tokens t JOIN requests r ON r.id = t.request_id
             WHERE lower(coalesce(t.username, r.username)) = lower($1) AND t.index_key = $2
               AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now())",
    )
    .bind(username)
    .bind(index_key)
    .fetch_one(e)
    .await
}
