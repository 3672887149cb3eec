//! Times one Warehouse directory lookup on a database holding 100,000
//! users and 400,000 projects (benches/warehouse_seed.sql, on Warehouse's
//! tables and indexes from tests/data/warehouse_schema.sql), and counts the
//! statements each lookup sends. Not part of the test run:
//!
//!     scripts/test --bench warehouse_lookup
//!
//! It creates the database `recovery_bot_warehouse_bench` beside
//! DATABASE_URL's (the test role has CREATEDB), seeds it once (kept for the
//! next run; WAREHOUSE_BENCH_DROP=1 drops it at the end) and prints the
//! median, p90 and worst time per lookup for a typical account (4
//! projects), the same name in other case, a heavy one (1,004 projects) and
//! an unknown name.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use recovery_bot::verify::directory::Directory;
use sqlx::{Connection, PgConnection};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const DB: &str = "recovery_bot_warehouse_bench";

/// Counts the statements sqlx logs (target `sqlx::query`).
struct Statements(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if e.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn main() -> anyhow::Result<()> {
    let count = Arc::new(AtomicUsize::new(0));
    tracing_subscriber::registry()
        .with(Statements(count.clone()))
        .init();
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run(&count))
}

async fn run(count: &AtomicUsize) -> anyhow::Result<()> {
    let admin_url = std::env::var("DATABASE_URL")?;
    let mut url = url::Url::parse(&admin_url)?;
    url.set_path(DB);
    let url = url.to_string();
    seed(&admin_url, &url).await?;

    let directory = Directory::new(&url, None)?;
    directory.check().await?;
    for (name, runs) in [
        ("user-54321", 300),
        ("USER-54321", 300),
        ("user-1", 30),
        ("nobody", 300),
    ] {
        // Warm the pool and the caches.
        directory.lookup(name).await?;
        count.store(0, Ordering::Relaxed);
        let account = directory.lookup(name).await?;
        let statements = count.load(Ordering::Relaxed);
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            directory.lookup(name).await?;
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "{name:>11}: {:>5} projects, {statements} statements per lookup; median {:?}, p90 {:?}, worst {:?} ({runs} runs)",
            account.map_or(0, |a| a.projects.len()),
            times[runs / 2],
            times[runs * 9 / 10],
            times[runs - 1],
        );
    }
    if std::env::var("WAREHOUSE_BENCH_DROP").is_ok_and(|v| v == "1") {
        drop(directory);
        let mut admin = PgConnection::connect(&admin_url).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {DB} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
    }
    Ok(())
}

/// Creates and fills the database unless a full one is there.
async fn seed(admin_url: &str, url: &str) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(admin_url).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(DB)
            .fetch_one(&mut admin)
            .await?;
    if exists {
        let mut db = PgConnection::connect(url).await?;
        let users: Option<i64> = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&mut db)
            .await
            .ok();
        if users == Some(100_000) {
            return Ok(());
        }
        drop(db);
        sqlx::query(&format!("DROP DATABASE {DB} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
    }
    sqlx::query(&format!("CREATE DATABASE {DB}"))
        .execute(&mut admin)
        .await?;
    let mut db = PgConnection::connect(url).await?;
    let start = Instant::now();
    sqlx::raw_sql(include_str!("../tests/data/warehouse_schema.sql"))
        .execute(&mut db)
        .await?;
    sqlx::raw_sql(include_str!("warehouse_seed.sql"))
        .execute(&mut db)
        .await?;
    println!(
        "seeded {DB} in {:?}",
        Duration::from_secs(start.elapsed().as_secs())
    );
    Ok(())
}
