//! Logs (tracing, filtered by `RUST_LOG`, text or JSON) and the Prometheus
//! recorder behind `GET /metrics`.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Dispatch;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// The filter when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// Logs go to standard error; in colour only when that is a terminal (not
/// a file, a pipe or journald) and `NO_COLOR` is not set.
pub fn init_logs(format: LogFormat) {
    let _ = subscriber(format, filter(rust_log(), "")).try_init();
}

/// The logs while `serve` creates and migrates its database: the same, less
/// sqlx's slow-statement warnings (unless `RUST_LOG` is set): on a busy
/// server `CREATE DATABASE` alone can take over a second, and a start-up
/// failure is to stay short. Later statements warn as usual.
pub fn startup_logs(format: LogFormat) -> Dispatch {
    subscriber(format, filter(rust_log(), STARTUP_QUIET))
}

/// What the start-up adds to the default filter.
const STARTUP_QUIET: &str = ",sqlx::query=error";

fn rust_log() -> Option<String> {
    std::env::var("RUST_LOG").ok()
}

/// `RUST_LOG` when it is set and valid, else the default filter with
/// `extra` directives.
fn filter(rust_log: Option<String>, extra: &str) -> EnvFilter {
    rust_log
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("{DEFAULT_FILTER}{extra}")))
}

fn subscriber(format: LogFormat, filter: EnvFilter) -> Dispatch {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ));
    match format {
        LogFormat::Json => Dispatch::new(builder.json().with_current_span(true).finish()),
        LogFormat::Text => Dispatch::new(builder.finish()),
    }
}

/// Whether text logs carry colour codes: on a terminal, unless `NO_COLOR`
/// is set to something (<https://no-color.org>).
fn colour(terminal: bool, no_color: Option<OsString>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// The process-wide recorder, installed on first use.
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(crate::observe::JOB_DURATION.to_owned()),
                    crate::observe::JOB_DURATION_BUCKETS,
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; the handle
            // then renders nothing, which is still a valid answer.
            let _ = metrics::set_global_recorder(recorder);
            crate::observe::describe();
            handle
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_up_leaves_out_slow_statement_warnings_unless_rust_log_asks() {
        let slow_statement_logged = |filter: EnvFilter| {
            let dispatch = subscriber(LogFormat::Text, filter);
            tracing::dispatcher::with_default(&dispatch, || {
                assert!(tracing::enabled!(target: "recovery_bot::store", tracing::Level::INFO));
                tracing::enabled!(target: "sqlx::query", tracing::Level::WARN)
            })
        };
        assert!(!slow_statement_logged(filter(None, STARTUP_QUIET)));
        assert!(slow_statement_logged(filter(None, "")));
        assert!(slow_statement_logged(filter(
            Some("info".into()),
            STARTUP_QUIET
        )));
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(!colour(false, None));
        assert!(!colour(true, Some("1".into())));
        assert!(colour(true, Some("".into())));
    }
}
