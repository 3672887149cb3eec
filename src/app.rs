//! `serve`: wires the settings, the database, GitHub, the HTTP server and the
//! job workers together, and shuts them down in order.

use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::config::Settings;
use crate::github::GitHub;
use crate::jobs::{self, Bot, DeliveryHandler, WorkerPool, sweep};
use crate::server::{AppState, router};
use crate::store;
use crate::verify::Verifier;

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    settings.require_serve()?;
    let pool = store::connect(
        settings.require_database_url()?,
        u32::try_from(settings.workers + 8).unwrap_or(32),
    )
    .await?;
    store::migrate(&pool).await?;

    let github = GitHub::new(&settings)?;
    let identity = github.identity().await.map_err(|e| {
        let hint = match e.status() {
            Some(401) => " (GitHub refused the credentials: check GITHUB_TOKEN, or GITHUB_APP_ID and its private key)",
            Some(403) => " (the credentials lack a permission, or the rate limit is used up)",
            Some(404) => " (is GITHUB_API_URL right? GitHub Enterprise Server: https://HOST/api/v3)",
            None => " (is GITHUB_API_URL right, and is the network up?)",
            _ => "",
        };
        anyhow::anyhow!(
            "cannot reach GitHub at {}: {e}{hint}",
            settings.github_api_url
        )
    })?;
    info!(login = %identity.login, "GitHub identity");

    let listener = tokio::net::TcpListener::bind(settings.bind_addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind_addr))?;
    info!(addr = %listener.local_addr()?, "listening");

    let shutdown = CancellationToken::new();
    let verifier = Verifier::from_settings(&settings)?;
    if verifier.is_none() {
        info!(
            "email verification off: set SMTP_URL, MAIL_FROM, ACCOUNT_DIRECTORY_URL and PUBLIC_URL to turn it on"
        );
    }
    if settings.dry_run {
        info!(
            "shadow mode (--dry-run): decisions are made and stored; nothing is written to GitHub and no mail is sent"
        );
    }
    if !settings.dry_run {
        let n = jobs::hand_over_from_shadow(&pool, settings.jobs.max_attempts).await?;
        if n > 0 {
            info!(
                requests = n,
                "leaving shadow mode: bringing the tracker in line for the open requests"
            );
        }
    }
    let bot = Arc::new(Bot::new(
        &settings,
        github,
        identity.login,
        verifier,
        pool.clone(),
    )?);
    let workers = WorkerPool::new(pool.clone(), DeliveryHandler { bot }, settings.jobs.clone());
    let worker_count = settings.workers;
    let worker_task = tokio::spawn(workers.run(worker_count, shutdown.clone()));

    let sweeper = tokio::spawn(sweep_loop(
        pool.clone(),
        settings.repos.clone(),
        settings.jobs.max_attempts,
        settings.sweep_interval,
        shutdown.clone(),
    ));

    let clocks = tokio::spawn(jobs::timers::tick_loop(
        pool.clone(),
        settings.timers,
        settings.timer_tick(),
        settings.jobs.max_attempts,
        shutdown.clone(),
    ));

    let state = Arc::new(AppState::new(pool.clone(), settings));
    let stop = shutdown.clone();
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move {
            wait_for_signal().await;
            info!("shutting down: no new deliveries; finishing running jobs");
            stop.cancel();
        })
        .await
        .context("HTTP server failed")?;
    shutdown.cancel();
    worker_task.await.context("job workers failed")?;
    let _ = sweeper.await;
    let _ = clocks.await;
    pool.close().await;
    info!("stopped");
    Ok(())
}

/// Sweeps open intake issues at start and then every `interval`, to catch
/// up on deliveries missed while the bot was down.
async fn sweep_loop(
    pool: sqlx::PgPool,
    repos: Vec<String>,
    max_attempts: i32,
    interval: std::time::Duration,
    shutdown: CancellationToken,
) {
    loop {
        match sweep::enqueue_sweeps(&pool, &repos, max_attempts).await {
            Ok(n) => info!(repositories = n, "sweep of open intake issues enqueued"),
            Err(e) => tracing::warn!(error = %e, "cannot enqueue the sweep; trying again later"),
        }
        if interval.is_zero() {
            return;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
