//! Issue #20 ("Fail closed"), items 6 to 10: each attack replayed through
//! the real router, PostgreSQL, the fake GitHub and a loopback directory,
//! and what the bot now does instead.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::email::{Env, recover_keys, start};
use common::*;
use http::StatusCode;
use recovery_bot::verify::directory::{Directory, DirectoryError, Recovered};
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PUBLIC: &str = "https://recovery.example.org";

// ---- Item 6: the index's recover call means what it says -------------------

/// The index answers `POST /alice/recover` with a redirect to its login page
/// (which answers 200 to anything), then 202, then 200. Before: reqwest
/// followed the redirect, the login page's 200 was taken for a reset, and
/// the issue was closed as done with no reset made.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_redirect_or_an_accepted_is_no_reset(pool: PgPool) {
    let env: Env = start(pool.clone(), PUBLIC, |s| s.index_recover = true).await;
    let login = format!("{}/login", env.directory.uri());
    for (i, answer) in [
        ResponseTemplate::new(302).insert_header("location", login.as_str()),
        ResponseTemplate::new(202).set_body_json(serde_json::json!({"queued": true})),
    ]
    .into_iter()
    .enumerate()
    {
        Mock::given(method("POST"))
            .and(path("/alice/recover"))
            .respond_with(answer)
            .with_priority(u8::try_from(i + 1).unwrap())
            .up_to_n_times(1)
            .mount(&env.directory)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/alice/recover"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .with_priority(3)
        .mount(&env.directory)
        .await;
    Mock::given(path("/login"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<form>Log in</form>"))
        .mount(&env.directory)
        .await;
    let bot = &env.bot;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/confirm email seen").await;
    bot.send(
        "issue_comment",
        &comment_event(
            1,
            REQUESTER,
            OTHER_ADMIN,
            bot.github
                .add_comment(REPO, 1, OTHER_ADMIN.login, OTHER_ADMIN.id, "/approve"),
            "/approve",
            &bot.github.issue(REPO, 1).labels,
        ),
    )
    .await;
    bot.eventually("the index's 200", || async {
        recover_keys(&env.directory, "alice").await.len() == 3
    })
    .await;
    let keys = recover_keys(&env.directory, "alice").await;
    assert!(!keys[0].is_empty());
    assert!(keys.iter().all(|k| *k == keys[0]), "one key: {keys:?}");
    let followed = env
        .directory
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/login")
        .count();
    assert_eq!(followed, 0, "the redirect was followed");
    bot.eventually("the approval", || async {
        bot.state(1).await == "approved"
    })
    .await;
    // The close is an effect of the approval: it runs once that commits.
    bot.drain().await;
    assert_eq!(bot.github.issue(REPO, 1).state, "closed");
    assert!(keys[0].starts_with("recovery-bot-approve-"), "{keys:?}");
    let replies = bot.replies(1);
    assert!(
        replies.iter().any(|r| r.contains("asking the index")),
        "{replies:?}"
    );
    assert!(
        replies
            .last()
            .is_some_and(|r| r.contains("password reset has been issued")),
        "{replies:?}"
    );
}

/// The recover call's answers one by one, against a loopback index: only
/// 200 is done; 3xx, 1xx/2xx other than 200, 408, 429 and 5xx are errors to
/// retry; another 4xx is a refusal.
#[tokio::test]
async fn only_200_is_a_reset() {
    let index = MockServer::start().await;
    let dir = Directory::new(&index.uri(), None).unwrap();
    for (status, expect) in [
        (200u16, Ok::<Recovered, u16>(Recovered::Done)),
        (201, Err(201)),
        (202, Err(202)),
        (204, Err(204)),
        (301, Err(301)),
        (302, Err(302)),
        (303, Err(303)),
        (307, Err(307)),
        (308, Err(308)),
        (408, Err(408)),
        (429, Err(429)),
        (500, Err(500)),
        (503, Err(503)),
        (400, Ok(Recovered::Refused(400))),
        (403, Ok(Recovered::Refused(403))),
        (404, Ok(Recovered::Refused(404))),
        (409, Ok(Recovered::Refused(409))),
    ] {
        index.reset().await;
        let mut answer = ResponseTemplate::new(status);
        if (300..400).contains(&status) {
            answer = answer.insert_header("location", format!("{}/login", index.uri()).as_str());
        }
        Mock::given(method("POST"))
            .and(path("/alice/recover"))
            .respond_with(answer)
            .mount(&index)
            .await;
        Mock::given(path("/login"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&index)
            .await;
        let got = dir
            .recover("alice", "approve-4242-1-77-0")
            .await
            .map_err(|e| match e {
                DirectoryError::Status(s) => s,
                other => panic!("{status}: {other}"),
            });
        assert_eq!(got, expect, "{status}");
        let requests = index.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1, "{status}: a redirect was followed");
        assert_eq!(
            requests[0].headers.get("idempotency-key").unwrap(),
            "approve-4242-1-77-0"
        );
    }
    // No key, no call.
    assert!(dir.recover("alice", " ").await.is_err());
    assert_eq!(index.received_requests().await.unwrap().len(), 1);
}

/// A directory answer over 10 MiB is refused unread, not buffered whole; a
/// redirected lookup is no answer.
#[tokio::test]
async fn directory_answers_are_capped_and_never_redirected() {
    let index = MockServer::start().await;
    let dir = Directory::new(&index.uri(), None).unwrap();
    let big = format!(
        r#"{{"username": "big", "projects": [], "padding": "{}"}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    Mock::given(path("/big"))
        .respond_with(ResponseTemplate::new(200).set_body_string(big))
        .mount(&index)
        .await;
    Mock::given(path("/moved"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/big", index.uri())),
        )
        .mount(&index)
        .await;
    match dir.lookup("big").await {
        Err(DirectoryError::Malformed(why)) => assert!(why.contains("10 MiB"), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(matches!(
        dir.lookup("moved").await,
        Err(DirectoryError::Status(302))
    ));
}

// ---- Item 7: polite under abuse ---------------------------------------------

const SECONDARY: &str = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 1234.";

/// GitHub answers an admin's reply with a 403 that names the secondary rate
/// limit (what a flood of outsiders' comments brings). Before: a 403
/// without rate-limit headers was permanent, the job dead at once and the
/// admin's command lost. Now the job waits at least a minute and runs again.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_secondary_rate_limit_delays_a_job_and_never_kills_it(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(1).await;
    bot.github
        .fail_next_saying("POST", "/issues/1/comments", 403, SECONDARY, 1);
    let id = bot
        .github
        .add_comment(REPO, 1, ADMIN.login, ADMIN.id, "/status");
    let (status, _) = bot
        .send(
            "issue_comment",
            &comment_event(
                1,
                REQUESTER,
                ADMIN,
                id,
                "/status",
                &bot.github.issue(REPO, 1).labels,
            ),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let (job_status, wait, error): (String, f64, String) = loop {
        let row: Option<(String, f64, String)> = sqlx::query_as(
            "SELECT status, EXTRACT(EPOCH FROM run_at - now())::float8, last_error
             FROM jobs WHERE last_error IS NOT NULL",
        )
        .fetch_optional(&pool)
        .await
        .unwrap();
        if let Some(row) = row {
            break row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job never failed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job_status, "pending", "{error}");
    assert!(wait >= 50.0, "retried after {wait} s: {error}");
    assert!(wait <= 3600.0 + 5.0, "{wait}");
    // When its time comes, the command is answered.
    let replies = bot.replies(1).len();
    sqlx::query("UPDATE jobs SET run_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    bot.drain().await;
    assert_eq!(bot.replies(1).len(), replies + 1);
    assert_eq!(count(&pool, "SELECT count(*) FROM jobs").await, 0);
}

/// The client itself: the secondary limit's wait goes to the queue as a
/// hint of at least 60 s; a huge `retry-after` is capped at an hour; an
/// answer over 10 MiB is refused.
#[tokio::test]
async fn github_hints_are_bounded_and_answers_capped() {
    use recovery_bot::github::GitHub;
    use recovery_bot::jobs::JobError;
    let fake = fake_github::FakeGitHub::start().await;
    fake.add_issue(REPO, 7, "requester", 42, Some("body"), &[INTAKE]);
    let github = GitHub::new(&settings(&fake.uri())).unwrap();
    let repo = github.repo(None).await.unwrap();
    fake.fail_next_saying("POST", "/comments", 403, SECONDARY, 1);
    let err = repo.create_comment(REPO, 7.into(), "x").await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.retry_after.unwrap() >= Duration::from_secs(60));
    assert!(matches!(JobError::from(err), JobError::Retry { .. }));
    fake.fail_next("POST", "/comments", 429, &[("retry-after", "100000000")], 1);
    let err = repo.create_comment(REPO, 7.into(), "x").await.unwrap_err();
    assert_eq!(err.retry_after, Some(Duration::from_secs(3600)));

    // An 11 MiB answer (a comment list) from a GitHub that answers too much.
    let huge = MockServer::start().await;
    let list = format!(
        r#"[{{"id": 1, "body": "{}"}}]"#,
        "y".repeat(11 * 1024 * 1024)
    );
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(list))
        .mount(&huge)
        .await;
    let github = GitHub::new(&settings(&huge.uri())).unwrap();
    let err = github
        .repo(None)
        .await
        .unwrap()
        .list_comments(REPO, 7.into())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("10 MiB"), "{err}");
    assert!(!err.is_retryable());
}

/// GitHub answers one 404 for an issue that is still there (the bot's
/// look-up of the issue after an admin closed it). Before: the request was
/// marked removed for good: out of the queue, its commands ignored, a
/// reopen ignored. Now the next delivery for the issue asks GitHub again,
/// finds it in this repository, and the request is back.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn one_404_does_not_remove_a_request_for_good(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.github
        .fail_next("GET", "/repos/pypi/support/issues/1", 404, &[], 1);
    bot.set_open_by_hand(1, ADMIN, false).await;
    assert_eq!(bot.github.pending_failures(), 0);
    assert_eq!(audit_count(&pool, "issue_removed").await, 1);
    bot.set_open_by_hand(1, ADMIN, true).await;
    assert_eq!(audit_count(&pool, "issue_seen_again").await, 1);
    let (open, removed): (bool, bool) =
        sqlx::query_as("SELECT issue_open, removed_at IS NOT NULL FROM requests")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((open, removed), (true, false));
    // It is in the queue again, and its commands run again.
    bot.open(2, STRANGER, Some(&form_body("carol", "r"))).await;
    assert!(
        bot.status_comment(2)
            .contains("1 request that no admin has answered yet was ahead"),
        "{}",
        bot.status_comment(2)
    );
    bot.comment(1, ADMIN, "/status").await;
    bot.assert_reply(1, "pending");
    // A deleted issue stays removed, whatever comes after.
    bot.github.delete_issue(REPO, 2);
    bot.send(
        "issues",
        &issue_event("deleted", 2, STRANGER, ADMIN, None, &[]),
    )
    .await;
    bot.drain().await;
    bot.send(
        "issues",
        &issue_event("reopened", 2, STRANGER, ADMIN, None, &[]),
    )
    .await;
    bot.drain().await;
    assert_eq!(audit_count(&pool, "issue_seen_again").await, 1);
}

// ---- Item 8: no secret kept ---------------------------------------------------

/// A requester pastes a recovery code and a PyPI token. Before: the bot
/// redacted the tracker but kept both in `deliveries.payload`. Now the
/// stored payload holds markers only, and the bot still warns.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn stored_deliveries_keep_no_secret(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let token = format!("pypi-AgEIcHlwaS5vcmc{}", "AbC123_-".repeat(12));
    let code = "9f86d081884c7d65";
    bot.open(
        1,
        REQUESTER,
        Some(&form_body(
            "alice",
            &format!("Lost my phone. Token: {token}"),
        )),
    )
    .await;
    bot.comment(1, REQUESTER, &format!("my last code was\n{code}\n"))
        .await;
    let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM deliveries ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(payloads.len(), 2);
    for p in &payloads {
        assert!(!p.contains(&token) && !p.contains(code), "{p}");
    }
    assert!(payloads[0].contains("[redacted pypi_token]"));
    assert!(payloads[1].contains("[redacted recovery_code]"));
    // The tracker redacted and the requester warned, as before.
    let body = bot.github.issue(REPO, 1).body.unwrap();
    assert!(
        !body.contains(&token) && body.contains("[redacted]"),
        "{body}"
    );
    let warnings = bot
        .replies(1)
        .into_iter()
        .filter(|r| r.contains("revoke") || r.contains("edit history"))
        .count();
    assert_eq!(warnings, 2, "{:?}", bot.replies(1));
    assert!(
        bot.github
            .issue(REPO, 1)
            .comments
            .iter()
            .all(|c| !c.body.contains(code))
    );
}

/// A username of 16 hex digits. Before: it was taken for a recovery code,
/// cut out of the request's body on the tracker and the requester told to
/// revoke it. Now it is read as the username and nothing is redacted.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_hex_username_is_no_recovery_code(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let name = "a1b2c3d4e5f60789";
    let body = form_body(&format!("`{name}`"), "Lost my phone.");
    bot.open(1, REQUESTER, Some(&body)).await;
    assert_eq!(bot.state(1).await, "pending");
    assert_eq!(
        bot.github.issue(REPO, 1).body.as_deref(),
        Some(body.as_str())
    );
    assert!(
        bot.replies(1).iter().all(|r| !r.contains("revoke")),
        "{:?}",
        bot.replies(1)
    );
    let username: String = sqlx::query_scalar("SELECT username FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(username, name);
    let stored: String = sqlx::query_scalar("SELECT payload FROM deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(stored.contains(name));
    // The requester naming their account in a comment is not pasting a
    // code either: no warning, nothing redacted.
    let replies = bot.replies(1).len();
    let text = format!("My account is {name}, thank you.");
    let c = bot
        .github
        .add_comment(REPO, 1, REQUESTER.login, REQUESTER.id, &text);
    let issue = bot.github.issue(REPO, 1);
    // As GitHub sends it: the comment with the issue, body and all.
    let mut event = comment_event(1, REQUESTER, REQUESTER, c, &text, &issue.labels);
    event["issue"]["body"] = serde_json::json!(body);
    bot.send("issue_comment", &event).await;
    bot.drain().await;
    assert_eq!(bot.replies(1).len(), replies, "{:?}", bot.replies(1));
    let comment = bot.github.issue(REPO, 1).comments;
    let comment = comment.iter().find(|x| x.id == c).unwrap();
    assert!(comment.body.contains(name), "{}", comment.body);
}

/// The operator guide's proxies keep `/verify/<token>` out of the access log.
#[test]
fn the_proxy_examples_do_not_log_verify_links() {
    let guide = read("docs/operator-guide.md");
    let nginx = guide
        .split("location /verify/ {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .expect("an nginx location for /verify/");
    assert!(nginx.contains("access_log off;"), "{nginx}");
    let caddy = guide
        .split("```caddy")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a Caddy example");
    assert!(caddy.contains("log_skip /verify/*"), "{caddy}");
}

/// A `/verify-repo` branch look-up fails (GitHub answers 500 to every try,
/// so the admin's `/status` job dies). Before: the job's error named the
/// path `/repos/bob/bobs-lib/branches/<token>`, in `jobs list` and in the
/// retry warnings. Now the token reads `[secret]` there.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_verify_repo_token_is_in_no_job_error(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.comment(1, ADMIN, "/verify-repo").await;
    bot.assert_reply(1, "emailed instructions");
    let token = common::email::token_in(&smtp.mails()[0]);
    // Three attempts of one call and its two quick retries each.
    bot.github.fail_next("GET", "/branches/", 500, &[], 9);
    bot.expect_dead(1);
    bot.comment(1, ADMIN, "/status").await;
    assert_eq!(bot.github.pending_failures(), 0, "every try was made");
    let errors = job_errors(&pool).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("/repos/bob/bobs-lib/branches/[secret]") && errors[0].contains("500"),
        "{errors:?}"
    );
    assert!(!errors[0].contains(&token), "{errors:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
        .args(["jobs", "list", "--status", "dead"])
        .env("DATABASE_URL", database_url(&pool).await)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && listed.contains("[secret]"),
        "{listed}"
    );
    assert!(!listed.contains(&token), "{listed}");
}

/// How many stored rounds still hold `token` as their branch name.
async fn rounds_holding(pool: &PgPool, token: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM verification_tokens WHERE branch = $1")
        .bind(token)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A `/verify-repo` token must be read back to look for its branch, so it is
/// stored as it is; SPEC keeps it only while its round lives. Before, every
/// token ever mailed stayed in `verification_tokens.branch` for good. Now a
/// round revoked by a newer one, and a round whose branch was found, keep
/// no token.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_verify_repo_token_is_kept_only_while_its_round_lives(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.comment(1, ADMIN, "/verify-repo").await;
    bot.assert_reply(1, "emailed instructions");
    let first = common::email::token_in(&smtp.mails()[0]);
    assert_eq!(rounds_holding(&pool, &first).await, 1, "live: kept");
    bot.comment(1, OTHER_ADMIN, "/verify-repo").await;
    bot.assert_reply(1, "emailed instructions");
    let second = common::email::token_in(&smtp.mails()[1]);
    assert_ne!(first, second);
    assert_eq!(rounds_holding(&pool, &first).await, 0, "revoked: erased");
    assert_eq!(rounds_holding(&pool, &second).await, 1);
    bot.github.add_branch(
        "bob/bobs-lib",
        &second,
        "4f2a9c1e0b7d3a5f6e8c9d0a1b2c3d4e5f6a7b8c",
    );
    bot.comment(1, ADMIN, "/status").await;
    bot.assert_reply(1, "was found in");
    assert_eq!(rounds_holding(&pool, &second).await, 0, "used: erased");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM verification_tokens WHERE branch IS NOT NULL"
        )
        .await,
        0
    );
}

/// A `/verify-repo` round that expires unused keeps no token either, once
/// the timers note its expiry (and tell admins).
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_expired_verify_repo_round_keeps_no_token(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |s| {
        s.verify_link_valid_for = Duration::from_secs(1);
    })
    .await;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.comment(1, ADMIN, "/verify-repo").await;
    bot.assert_reply(1, "emailed instructions");
    let token = common::email::token_in(&smtp.mails()[0]);
    bot.eventually("the expired round to be told", || async {
        bot.replies(1)
            .iter()
            .any(|r| r.contains("expired without being used"))
    })
    .await;
    bot.new_replies(1);
    assert_eq!(rounds_holding(&pool, &token).await, 0);
}

// ---- Item 9: settings that cannot bite ------------------------------------------

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// `config check` with an unparsable directory URL that holds a password,
/// SMTP credentials on plain SMTP, a short webhook secret and an http
/// PUBLIC_URL. Before: the directory URL was printed whole, password
/// included, and nothing was said about the rest.
#[test]
fn config_check_redacts_every_url_and_warns() {
    let out = Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "DATABASE_URL",
            "postgres://bot:dbhunter2@127.0.0.1:5432/recovery",
        )
        .env("GITHUB_WEBHOOK_SECRET", "short-secret")
        .env("GITHUB_TOKEN", "ghp_token_value")
        .env(
            "ACCOUNT_DIRECTORY_URL",
            "https://index:dirhunter2@bad host/accounts",
        )
        .env("SMTP_URL", "smtp://mailer:smtphunter2@mail.example.org:587")
        .env("MAIL_FROM", "support@example.org")
        .env("PUBLIC_URL", "http://recovery.example.org")
        .args(["config", "check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    for secret in ["dbhunter2", "dirhunter2", "smtphunter2", "short-secret"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} shown:\n{stdout}\n{stderr}"
        );
    }
    assert!(
        stdout.contains("account_directory_url = \"[redacted]\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("smtp_url = \"smtp://[redacted]@mail.example.org:587\""),
        "{stdout}"
    );
    for warning in [
        "warning: GITHUB_WEBHOOK_SECRET is shorter than 32 characters",
        "warning: SMTP_URL sends its user name and password without TLS",
        "warning: PUBLIC_URL (http://recovery.example.org) is not https",
    ] {
        assert!(stderr.contains(warning), "{warning}: {stderr}");
    }
}

/// The Dockerfile's example never publishes the bot's plain HTTP port on
/// every address of the host.
#[test]
fn the_docker_example_publishes_on_loopback_only() {
    let dockerfile = read("Dockerfile");
    let publishing: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.contains("docker run") && l.contains(" -p "))
        .collect();
    assert!(!publishing.is_empty());
    for line in publishing {
        assert!(line.contains("-p 127.0.0.1:3000:3000"), "{line}");
    }
}

/// scripts/run and scripts/test log in as roles of their own that are no
/// superuser, and never put a password or the URL on a command line.
#[test]
fn the_scripts_use_their_own_roles_and_keep_passwords_off_command_lines() {
    let lib = read("scripts/lib.sh");
    let run = read("scripts/run");
    let test = read("scripts/test");
    assert!(run.contains("database_url \"$port\" recovery_bot recovery_bot NOCREATEDB"));
    assert!(test.contains("database_url \"$port\" recovery_bot_test recovery_bot_test CREATEDB"));
    for script in [&run, &test] {
        assert!(script.contains("\nrefuse_superuser\n"));
        // The URL (which holds the password) is never an argument.
        for line in script.lines().filter(|l| !l.trim_start().starts_with('#')) {
            assert!(
                !line.contains("psql") || !line.contains("\"$DATABASE_URL\""),
                "{line}"
            );
        }
    }
    assert!(lib.contains("NOSUPERUSER"));
    assert!(
        !lib.contains("echo \"postgres://postgres@"),
        "a superuser URL"
    );
    assert!(!lib.contains("-v pw") && !lib.contains("PGPASSWORD=\"$password\" psql"));
}

/// A live check of the same, when PostgreSQL lets this test make roles: the
/// scripts' role functions give a role that is no superuser, and refuse an
/// exported superuser URL.
#[test]
fn the_script_roles_are_not_superusers() {
    let trusted = Command::new("psql")
        .args([
            "-w",
            "-X",
            "-qtA",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            "SELECT 1",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !trusted {
        eprintln!("skipped: this PostgreSQL does not trust local TCP connections");
        return;
    }
    let script = r#"
        set -euo pipefail
        SCRIPT=fail_closed
        . scripts/lib.sh
        probe="recovery_bot_probe_$$"
        trap 'pg_admin 5432 >/dev/null 2>&1 <<<"DROP DATABASE IF EXISTS $probe; DROP ROLE IF EXISTS $probe;" || true' EXIT
        DATABASE_URL="$(database_url 5432 "$probe" "$probe" CREATEDB)"
        export DATABASE_URL
        refuse_superuser
        with_database_url psql -w -X -qtA -c "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres refuse_superuser
        echo "superuser accepted"
    "#;
    let out = Command::new("bash")
        .args(["-c", script])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stdout.trim(), "f|t", "{stdout}{stderr}");
    assert!(!out.status.success());
    assert!(stderr.contains("superuser"), "{stderr}");
}

// ---- Item 10: fenced text stays whole, end to end ------------------------------

/// The Recovery Codes section is missing; the reason holds a ticked copy of
/// it inside a fence. Before: the copy was read as the section, and the
/// request was valid. Now the request is incomplete and the reason keeps its
/// closing fence.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_fenced_copy_of_a_section_is_not_the_section(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let body = format!(
        "### PyPI Username\n\nalice\n\n### Reason for request\n\nMy old request:\n\n~~~markdown\n### Recovery Codes\n\n- [X] {CODES}\n~~~\n\n### Code of Conduct\n\n- [X] {COC}\n\n### Acknowledgement\n\n- [X] {ACK}"
    );
    bot.open(1, REQUESTER, Some(&body)).await;
    assert_eq!(bot.state(1).await, "incomplete");
    let status = bot.status_comment(1);
    assert!(status.contains("Recovery Codes"), "{status}");
}
