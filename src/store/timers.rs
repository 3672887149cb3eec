//! What the clocks of requests run on: the requester's activity, the one
//! reminder, the branch look-ups; and which requests have a clock that is
//! due. The decisions are `recovery::timers`'; this finds the candidates.

use crate::ids::IssueNumber;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use super::jobs::{self, IssueKey};
use super::tasks::{ForRequest, Task};
use crate::config::Timers;

/// The requester edited the issue or commented: reminders count from now,
/// and a reminder already posted is answered.
pub async fn touch_requester(e: impl PgExecutor<'_>, request_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE requests SET requester_active_at = now(), reminded_at = NULL WHERE id = $1",
    )
    .bind(request_id)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn mark_reminded(e: impl PgExecutor<'_>, request_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE requests SET reminded_at = now() WHERE id = $1")
        .bind(request_id)
        .execute(e)
        .await?;
    Ok(())
}

/// The bot looks for the `/verify-repo` branch now; returns that time.
pub async fn mark_repo_checked(
    e: impl PgExecutor<'_>,
    request_id: i64,
) -> sqlx::Result<DateTime<Utc>> {
    sqlx::query_scalar("UPDATE requests SET repo_checked_at = now() WHERE id = $1 RETURNING now()")
        .bind(request_id)
        .fetch_one(e)
        .await
}

/// When the bot last answered `user_id`, neither an admin nor the
/// requester, on the request.
pub async fn outsider_answered_at(
    e: impl PgExecutor<'_>,
    request_id: i64,
    user_id: i64,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT answered_at FROM outsider_answers WHERE request_id = $1 AND user_id = $2",
    )
    .bind(request_id)
    .bind(user_id)
    .fetch_optional(e)
    .await
}

/// The bot answers `user_id` on the request now.
pub async fn mark_outsider_answered(
    e: impl PgExecutor<'_>,
    request_id: i64,
    user_id: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO outsider_answers (request_id, user_id, answered_at) VALUES ($1, $2, now())
         ON CONFLICT (request_id, user_id) DO UPDATE SET answered_at = now()",
    )
    .bind(request_id)
    .bind(user_id)
    .execute(e)
    .await?;
    Ok(())
}

/// Enqueues a timer job for up to `limit` requests whose clock is due
/// (a reminder, a close, an expired link to tell, a branch to look for),
/// oldest first; a request that has one pending already gets none (a
/// unique index, so replicas cannot double it). One replica scans at a
/// time. Returns how many were enqueued.
pub async fn enqueue_due(
    conn: &mut PgConnection,
    timers: &Timers,
    max_attempts: i32,
    limit: i64,
) -> sqlx::Result<u64> {
    let scanning: bool = sqlx::query_scalar(
        "SELECT pg_try_advisory_xact_lock(hashtextextended('recovery_bot_timers', 0))",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !scanning {
        return Ok(0);
    }
    let remind = if timers.remind_after.is_zero() {
        None
    } else {
        Some(timers.remind_after.as_secs_f64())
    };
    let due: Vec<(i64, i64, IssueNumber)> = sqlx::query_as(
        "SELECT r.id, r.repository_id, r.issue_number FROM requests r
         WHERE r.issue_open AND r.removed_at IS NULL
           AND (
             ($1::float8 IS NOT NULL AND r.state IN ('incomplete', 'awaiting_user') AND (
                (r.reminded_at IS NULL OR r.reminded_at < GREATEST(r.state_changed_at,
                     COALESCE(r.requester_active_at, r.state_changed_at)))
                  AND GREATEST(r.state_changed_at, COALESCE(r.requester_active_at, r.state_changed_at))
                      + make_interval(secs => $1) <= now()
                OR r.reminded_at >= GREATEST(r.state_changed_at,
                     COALESCE(r.requester_active_at, r.state_changed_at))
                  AND r.reminded_at + make_interval(secs => $2) <= now()))
             OR EXISTS (SELECT 1 FROM verification_tokens t
                        WHERE t.request_id = r.id AND t.mailed_at IS NOT NULL AND t.used_at IS NULL
                          AND t.revoked_at IS NULL AND t.expiry_noted_at IS NULL
                          AND t.expires_at <= now())
             OR EXISTS (SELECT 1 FROM verification_tokens t
                        WHERE t.request_id = r.id AND t.branch IS NOT NULL
                          AND t.mailed_at IS NOT NULL AND t.used_at IS NULL
                          AND t.revoked_at IS NULL AND t.expires_at > now()
                          AND GREATEST(t.mailed_at, COALESCE(r.repo_checked_at, t.mailed_at))
                              + make_interval(secs => $3) <= now()))
         ORDER BY r.id
         LIMIT $4",
    )
    .bind(remind)
    .bind(timers.close_after.as_secs_f64())
    .bind(timers.repo_check_interval.as_secs_f64())
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut queued = 0;
    for (request_id, repository_id, issue_number) in due {
        let task = Task::RequestTimers(ForRequest { request_id });
        let job = task.job(
            Some(IssueKey::new(repository_id, issue_number)),
            max_attempts,
        );
        if jobs::enqueue_timer(&mut *conn, &job).await?.is_some() {
            queued += 1;
        }
    }
    Ok(queued)
}
