//! `POST /webhook`: check the signature over the raw body, decide whether the
//! delivery matters, and store it together with its job in one transaction
//! before answering 202. Nothing is processed here.

pub mod event;
pub mod signature;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;
use sqlx::PgPool;
use tracing::{Instrument, info, info_span, warn};

use crate::http::AppState;
use crate::jobs::PROCESS_DELIVERY;
use crate::store::deliveries::{self, NewDelivery};
use crate::store::jobs::{self, NewJob};
use event::Routing;

fn answer(
    status: StatusCode,
    event: &'static str,
    outcome: &'static str,
    text: impl Into<String>,
) -> Response {
    metrics::counter!(crate::observe::WEBHOOK_DELIVERIES, "event" => event, "outcome" => outcome)
        .increment(1);
    (status, text.into()).into_response()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Reads the JSON payload out of either content type GitHub can send.
fn payload_text(headers: &HeaderMap, body: &[u8]) -> Result<String, &'static str> {
    let content_type = header(headers, "content-type").unwrap_or("application/json");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        form_urlencoded::parse(body)
            .find(|(k, _)| k == "payload")
            .map(|(_, v)| v.into_owned())
            .ok_or("form body has no `payload` field")
    } else if mime.eq_ignore_ascii_case("application/json") || mime.is_empty() {
        String::from_utf8(body.to_vec()).map_err(|_| "body is not UTF-8")
    } else {
        Err(
            "unsupported content type (GitHub sends application/json or application/x-www-form-urlencoded)",
        )
    }
}

pub async fn receive(State(app): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let body = match read_body(&headers, body, app.settings.webhook_max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(answered) => return answered,
    };
    if !signature::verify(
        &app.settings.webhook_secrets,
        &body,
        header(&headers, "x-hub-signature-256"),
    ) {
        warn!("webhook delivery with a missing or wrong X-Hub-Signature-256");
        return answer(
            StatusCode::UNAUTHORIZED,
            "unknown",
            "bad_signature",
            "bad signature",
        );
    }
    let (Some(event), Some(delivery_id)) = (
        header(&headers, "x-github-event"),
        header(&headers, "x-github-delivery"),
    ) else {
        return answer(
            StatusCode::BAD_REQUEST,
            crate::observe::event_label(header(&headers, "x-github-event")),
            "malformed",
            "missing X-GitHub-Event or X-GitHub-Delivery",
        );
    };
    let span = info_span!("delivery", delivery = %delivery_id, event = %event, repository = tracing::field::Empty, issue = tracing::field::Empty);
    let delivery = Delivery {
        event,
        hook_id: header(&headers, "x-github-hook-id").unwrap_or(""),
        delivery_id,
        ev: crate::observe::event_label(Some(event)),
    };
    take(&app, &headers, &body, &delivery)
        .instrument(span)
        .await
}

/// The body, read up to the size cap; else the answer already given.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Response> {
    let too_large = || {
        answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            "unknown",
            "too_large",
            "body too large",
        )
    };
    let declared_too_big = header(headers, "content-length")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > limit as u64);
    if declared_too_big {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_big = std::error::Error::source(&e)
            .is_some_and(|s| s.downcast_ref::<LengthLimitError>().is_some());
        if too_big {
            too_large()
        } else {
            answer(
                StatusCode::BAD_REQUEST,
                "unknown",
                "malformed",
                "cannot read the body",
            )
        }
    })
}

/// A signed delivery's headers.
struct Delivery<'a> {
    event: &'a str,
    hook_id: &'a str,
    delivery_id: &'a str,
    /// The event's name as the metrics label it.
    ev: &'static str,
}

/// Decides whether a signed delivery matters and, if so, stores it.
async fn take(app: &AppState, headers: &HeaderMap, body: &[u8], d: &Delivery<'_>) -> Response {
    let ev = d.ev;
    let payload = match payload_text(headers, body) {
        Ok(p) => p,
        Err(why) => return answer(StatusCode::BAD_REQUEST, ev, "malformed", why),
    };
    if d.event == "ping" {
        info!("ping");
        return answer(StatusCode::OK, ev, "ping", "pong");
    }
    let decision = event::decide(d.event, d.hook_id, d.delivery_id, &payload, |repo| {
        app.settings.repo_allowed(repo)
    });
    let delivery = match decision {
        Err(e) => {
            warn!(error = %e, "malformed delivery");
            return answer(
                StatusCode::BAD_REQUEST,
                ev,
                "malformed",
                format!("malformed payload: {e}"),
            );
        }
        Ok(Routing::Ignore(why)) => {
            return answer(StatusCode::OK, ev, "ignored", format!("ignored: {why}"));
        }
        Ok(Routing::Keep(d)) => d,
    };
    let span = tracing::Span::current();
    span.record("repository", delivery.repository.as_deref().unwrap_or(""));
    span.record(
        "issue",
        delivery
            .issue_number
            .map_or(0, crate::ids::IssueNumber::as_i64),
    );

    match store(&app.pool, &delivery, app.settings.jobs.max_attempts).await {
        Ok(true) => {
            info!(
                action = delivery.action.as_deref().unwrap_or(""),
                "delivery stored"
            );
            answer(StatusCode::ACCEPTED, ev, "accepted", "accepted")
        }
        Ok(false) => answer(
            StatusCode::OK,
            ev,
            "duplicate",
            "duplicate delivery: already stored",
        ),
        Err(e) => {
            warn!(error = %e, "cannot store the delivery; answering 503 so GitHub shows it failed");
            answer(
                StatusCode::SERVICE_UNAVAILABLE,
                ev,
                "unavailable",
                "cannot store the delivery right now",
            )
        }
    }
}

/// Stores the delivery and its job in one transaction. `Ok(false)`: this
/// delivery was stored before.
async fn store(pool: &PgPool, d: &NewDelivery, max_attempts: i32) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(id) = deliveries::insert(&mut *tx, d).await? else {
        return Ok(false);
    };
    let job = NewJob {
        kind: PROCESS_DELIVERY.to_owned(),
        issue_key: event::issue_key(d),
        delivery_id: Some(id),
        args: serde_json::json!({}),
        max_attempts,
    };
    jobs::enqueue(&mut tx, &job).await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_from_both_content_types() {
        let mut h = HeaderMap::new();
        assert_eq!(payload_text(&h, b"{\"a\":1}").unwrap(), "{\"a\":1}");
        h.insert(
            "content-type",
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        assert_eq!(
            payload_text(&h, b"payload=%7B%22a%22%3A1%7D").unwrap(),
            "{\"a\":1}"
        );
        assert!(payload_text(&h, b"other=1").is_err());
        h.insert("content-type", "text/plain".parse().unwrap());
        assert!(payload_text(&h, b"{}").is_err());
    }
}
