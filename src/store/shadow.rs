//! The `shadow_effects` table: what shadow mode (`serve --dry-run`) would
//! have written to GitHub, mailed or asked the index, effect by effect (the
//! shadow executor in `jobs::outbox` records them here).

use crate::ids::IssueNumber;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor};

/// One write that was not made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recorded {
    /// `add_labels`, `remove_label`, `create_comment`, `update_comment`,
    /// `react`, `set_issue_state`, `set_issue_body`, `mail`, `recover`.
    pub kind: &'static str,
    pub repository: String,
    /// The issue, when the effect is on one.
    pub issue_number: Option<IssueNumber>,
    /// What would have been sent (a comment's text, the labels, ...).
    /// Never an email address.
    pub detail: serde_json::Value,
}

impl Recorded {
    /// Logs it: its kind and where, not its text.
    pub fn log(&self) {
        tracing::info!(
            kind = self.kind,
            repository = %self.repository,
            issue = self.issue_number.map_or(0, IssueNumber::as_i64),
            "dry run: not written"
        );
    }
}

/// Set in every synthetic comment id, and in no id GitHub hands out.
pub const SYNTHETIC_BIT: u64 = 1 << 62;

/// Ids for comments that were never made: far above any id GitHub hands
/// out, so the status comment "edited in place" stays one comment.
pub fn synthetic_comment_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let seed = u64::try_from(Utc::now().timestamp_micros()).unwrap_or(0) << 8;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    SYNTHETIC_BIT | (seed.wrapping_add(n) & (SYNTHETIC_BIT - 1))
}

pub fn is_synthetic(comment_id: u64) -> bool {
    comment_id & SYNTHETIC_BIT != 0
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct StoredEffect {
    pub id: i64,
    pub job_id: i64,
    pub kind: String,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// Stores a job's would-be effects, inside the job's own transaction.
pub async fn insert(
    conn: &mut PgConnection,
    job_id: i64,
    effects: &[Recorded],
) -> sqlx::Result<()> {
    for e in effects {
        sqlx::query(
            "INSERT INTO shadow_effects (repository, issue_number, job_id, kind, detail)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&e.repository)
        .bind(e.issue_number)
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
    issue_number: IssueNumber,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_ids_are_marked_and_fresh() {
        let id = synthetic_comment_id();
        assert!(is_synthetic(id) && !is_synthetic(5_000_001));
        assert_ne!(id, synthetic_comment_id());
    }
}
