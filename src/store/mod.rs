//! PostgreSQL: the connection pool, the migrations and one file of queries per
//! table family. Query functions take `impl PgExecutor<'_>` so they run on the
//! pool or inside a caller's transaction.

pub mod admin_pins;
mod audit;
pub mod auto_rounds;
mod checks;
mod columns;
pub mod deliveries;
pub mod jobs;
pub mod report;
pub mod requests;
pub mod shadow;
pub mod tasks;
pub mod timers;
pub mod tokens;

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use std::str::FromStr;

use sqlx::Postgres;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

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

/// Connects to the database `url` names, creating that database first when
/// the server has no such database yet. A failure says where (host, port,
/// database, user; never the password) and why, in one line.
pub async fn connect(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    let (options, place) = options_and_place(url)?;
    let explain = |e: sqlx::Error| anyhow::anyhow!("cannot connect to {place}: {}", why(&e));
    if !Postgres::database_exists(url.expose_secret())
        .await
        .map_err(&explain)?
    {
        Postgres::create_database(url.expose_secret())
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the database for {place}: {}", why(&e)))?;
        tracing::info!(%place, "created the bot's database");
    }
    pool_options(max_connections)
        .connect_with(options)
        .await
        .map_err(explain)
}

/// The URL's options, and where it points (host, port, database, user;
/// never the password) for messages.
fn options_and_place(url: &SecretString) -> anyhow::Result<(PgConnectOptions, String)> {
    let options = PgConnectOptions::from_str(url.expose_secret()).map_err(|_| {
        anyhow::anyhow!(
            "DATABASE_URL is not a PostgreSQL URL (postgres://USER[:PASSWORD]@HOST:PORT/DATABASE)"
        )
    })?;
    let place = format!(
        "PostgreSQL at {}:{} (database {}, user {})",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default)"),
        options.get_username()
    );
    Ok((options, place))
}

/// The database holds no bot tables (or is missing, or is behind this
/// binary's migrations): an inspection command stops here, creating nothing.
#[derive(Debug, thiserror::Error)]
#[error("{0}: run `recovery-bot migrate` (or start `recovery-bot serve`, which migrates) first")]
pub struct NotMigrated(pub String);

/// Connects to an existing, migrated database and changes nothing: for the
/// commands that only inspect (`requests`, `jobs`, `report`). A missing
/// database, or one without every migration of this binary, is a
/// [`NotMigrated`] error.
pub async fn connect_existing(url: &SecretString, max_connections: u32) -> anyhow::Result<PgPool> {
    let (options, place) = options_and_place(url)?;
    let pool = match pool_options(max_connections).connect_with(options).await {
        Ok(pool) => pool,
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("3D000") => {
            return Err(NotMigrated(format!("there is no such database: {place}")).into());
        }
        Err(e) => anyhow::bail!("cannot connect to {place}: {}", why(&e)),
    };
    // Read-only: the table of applied migrations, if there is one.
    let has_table: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&pool)
        .await?;
    let applied: Vec<i64> = if has_table {
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&pool)
            .await?
    } else {
        Vec::new()
    };
    let missing = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .count();
    match (applied.is_empty(), missing) {
        (_, 0) => Ok(pool),
        (true, _) => Err(NotMigrated(format!("{place} has none of recovery-bot's tables")).into()),
        (false, n) => Err(NotMigrated(format!(
            "{place} lacks {n} of this recovery-bot's migrations"
        ))
        .into()),
    }
}

/// Why a connection failed, with what to do about it.
fn why(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused: is the server running? On Debian: \
             pg_ctlcluster --skip-systemctl-redirect <version> main start (or set DATABASE_URL)"
                .to_owned()
        }
        sqlx::Error::Io(io) => format!("{io} (check the host and port in DATABASE_URL)"),
        sqlx::Error::PoolTimedOut => {
            "timed out: the server does not answer (check the host, port and firewall)".to_owned()
        }
        sqlx::Error::Tls(tls) => format!("TLS failed: {tls}"),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01") => "password authentication failed (check the user and password in \
                              DATABASE_URL)"
                .to_owned(),
            Some("28000") => format!(
                "the server refused this user ({}): see pg_hba.conf, or use scripts/run, which \
                 makes a role of its own",
                db.message()
            ),
            Some("42501") => format!("permission denied: {}", db.message()),
            _ => db.message().to_owned(),
        },
        other => other.to_string(),
    }
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
