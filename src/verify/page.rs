//! `GET /verify/{token}` shows what is being confirmed and a Confirm button;
//! `POST /verify/{token}` records the confirmation. A GET changes nothing,
//! because mail scanners open links.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use tracing::{info, warn};

use super::hash_token;
use crate::jobs::{EMAIL_CONFIRMED, situation, store_outcome};
use crate::recovery::messages::{VerifyPage, verify_page};
use crate::recovery::transitions::{self, AccountCheck};
use crate::server::AppState;
use crate::store::jobs::{self, NewJob};
use crate::store::requests::{self, Audit};
use crate::store::tokens::{self, Token};

fn page(status: StatusCode, p: VerifyPage<'_>) -> Response {
    (
        status,
        [
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
        ],
        Html(verify_page(&p)),
    )
        .into_response()
}

fn refused(t: &Token) -> Option<Response> {
    if t.used_at.is_some() {
        Some(page(StatusCode::GONE, VerifyPage::Used))
    } else if t.expires_at <= Utc::now() {
        Some(page(StatusCode::GONE, VerifyPage::Expired))
    } else {
        None
    }
}

pub async fn show(State(app): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    let hash = hash_token(&token);
    let t = match tokens::find_by_hash(&app.pool, &hash).await {
        Ok(Some(t)) => t,
        Ok(None) => return page(StatusCode::NOT_FOUND, VerifyPage::Unknown),
        Err(e) => {
            warn!(error = %e, "verify page: database unavailable");
            return page(StatusCode::SERVICE_UNAVAILABLE, VerifyPage::Unavailable);
        }
    };
    if let Some(r) = refused(&t) {
        return r;
    }
    match requests::get(&app.pool, t.request_id).await {
        Ok(Some(r)) => {
            let issue = app.settings.issue_url(&r.repository, r.issue_number);
            let username = r.username.unwrap_or_default();
            page(
                StatusCode::OK,
                VerifyPage::Ask {
                    username: &username,
                    issue: &issue,
                },
            )
        }
        Ok(None) => page(StatusCode::NOT_FOUND, VerifyPage::Unknown),
        Err(_) => page(StatusCode::SERVICE_UNAVAILABLE, VerifyPage::Unavailable),
    }
}

pub async fn confirm(State(app): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    match record(&app, &hash_token(&token)).await {
        Ok(r) => r,
        Err(e) => {
            warn!(error = %e, "verify page: cannot record the confirmation");
            page(StatusCode::SERVICE_UNAVAILABLE, VerifyPage::Unavailable)
        }
    }
}

/// Marks the token used, records the check and the state it leads to, and
/// enqueues the job that tells the tracker: one transaction.
async fn record(app: &AppState, hash: &str) -> sqlx::Result<Response> {
    let mut tx = app.pool.begin().await?;
    let Some(t) = tokens::lock_by_hash(&mut tx, hash).await? else {
        return Ok(page(StatusCode::NOT_FOUND, VerifyPage::Unknown));
    };
    if let Some(r) = refused(&t) {
        return Ok(r);
    }
    let Some(request) = requests::lock(&mut tx, t.request_id).await? else {
        return Ok(page(StatusCode::NOT_FOUND, VerifyPage::Unknown));
    };
    let checks = requests::checks(&mut *tx, request.id).await?;
    let sit = situation(
        &request,
        checks,
        &app.settings.required_checks,
        true,
        AccountCheck::NotLookedUp,
    );
    let outcome = transitions::email_confirmed(&sit);
    let audit = Audit {
        actor_id: None,
        actor_login: format!(
            "owner of {} (email link)",
            request.username.as_deref().unwrap_or("?")
        ),
        action: outcome.action.to_owned(),
        delivery_id: None,
        details: serde_json::json!({ "token_id": t.id }),
    };
    tokens::mark_used(&mut tx, t.id).await?;
    store_outcome(&mut tx, &request, &outcome, &audit).await?;
    jobs::enqueue(
        &mut tx,
        &NewJob {
            kind: EMAIL_CONFIRMED.to_owned(),
            issue_key: Some(format!(
                "{}#{}",
                request.repository_id, request.issue_number
            )),
            delivery_id: None,
            args: serde_json::json!({ "request_id": request.id, "token_id": t.id }),
            max_attempts: app.settings.jobs.max_attempts,
        },
    )
    .await?;
    tx.commit().await?;
    info!(request = request.id, "email link confirmed");
    let issue = app
        .settings
        .issue_url(&request.repository, request.issue_number);
    Ok(page(
        StatusCode::OK,
        VerifyPage::Confirmed { issue: &issue },
    ))
}
