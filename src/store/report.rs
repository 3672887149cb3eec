//! `recovery-bot report`: how the queue is doing, read from the database in
//! a handful of queries (aggregates only: no request's text).

use std::time::Duration;

use serde::Serialize;
use sqlx::PgExecutor;

/// Open requests in one state.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct OpenState {
    pub state: String,
    pub count: i64,
    /// Age of the oldest, in seconds.
    pub oldest_age_seconds: f64,
}

/// Median and 90th percentile of a duration, in seconds, over `count`
/// requests (`None` when there were none).
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Spread {
    pub count: i64,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

/// Decisions of one week (starting Monday, UTC) by one admin.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Decisions {
    pub week: String,
    pub actor: String,
    pub approved: i64,
    pub denied: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Proofs {
    pub links_sent: i64,
    pub links_confirmed: i64,
    pub branches_sent: i64,
    pub branches_found: i64,
    pub reminders: i64,
    pub closed_no_response: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub since_seconds: u64,
    pub open: Vec<OpenState>,
    /// From the first delivery to the bot's first answer (the
    /// request stored, its status comment written in that same job).
    pub first_answer: Spread,
    /// From the request to an admin's first command or comment.
    pub first_admin_command: Spread,
    pub decisions: Vec<Decisions>,
    pub proofs: Proofs,
}

pub async fn report<'e, E>(e: E, since: Duration) -> sqlx::Result<Report>
where
    E: PgExecutor<'e> + Copy,
{
    let secs = since.as_secs_f64();
    let open: Vec<OpenState> = sqlx::query_as(
        "SELECT state, count(*) AS count,
                EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_age_seconds
         FROM requests WHERE issue_open AND removed_at IS NULL
         GROUP BY state ORDER BY state",
    )
    .fetch_all(e)
    .await?;
    let first_answer = spread(
        e,
        "SELECT EXTRACT(EPOCH FROM r.created_at - min(d.received_at))::float8 AS secs
         FROM requests r
         JOIN deliveries d ON d.repository_id = r.repository_id AND d.issue_number = r.issue_number
         WHERE r.created_at >= now() - make_interval(secs => $1)
         GROUP BY r.id, r.created_at",
        secs,
    )
    .await?;
    let first_admin_command = spread(
        e,
        "SELECT EXTRACT(EPOCH FROM admin_answered_at - created_at)::float8 AS secs
         FROM requests
         WHERE admin_answered_at IS NOT NULL
           AND created_at >= now() - make_interval(secs => $1)",
        secs,
    )
    .await?;
    let decisions: Vec<Decisions> = sqlx::query_as(
        "SELECT to_char(date_trunc('week', created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS week,
                actor_login AS actor,
                count(*) FILTER (WHERE to_state = 'approved') AS approved,
                count(*) FILTER (WHERE to_state = 'denied') AS denied
         FROM audit_log
         WHERE to_state IN ('approved', 'denied') AND from_state IS DISTINCT FROM to_state
           AND created_at >= now() - make_interval(secs => $1)
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(secs)
    .fetch_all(e)
    .await?;
    let proofs: Proofs = sqlx::query_as(
        "SELECT
           (SELECT count(*) FROM verification_tokens WHERE branch IS NULL AND mailed_at IS NOT NULL
              AND mailed_at >= now() - make_interval(secs => $1)) AS links_sent,
           (SELECT count(*) FROM verification_tokens WHERE branch IS NULL AND used_at IS NOT NULL
              AND mailed_at >= now() - make_interval(secs => $1)) AS links_confirmed,
           (SELECT count(*) FROM verification_tokens WHERE branch IS NOT NULL AND mailed_at IS NOT NULL
              AND mailed_at >= now() - make_interval(secs => $1)) AS branches_sent,
           (SELECT count(*) FROM verification_tokens WHERE branch IS NOT NULL AND used_at IS NOT NULL
              AND mailed_at >= now() - make_interval(secs => $1)) AS branches_found,
           (SELECT count(*) FROM audit_log WHERE action = 'reminded'
              AND created_at >= now() - make_interval(secs => $1)) AS reminders,
           (SELECT count(*) FROM audit_log WHERE action = 'closed_no_response'
              AND created_at >= now() - make_interval(secs => $1)) AS closed_no_response",
    )
    .bind(secs)
    .fetch_one(e)
    .await?;
    Ok(Report {
        since_seconds: since.as_secs(),
        open,
        first_answer,
        first_admin_command,
        decisions,
        proofs,
    })
}

/// Median and p90 of the `secs` column of `waits` (a query taking the
/// window in seconds as `$1`).
async fn spread<'e, E: PgExecutor<'e>>(e: E, waits: &str, window: f64) -> sqlx::Result<Spread> {
    sqlx::query_as(&format!(
        "WITH waits AS ({waits})
         SELECT count(*) AS count,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS median_seconds,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) AS p90_seconds
         FROM waits"
    ))
    .bind(window)
    .fetch_one(e)
    .await
}
