//! Bringing one request's issue in line with the database when something
//! else changed it: the earlier request it duplicated closed, left, or names
//! another account now.

use sqlx::PgConnection;

use super::effects::Issue;
use super::{Job, JobError, bot::Bot};
use crate::store::jobs::{self, IssueKey, NewJob};
use crate::store::requests::{self, Request};

pub const REFRESH_ISSUE: &str = "refresh_issue";

/// Queues a refresh of `request`'s issue, in that issue's order.
pub async fn enqueue(
    conn: &mut PgConnection,
    request: &Request,
    max_attempts: i32,
) -> sqlx::Result<i64> {
    jobs::enqueue(
        conn,
        &NewJob {
            kind: REFRESH_ISSUE.to_owned(),
            issue_key: Some(IssueKey::new(request.repository_id, request.issue_number)),
            delivery_id: None,
            args: serde_json::json!({ "request_id": request.id }),
            max_attempts,
        },
    )
    .await
}

/// Leaving shadow mode: every open request shadow mode kept gets its
/// labels and a real status comment on the tracker, through the queue.
pub async fn hand_over_from_shadow(pool: &sqlx::PgPool, max_attempts: i32) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    let shadowed = requests::forget_shadow_comments(&mut tx).await?;
    let mut queued = 0;
    for request in shadowed.iter().filter(|r| r.in_open_set()) {
        enqueue(&mut tx, request, max_attempts).await?;
        queued += 1;
    }
    tx.commit().await?;
    Ok(queued)
}

pub async fn handle(bot: &Bot, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
    let Some(id) = job.args["request_id"].as_i64() else {
        return Err(JobError::Permanent(anyhow::anyhow!(
            "the job names no request"
        )));
    };
    let Some(request) = requests::lock(&mut *conn, id).await? else {
        return Ok(());
    };
    if request.removed_at.is_some() {
        return Ok(());
    }
    let key = format!("refresh-{}", job.id);
    let mut issue = Issue::of_request(bot, &request.repository, &request, &key, job).await?;
    issue.sync_tracker(conn, &request).await
}
