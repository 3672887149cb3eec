//! The `jobs` and `job_starts` tables: the durable queue's storage. The worker
//! loop that drives these queries is in `crate::jobs`.

use crate::ids::IssueNumber;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor};

/// The key that orders jobs: one issue's jobs run one at a time, in order.
/// Made of the repository id (which survives renames and transfers of the
/// repository) and the issue number, here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IssueKey(String);

impl IssueKey {
    pub fn new(repository_id: i64, issue_number: IssueNumber) -> Self {
        Self(format!("{repository_id}#{issue_number}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key a stored job carries, as `new` made it.
    pub fn stored(key: String) -> Self {
        Self(key)
    }
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub issue_key: Option<IssueKey>,
    pub delivery_id: Option<i64>,
    pub args: serde_json::Value,
    pub max_attempts: i32,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub issue_key: Option<String>,
    pub delivery_id: Option<i64>,
    pub args: serde_json::Value,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Made runnable again by an operator after it died.
    pub revived: bool,
}

impl Job {
    /// An earlier start of this job may have done part of its work: a
    /// failed attempt, or a life before an operator revived it.
    pub fn retrying(&self) -> bool {
        self.attempts > 1 || self.revived
    }

    /// No other attempt follows this one, whatever it fails with.
    pub fn last_attempt(&self) -> bool {
        self.attempts >= self.max_attempts
    }
}

/// Takes the transaction-scoped advisory lock on the job's issue key, if
/// it has one, and returns the key.
async fn lock_issue<'j>(conn: &mut PgConnection, job: &'j NewJob) -> sqlx::Result<Option<&'j str>> {
    let key = job.issue_key.as_ref().map(IssueKey::as_str);
    if let Some(key) = key {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(key)
}

/// Enqueues a job inside the caller's transaction. The transaction-scoped
/// advisory lock on the issue key makes ids follow commit order for one
/// issue, so "older id first" really is "received first".
pub async fn enqueue(conn: &mut PgConnection, job: &NewJob) -> sqlx::Result<i64> {
    insert(conn, job, "").await?.ok_or(sqlx::Error::RowNotFound)
}

/// `REQUEST_TIMERS`: the kind of job of which an issue has at most one
/// pending (`jobs_one_timer_per_issue`).
pub use super::tasks::{EFFECT, REQUEST_TIMERS};

/// Enqueues a `REQUEST_TIMERS` job unless the issue has one pending
/// already; `None` then.
pub async fn enqueue_timer(conn: &mut PgConnection, job: &NewJob) -> sqlx::Result<Option<i64>> {
    insert(
        conn,
        job,
        "ON CONFLICT (issue_key) WHERE kind = 'request_timers' AND status = 'pending' DO NOTHING",
    )
    .await
}

async fn insert(
    conn: &mut PgConnection,
    job: &NewJob,
    on_conflict: &str,
) -> sqlx::Result<Option<i64>> {
    let key = lock_issue(&mut *conn, job).await?;
    sqlx::query_scalar(&format!(
        "INSERT INTO jobs (kind, issue_key, delivery_id, args, max_attempts)
         VALUES ($1, $2, $3, $4, $5)
         {on_conflict}
         RETURNING id"
    ))
    .bind(&job.kind)
    .bind(key)
    .bind(job.delivery_id)
    .bind(&job.args)
    .bind(job.max_attempts)
    .fetch_optional(&mut *conn)
    .await
}

/// Stores one effect of the running job, inside the job's transaction: it
/// becomes runnable when that commits. No advisory lock (the webhook must
/// never wait for a running job): an issue's effects are ordered among
/// themselves by id, and `claim` runs them before the issue's other jobs.
pub async fn enqueue_effect(
    conn: &mut PgConnection,
    issue_key: &IssueKey,
    args: &serde_json::Value,
    max_attempts: i32,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, issue_key, args, max_attempts)
         VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(EFFECT)
    .bind(issue_key.as_str())
    .bind(args)
    .bind(max_attempts)
    .fetch_one(conn)
    .await
}

/// Claims the next runnable job and locks its row for the rest of the
/// caller's transaction. A job is runnable when it is due and no older
/// pending job exists for the same issue (which keeps one issue's jobs in
/// order, across retries too). Effects are stored by a job that has
/// committed, so they come before every job of their issue that is still
/// pending, whatever its id: an effect waits only for older effects, and
/// any other job waits for every pending effect of its issue.
pub async fn claim(conn: &mut PgConnection) -> sqlx::Result<Option<Job>> {
    sqlx::query_as(
        "SELECT * FROM jobs j
         WHERE j.status = 'pending'
           AND j.run_at <= now()
           AND NOT EXISTS (
               -- Newest-first with LIMIT 1: the backward index scan stops at
               -- the nearest older job instead of walking the dead entries
               -- that finished jobs leave at the start of the issue's range.
               SELECT 1 FROM jobs p
               WHERE p.status = 'pending'
                 AND p.issue_key = j.issue_key
                 AND p.id < j.id
                 AND (j.kind <> 'effect' OR p.kind = 'effect')
               ORDER BY p.id DESC
               LIMIT 1)
           AND (j.kind = 'effect' OR NOT EXISTS (
               SELECT 1 FROM jobs e
               WHERE e.status = 'pending'
                 AND e.kind = 'effect'
                 AND e.issue_key = j.issue_key
                 AND e.id > j.id))
         ORDER BY j.run_at, j.id
         LIMIT 1
         FOR NO KEY UPDATE SKIP LOCKED",
    )
    .fetch_optional(conn)
    .await
}

/// Records that a job was started and returns how many times it has been,
/// this start included. Run on the pool (autocommit), not in the claim
/// transaction, so a crash cannot roll the count back.
pub async fn record_start(e: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "WITH s AS (INSERT INTO job_starts (job_id) VALUES ($1))
         SELECT (count(*) + 1)::int4 FROM job_starts WHERE job_id = $1",
    )
    .bind(job_id)
    .fetch_one(e)
    .await
}

pub async fn delete(e: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(job_id)
        .execute(e)
        .await?;
    Ok(())
}

/// Records a failed attempt: either a later `run_at`, or dead when
/// `retry_in` is `None`.
pub async fn record_failure(
    e: impl PgExecutor<'_>,
    job_id: i64,
    attempts: i32,
    error: &str,
    retry_in: Option<std::time::Duration>,
) -> sqlx::Result<()> {
    let (status, delay_ms) = match retry_in {
        Some(d) => ("pending", i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        None => ("dead", 0),
    };
    sqlx::query(
        "UPDATE jobs
         SET status = $2, attempts = $3, last_error = $4,
             run_at = now() + make_interval(secs => $5::float8 / 1000),
             updated_at = now()
         WHERE id = $1",
    )
    .bind(job_id)
    .bind(status)
    .bind(attempts)
    .bind(error)
    .bind(delay_ms as f64)
    .execute(e)
    .await?;
    Ok(())
}

pub async fn list(e: impl PgExecutor<'_>, status: Option<&str>) -> sqlx::Result<Vec<Job>> {
    sqlx::query_as(
        "SELECT * FROM jobs WHERE ($1::text IS NULL OR status = $1) ORDER BY id LIMIT 1000",
    )
    .bind(status)
    .fetch_all(e)
    .await
}

/// Makes a dead (or waiting) job runnable now with a fresh set of attempts.
/// Returns false when there is no such job.
pub async fn retry(conn: &mut PgConnection, job_id: i64) -> sqlx::Result<bool> {
    sqlx::query("DELETE FROM job_starts WHERE job_id = $1")
        .bind(job_id)
        .execute(&mut *conn)
        .await?;
    let done = sqlx::query(
        "UPDATE jobs SET status = 'pending', attempts = 0, run_at = now(), updated_at = now(),
             revived = TRUE
         WHERE id = $1",
    )
    .bind(job_id)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pending jobs, due or not (for tests and `/metrics`).
pub async fn count_pending(e: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'pending'")
        .fetch_one(e)
        .await
}
