//! `admin_pins`: the GitHub user id each configured admin login was pinned
//! to the first time it resolved.

use sqlx::PgExecutor;

/// The id `login` (lowercase) is pinned to, if it is pinned.
pub async fn pinned(ex: impl PgExecutor<'_>, login: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT github_id FROM admin_pins WHERE login = $1")
        .bind(login)
        .fetch_optional(ex)
        .await
}

/// Pins `login` (lowercase) to `github_id` unless it is pinned already;
/// returns the id it is pinned to (the first pin wins, whichever replica
/// wrote it).
pub async fn pin(ex: impl PgExecutor<'_>, login: &str, github_id: i64) -> sqlx::Result<i64> {
    // The no-op update makes the conflicting row come back from RETURNING.
    sqlx::query_scalar(
        "INSERT INTO admin_pins (login, github_id) VALUES ($1, $2)
         ON CONFLICT (login) DO UPDATE SET github_id = admin_pins.github_id
         RETURNING github_id",
    )
    .bind(login)
    .bind(github_id)
    .fetch_one(ex)
    .await
}
