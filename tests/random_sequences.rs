//! A randomized system test: seeded random sequences of deliveries (issues
//! opened, edited with username swaps, commands by admins, the requester and
//! outsiders, closes and reopens by hand, deletes, links confirmed) with
//! GitHub answering 5xx and 429 now and then, or timing out after doing the
//! work, and a worker restart (graceful, or a crash mid-job) mid-sequence; once the queue is quiet, the
//! invariants the bot promises must hold.
//!
//! `RANDOM_SEQUENCES=n` runs `n` sequences per test instead of the CI count;
//! `RANDOM_SEED=s` replays the one sequence `s` (the test whose seeds it is
//! among runs it, with that test's settings).
//! A failure names its seed.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use common::email::{Env, start};
use common::smtp::SmtpSink;
use common::*;
use http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

type Time = chrono::DateTime<chrono::Utc>;

const PUBLIC: &str = "https://recovery.example.org";
/// Sequences per test in CI (four tests: 200 in all).
const PER_TEST: u64 = 50;

/// Effects that died because their issue was deleted before they ran.
static DEAD_ON_DELETED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The account directory for the sequences' usernames: `s<seed>a`,
/// `s<seed>b` (each with a project the requester does not own, so a waiting
/// period applies), `s<seed>np` (no projects: the fast path); a name ending
/// in `zz` is no account at all.
struct Directory;

impl Respond for Directory {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let name = req.url.path().trim_start_matches('/').to_owned();
        if name.ends_with("zz") {
            return ResponseTemplate::new(404);
        }
        let projects = if name.ends_with("np") {
            json!([])
        } else {
            json!([{"name": format!("{name}-lib"),
                    "repository_url": format!("https://github.com/someone-else/{name}-lib")}])
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "username": name,
            "emails": [{"address": format!("{name}@example.net"), "verified": true, "primary": true}],
            "projects": projects,
        }))
    }
}

/// The index resets whatever it is asked to (the invariants check that it
/// was asked only after an admin's `/approve`).
struct Recover;

impl Respond for Recover {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({}))
    }
}

/// Prints the seed, and what happened, when the sequence panics.
struct SeedGuard(u64, Arc<std::sync::Mutex<Vec<String>>>);

impl Drop for SeedGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "random_sequences: FAILED with seed {} (replay: RANDOM_SEED={} scripts/test --test random_sequences)\nevents:\n  {}",
                self.0,
                self.0,
                self.1.lock().map(|e| e.join("\n  ")).unwrap_or_default()
            );
        }
    }
}

fn seeds(range: std::ops::Range<u64>) -> Vec<u64> {
    let per_test = std::env::var("RANDOM_SEQUENCES")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(PER_TEST)
        .max(1);
    let test = range.start / PER_TEST;
    if let Ok(seed) = std::env::var("RANDOM_SEED") {
        // Replayed by the test whose seeds it is among (same settings, so
        // the same sequence), the last one for a seed past them all.
        let seed: u64 = seed.parse().expect("RANDOM_SEED is a number");
        return if (seed / per_test).min(3) == test {
            vec![seed]
        } else {
            Vec::new()
        };
    }
    let start = test * per_test;
    (start..start + per_test).collect()
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn random_sequences_0(pool: PgPool) {
    run(pool, 0..PER_TEST, false).await;
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn random_sequences_1(pool: PgPool) {
    run(pool, PER_TEST..2 * PER_TEST, false).await;
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn random_sequences_2_with_index_recover(pool: PgPool) {
    run(pool, 2 * PER_TEST..3 * PER_TEST, true).await;
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn random_sequences_3_with_index_recover(pool: PgPool) {
    run(pool, 3 * PER_TEST..4 * PER_TEST, true).await;
}

async fn run(pool: PgPool, range: std::ops::Range<u64>, index_recover: bool) {
    let seeds = seeds(range);
    if seeds.is_empty() {
        return;
    }
    let Env {
        mut bot,
        smtp,
        directory,
    } = start(pool.clone(), PUBLIC, |s| {
        s.index_recover = index_recover;
        // Half the sequences let the bot start rounds itself, as it does
        // by default; the other half leave every round to admins.
        if index_recover {
            s.auto_verify = recovery_bot::config::AutoVerify::Always;
        }
    })
    .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/s\d+[a-z]+/recover$"))
        .respond_with(Recover)
        .with_priority(1)
        .mount(&directory)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/s\d+[a-z]+$"))
        .respond_with(Directory)
        .with_priority(1)
        .mount(&directory)
        .await;
    let started = Instant::now();
    let mut restarts = 0;
    for (i, &seed) in seeds.iter().enumerate() {
        let mut seq = Sequence::new(seed, i as u64);
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let guard = SeedGuard(seed, Arc::clone(&events));
        bot = seq.play(bot, &smtp, &mut restarts, &events).await;
        check(&bot, &pool, &smtp, &directory, &seq).await;
        drop(guard);
    }
    assert!(
        seeds.len() < 10 || restarts > 0,
        "no sequence restarted the workers"
    );
    let automatic = count(
        &pool,
        "SELECT count(*) FROM audit_log WHERE action LIKE 'auto_verify_%'",
    )
    .await;
    assert!(
        !index_recover || seeds.len() < 10 || automatic > 0,
        "no sequence had the bot start a round itself"
    );
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, count(*) FROM requests GROUP BY state ORDER BY state")
            .fetch_all(&pool)
            .await
            .unwrap();
    let approvals = count(
        &pool,
        "SELECT count(*) FROM audit_log WHERE to_state = 'approved'",
    )
    .await;
    let rounds: Vec<(Option<String>, bool, i64)> = sqlx::query_as(
        "SELECT revoked_reason, mail_sent_at IS NOT NULL, count(*) FROM verification_tokens
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    eprintln!("random_sequences: rounds (revoked for, mailed, count): {rounds:?}");
    eprintln!(
        "random_sequences: requests by state at the end {states:?}; {approvals} approvals, {automatic} automatic rounds, {} mails",
        smtp.mails().len()
    );
    eprintln!(
        "random_sequences: {} sequences ({} with a worker restart; {} writes dead on a deleted issue so far) in {:.1?}",
        seeds.len(),
        restarts,
        DEAD_ON_DELETED.load(std::sync::atomic::Ordering::Relaxed),
        started.elapsed()
    );
}

/// Who may act.
const PEOPLE: [Person; 4] = [ADMIN, OTHER_ADMIN, REQUESTER, STRANGER];

struct Sequence {
    seed: u64,
    rng: StdRng,
    /// The issue numbers of this sequence (a few, after every earlier one).
    numbers: Vec<u64>,
    /// Usernames this sequence uses.
    names: Vec<String>,
    /// Issues opened on the fake GitHub, and deleted ones.
    opened: Vec<u64>,
    deleted: Vec<u64>,
    events: Vec<String>,
}

impl Sequence {
    fn new(seed: u64, index: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let issues = rng.random_range(1..=2u64);
        let numbers = (1..=issues).map(|k| 1 + index * 3 + k).collect();
        let names = ["a", "b", "np", "zz"]
            .iter()
            .map(|s| format!("s{seed}{s}"))
            .collect();
        Self {
            seed,
            rng,
            numbers,
            names,
            opened: Vec::new(),
            deleted: Vec::new(),
            events: Vec::new(),
        }
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.rng.random_range(0..from.len())]
    }

    fn body(&mut self) -> String {
        match self.rng.random_range(0..10) {
            // A username that is an email address, or none.
            0 => form_body(&format!("{}@example.org", self.names[0]), "r"),
            1 => form_body("_No response_", "r"),
            _ => {
                let name = self.names[self.rng.random_range(0..self.names.len())].clone();
                form_body(&name, "Lost my phone.")
            }
        }
    }

    fn command(&mut self) -> String {
        let cmds = [
            "/verify-email",
            "/verify-email",
            "/verify-email",
            "/confirm email the owner called",
            "/confirm email",
            "/request-info Which projects are yours?",
            "/approve",
            "/approve --now the owner called from the number on file",
            "/deny Not your account.",
            "/reopen",
            "/status",
            "/withdraw",
            "/help",
            "/frobnicate",
            "I lost my phone, please help.",
            "/confirm email by phone\n/approve --now called",
        ];
        self.pick(&cmds).to_owned()
    }

    /// Plays the sequence; answers the bot (restarted, maybe).
    async fn play(
        &mut self,
        mut bot: TestBot,
        smtp: &SmtpSink,
        restarts: &mut u32,
        log: &std::sync::Mutex<Vec<String>>,
    ) -> TestBot {
        let length = self.rng.random_range(5..=15);
        let restart_at = if self.rng.random_ratio(1, 4) {
            Some(self.rng.random_range(1..length))
        } else {
            None
        };
        // Half the restarts are crashes: the workers die mid-job, a few
        // milliseconds after the step's delivery was accepted.
        let crash_after = self
            .rng
            .random_ratio(1, 2)
            .then(|| std::time::Duration::from_millis(self.rng.random_range(0..40)));
        let mut mails_seen = smtp.mails().len();
        for step in 0..length {
            let restart_now = restart_at == Some(step);
            if restart_now && crash_after.is_none() {
                self.events.push("worker restart".into());
                bot = bot.restart_with(|_| {}).await;
                *restarts += 1;
            }
            // Now and then GitHub fails a call (one at a time, so that no
            // job runs out of attempts; never with a crash, which costs an
            // attempt itself).
            if bot.github.pending_failures() == 0
                && !(restart_now && crash_after.is_some())
                && self.rng.random_ratio(1, 5)
            {
                let (what, status) = self.inject(&bot);
                self.events.push(format!("inject {what} -> {status}"));
            }
            let number = self.pick(&self.numbers.clone());
            if !self.opened.contains(&number) {
                let body = self.body();
                let author = if self.rng.random_ratio(1, 6) {
                    STRANGER
                } else {
                    REQUESTER
                };
                self.events
                    .push(format!("#{number} opened by {}: {body:?}", author.login));
                bot.github.add_issue(
                    REPO,
                    number,
                    author.login,
                    author.id,
                    Some(&body),
                    &[INTAKE],
                );
                self.opened.push(number);
                let event = bot.delivery_of("opened", number, author);
                accepted(bot.send("issues", &event).await);
            } else if self.deleted.contains(&number) {
                // Gone: GitHub sends nothing more for it.
            } else {
                let issue = bot.github.issue(REPO, number);
                let author = PEOPLE.into_iter().find(|p| p.id == issue.user_id).unwrap();
                match self.rng.random_range(0..20) {
                    0..=2 => {
                        let body = self.body();
                        self.events.push(format!("#{number} edited: {body:?}"));
                        let event = bot.edited(number, author, &body);
                        accepted(bot.send("issues", &event).await);
                    }
                    3 | 4 => {
                        let who = self.pick(&[author, ADMIN]);
                        let open = issue.state != "open";
                        self.events.push(format!(
                            "#{number} {} by hand by {}",
                            if open { "reopened" } else { "closed" },
                            who.login
                        ));
                        bot.github.update_issue(REPO, number, |i| {
                            i.state = if open { "open" } else { "closed" }.into();
                            i.updated_at = i.updated_at.max(chrono::Utc::now())
                                + chrono::Duration::milliseconds(1);
                        });
                        let action = if open { "reopened" } else { "closed" };
                        accepted(
                            bot.send("issues", &bot.delivery_of(action, number, who))
                                .await,
                        );
                    }
                    5 if self.rng.random_ratio(1, 3) => {
                        self.events.push(format!("#{number} deleted"));
                        bot.github.delete_issue(REPO, number);
                        self.deleted.push(number);
                        accepted(
                            bot.send(
                                "issues",
                                &issue_event("deleted", number, author, ADMIN, None, &[]),
                            )
                            .await,
                        );
                    }
                    6 | 7 => {
                        // The owner presses Confirm on the newest link.
                        drain(&bot, &self.deleted).await;
                        let mails = smtp.mails();
                        if mails.len() > mails_seen {
                            mails_seen = mails.len();
                            if let Some(link) = link_in(&mails[mails.len() - 1]) {
                                let (status, _) = bot.post(&link).await;
                                self.events.push(format!("newest link confirmed: {status}"));
                            }
                        }
                    }
                    _ => {
                        let who = self.pick(&[ADMIN, OTHER_ADMIN, ADMIN, author, author, STRANGER]);
                        let body = self.command();
                        self.events
                            .push(format!("#{number} comment by {}: {body:?}", who.login));
                        let id = bot
                            .github
                            .add_comment(REPO, number, who.login, who.id, &body);
                        let issue = bot.github.issue(REPO, number);
                        let mut event =
                            comment_event(number, author, who, id, &body, &issue.labels);
                        event["issue"]["body"] =
                            issue.body.clone().map_or(Value::Null, Value::from);
                        event["issue"]["updated_at"] = issue.updated_at.to_rfc3339().into();
                        event["comment"]["created_at"] = chrono::Utc::now().to_rfc3339().into();
                        accepted(bot.send("issue_comment", &event).await);
                    }
                }
            }
            if let (true, Some(after)) = (restart_now, crash_after) {
                tokio::time::sleep(after).await;
                self.events
                    .push(format!("workers killed mid-job after {after:?}; restart"));
                bot = bot.crash_and_restart().await;
                *restarts += 1;
            }
            *log.lock().unwrap() = self.events.clone();
            // Sometimes the next delivery comes before this one ran.
            if self.rng.random_ratio(2, 3) {
                drain(&bot, &self.deleted).await;
            }
        }
        drain(&bot, &self.deleted).await;
        bot.github.clear_failures();
        bot
    }

    /// Queues one failure of a GitHub call.
    fn inject(&mut self, bot: &TestBot) -> (String, u16) {
        let (method, path) = self.pick(&[
            ("POST", "/comments"),
            ("PATCH", "/issues/comments/"),
            ("POST", "/labels"),
            ("DELETE", "/labels/"),
            ("PATCH", "/issues/"),
            ("GET", "/issues/"),
            ("POST", "/reactions"),
        ]);
        let what = format!("{method} {path}");
        match self.rng.random_range(0..4) {
            0 => {
                // The call lands; its answer does not (a proxy timing out).
                bot.github.fail_after_applying(method, path, 504);
                (format!("{what} (applied)"), 504)
            }
            1 => {
                bot.github
                    .fail_next(method, path, 429, &[("retry-after", "0")], 1);
                (what, 429)
            }
            _ => {
                let status = self.pick(&[500, 502, 503]);
                // Two at most: a create (a comment) is tried once per
                // attempt, and a job has three.
                let count = self.rng.random_range(1..=2);
                bot.github.fail_next(method, path, status, &[], count);
                (format!("{what} x{count}"), status)
            }
        }
    }
}

/// Waits for the queue to be quiet. No job may die: GitHub writes for an
/// issue deleted before they ran are dropped by the executor once GitHub
/// confirms the issue is gone (`deleted` says which were deleted).
async fn drain(bot: &TestBot, deleted: &[u64]) {
    bot.drain_allowing_dead().await;
    let dead: Vec<(Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT (args->>'issue_number')::bigint, last_error FROM jobs WHERE status = 'dead'",
    )
    .fetch_all(&bot.pool)
    .await
    .unwrap();
    if let Some((number, error)) = dead.first() {
        let gone = number.is_some_and(|n| deleted.contains(&(n as u64)));
        panic!(
            "a job went dead (its issue deleted: {gone}, {error:?}):\n{}",
            bot.jobs_described("dead").await
        );
    }
    // Counted (an operator would see them), and the next sequence starts
    // clean.
    DEAD_ON_DELETED.fetch_add(dead.len() as u64, std::sync::atomic::Ordering::Relaxed);
    sqlx::query("DELETE FROM jobs WHERE status = 'dead'")
        .execute(&bot.pool)
        .await
        .unwrap();
}

fn accepted((status, text): (StatusCode, String)) {
    assert!(
        status == StatusCode::ACCEPTED || status == StatusCode::OK,
        "{status}: {text}"
    );
}

/// The path of the confirmation link in a mail, if it has one.
fn link_in(mail: &common::smtp::Mail) -> Option<String> {
    let text = mail.text();
    let start = text.find(&format!("{PUBLIC}/verify/"))?;
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    Some(link.trim_start_matches(PUBLIC).to_owned())
}

fn title(state: &str) -> &'static str {
    match state {
        "incomplete" => "the form needs a fix",
        "pending" => "waiting for verification",
        "awaiting_user" => "waiting for the requester",
        "verified" => "verified",
        "approved" => "approved",
        "denied" => "denied",
        "withdrawn" => "withdrawn",
        "no_response" => "closed for no response",
        other => panic!("unknown state {other}"),
    }
}

fn label(state: &str) -> &'static str {
    match state {
        "incomplete" => "needs-fix",
        "pending" => "needs-verification",
        "awaiting_user" => "awaiting-user",
        "verified" => "verified",
        "approved" => "approved",
        "denied" => "denied",
        "withdrawn" => "withdrawn",
        "no_response" => "no-response",
        other => panic!("unknown state {other}"),
    }
}

const STATE_LABELS: [&str; 8] = [
    "needs-fix",
    "needs-verification",
    "awaiting-user",
    "verified",
    "approved",
    "denied",
    "withdrawn",
    "no-response",
];

/// The invariants, once the queue is quiet.
async fn check(
    bot: &TestBot,
    pool: &PgPool,
    smtp: &SmtpSink,
    directory: &MockServer,
    seq: &Sequence,
) {
    let seed = seq.seed;
    drain(bot, &seq.deleted).await;
    // Every request of the sequence whose issue is still there.
    for &number in &seq.opened {
        if seq.deleted.contains(&number) {
            continue;
        }
        let row: Option<(String, bool)> = sqlx::query_as(
            "SELECT state, issue_open FROM requests
             WHERE repository_id = $1 AND issue_number = $2 AND removed_at IS NULL",
        )
        .bind(REPO_ID)
        .bind(number as i64)
        .fetch_optional(pool)
        .await
        .unwrap();
        let replies = bot.replies(number);
        if std::env::var("RANDOM_DEBUG").is_ok() {
            eprintln!("seed {seed}: #{number} replies: {replies:#?}");
        }
        // No reply posted twice.
        let mut markers: HashMap<&str, usize> = HashMap::new();
        for r in &replies {
            if let Some(m) = r
                .lines()
                .next()
                .filter(|l| l.contains("recovery-bot:reply"))
            {
                *markers.entry(m).or_default() += 1;
            }
        }
        for (m, n) in &markers {
            assert_eq!(
                *n, 1,
                "seed {seed}: #{number}: {m} posted {n} times: {replies:#?}"
            );
        }
        let Some((state, open)) = row else {
            continue;
        };
        let issue = bot.github.issue(REPO, number);
        let state_labels: Vec<&String> = issue
            .labels
            .iter()
            .filter(|l| STATE_LABELS.contains(&l.as_str()))
            .collect();
        assert_eq!(
            state_labels,
            [label(&state)],
            "seed {seed}: #{number} is {state} in the database; labels {:?}",
            issue.labels
        );
        let status = bot.status_comment(number);
        assert!(
            status.contains(&format!("### Account recovery: {}\n", title(&state))),
            "seed {seed}: #{number} is {state} in the database; status comment:\n{status}"
        );
        assert_eq!(
            issue.state == "open",
            open,
            "seed {seed}: #{number}: GitHub says {}, the database issue_open={open}",
            issue.state
        );
    }
    // Every accepted delivery handled once.
    let unprocessed = count(
        pool,
        "SELECT count(*) FROM deliveries WHERE processed_at IS NULL",
    )
    .await;
    assert_eq!(unprocessed, 0, "seed {seed}: deliveries never handled");
    // No mail for a revoked round: each mail's link is a round that was not
    // revoked before the mail went.
    type Round = (String, Option<Time>, Option<Time>);
    let rounds: Vec<Round> =
        sqlx::query_as("SELECT token_hash, mail_sent_at, revoked_at FROM verification_tokens")
            .fetch_all(pool)
            .await
            .unwrap();
    let rounds: BTreeMap<_, _> = rounds.into_iter().map(|(h, s, r)| (h, (s, r))).collect();
    let mails = smtp.mails();
    let hash_of = |mail: &_| {
        link_in(mail)
            .map(|link| recovery_bot::verify::hash_token(link.trim_start_matches("/verify/")))
    };
    for (i, mail) in mails.iter().enumerate() {
        let Some(link) = link_in(mail) else { continue };
        let hash = recovery_bot::verify::hash_token(link.trim_start_matches("/verify/"));
        let Some((sent, revoked)) = rounds.get(&hash) else {
            // A worker killed between the mail server's answer and
            // recording it: the retry mails the round again with a fresh
            // link (the first one no longer works). Delivery is at least
            // once, so a later mail to the same address must carry the
            // round's live link.
            let resent = mails[i + 1..].iter().any(|later| {
                later.to == mail.to
                    && hash_of(later).is_some_and(|h| rounds.get(&h).is_some_and(|r| r.0.is_some()))
            });
            assert!(resent, "seed {seed}: a mail's link is no round: {link}");
            continue;
        };
        let sent =
            sent.unwrap_or_else(|| panic!("seed {seed}: a mailed round has no mail_sent_at"));
        assert!(
            revoked.is_none_or(|r| r >= sent),
            "seed {seed}: a round revoked at {revoked:?} was mailed at {sent}"
        );
    }
    // No approval, and no call to the index, without an admin's /approve.
    let admins = [ADMIN.id as i64, OTHER_ADMIN.id as i64];
    let approvals: Vec<(i64, String, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT request_id, action, actor_id, (details->>'comment_id')::int8 FROM audit_log
         WHERE action IN ('approve', 'approve_now', 'approve_requested', 'approve_requested_now')
            OR to_state = 'approved'
         ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut asked: HashMap<i64, bool> = HashMap::new();
    // The comments holding an admin's `/approve`: the index's
    // Idempotency-Key names one (`recovery-bot-approve-REPO-COMMENT-N`).
    let mut approving_comments: Vec<i64> = Vec::new();
    for (request, action, actor, comment) in &approvals {
        if action.starts_with("approve") {
            assert!(
                actor.is_some_and(|a| admins.contains(&a)),
                "seed {seed}: {action} by {actor:?}, not an admin"
            );
            asked.insert(*request, true);
            approving_comments.extend(comment);
        } else {
            assert!(
                asked.contains_key(request),
                "seed {seed}: request {request} approved ({action}) without an admin's /approve"
            );
        }
    }
    for r in directory.received_requests().await.unwrap_or_default() {
        if r.method.as_str() == "POST" {
            let key = r
                .headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let comment: Option<i64> = key
                .strip_prefix("recovery-bot-approve-")
                .and_then(|rest| rest.split('-').nth(1))
                .and_then(|c| c.parse().ok());
            assert!(
                comment.is_some_and(|c| approving_comments.contains(&c)),
                "seed {seed}: the index was asked to reset ({key:?}) with no admin's /approve"
            );
        }
    }
}
