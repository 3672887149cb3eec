//! The `shadow_effects` table: what shadow mode (`serve --dry-run`) would
//! have written to GitHub or mailed, job by job.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor};

use crate::github::shadow::Effect;

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct StoredEffect {
    pub id: i64,
    pub job_id: i64,
    pub kind: String,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Stores a job's would-be effects, inside the job's own transaction.
pub async fn insert(conn: &mut PgConnection, job_id: i64, effects: &[Effect]) -> sqlx::Result<()> {
    for e in effects {
        sqlx::query(
            "INSERT INTO shadow_effects (repository, issue_number, job_id, kind, detail)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&e.repository)
        .bind(e.issue_number.and_then(|n| i64::try_from(n).ok()))
        .bind(job_id)
        .bind(e.kind)
        .bind(&e.detail)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// An issue's would-be effects, oldest first.
pub async fn for_issue(
    e: impl PgExecutor<'_>,
    repository: &str,
    issue_number: i64,
) -> sqlx::Result<Vec<StoredEffect>> {
    sqlx::query_as(
        "SELECT id, job_id, kind, detail, created_at FROM shadow_effects
         WHERE lower(repository) = lower($1) AND issue_number = $2 ORDER BY id",
    )
    .bind(repository)
    .bind(issue_number)
    .fetch_all(e)
    .await
}
