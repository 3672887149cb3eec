//! The HTTP side: the routes and the state they share, and the handlers:
//! webhook intake, the confirmation page, health and metrics. Handlers only
//! check, store and answer; the work is done by `crate::jobs`.

mod health;
pub mod verify_page;
pub mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::extract::MatchedPath;
use axum::routing::{get, post};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use tower_http::trace::TraceLayer;

use crate::config::Settings;
use crate::telemetry;

pub struct AppState {
    pub pool: PgPool,
    pub settings: Settings,
    /// The indexes and their account directories, for the confirmation
    /// page's check that the address a link went to is still the
    /// account's, and the index's name it shows.
    pub indexes: crate::jobs::bot::BotIndexes,
    metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(pool: PgPool, settings: Settings) -> Self {
        // An unusable directory URL stops `serve` before this (the bot
        // builds the same directories); here it only means no links confirm.
        let rules = crate::jobs::bot::load_rules(&settings).unwrap_or_default();
        let indexes = crate::jobs::bot::BotIndexes::new(settings.indexes(), &rules)
            .unwrap_or_else(|_| crate::jobs::bot::BotIndexes::without_directories(&rules));
        Self {
            pool,
            settings,
            indexes,
            metrics: telemetry::metrics(),
        }
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/webhook", post(webhook::receive))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route(
            "/verify/{token}",
            get(verify_page::show).post(verify_page::confirm),
        )
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The request's span names the route, never the path itself: the path of
/// `/verify/{token}` holds a secret.
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    tracing::info_span!("http", method = %req.method(), route)
}
