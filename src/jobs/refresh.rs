//! Bringing one request's issue in line with the database when something
//! else changed it: the earlier request it duplicated closed, left, or names
//! another account now.

use sqlx::PgConnection;

use super::effects::IssueHandle;
use super::{Job, JobError, bot::Bot};
use crate::store::jobs::{self, IssueKey};
use crate::store::requests::{self, Request};
use crate::store::tasks::{ForRequest, Task};

/// Queues a refresh of `request`'s issue, in that issue's order.
pub async fn enqueue(
    conn: &mut PgConnection,
    request: &Request,
    max_attempts: i32,
) -> sqlx::Result<i64> {
    let task = Task::RefreshIssue(ForRequest {
        request_id: request.id,
    });
    let key = IssueKey::new(request.repository_id, request.issue_number);
    jobs::enqueue(conn, &task.job(Some(key), max_attempts)).await
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

pub async fn handle(
    bot: &Bot,
    job: &Job,
    task: &ForRequest,
    conn: &mut PgConnection,
) -> Result<(), JobError> {
    let Some(request) = requests::lock(&mut *conn, task.request_id).await? else {
        return Ok(());
    };
    if request.removed_at.is_some() {
        return Ok(());
    }
    let key = format!("refresh-{}", job.id);
    let mut issue = IssueHandle::of_request(bot, &request.repository, &request, &key, job).await?;
    issue.sync_tracker(conn, &request).await
}
