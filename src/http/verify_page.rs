//! `GET /verify/{token}` shows what is being confirmed and a Confirm button;
//! `POST /verify/{token}` records the confirmation. A GET changes nothing,
//! because mail scanners open links. A link confirms only its own round
//! (`recovery::rounds`); every other case gets one neutral page.

use std::sync::{Arc, OnceLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use chrono::Utc;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use tracing::{info, warn};

use super::AppState;
use crate::jobs::{situation, store_outcome};
use crate::recovery::messages::{VERIFY_PAGE_STYLE, VerifyPage, verify_page};
use crate::recovery::rounds::{self, LinkFacts, Refusal};
use crate::recovery::transitions::{self, AccountCheck, EMAIL_CHECK};
use crate::store::jobs::{self, IssueKey};
use crate::store::requests::{self, Audit, Check, Request};
use crate::store::tasks::{EmailConfirmed, Task};
use crate::store::tokens::{self, Token};
use crate::verify::{hash_address, hash_token};

/// Nothing but the page's own inline style; no script, no frames, forms
/// post only back here.
fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(VERIFY_PAGE_STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

fn page(status: StatusCode, p: VerifyPage<'_>) -> Response {
    (
        status,
        [
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
            ("content-security-policy", content_security_policy()),
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
        ],
        Html(verify_page(&p)),
    )
        .into_response()
}

/// The one answer for a link that cannot confirm: it says nothing about why.
fn no_longer_valid() -> Response {
    page(StatusCode::GONE, VerifyPage::NoLongerValid)
}

fn unavailable(e: &sqlx::Error) -> Response {
    if e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == LOCK_NOT_AVAILABLE)
    {
        info!("verify page: the request is busy; the owner is asked to try again");
        return page(StatusCode::SERVICE_UNAVAILABLE, VerifyPage::Busy);
    }
    warn!(error = %e, "verify page: database unavailable");
    page(StatusCode::SERVICE_UNAVAILABLE, VerifyPage::Unavailable)
}

/// PostgreSQL's `lock_not_available`: `CONFIRM_LOCK_WAIT` passed.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// How long Confirm waits for a request a job holds: a pool connection is
/// everyone's, so a busy request gets "try again", never a long wait.
const CONFIRM_LOCK_WAIT: &str = "2s";

/// A link's own state (used, revoked, expired), read before anything is
/// asked of the account directory or locked.
fn own_state(t: &Token) -> Result<(), Refusal> {
    rounds::spent(
        t.used_at.is_some(),
        t.revoked_at.is_some(),
        t.expires_at <= Utc::now(),
    )
}

/// Whether the address the link went to is still the account's verified
/// primary address, asked of the account directory before any lock is
/// taken. `Err` when the directory cannot answer now.
async fn same_address(app: &AppState, t: &Token) -> Result<bool, ()> {
    let (Some(directory), Some(username), Some(sent_to)) = (
        &app.indexes.get(&t.index_key).directory,
        &t.username,
        &t.address_hash,
    ) else {
        return Ok(false);
    };
    match directory.lookup(username).await {
        Ok(Some(account)) => Ok(account
            .address()
            .is_some_and(|now| hash_address(now) == *sent_to)),
        Ok(None) => Ok(false),
        Err(e) => {
            warn!(error = %e, "verify page: the account directory cannot answer");
            Err(())
        }
    }
}

/// Gathers what the verdict needs about the link and its request.
async fn facts_of(
    conn: &mut PgConnection,
    t: &Token,
    request: &Request,
    checks: &[Check],
    same_address: bool,
) -> sqlx::Result<Result<(), Refusal>> {
    let email_check = checks
        .iter()
        .find(|c| c.name == EMAIL_CHECK)
        .map(|c| c.status);
    let latest_round = tokens::latest_mailed(&mut *conn, request.id, EMAIL_CHECK).await?;
    Ok(rounds::verdict(&LinkFacts {
        token_id: t.id,
        used: t.used_at.is_some(),
        revoked: t.revoked_at.is_some(),
        expired: t.expires_at <= Utc::now(),
        latest_round,
        sent_for: t.username.as_deref(),
        username_now: request.username.as_deref(),
        same_index: t.index_key == request.index_key,
        state: request.state(),
        awaiting: request.awaiting_reason,
        in_open_set: request.in_open_set(),
        form_valid: request.form_valid(),
        email_check,
        same_address,
    }))
}

pub async fn show(State(app): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    match ask(&app, &hash_token(&token)).await {
        Ok(r) => r,
        Err(e) => unavailable(&e),
    }
}

/// The page for a link that may confirm: what is being confirmed, and the
/// button. Changes nothing.
async fn ask(app: &AppState, hash: &str) -> sqlx::Result<Response> {
    let Some(t) = tokens::find_by_hash(&app.pool, hash).await? else {
        return Ok(no_longer_valid());
    };
    if own_state(&t).is_err() {
        return Ok(no_longer_valid());
    }
    let Ok(same) = same_address(app, &t).await else {
        return Ok(page(
            StatusCode::SERVICE_UNAVAILABLE,
            VerifyPage::Unavailable,
        ));
    };
    let mut conn = app.pool.acquire().await?;
    let Some(request) = requests::get(&mut *conn, t.request_id).await? else {
        return Ok(no_longer_valid());
    };
    let checks = requests::checks(&mut *conn, request.id).await?;
    if facts_of(&mut conn, &t, &request, &checks, same)
        .await?
        .is_err()
    {
        return Ok(no_longer_valid());
    }
    let issue = app
        .settings
        .issue_url(&request.repository, request.issue_number);
    Ok(page(
        StatusCode::OK,
        VerifyPage::Ask {
            index_name: &app.indexes.get(&t.index_key).name,
            username: request.username.as_deref().unwrap_or_default(),
            issue: &issue,
        },
    ))
}

pub async fn confirm(State(app): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    match record(&app, &hash_token(&token)).await {
        Ok(r) => r,
        Err(e) => unavailable(&e),
    }
}

/// Locks the link's request, then the link itself, as they are now (inside
/// the caller's transaction, which waits on locks briefly): `None`
/// when either is gone or the link no longer names the round `found` (read
/// before the lock) did.
async fn lock(
    conn: &mut PgConnection,
    hash: &str,
    found: &Token,
) -> sqlx::Result<Option<(Request, Token)>> {
    // The request first, then the token: the order jobs lock them in (a
    // job holds its request while `/verify-email` revokes older tokens), so
    // a Confirm pressed meanwhile waits for the job instead of blocking it,
    // for `CONFIRM_LOCK_WAIT` at most (the rest of the transaction too).
    sqlx::query(&format!("SET LOCAL lock_timeout = '{CONFIRM_LOCK_WAIT}'"))
        .execute(&mut *conn)
        .await?;
    let Some(request) = requests::lock(&mut *conn, found.request_id).await? else {
        return Ok(None);
    };
    let Some(t) = tokens::lock_by_hash(&mut *conn, hash).await? else {
        return Ok(None);
    };
    if t.address_hash != found.address_hash || t.username != found.username {
        return Ok(None);
    }
    Ok(Some((request, t)))
}

/// Marks the token used, records the check and the state it leads to, and
/// enqueues the job that tells the tracker: one transaction. A link that may
/// not confirm changes nothing.
async fn record(app: &AppState, hash: &str) -> sqlx::Result<Response> {
    let Some(found) = tokens::find_by_hash(&app.pool, hash).await? else {
        return Ok(no_longer_valid());
    };
    if own_state(&found).is_err() {
        return Ok(no_longer_valid());
    }
    // Asked before any lock: the network is slow, locks should not be.
    let Ok(same) = same_address(app, &found).await else {
        return Ok(page(
            StatusCode::SERVICE_UNAVAILABLE,
            VerifyPage::Unavailable,
        ));
    };
    let mut tx = app.pool.begin().await?;
    let Some((request, t)) = lock(&mut tx, hash, &found).await? else {
        return Ok(no_longer_valid());
    };
    let checks = requests::checks(&mut *tx, request.id).await?;
    if let Err(why) = facts_of(&mut tx, &t, &request, &checks, same).await? {
        info!(
            request = request.id,
            token = t.id,
            why = why.as_str(),
            "email link refused"
        );
        return Ok(no_longer_valid());
    }
    let sit = situation(
        &request,
        checks,
        &crate::jobs::Policy {
            required: &app.settings.required_checks,
            timers: &app.settings.timers,
            index_recover: app.indexes.get(&request.index_key).recover,
            email_available: true,
            directory: true,
        },
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
        details: serde_json::json!({ "token_id": t.id, "username": t.username }),
    };
    tokens::mark_used(&mut tx, t.id).await?;
    store_outcome(&mut tx, &request, &outcome, &audit).await?;
    jobs::enqueue(
        &mut tx,
        &Task::EmailConfirmed(EmailConfirmed {
            request_id: request.id,
            token_id: t.id,
        })
        .job(
            Some(IssueKey::new(request.repository_id, request.issue_number)),
            app.settings.jobs.max_attempts,
        ),
    )
    .await?;
    tx.commit().await?;
    info!(request = request.id, token = t.id, "email link confirmed");
    let issue = app
        .settings
        .issue_url(&request.repository, request.issue_number);
    Ok(page(
        StatusCode::OK,
        VerifyPage::Confirmed {
            index_name: &app.indexes.get(&t.index_key).name,
            issue: &issue,
        },
    ))
}
