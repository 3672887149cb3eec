//! The `request_checks` table: the named checks of a request and who set
//! them. Every change writes its audit row in the caller's transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor};

use super::audit::{Audit, record};
use super::requests::Request;
use super::tokens::{self, Revocation};
use crate::recovery::transitions::CheckStatus;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    pub actor_id: Option<i64>,
    pub actor_login: Option<String>,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub async fn checks(e: impl PgExecutor<'_>, request_id: i64) -> sqlx::Result<Vec<Check>> {
    sqlx::query_as(
        "SELECT name, status, actor_id, actor_login, note, updated_at
         FROM request_checks WHERE request_id = $1 ORDER BY name",
    )
    .bind(request_id)
    .fetch_all(e)
    .await
}

pub async fn set_check(
    conn: &mut PgConnection,
    request: &Request,
    name: &str,
    status: &str,
    note: Option<&str>,
    ends: Option<Revocation>,
    audit: &Audit,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO request_checks (request_id, name, status, actor_id, actor_login, note)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (request_id, name) DO UPDATE
         SET status = $3, actor_id = $4, actor_login = $5, note = $6, updated_at = now()",
    )
    .bind(request.id)
    .bind(name)
    .bind(status)
    .bind(audit.actor_id)
    .bind(&audit.actor_login)
    .bind(note)
    .execute(&mut *conn)
    .await?;
    if let Some(why) = ends {
        tokens::revoke(&mut *conn, request.id, None, why).await?;
    }
    record(conn, request, audit).await
}

/// Forgets every check and the ownership evidence, and revokes every link
/// (the account named in the request changed).
pub async fn reset_checks(
    conn: &mut PgConnection,
    request: &Request,
    audit: &Audit,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM request_checks WHERE request_id = $1")
        .bind(request.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE requests SET ownership = NULL, fasttrack = FALSE WHERE id = $1")
        .bind(request.id)
        .execute(&mut *conn)
        .await?;
    tokens::revoke(&mut *conn, request.id, None, Revocation::ChecksReset).await?;
    record(conn, request, audit).await
}
