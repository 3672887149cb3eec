//! `GET /healthz`, `GET /readyz` and `GET /metrics`: is the process up, does
//! the database answer, and the Prometheus text.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

use super::AppState;
use crate::store;

pub(super) async fn healthz() -> &'static str {
    "ok"
}

pub(super) async fn readyz(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    if store::ping(&app.pool).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

pub(super) async fn metrics(State(app): State<Arc<AppState>>) -> impl IntoResponse {
    crate::observe::read_gauges(&app.pool).await;
    (
        [("content-type", "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}
