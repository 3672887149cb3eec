//! The `audit_log` table: one row per change to a request or its checks, and
//! per reply or refused command, written in the caller's transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor};

use super::requests::Request;
use crate::recovery::state::State;

/// Who did it and why, for the audit row.
#[derive(Debug, Clone)]
pub struct Audit {
    pub actor_id: Option<i64>,
    pub actor_login: String,
    pub action: String,
    pub delivery_id: Option<String>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_login: String,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub delivery_id: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

pub(super) async fn log(
    conn: &mut PgConnection,
    request_id: i64,
    from: Option<State>,
    to: Option<State>,
    audit: &Audit,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log
             (request_id, actor_id, actor_login, action, from_state, to_state, delivery_id, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(request_id)
    .bind(audit.actor_id)
    .bind(&audit.actor_login)
    .bind(&audit.action)
    .bind(from.map(State::as_str))
    .bind(to.map(State::as_str))
    .bind(&audit.delivery_id)
    .bind(&audit.details)
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes an audit row for something that changes neither state nor checks
/// (a reply, a refused command), so the history is complete.
pub async fn record(conn: &mut PgConnection, request: &Request, audit: &Audit) -> sqlx::Result<()> {
    let s = request.state();
    log(conn, request.id, Some(s), Some(s), audit).await
}

pub async fn history(e: impl PgExecutor<'_>, request_id: i64) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "SELECT id, actor_id, actor_login, action, from_state, to_state, delivery_id, details, created_at
         FROM audit_log WHERE request_id = $1 ORDER BY id",
    )
    .bind(request_id)
    .fetch_all(e)
    .await
}
