//! The test harness: a bot wired to a fresh database (from `#[sqlx::test]`),
//! the real axum router, real job workers, and the fake GitHub.

#![allow(dead_code)]

pub mod fake_github;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use recovery_bot::config::{JobSettings, Settings, SettingsArgs};
use recovery_bot::github::GitHub;
use recovery_bot::jobs::{Bot, DeliveryHandler, WorkerPool, wait_until_drained};
use recovery_bot::server::{AppState, router};
use recovery_bot::webhook::signature;
use secrecy::SecretString;
use serde_json::Value;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

pub use fake_github::FakeGitHub;

pub const SECRET: &str = "test-webhook-secret";

/// A webhook payload from `tests/data/webhooks/`.
pub fn payload(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/webhooks/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Fast retries and polling, so tests do not wait on production delays.
pub fn fast_jobs() -> JobSettings {
    JobSettings {
        max_attempts: 3,
        backoff_base_ms: 20,
        backoff_max_ms: 100,
        timeout_secs: 10,
        poll_interval_ms: 50,
        shutdown_grace_secs: 5,
    }
}

pub fn settings(github_url: &str) -> Settings {
    let args = SettingsArgs {
        database_url: Some(SecretString::from("postgres://unused")),
        github_webhook_secret: Some(SecretString::from(format!("old-secret,{SECRET}"))),
        github_token: Some(SecretString::from("ghp_test_token")),
        github_api_url: Some(github_url.to_owned()),
        ..Default::default()
    };
    let mut s = Settings::load(&args).unwrap();
    s.jobs = fast_jobs();
    s
}

pub struct TestBot {
    pub pool: PgPool,
    pub github: FakeGitHub,
    pub router: Router,
    shutdown: CancellationToken,
    workers: Option<JoinHandle<()>>,
    deliveries: AtomicU64,
}

impl TestBot {
    pub async fn start(pool: PgPool) -> Self {
        Self::start_with(pool, |_| {}).await
    }

    /// Starts with settings changed by `tweak`.
    pub async fn start_with(pool: PgPool, tweak: impl FnOnce(&mut Settings)) -> Self {
        let github = FakeGitHub::start().await;
        let mut settings = settings(&github.uri());
        tweak(&mut settings);
        let client = GitHub::new(&settings).unwrap();
        let bot = Arc::new(Bot::new(&settings, client, fake_github::BOT_LOGIN.to_owned()).unwrap());
        let shutdown = CancellationToken::new();
        let workers = WorkerPool::new(pool.clone(), DeliveryHandler { bot }, settings.jobs.clone());
        let workers = tokio::spawn(workers.run(2, shutdown.clone()));
        let router = router(Arc::new(AppState::new(pool.clone(), settings)));
        Self {
            pool,
            github,
            router,
            shutdown,
            workers: Some(workers),
            deliveries: AtomicU64::new(0),
        }
    }

    /// Sends any request through the real router.
    pub async fn request(&self, req: Request<Body>) -> (StatusCode, String) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// A fresh delivery id for each call.
    pub fn next_delivery_id(&self) -> String {
        format!(
            "delivery-{}",
            self.deliveries.fetch_add(1, Ordering::SeqCst) + 1
        )
    }

    /// Signs and sends a JSON delivery of `event`, as GitHub does.
    pub async fn send(&self, event: &str, payload: &Value) -> (StatusCode, String) {
        let id = self.next_delivery_id();
        self.send_as(event, &id, payload).await
    }

    pub async fn send_as(
        &self,
        event: &str,
        delivery_id: &str,
        payload: &Value,
    ) -> (StatusCode, String) {
        let body = serde_json::to_vec(payload).unwrap();
        self.request(signed(
            event,
            delivery_id,
            "hook-1",
            "application/json",
            body,
        ))
        .await
    }

    /// Waits until every pending job has run (panics after 20 s).
    pub async fn drain(&self) {
        assert!(
            wait_until_drained(&self.pool, Duration::from_secs(20)).await,
            "the job queue did not drain"
        );
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(w) = self.workers.take() {
            w.await.unwrap();
        }
    }
}

impl Drop for TestBot {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A request as GitHub sends it, signed with [`SECRET`].
pub fn signed(
    event: &str,
    delivery_id: &str,
    hook_id: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Request<Body> {
    Request::post("/webhook")
        .header("content-type", content_type)
        .header("x-github-event", event)
        .header("x-github-delivery", delivery_id)
        .header("x-github-hook-id", hook_id)
        .header("x-hub-signature-256", signature::sign(SECRET, &body))
        .header("user-agent", "GitHub-Hookshot/test")
        .body(Body::from(body))
        .unwrap()
}

pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}
