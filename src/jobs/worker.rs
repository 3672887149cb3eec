use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use rand::Rng;
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgListener;
use sqlx::{Acquire, PgConnection, PgPool, Postgres, Transaction};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, error, info, info_span, warn};

use super::{Job, JobError, JobHandler};
use crate::config::JobSettings;
use crate::store::jobs as q;

const CHANNEL: &str = "recovery_bot_jobs";

/// The delay before attempt `attempt + 1`, after `attempt` failures:
/// `base * 2^(attempt-1)`, capped, with "equal jitter" (half fixed, half
/// random) so that many failing jobs do not retry in lockstep.
pub fn backoff_delay(settings: &JobSettings, attempt: i32) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let full = settings
        .backoff_base()
        .saturating_mul(1u32 << exp)
        .min(settings.backoff_max());
    let half = full / 2;
    let jitter = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
    half + Duration::from_millis(jitter)
}

/// A set of workers sharing one wake-up signal.
pub struct WorkerPool<H> {
    pool: PgPool,
    handler: Arc<H>,
    settings: JobSettings,
    wake: Arc<Notify>,
}

enum Ran {
    Done,
    Failed,
    Idle,
}

impl<H: JobHandler> WorkerPool<H> {
    pub fn new(pool: PgPool, handler: H, settings: JobSettings) -> Self {
        Self {
            pool,
            handler: Arc::new(handler),
            settings,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Runs `workers` workers until `shutdown` fires, then waits (bounded by
    /// the grace period) for the jobs they are running.
    pub async fn run(self, workers: usize, shutdown: CancellationToken) {
        let this = Arc::new(self);
        let mut set = JoinSet::new();
        set.spawn(Arc::clone(&this).listen(shutdown.clone()));
        for n in 0..workers {
            set.spawn(Arc::clone(&this).worker(n, shutdown.clone()));
        }
        shutdown.cancelled().await;
        let grace = this.settings.shutdown_grace();
        if tokio::time::timeout(grace, async { while set.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            warn!(
                ?grace,
                "jobs still running after the grace period; they will be retried"
            );
            set.abort_all();
        }
    }

    /// Turns NOTIFYs into wake-ups. Polling in `worker` covers the gaps
    /// (listener reconnecting, notifications lost).
    async fn listen(self: Arc<Self>, shutdown: CancellationToken) {
        loop {
            let listener = async {
                let mut l = PgListener::connect_with(&self.pool).await?;
                l.listen(CHANNEL).await?;
                loop {
                    l.recv().await?;
                    self.wake.notify_waiters();
                }
                #[allow(unreachable_code)]
                Ok::<(), sqlx::Error>(())
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                r = listener => if let Err(e) = r {
                    warn!(error = %e, "job listener lost its connection; polling until it is back");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(self.settings.poll_interval()) => {}
            }
        }
    }

    async fn worker(self: Arc<Self>, n: usize, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            // Register interest before looking, so a NOTIFY that arrives
            // while we look is not missed.
            let woken = self.wake.notified();
            match self.run_one().await {
                Ok(Ran::Done | Ran::Failed) => continue,
                Ok(Ran::Idle) => {}
                Err(e) => warn!(worker = n, error = %e, "cannot claim jobs"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = woken => {}
                _ = tokio::time::sleep(self.settings.poll_interval()) => {}
            }
        }
    }

    /// Claims and runs one job, if one is runnable, on a connection of its
    /// own that goes back to the pool only when the job ended cleanly.
    async fn run_one(&self) -> sqlx::Result<Ran> {
        let mut conn = JobConnection {
            conn: self.pool.acquire().await?,
            ended: false,
        };
        let ran = self.claim_and_run(&mut conn.conn).await;
        conn.ended = ran.is_ok();
        ran
    }

    async fn claim_and_run(&self, conn: &mut PgConnection) -> sqlx::Result<Ran> {
        let mut tx = conn.begin().await?;
        let Some(job) = q::claim(&mut tx).await? else {
            return Ok(Ran::Idle);
        };
        let span = info_span!("job", id = job.id, kind = %job.kind, issue = job.issue_key.as_deref().unwrap_or(""));
        async {
            let attempt = q::record_start(&self.pool, job.id).await?;
            if attempt > job.max_attempts {
                return Self::dead_on_start(tx, &job, attempt).await;
            }

            // The handler sees which start this is (1 = first).
            let job = Job {
                attempts: attempt,
                ..job
            };
            let result = self.run_handler(&mut tx, &job).await?;
            self.settle(tx, &job, attempt, result).await
        }
        .instrument(span)
        .await
    }

    /// A job started more often than it may be, without finishing (its
    /// worker was killed or crashed): kept as dead without running it.
    async fn dead_on_start(
        mut tx: Transaction<'_, Postgres>,
        job: &Job,
        attempt: i32,
    ) -> sqlx::Result<Ran> {
        let msg = format!(
            "started {} times without finishing (worker killed or crashed); last error: {}",
            attempt - 1,
            job.last_error.as_deref().unwrap_or("none")
        );
        error!(attempt, "{msg}; keeping the job as dead");
        q::record_failure(&mut *tx, job.id, attempt - 1, &msg, None).await?;
        tx.commit().await?;
        metrics::counter!(crate::observe::JOBS, "outcome" => "dead").increment(1);
        Ok(Ran::Failed)
    }

    /// Runs the handler in a savepoint, bounded by the time-out, a panic
    /// caught as a permanent failure; its writes stay only when it succeeds.
    async fn run_handler(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        job: &Job,
    ) -> sqlx::Result<Result<(), JobError>> {
        let mut savepoint = (&mut *tx).begin().await?;
        let run = AssertUnwindSafe(self.handler.run(job, &mut savepoint)).catch_unwind();
        let started = std::time::Instant::now();
        let ran = tokio::time::timeout(self.settings.timeout(), run).await;
        crate::observe::job_ran(&job.kind, started.elapsed());
        let result = match ran {
            Ok(Ok(r)) => r,
            Ok(Err(panic)) => Err(JobError::Permanent(anyhow::anyhow!(
                "job panicked: {}",
                panic_message(&panic)
            ))),
            Err(_) => Err(JobError::retry(anyhow::anyhow!(
                "job timed out after {:?}",
                self.settings.timeout()
            ))),
        };
        match result {
            Ok(()) => savepoint.commit().await?,
            Err(_) => savepoint.rollback().await?,
        }
        Ok(result)
    }

    /// Done: the job is deleted. Failed: it is kept for a retry with backoff
    /// (the handler's hint, when longer), or as dead when out of attempts.
    async fn settle(
        &self,
        mut tx: Transaction<'_, Postgres>,
        job: &Job,
        attempt: i32,
        result: Result<(), JobError>,
    ) -> sqlx::Result<Ran> {
        match result {
            Ok(()) => {
                q::delete(&mut *tx, job.id).await?;
                tx.commit().await?;
                info!(attempt, "job done");
                metrics::counter!(crate::observe::JOBS, "outcome" => "done").increment(1);
                Ok(Ran::Done)
            }
            Err(err) => {
                let text = err.to_string();
                let retry_in = match &err {
                    JobError::Retry { after, .. } if attempt < job.max_attempts => {
                        let ours = backoff_delay(&self.settings, attempt);
                        Some(after.map_or(ours, |hint| hint.max(ours)))
                    }
                    _ => None,
                };
                match retry_in {
                    Some(delay) => {
                        warn!(attempt, error = %text, ?delay, "job failed; will retry")
                    }
                    None => error!(attempt, error = %text, "job failed; keeping it as dead"),
                }
                q::record_failure(&mut *tx, job.id, attempt, &text, retry_in).await?;
                tx.commit().await?;
                let outcome = if retry_in.is_some() { "retry" } else { "dead" };
                metrics::counter!(crate::observe::JOBS, "outcome" => outcome).increment(1);
                Ok(Ran::Failed)
            }
        }
    }
}

/// A job's connection: back to the pool when the job ended (done, failed,
/// or nothing to claim), closed when it did not: its worker was aborted
/// midway (`abort_all` after the grace period) or a database call failed.
///
/// Returned to the pool midway, it can be lost for good. A worker aborted
/// while its savepoint's `RELEASE` was on the wire leaves sqlx counting a
/// savepoint the server no longer has; the transaction's drop then queues
/// `ROLLBACK TO SAVEPOINT` for it, the pool's check on return fails on
/// that, and sqlx 0.8's hard close of a TLS connection waits for bytes the
/// idle server never sends: the task returning it never ends, and the pool
/// is one connection short until the process exits (`Pool::close` waits
/// for it forever). Two such in a small pool and the next workers, each
/// holding its claim and waiting for a second connection to record the
/// start, wait on each other. Closed (a `Terminate`, bounded by sqlx's
/// close time-out), the connection is what a crash makes it: the server
/// rolls the job back and frees its row at once.
struct JobConnection {
    conn: PoolConnection<Postgres>,
    ended: bool,
}

impl Drop for JobConnection {
    fn drop(&mut self) {
        if !self.ended {
            self.conn.close_on_drop();
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// Waits until no job is pending (due or not), up to `limit`. Returns false
/// on time-out. Used by tests and by operators' scripts alike.
pub async fn wait_until_drained(pool: &PgPool, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if matches!(q::count_pending(pool).await, Ok(0)) {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let s = JobSettings {
            backoff_base_ms: 1_000,
            backoff_max_ms: 10_000,
            ..JobSettings::default()
        };
        for _ in 0..50 {
            let d1 = backoff_delay(&s, 1);
            assert!(d1 >= Duration::from_millis(500) && d1 <= Duration::from_millis(1_000));
            let d3 = backoff_delay(&s, 3);
            assert!(d3 >= Duration::from_millis(2_000) && d3 <= Duration::from_millis(4_000));
            let d20 = backoff_delay(&s, 20);
            assert!(d20 >= Duration::from_millis(5_000) && d20 <= Duration::from_millis(10_000));
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| backoff_delay(&s, 5)).collect();
        assert!(spread.len() > 1, "no jitter");
    }
}
