//! PostgreSQL: the connection pool, the migrations and one file of queries per
//! table family. Query functions take `impl PgExecutor<'_>` so they run on the
//! pool or inside a caller's transaction.

pub mod deliveries;
pub mod jobs;
pub mod requests;
pub mod shadow;
pub mod timers;
pub mod tokens;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

/// The one migrator, shared by `serve`, `migrate` and `#[sqlx::test]`.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A pool that fails fast when the database is away (so a webhook answers 503
/// quickly) and checks connections before handing them out (so it recovers by
/// itself when the database comes back).
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(3))
        .test_before_acquire(true)
}

pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    let pool = pool_options(max_connections)
        .connect(url.expose_secret())
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
    Ok(pool)
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR
        .run(pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))
}

/// `GET /readyz`: can we run a query right now?
pub async fn ping(pool: &PgPool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}
