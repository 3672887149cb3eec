//! The test harness: a bot wired to a fresh database (from `#[sqlx::test]`),
//! the real axum router, real job workers, and the fake GitHub.

#![allow(dead_code)]

pub mod email;
pub mod fake_github;
pub mod smtp;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use recovery_bot::config::{JobSettings, Settings, SettingsArgs, Trackers};
use recovery_bot::github::GitHub;
use recovery_bot::jobs::{Bot, DeliveryHandler, WorkerPool, wait_until_drained};
use recovery_bot::server::{AppState, router};
use recovery_bot::verify::Verifier;
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
    s.admins = [ADMIN.login, OTHER_ADMIN.login]
        .map(|l| l.parse().unwrap())
        .to_vec();
    // Our tracker, and the repository of GitHub's example payloads.
    s.repos = Trackers::Listed(vec![REPO.to_owned(), "Codertocat/Hello-World".to_owned()]);
    s
}

pub struct TestBot {
    pub pool: PgPool,
    pub settings: Settings,
    pub github: FakeGitHub,
    pub router: Router,
    shutdown: CancellationToken,
    workers: Option<JoinHandle<()>>,
    deliveries: AtomicU64,
    /// Servers the bot talks to (an account directory), kept for as long as
    /// the bot runs.
    pub keep_alive: Vec<Arc<dyn std::any::Any + Send + Sync>>,
    /// How many dead jobs the test said it expects (`expect_dead`); `drain`
    /// fails on any more. Shared with the bot a restart hands on to.
    expected_dead: Arc<AtomicI64>,
    /// False once `restart_with` handed the test's bookkeeping on to the
    /// next bot: only the last one checks it when dropped.
    finishes: bool,
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
        Self::start_on(pool, github, settings)
    }

    /// Stops this bot's workers and starts another on the same database and
    /// the same fake GitHub, with its settings changed by `tweak` (a
    /// restart, say out of shadow mode).
    pub async fn restart_with(mut self, tweak: impl FnOnce(&mut Settings)) -> Self {
        self.shutdown.cancel();
        if let Some(w) = self.workers.take() {
            w.await.unwrap();
        }
        let mut settings = self.settings.clone();
        tweak(&mut settings);
        let mut next = Self::start_on(self.pool.clone(), self.github.clone(), settings);
        next.keep_alive = std::mem::take(&mut self.keep_alive);
        next.expected_dead = Arc::clone(&self.expected_dead);
        self.finishes = false;
        // Delivery ids go on where they were: GitHub's never repeat.
        next.deliveries = AtomicU64::new(self.deliveries.load(Ordering::SeqCst));
        next
    }

    /// Kills this bot's workers mid-job, as a crash does (no grace: the
    /// jobs they run stop where they are), and starts another on the same
    /// database and fake GitHub.
    pub async fn crash_and_restart(mut self) -> Self {
        if let Some(w) = self.workers.take() {
            w.abort();
            let _ = w.await;
        }
        self.restart_with(|_| {}).await
    }

    fn start_on(pool: PgPool, github: FakeGitHub, settings: Settings) -> Self {
        let client = GitHub::new(&settings).unwrap();
        let verifier = Verifier::from_settings(&settings).unwrap();
        let bot = Arc::new(
            Bot::new(
                &settings,
                client,
                fake_github::BOT_LOGIN.to_owned(),
                verifier,
                pool.clone(),
            )
            .unwrap(),
        );
        let shutdown = CancellationToken::new();
        let workers = WorkerPool::new(pool.clone(), DeliveryHandler { bot }, settings.jobs.clone());
        let workers = tokio::spawn(workers.run(2, shutdown.clone()));
        // Time that moves by itself, as `serve` runs it.
        tokio::spawn(recovery_bot::jobs::timers::tick_loop(
            pool.clone(),
            settings.timers,
            settings.timer_tick(),
            settings.jobs.max_attempts,
            shutdown.clone(),
        ));
        let router = router(Arc::new(AppState::new(pool.clone(), settings.clone())));
        Self {
            pool,
            settings,
            github,
            router,
            shutdown,
            workers: Some(workers),
            deliveries: AtomicU64::new(0),
            keep_alive: Vec::new(),
            expected_dead: Arc::new(AtomicI64::new(0)),
            finishes: true,
        }
    }

    /// Sends any request through the real router.
    pub async fn request(&self, req: Request<Body>) -> (StatusCode, String) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Like `request`, with the answer's headers.
    pub async fn request_with_headers(
        &self,
        req: Request<Body>,
    ) -> (StatusCode, http::HeaderMap, String) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post(&self, path: &str) -> (StatusCode, String) {
        self.request(Request::post(path).body(Body::empty()).unwrap())
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

    /// Waits until every pending job has run (panics after 20 s), then
    /// fails when a job went dead that the test did not say it expects
    /// (`expect_dead`): a dead job is work the bot never finished, and a
    /// test that passes over one passes by accident.
    pub async fn drain(&self) {
        self.drain_allowing_dead().await;
        self.assert_no_unexpected_dead().await;
    }

    /// Waits until every pending job has run (panics after 20 s), whatever
    /// died: for a test that looks at its dead jobs itself.
    pub async fn drain_allowing_dead(&self) {
        if !wait_until_drained(&self.pool, Duration::from_secs(20)).await {
            let sessions: Vec<String> = sqlx::query_scalar(
                "SELECT format('  pid %s: %s for %s, waiting on %s: %s', pid, state,
                               now() - coalesce(xact_start, query_start),
                               coalesce(wait_event, '-'), left(query, 200))
                 FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .fetch_all(&self.pool)
            .await
            .unwrap_or_default();
            panic!(
                "the job queue did not drain; pending jobs:\n{}\nthe database's other sessions:\n{}",
                self.jobs_described("pending").await,
                sessions.join("\n")
            );
        }
    }

    /// The test expects `n` dead jobs in all (a job it makes fail on
    /// purpose): `drain` fails only on more than `n`.
    pub fn expect_dead(&self, n: i64) {
        self.expected_dead.store(n, Ordering::SeqCst);
    }

    /// Fails when more jobs are dead than the test expects.
    pub async fn assert_no_unexpected_dead(&self) {
        let dead = count(
            &self.pool,
            "SELECT count(*) FROM jobs WHERE status = 'dead'",
        )
        .await;
        let expected = self.expected_dead.load(Ordering::SeqCst);
        if dead > expected {
            panic!(
                "{dead} dead job(s), the test expects {expected} (bot.expect_dead(n) says a test \
                 makes them on purpose):\n{}",
                self.jobs_described("dead").await
            );
        }
    }

    /// The jobs of `status`, one a line: id, kind, what an effect does,
    /// attempts and last error.
    pub async fn jobs_described(&self, status: &str) -> String {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT format('  job %s: kind %s, effect %s, attempts %s, last error: %s\n    args: %s',
                           id, kind, coalesce(args->'do'->>'effect', '-'), attempts,
                           coalesce(last_error, '-'), left(args::text, 300))
             FROM jobs WHERE status = $1 ORDER BY id",
        )
        .bind(status)
        .fetch_all(&self.pool)
        .await
        // Called while a test fails: an empty pool must not hide why.
        .unwrap_or_else(|e| vec![format!("  (cannot read the jobs: {e})")]);
        rows.join("\n")
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(w) = self.workers.take() {
            w.await.unwrap();
        }
    }

    /// Fails when the bot wrote a reply that no helper returned to the test
    /// (bors' `BorsTester::finish`): each reply is something a user reads, so
    /// a test must look at it. Also fails on an issue with two status
    /// comments. The status comment is edited in place and is
    /// checked where a test reads it (`status_comment`). Run by `Drop`, so no
    /// test can forget it.
    pub fn assert_every_reply_read(&self) {
        for (repo, number, n) in self.github.status_comment_counts() {
            assert!(n <= 1, "{repo}#{number} has {n} status comments");
        }
        let unread = self.github.unread_replies();
        if !unread.is_empty() {
            let list: Vec<String> = unread
                .iter()
                .map(|u| format!("  {}#{}: {}", u.repo, u.number, u.body))
                .collect();
            panic!(
                "the bot wrote {} repl{} the test never read (read them with replies(), \
                 new_replies() or last_reply()):\n{}",
                unread.len(),
                if unread.len() == 1 { "y" } else { "ies" },
                list.join("\n")
            );
        }
    }
}

impl Drop for TestBot {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if self.finishes && !std::thread::panicking() {
            self.assert_every_reply_read();
        }
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

/// The URL of the test's own database, for the built binary.
pub async fn database_url(pool: &PgPool) -> String {
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let mut url = url::Url::parse(&std::env::var("DATABASE_URL").unwrap()).unwrap();
    url.set_path(&db);
    url.to_string()
}

/// `recovery-bot requests show pypi/support#N [--json]`'s output.
pub async fn requests_show(pool: &PgPool, number: u64, json: bool) -> String {
    let url = database_url(pool).await;
    let issue = format!("pypi/support#{number}");
    let mut args = vec!["requests", "show", issue.as_str()];
    if json {
        args.push("--json");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
        .args(&args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The last error of every job that has one.
pub async fn job_errors(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT last_error FROM jobs WHERE last_error IS NOT NULL")
        .fetch_all(pool)
        .await
        .unwrap()
}

pub async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

pub const REPO: &str = "pypi/support";
pub const REPO_ID: i64 = 4_242;
pub const INTAKE: &str = "account-recovery";

/// A requester of the tests.
#[derive(Clone, Copy)]
pub struct Person {
    pub login: &'static str,
    pub id: u64,
}

pub const REQUESTER: Person = Person {
    login: "locked-out",
    id: 1001,
};
pub const ADMIN: Person = Person {
    login: "the-admin",
    id: 2002,
};
pub const OTHER_ADMIN: Person = Person {
    login: "second-admin",
    id: 2003,
};
pub const STRANGER: Person = Person {
    login: "passer-by",
    id: 3003,
};

fn user_json(p: Person) -> Value {
    serde_json::json!({"login": p.login, "id": p.id, "type": "User"})
}

/// GitHub's `issues` example payload, for our repository and issue.
pub fn issue_event(
    action: &str,
    number: u64,
    author: Person,
    sender: Person,
    body: Option<&str>,
    labels: &[&str],
) -> Value {
    let mut p = payload("issues.opened");
    p["action"] = action.into();
    p["issue"]["number"] = number.into();
    p["issue"]["body"] = body.map_or(Value::Null, Value::from);
    p["issue"]["user"] = user_json(author);
    p["issue"]["labels"] = labels
        .iter()
        .map(|l| serde_json::json!({"name": l}))
        .collect();
    p["repository"]["full_name"] = REPO.into();
    p["repository"]["id"] = REPO_ID.into();
    p["sender"] = user_json(sender);
    // As of now: GitHub sends each version of the issue as it is then.
    p["issue"]["updated_at"] = chrono::Utc::now().to_rfc3339().into();
    p
}

/// GitHub's `issue_comment.created` example payload on our issue.
pub fn comment_event(
    number: u64,
    author: Person,
    commenter: Person,
    comment_id: u64,
    body: &str,
    labels: &[String],
) -> Value {
    let mut p = payload("issue_comment.created");
    p["issue"]["number"] = number.into();
    p["issue"]["user"] = user_json(author);
    p["issue"]["labels"] = labels
        .iter()
        .map(|l| serde_json::json!({"name": l}))
        .collect();
    if let Some(obj) = p["issue"].as_object_mut() {
        obj.remove("pull_request");
    }
    p["comment"]["id"] = comment_id.into();
    p["comment"]["body"] = body.into();
    p["comment"]["user"] = user_json(commenter);
    // Written now (GitHub's example says 2019).
    p["comment"]["created_at"] = chrono::Utc::now().to_rfc3339().into();
    p["repository"]["full_name"] = REPO.into();
    p["repository"]["id"] = REPO_ID.into();
    p["sender"] = user_json(commenter);
    p
}

pub const CODES: &str =
    "I never generated or have lost access to the recovery codes for my account";
pub const COC: &str = "I agree to follow the PSF Code of Conduct";
pub const ACK: &str = "I understand that it may take a significant amount of time to process my account recovery request.";

/// A body as GitHub renders the default form, every box ticked.
pub fn form_body(username: &str, reason: &str) -> String {
    format!(
        "### PyPI Username\n\n{username}\n\n### Reason for request\n\n{reason}\n\n### Recovery Codes\n\n- [X] {CODES}\n\n### Code of Conduct\n\n- [X] {COC}\n\n### Acknowledgement\n\n- [X] {ACK}"
    )
}

impl TestBot {
    /// The requester opens issue `number` from the form; the fake GitHub
    /// gets the issue first, as on GitHub.
    pub async fn open(&self, number: u64, author: Person, body: Option<&str>) {
        self.github
            .add_issue(REPO, number, author.login, author.id, body, &[INTAKE]);
        let event = self.delivery_of("opened", number, author);
        let (status, text) = self.send("issues", &event).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        self.drain().await;
    }

    /// The requester edits the body.
    pub async fn edit(&self, number: u64, author: Person, body: &str) {
        let event = self.edited(number, author, body);
        let (status, text) = self.send("issues", &event).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        self.drain().await;
    }

    /// The `issues` delivery GitHub sends for issue `number` as it is on
    /// the fake now (author, body, labels, `updated_at`), sent by `sender`.
    pub fn delivery_of(&self, action: &str, number: u64, sender: Person) -> Value {
        let issue = self.github.issue(REPO, number);
        let author = Person {
            login: Box::leak(issue.login.clone().into_boxed_str()),
            id: issue.user_id,
        };
        let labels: Vec<&str> = issue.labels.iter().map(String::as_str).collect();
        let mut event = issue_event(
            action,
            number,
            author,
            sender,
            issue.body.as_deref(),
            &labels,
        );
        event["issue"]["updated_at"] = issue.updated_at.to_rfc3339().into();
        event
    }

    /// Edits the body on the fake GitHub and returns the `issues.edited`
    /// delivery GitHub would send for it (not sent yet).
    pub fn edited(&self, number: u64, author: Person, body: &str) -> Value {
        self.github.update_issue(REPO, number, |issue| {
            issue.body = Some(body.to_owned());
            bump(issue);
        });
        self.delivery_of("edited", number, author)
    }

    /// `sender` closes (`open` false) or reopens issue `number` by hand on
    /// GitHub, which then sends the delivery.
    pub async fn set_open_by_hand(&self, number: u64, sender: Person, open: bool) {
        self.github.update_issue(REPO, number, |issue| {
            issue.state = if open { "open" } else { "closed" }.to_owned();
            bump(issue);
        });
        let action = if open { "reopened" } else { "closed" };
        let (status, text) = self
            .send("issues", &self.delivery_of(action, number, sender))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        self.drain().await;
    }

    /// `sender` adds (`add`) or removes label `name` on issue `number` on
    /// GitHub, which then sends `issues.labeled` or `issues.unlabeled`.
    pub async fn set_label(&self, number: u64, sender: Person, name: &str, add: bool) {
        self.github.update_issue(REPO, number, |issue| {
            issue.labels.retain(|l| !l.eq_ignore_ascii_case(name));
            if add {
                issue.labels.push(name.to_owned());
            }
            bump(issue);
        });
        let action = if add { "labeled" } else { "unlabeled" };
        let mut event = self.delivery_of(action, number, sender);
        event["label"] = serde_json::json!({ "name": name });
        let (status, text) = self.send("issues", &event).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        self.drain().await;
    }

    /// An admin records `email` by hand on issue `number`
    /// (`/confirm email seen`), and the bot says it passed.
    pub async fn confirm_email_by_hand(&self, number: u64) {
        self.comment(number, ADMIN, "/confirm email seen").await;
        self.assert_reply(number, "Check `email` recorded as passed");
    }

    /// `REQUESTER` opens a valid request for `alice` as issue `number`.
    pub async fn pending_request(&self, number: u64) {
        self.open(
            number,
            REQUESTER,
            Some(&form_body("alice", "Lost my phone.")),
        )
        .await;
        assert_eq!(self.state(number).await, "pending");
    }

    /// `commenter` comments `body` on issue `number`; returns the comment id.
    pub async fn comment(&self, number: u64, commenter: Person, body: &str) -> u64 {
        let issue = self.github.issue(REPO, number);
        let author = Person {
            login: Box::leak(issue.login.clone().into_boxed_str()),
            id: issue.user_id,
        };
        let id = self
            .github
            .add_comment(REPO, number, commenter.login, commenter.id, body);
        let mut event = comment_event(number, author, commenter, id, body, &issue.labels);
        // Written after the issue's newest version, even within one clock
        // tick (`bump` may run ahead of the clock).
        let written = chrono::Utc::now().max(issue.updated_at + chrono::Duration::milliseconds(1));
        event["comment"]["created_at"] = written.to_rfc3339().into();
        let (status, text) = self.send("issue_comment", &event).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        self.drain().await;
        id
    }

    /// `commenter` edits their comment `id` on issue `number` to `body`;
    /// answers the webhook's status (200 for an edit the bot ignores).
    pub async fn edit_comment(
        &self,
        number: u64,
        commenter: Person,
        id: u64,
        body: &str,
    ) -> StatusCode {
        let issue = self.github.issue(REPO, number);
        self.github.update_issue(REPO, number, |i| {
            if let Some(c) = i.comments.iter_mut().find(|c| c.id == id) {
                c.body = body.to_owned();
            }
        });
        let author = Person {
            login: Box::leak(issue.login.clone().into_boxed_str()),
            id: issue.user_id,
        };
        let mut event = comment_event(number, author, commenter, id, body, &issue.labels);
        event["action"] = "edited".into();
        let (status, text) = self.send("issue_comment", &event).await;
        assert!(status.is_success(), "{status}: {text}");
        self.drain().await;
        status
    }

    pub fn labels(&self, number: u64) -> Vec<String> {
        let mut l = self.github.issue(REPO, number).labels;
        l.sort();
        l
    }

    /// The bot's comments that are not the status comment, oldest first;
    /// they count as read.
    pub fn replies(&self, number: u64) -> Vec<String> {
        let replies: Vec<_> = self
            .github
            .bot_comments(REPO, number)
            .into_iter()
            .filter(|c| !c.body.contains(fake_github::STATUS_MARKER))
            .collect();
        self.github.mark_read(replies.iter().map(|c| c.id));
        replies.into_iter().map(|c| c.body).collect()
    }

    /// The replies on issue `number` that no helper returned before, oldest
    /// first; they count as read now.
    pub fn new_replies(&self, number: u64) -> Vec<String> {
        let fresh: Vec<_> = self
            .github
            .unread_replies()
            .into_iter()
            .filter(|u| u.repo == REPO && u.number == number)
            .collect();
        self.github.mark_read(fresh.iter().map(|u| u.id));
        fresh.into_iter().map(|u| u.body).collect()
    }

    /// The one new reply on issue `number` (asserting there is exactly one).
    pub fn new_reply(&self, number: u64) -> String {
        let mut fresh = self.new_replies(number);
        assert_eq!(fresh.len(), 1, "new replies on #{number}: {fresh:#?}");
        fresh.remove(0)
    }

    /// Reads the one new reply on issue `number` and asserts that it says
    /// `says`; returns it.
    pub fn assert_reply(&self, number: u64, says: &str) -> String {
        let reply = self.new_reply(number);
        assert!(
            reply.contains(says),
            "expected a reply saying {says:?}: {reply}"
        );
        reply
    }

    /// The newest reply on issue `number`; every reply counts as read.
    pub fn last_reply(&self, number: u64) -> String {
        self.replies(number)
            .pop()
            .unwrap_or_else(|| panic!("no reply on #{number}"))
    }

    /// Every comment the bot wrote on issue `number`, the status comment
    /// too, oldest first; they count as read.
    pub fn bot_comments(&self, number: u64) -> Vec<fake_github::CommentModel> {
        let all = self.github.bot_comments(REPO, number);
        self.github.mark_read(all.iter().map(|c| c.id));
        all
    }

    /// The reactions on a comment.
    pub fn reactions(&self, number: u64, comment_id: u64) -> Vec<String> {
        self.github
            .issue(REPO, number)
            .comments
            .into_iter()
            .find(|c| c.id == comment_id)
            .map(|c| c.reactions)
            .unwrap_or_default()
    }

    /// The bot's status comment (asserting there is exactly one).
    pub fn status_comment(&self, number: u64) -> String {
        let status: Vec<_> = self
            .github
            .bot_comments(REPO, number)
            .into_iter()
            .filter(|c| c.body.contains(fake_github::STATUS_MARKER))
            .collect();
        assert_eq!(status.len(), 1, "status comments: {status:#?}");
        status[0].body.clone()
    }

    /// Waits (up to 30 s) until `what` holds, checking every 50 ms: for
    /// what time moves by itself. Panics naming `what_for` otherwise.
    pub async fn eventually<F, Fut>(&self, what_for: &str, mut what: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !what().await {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what_for}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.drain().await;
    }

    pub async fn state(&self, number: u64) -> String {
        sqlx::query_scalar(
            "SELECT state FROM requests WHERE repository_id = $1 AND issue_number = $2",
        )
        .bind(REPO_ID)
        .bind(number as i64)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

/// A new version of an issue: distinct, increasing `updated_at` values,
/// even within one clock tick.
fn bump(issue: &mut fake_github::IssueModel) {
    issue.updated_at =
        (issue.updated_at + chrono::Duration::milliseconds(1)).max(chrono::Utc::now());
}

pub fn sorted(labels: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// What the bot says on the issue when it mailed a round's link.
pub const EMAILED_LINK: &str =
    "I have emailed a confirmation link to the address registered on the account";
/// What the bot says when the owner confirmed from the link.
pub const CONFIRMED_FROM_LINK: &str =
    "The owner of the account confirmed this request from the link emailed";

/// How many audit rows say `action`.
pub async fn audit_count(pool: &PgPool, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The calls made to GitHub since the `before`th, as `METHOD path`.
pub fn calls_since(bot: &TestBot, before: usize) -> Vec<String> {
    bot.github.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}
