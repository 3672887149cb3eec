//! The durable job queue: retries with backoff, dead jobs and their revival,
//! one issue's jobs in order, several workers (and processes) sharing one
//! database, crashes.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{count, fast_jobs};
use recovery_bot::jobs::{Job, JobError, JobHandler, WorkerPool, wait_until_drained};
use recovery_bot::store::MIGRATOR;
use recovery_bot::store::jobs::{self as q, IssueKey, NewJob};
use sqlx::{Acquire, PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

/// What a scripted job does, by its `args.script`.
#[derive(Clone, Default)]
struct Scripted {
    calls: Arc<Mutex<HashMap<i64, u32>>>,
    order: Arc<Mutex<Vec<(String, i64)>>>,
    /// The server sessions of the jobs that hang (`released_then_stuck`).
    stuck: Arc<Mutex<Vec<i32>>>,
}

impl Scripted {
    fn calls(&self, id: i64) -> u32 {
        self.calls.lock().unwrap().get(&id).copied().unwrap_or(0)
    }

    fn stuck(&self) -> Vec<i32> {
        self.stuck.lock().unwrap().clone()
    }
}

impl JobHandler for Scripted {
    async fn run(&self, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
        let n = {
            let mut calls = self.calls.lock().unwrap();
            let n = calls.entry(job.id).or_default();
            *n += 1;
            *n
        };
        // Every attempt writes a row; only a successful one may keep it.
        sqlx::query("INSERT INTO side_effects (job_id) VALUES ($1)")
            .bind(job.id)
            .execute(&mut *conn)
            .await?;
        let script = job.args["script"].as_str().unwrap_or("ok");
        match script {
            "fail_twice" if n <= 2 => Err(JobError::retry(anyhow::anyhow!("flaky failure {n}"))),
            "always_fail" => Err(JobError::retry(anyhow::anyhow!("still broken ({n})"))),
            "permanent" => Err(JobError::Permanent(anyhow::anyhow!("cannot ever work"))),
            "panic" => panic!("handler bug"),
            // On its first start: the state a worker aborted while its
            // savepoint's RELEASE was on the wire leaves behind (the server
            // has released the savepoint, sqlx still counts it), then hangs
            // until aborted. Later starts succeed.
            "released_then_stuck" if n == 1 => {
                sqlx::query("RELEASE SAVEPOINT _sqlx_savepoint_1")
                    .execute(&mut *conn)
                    .await
                    .expect("the job runs in sqlx's first savepoint");
                let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                    .fetch_one(&mut *conn)
                    .await?;
                self.stuck.lock().unwrap().push(pid);
                std::future::pending().await
            }
            "slow" => {
                let ms = job.args["ms"].as_u64().unwrap_or(10);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                self.order.lock().unwrap().push((
                    job.issue_key.clone().unwrap_or_default(),
                    job.args["seq"].as_i64().unwrap_or(0),
                ));
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

async fn setup(pool: &PgPool) {
    sqlx::query("CREATE TABLE side_effects (job_id BIGINT NOT NULL)")
        .execute(pool)
        .await
        .unwrap();
}

async fn enqueue(
    pool: &PgPool,
    issue: Option<&str>,
    args: serde_json::Value,
    max_attempts: i32,
) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let id = q::enqueue(
        &mut tx,
        &NewJob {
            kind: "test".into(),
            issue_key: issue.map(|k| {
                let (repo, number) = k.split_once('#').expect("repo#number");
                IssueKey::new(repo.parse().unwrap(), number.parse().unwrap())
            }),
            delivery_id: None,
            args,
            max_attempts,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn start(
    pool: &PgPool,
    handler: Scripted,
    workers: usize,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let token = CancellationToken::new();
    let task = tokio::spawn(
        WorkerPool::new(pool.clone(), handler, fast_jobs()).run(workers, token.clone()),
    );
    (token, task)
}

async fn job(pool: &PgPool, id: i64) -> Option<Job> {
    sqlx::query_as("SELECT * FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
}

async fn wait_for(mut cond: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not reached in 10 s");
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_job_that_fails_twice_then_succeeds(pool: PgPool) {
    setup(&pool).await;
    let handler = Scripted::default();
    let id = enqueue(
        &pool,
        Some("1#1"),
        serde_json::json!({"script": "fail_twice"}),
        5,
    )
    .await;
    let (stop, task) = start(&pool, handler.clone(), 2);
    assert!(wait_until_drained(&pool, Duration::from_secs(10)).await);
    assert_eq!(handler.calls(id), 3);
    assert!(job(&pool, id).await.is_none(), "a finished job is deleted");
    // The two failed attempts' writes were rolled back; the third kept.
    assert_eq!(count(&pool, "SELECT count(*) FROM side_effects").await, 1);
    stop.cancel();
    task.await.unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_job_that_exhausts_its_retries_is_dead_then_revived(pool: PgPool) {
    setup(&pool).await;
    let handler = Scripted::default();
    let id = enqueue(
        &pool,
        Some("1#1"),
        serde_json::json!({"script": "always_fail"}),
        3,
    )
    .await;
    let (stop, task) = start(&pool, handler.clone(), 1);
    wait_for(async || job(&pool, id).await.is_some_and(|j| j.status == "dead")).await;
    let dead = job(&pool, id).await.unwrap();
    assert_eq!(dead.attempts, 3);
    assert_eq!(handler.calls(id), 3);
    assert_eq!(dead.last_error.as_deref(), Some("still broken (3)"));
    assert_eq!(count(&pool, "SELECT count(*) FROM side_effects").await, 0);

    // A dead job does not block later jobs for the same issue.
    let next = enqueue(&pool, Some("1#1"), serde_json::json!({"script": "ok"}), 3).await;
    wait_for(async || job(&pool, next).await.is_none()).await;

    // `jobs retry` gives it a fresh set of attempts.
    let mut conn = pool.acquire().await.unwrap();
    assert!(q::retry(&mut conn, id).await.unwrap());
    assert!(!q::retry(&mut conn, 999_999).await.unwrap());
    wait_for(async || handler.calls(id) >= 4).await;
    stop.cancel();
    task.await.unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn permanent_errors_and_panics_are_dead_at_once(pool: PgPool) {
    setup(&pool).await;
    let handler = Scripted::default();
    let permanent = enqueue(&pool, None, serde_json::json!({"script": "permanent"}), 5).await;
    let panics = enqueue(&pool, None, serde_json::json!({"script": "panic"}), 5).await;
    let (stop, task) = start(&pool, handler.clone(), 2);
    wait_for(async || count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await == 2)
        .await;
    assert_eq!(handler.calls(permanent), 1);
    assert_eq!(handler.calls(panics), 1);
    let p = job(&pool, panics).await.unwrap();
    assert!(p.last_error.unwrap().contains("handler bug"));
    // The workers survived the panic and still run jobs.
    let ok = enqueue(&pool, None, serde_json::json!({"script": "ok"}), 5).await;
    wait_for(async || job(&pool, ok).await.is_none()).await;
    stop.cancel();
    task.await.unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn one_issues_jobs_run_in_order_of_receipt(pool: PgPool) {
    setup(&pool).await;
    let handler = Scripted::default();
    // Earlier jobs are slower, so running them concurrently would reorder them.
    for seq in 0..6i64 {
        for issue in ["1#1", "1#2"] {
            let ms = 60 - seq * 10;
            enqueue(
                &pool,
                Some(issue),
                serde_json::json!({"script": "slow", "ms": ms, "seq": seq}),
                3,
            )
            .await;
        }
    }
    let (stop, task) = start(&pool, handler.clone(), 4);
    assert!(wait_until_drained(&pool, Duration::from_secs(10)).await);
    let order = handler.order.lock().unwrap().clone();
    for issue in ["1#1", "1#2"] {
        let seqs: Vec<i64> = order
            .iter()
            .filter(|(k, _)| k == issue)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(seqs, (0..6).collect::<Vec<_>>(), "issue {issue}: {order:?}");
    }
    stop.cancel();
    task.await.unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn two_processes_share_the_work_and_run_each_job_once(pool: PgPool) {
    setup(&pool).await;
    let first = Scripted::default();
    let second = Scripted::default();
    let mut ids = Vec::new();
    for i in 0..60 {
        let issue = format!("1#{}", i % 7);
        ids.push(
            enqueue(
                &pool,
                Some(&issue),
                serde_json::json!({"script": "slow", "ms": 5, "seq": i}),
                3,
            )
            .await,
        );
    }
    // Two pools of workers with their own connection pools stand for two
    // `serve` processes on one database.
    let other_pool = sqlx::postgres::PgPoolOptions::new()
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let (stop1, t1) = start(&pool, first.clone(), 3);
    let (stop2, t2) = start(&other_pool, second.clone(), 3);
    assert!(wait_until_drained(&pool, Duration::from_secs(20)).await);
    for id in &ids {
        assert_eq!(first.calls(*id) + second.calls(*id), 1, "job {id}");
    }
    assert!(
        ids.iter().any(|id| first.calls(*id) == 1),
        "first process ran nothing"
    );
    assert!(
        ids.iter().any(|id| second.calls(*id) == 1),
        "second process ran nothing"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM side_effects").await, 60);
    stop1.cancel();
    stop2.cancel();
    t1.await.unwrap();
    t2.await.unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_killed_worker_frees_its_job_and_a_poison_job_stops_looping(pool: PgPool) {
    setup(&pool).await;
    let id = enqueue(&pool, Some("1#1"), serde_json::json!({"script": "ok"}), 2).await;

    // A worker claims the job, records its start, and dies mid-job: its
    // connection goes away without a commit.
    for _ in 0..2 {
        let mut conn = pool.acquire().await.unwrap().detach();
        let mut tx = conn.begin().await.unwrap();
        // The server frees the lock of the worker that died before once it
        // sees its connection gone, which takes a moment on a busy machine.
        let mut claimed = None;
        for _ in 0..500 {
            claimed = q::claim(&mut tx).await.unwrap();
            if claimed.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let claimed = claimed.expect("claimable once the dead worker's connection is gone");
        assert_eq!(claimed.id, id);
        q::record_start(&pool, id).await.unwrap();
        // While it is held, nobody else can claim it.
        let mut other = pool.begin().await.unwrap();
        assert!(q::claim(&mut other).await.unwrap().is_none());
        drop(other);
        drop(tx);
        drop(conn);
    }
    // Free again at once, but it was started twice already (its limit):
    // the next worker keeps it as dead instead of running it a third time.
    let handler = Scripted::default();
    let (stop, task) = start(&pool, handler.clone(), 1);
    wait_for(async || job(&pool, id).await.is_some_and(|j| j.status == "dead")).await;
    assert_eq!(handler.calls(id), 0);
    let dead = job(&pool, id).await.unwrap();
    assert!(dead.last_error.unwrap().contains("started 2 times"));
    stop.cancel();
    task.await.unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_job_enqueued_while_workers_idle_is_picked_up_by_notify(pool: PgPool) {
    setup(&pool).await;
    let handler = Scripted::default();
    let token = CancellationToken::new();
    // A long poll interval: only NOTIFY can wake the worker quickly.
    let mut settings = fast_jobs();
    settings.poll_interval_ms = 60_000;
    let task = tokio::spawn(
        WorkerPool::new(pool.clone(), handler.clone(), settings).run(1, token.clone()),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let id = enqueue(&pool, None, serde_json::json!({"script": "ok"}), 3).await;
    wait_for(async || handler.calls(id) == 1).await;
    token.cancel();
    task.await.unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn workers_aborted_mid_job_leave_the_pool_whole_for_the_next(pool: PgPool) {
    setup(&pool).await;
    let handler = Scripted::default();
    let script = serde_json::json!({"script": "released_then_stuck"});
    let ids = [
        enqueue(&pool, Some("1#1"), script.clone(), 3).await,
        enqueue(&pool, Some("1#2"), script, 3).await,
    ];
    let (stop, task) = start(&pool, handler.clone(), 2);
    wait_for(async || handler.stuck().len() == 2).await;
    // Killed mid-job, as `WorkerPool::run` kills them after the grace
    // period (and `TestBot::crash_and_restart` does).
    task.abort();
    let _ = task.await;
    stop.cancel();

    // Their connections are closed, as a crash closes them. Returned to
    // the pool instead, each failed the pool's check and (over TLS, as
    // scripts/test's PostgreSQL speaks) was never closed nor freed.
    let stuck = handler.stuck();
    wait_for(async || {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)")
            .bind(&stuck)
            .fetch_one(&pool)
            .await
            .unwrap()
            == 0
    })
    .await;
    // So the pool has every one of its connections to give again...
    let mut all = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        all.push(
            pool.acquire()
                .await
                .expect("a connection lost to an aborted job"),
        );
    }
    drop(all);
    // ...and new workers on it run both jobs to the end; the aborted
    // attempts left no writes.
    let (stop, task) = start(&pool, handler.clone(), 2);
    assert!(wait_until_drained(&pool, Duration::from_secs(10)).await);
    for id in ids {
        assert_eq!(handler.calls(id), 2);
    }
    assert_eq!(count(&pool, "SELECT count(*) FROM side_effects").await, 2);
    stop.cancel();
    task.await.unwrap();
}
