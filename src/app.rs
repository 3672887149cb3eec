//! `serve`: wires the settings, the database, GitHub, the HTTP server and the
//! job workers together, and shuts them down in order.

use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tracing::info;
use tracing::instrument::WithSubscriber;

use crate::config::Settings;
use crate::github::{ApiError, GitHub, Identity};
use crate::jobs::{self, Bot, DeliveryHandler, WorkerPool, sweep};
use crate::server::{AppState, router};
use crate::verify::Verifier;
use crate::{store, telemetry};

pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    settings.require_serve()?;
    check_directory(&settings).await?;
    let pool = open_database(&settings)
        .with_subscriber(telemetry::startup_logs(settings.log_format))
        .await?;

    let github = GitHub::new(&settings)?;
    let identity = github_identity(&github, &settings.github_api_url).await?;
    info!(login = %identity.login, "GitHub identity");

    let listener = tokio::net::TcpListener::bind(settings.bind_addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind_addr))?;
    info!(addr = %listener.local_addr()?, "listening");

    let verifier = Verifier::from_settings(&settings)?;
    announce_modes(&settings, verifier.is_some());
    if !settings.dry_run {
        leave_shadow_mode(&pool, settings.jobs.max_attempts).await?;
    }
    let bot = Arc::new(Bot::new(
        &settings,
        github,
        identity.login,
        verifier,
        pool.clone(),
    )?);
    let shutdown = CancellationToken::new();
    let background = Background::spawn(&pool, &settings, bot, &shutdown);

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
    background.join().await?;
    pool.close().await;
    info!("stopped");
    Ok(())
}

/// Each Warehouse directory's tables and columns, checked before anything
/// else starts (Warehouse migrates often): the first missing one is named.
async fn check_directory(settings: &Settings) -> anyhow::Result<()> {
    for index in settings.indexes().iter() {
        if let Some(url) = &index.directory_url
            && crate::verify::directory::is_warehouse(url)
        {
            let directory = crate::verify::warehouse::Warehouse::from_url(url)?;
            let checked = directory.check_schema().await;
            directory.close().await;
            checked.with_context(|| match settings.index_tables {
                Some(_) => format!("[indexes.{}] directory_url", index.key),
                None => "ACCOUNT_DIRECTORY_URL".to_owned(),
            })?;
        }
    }
    Ok(())
}

/// Connections for `workers` workers: each may hold two at once (its
/// transaction and a side connection), plus the job listener, the timers,
/// the sweep and the webhooks.
fn pool_size(workers: usize) -> u32 {
    u32::try_from(workers.saturating_mul(2).saturating_add(8)).unwrap_or(64)
}

/// The bot's database, created when missing, and migrated.
async fn open_database(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    let pool = store::connect(
        settings.require_database_url()?,
        pool_size(settings.workers),
    )
    .await?;
    store::migrate(&pool).await?;
    Ok(pool)
}

/// Who the bot is on GitHub, asked once at start. The client's own retry
/// notices stay quiet here: a failure is the one line [`github_start_error`]
/// writes, not a notice per attempt before it.
async fn github_identity(github: &GitHub, api_url: &str) -> anyhow::Result<Identity> {
    github
        .identity()
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
        .map_err(|e| anyhow::anyhow!(github_start_error(api_url, &e)))
}

/// One line for a failed start-up call to GitHub: what GitHub said (a 401
/// is refused credentials, not an unreachable server) or why it could not
/// be reached (DNS, refused, TLS), with what to check.
fn github_start_error(api_url: &str, e: &ApiError) -> String {
    let text = e.to_string();
    let line = match e.status() {
        Some(401) => format!(
            "GitHub at {api_url} refused the credentials ({text}): check GITHUB_TOKEN, or GITHUB_APP_ID and its private key"
        ),
        Some(403) => format!(
            "GitHub at {api_url} refused the call ({text}): the credentials lack a permission, or the rate limit is used up"
        ),
        Some(404) => format!(
            "GitHub at {api_url} has no such API ({text}): is GITHUB_API_URL right? GitHub Enterprise Server: https://HOST/api/v3"
        ),
        Some(_) => format!("GitHub at {api_url} failed ({text})"),
        None if is_tls_failure(&text) => format!(
            "cannot reach GitHub at {api_url}: TLS failed: {text} (does GITHUB_API_URL speak HTTPS with a certificate this machine trusts?)"
        ),
        None => format!(
            "cannot reach GitHub at {api_url}: {text} (is GITHUB_API_URL right, and is the network up?)"
        ),
    };
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a connection error's text (its whole chain of causes) is a TLS
/// failure: rustls' own words for a bad certificate, a server that does not
/// speak TLS, or a refused handshake.
fn is_tls_failure(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    [
        "tls",
        "ssl",
        "certificate",
        "corrupt message",
        "handshake",
        "fatal alert",
        "peer is incompatible",
        "peer misbehaved",
    ]
    .iter()
    .any(|w| text.contains(w))
}

/// Says at start which optional parts are off.
fn announce_modes(settings: &Settings, verification_on: bool) {
    if !verification_on {
        info!(
            "email verification off: set SMTP_URL, MAIL_FROM, ACCOUNT_DIRECTORY_URL and PUBLIC_URL to turn it on"
        );
    }
    if settings.dry_run {
        info!(
            "shadow mode (--dry-run): decisions are made and stored; nothing is written to GitHub and no mail is sent"
        );
    }
}

/// After a shadow-mode trial, brings the tracker in line for the open
/// requests.
async fn leave_shadow_mode(pool: &sqlx::PgPool, max_attempts: i32) -> anyhow::Result<()> {
    let n = jobs::hand_over_from_shadow(pool, max_attempts).await?;
    if n > 0 {
        info!(
            requests = n,
            "leaving shadow mode: bringing the tracker in line for the open requests"
        );
    }
    Ok(())
}

/// The job workers, the catch-up sweep and the timers, running until
/// `shutdown` is cancelled.
struct Background {
    workers: tokio::task::JoinHandle<()>,
    sweeper: tokio::task::JoinHandle<()>,
    clocks: tokio::task::JoinHandle<()>,
}

impl Background {
    fn spawn(
        pool: &sqlx::PgPool,
        settings: &Settings,
        bot: Arc<Bot>,
        shutdown: &CancellationToken,
    ) -> Self {
        let workers = WorkerPool::new(pool.clone(), DeliveryHandler { bot }, settings.jobs.clone());
        Self {
            workers: tokio::spawn(workers.run(settings.workers, shutdown.clone())),
            sweeper: tokio::spawn(sweep_loop(
                pool.clone(),
                settings.repos.named().to_vec(),
                settings.jobs.max_attempts,
                settings.sweep_interval,
                shutdown.clone(),
            )),
            clocks: tokio::spawn(jobs::timers::tick_loop(
                pool.clone(),
                settings.timers,
                settings.timer_tick(),
                settings.jobs.max_attempts,
                shutdown.clone(),
            )),
        }
    }

    /// Waits for all three to stop (after `shutdown`).
    async fn join(self) -> anyhow::Result<()> {
        self.workers.await.context("job workers failed")?;
        let _ = self.sweeper.await;
        let _ = self.clocks.await;
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_failures_are_told_from_other_connection_failures() {
        for tls in [
            "Get /user: Service Error: client error (Connect): received corrupt message of type InvalidContentType",
            "Get /user: Service Error: client error (Connect): invalid peer certificate: UnknownIssuer",
            "Get /user: client error (Connect): received fatal alert: HandshakeFailure",
        ] {
            assert!(is_tls_failure(tls), "{tls}");
            let line = github_start_error("https://ghe.example", &ApiError::permanent(tls));
            assert!(
                line.starts_with("cannot reach GitHub at https://ghe.example: TLS failed: "),
                "{line}"
            );
        }
        for other in [
            "Get /user: Service Error: client error (Connect): tcp connect error: Connection refused (os error 111)",
            "Get /user: Service Error: client error (Connect): dns error: failed to lookup address information",
            "Get /user: timed out",
        ] {
            assert!(!is_tls_failure(other), "{other}");
        }
        let line = github_start_error("http://x", &ApiError::permanent("a\n  b"));
        assert_eq!(
            line,
            "cannot reach GitHub at http://x: a b (is GITHUB_API_URL right, and is the network up?)"
        );
    }
}
