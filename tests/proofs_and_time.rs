//! The real proofs and time that moves by itself, end to end: `/verify-repo`
//! and the token-named branch, the waiting period and `/approve --now`, an
//! approval that resets the account through the index, reminders, closing
//! for no response and coming back, and an expired link told to admins.
//! Durations are seconds from the settings; nothing fakes the clock.

mod common;

use std::time::Duration;

use common::email::{BOB_ADDRESS, Env, link_path, start, token_in};
use common::*;
use http::StatusCode;
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const PUBLIC: &str = "https://recovery.example.org";

async fn check_status(pool: &PgPool, check: &str) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM request_checks WHERE name = $1")
        .bind(check)
        .fetch_optional(pool)
        .await
        .unwrap()
}

/// Every comment on issue `number`, as GitHub holds them now.
fn all_comments(bot: &TestBot, number: u64) -> Vec<String> {
    bot.github
        .issue(REPO, number)
        .comments
        .into_iter()
        .map(|c| c.body)
        .collect()
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn verify_repo_finds_the_token_named_branch_and_never_shows_the_token(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |s| {
        s.timers.repo_check_interval = Duration::from_secs(1);
    })
    .await;
    // bob's project is not in the requester's repositories: no fast track.
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    assert_eq!(bot.state(1).await, "pending");
    let c = bot.comment(1, ADMIN, "/verify-repo").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
    assert_eq!(bot.state(1).await, "awaiting_user");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, [BOB_ADDRESS]);
    let token = token_in(&mails[0]);
    assert!(mails[0].text().contains("https://github.com/bob/bobs-lib"));
    assert!(
        bot.replies(1)
            .last()
            .unwrap()
            .contains("emailed instructions")
    );
    assert!(
        bot.status_comment(1)
            .contains("push a branch named after the token")
    );

    // The requester's own /status says what to do.
    bot.comment(1, REQUESTER, "/status").await;
    let mine = bot.replies(1).pop().unwrap();
    assert!(
        mine.contains("push the branch named in the email"),
        "{mine}"
    );

    // The token pushed to a repository that is not the round's proves
    // nothing; `/status` looks, and finds nothing yet.
    bot.github.add_branch(
        "locked-out/alice-tools",
        &token,
        "0000000000000000000000000000000000000001",
    );
    bot.comment(1, ADMIN, "/status").await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    let looked = bot
        .github
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == format!("/repos/bob/bobs-lib/branches/{token}"))
        .count();
    assert!(looked >= 1, "the round's repository was looked in");
    assert!(!bot.github.requests().iter().any(|r| {
        r.path
            .starts_with("/repos/locked-out/alice-tools/branches/")
    }));

    // A periodic look-up that finds nothing costs one GET per repository
    // of the round and writes nothing.
    let before = bot.github.requests().len();
    bot.eventually("a periodic look-up", || async {
        calls_since(&bot, before)
            .iter()
            .any(|c| c.contains("/branches/"))
    })
    .await;
    let periodic = calls_since(&bot, before);
    println!("calls for periodic branch look-ups: {periodic:?}");
    assert!(
        periodic
            .iter()
            .all(|c| c == &format!("GET /repos/bob/bobs-lib/branches/{token}")),
        "{periodic:?}"
    );

    // The owner pushes the branch: the periodic look-up finds it.
    let commit = "4f2a9c1e0b7d3a5f6e8c9d0a1b2c3d4e5f6a7b8c";
    bot.github.add_branch("bob/bobs-lib", &token, commit);
    bot.eventually("the branch to be found", || async {
        check_status(&pool, "project-ownership").await.as_deref() == Some("passed")
    })
    .await;
    assert_eq!(
        bot.state(1).await,
        "pending",
        "the email check is still due"
    );
    let found = bot
        .replies(1)
        .into_iter()
        .find(|r| r.contains("was found in"))
        .expect("the issue is told");
    assert!(
        found.contains("`bob/bobs-lib`") && found.contains("4f2a9c1e0b7d"),
        "{found}"
    );
    assert!(bot.status_comment(1).contains("✅ passed"));
    let (repository, recorded): (String, String) = sqlx::query_as(
        "SELECT details->>'repository', details->>'commit' FROM audit_log
         WHERE action = 'repo_branch_found'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (repository.as_str(), recorded.as_str()),
        ("bob/bobs-lib", commit)
    );
    // The token is never on the tracker.
    for body in all_comments(&bot, 1) {
        assert!(!body.contains(&token), "{body}");
    }
    // Found once: later looks cost nothing.
    let before = bot.github.requests().len();
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    bot.drain().await;
    assert!(
        !bot.github.requests()[before..]
            .iter()
            .any(|r| r.path.contains("/branches/")),
        "no look-up after the proof"
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn verify_repo_needs_a_project_on_github(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool, PUBLIC, |_| {}).await;
    bot.open(
        1,
        REQUESTER,
        Some(&form_body("noprojects", "Lost my phone.")),
    )
    .await;
    let c = bot.comment(1, ADMIN, "/verify-repo").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    assert!(
        bot.replies(1)
            .last()
            .unwrap()
            .contains("none of the account's projects")
    );
    assert_eq!(bot.state(1).await, "pending");
    assert!(smtp.mails().is_empty());
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn approve_waits_out_the_waiting_period_unless_overridden(pool: PgPool) {
    let Env { bot, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    // bob's account has a project the requester does not own.
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.comment(
        1,
        ADMIN,
        "/confirm email the owner answered from the address on file",
    )
    .await;
    assert_eq!(bot.state(1).await, "verified");
    let status = bot.status_comment(1);
    assert!(status.contains("**Waiting period:**"), "{status}");
    let until = regex::Regex::new(r"\*\*(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)\*\*")
        .unwrap()
        .captures(&status)
        .expect("the status comment gives the end")[1]
        .to_owned();
    let expected = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    assert!(until.starts_with(&expected), "{until}");

    let c = bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    let refusal = bot.replies(1).pop().unwrap();
    assert!(
        refusal.contains(&until) && refusal.contains("--now"),
        "{refusal}"
    );
    assert_eq!(bot.state(1).await, "verified");

    bot.comment(
        1,
        OTHER_ADMIN,
        "/approve --now the owner called us from the number on file",
    )
    .await;
    assert_eq!(bot.state(1).await, "approved");
    assert_eq!(bot.github.issue(REPO, 1).state, "closed");
    let note: String =
        sqlx::query_scalar("SELECT details->>'note' FROM audit_log WHERE action = 'approve_now'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(note, "the owner called us from the number on file");
    let approved = bot.replies(1).pop().unwrap();
    assert!(
        approved.contains("password reset has been issued"),
        "{approved}"
    );
    assert!(
        approved.contains("is yours to do"),
        "admins are reminded: {approved}"
    );

    // The fast path: an account with no projects waits for nothing.
    bot.open(
        2,
        REQUESTER,
        Some(&form_body("noprojects", "Lost my phone.")),
    )
    .await;
    bot.comment(2, ADMIN, "/confirm email seen").await;
    assert!(!bot.status_comment(2).contains("Waiting period"));
    bot.assert_reply(2, "Check `email` recorded as passed");
    bot.comment(2, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.state(2).await, "approved");
    bot.assert_reply(2, "password reset has been issued for `noprojects`");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_short_waiting_period_ends_by_itself(pool: PgPool) {
    let Env { bot, .. } = start(pool.clone(), PUBLIC, |s| {
        s.timers.waiting_period = Duration::from_secs(2);
    })
    .await;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.confirm_email_by_hand(1).await;
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.state(1).await, "verified", "still waiting");
    bot.assert_reply(1, "`/approve` cannot be used yet");
    let passed: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT updated_at FROM request_checks WHERE name = 'email'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let ends = passed + chrono::Duration::seconds(2);
    let wait = (ends - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(200)).await;
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.state(1).await, "approved");
    bot.assert_reply(1, "password reset has been issued for `bob`");
}

/// The index answers `POST /{name}/recover` with `statuses`, in order, then
/// the last one.
async fn recover_answers(env: &Env, name: &str, statuses: &[u16]) {
    for (i, &status) in statuses.iter().enumerate() {
        let mock = Mock::given(method("POST"))
            .and(path(format!("/{name}/recover")))
            .respond_with(ResponseTemplate::new(status).set_body_json(serde_json::json!({})))
            .with_priority(u8::try_from(i + 1).unwrap());
        let mock = if i + 1 < statuses.len() {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(&env.directory).await;
    }
}

async fn recover_calls(env: &Env, name: &str) -> Vec<String> {
    common::email::recover_keys(&env.directory, name).await
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_approval_closes_only_once_the_index_reset_the_account(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |s| s.index_recover = true).await;
    recover_answers(&env, "alice", &[500, 200]).await;
    let bot = &env.bot;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/confirm email seen").await;
    let c = bot.comment(1, OTHER_ADMIN, "/approve welcome back").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
    bot.eventually("the index to confirm", || async {
        bot.state(1).await == "approved"
    })
    .await;
    let request_id: i64 = sqlx::query_scalar("SELECT id FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    // Retried after the 500, with the same key: the approval's own, not
    // the request's (a later approval of the same request is another).
    let keys = recover_calls(&env, "alice").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0], keys[1]);
    assert!(keys[0].starts_with("recovery-bot-approve-"), "{keys:?}");
    assert_ne!(keys[0], request_id.to_string());
    let issue = bot.github.issue(REPO, 1);
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("completed"))
    );
    let replies = bot.replies(1);
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.contains("I keep trying"))
            .count(),
        1,
        "admins told once: {replies:?}"
    );
    let approved = replies.last().unwrap();
    assert!(
        approved.contains("password reset has been issued"),
        "{approved}"
    );
    assert!(approved.contains("welcome back"));
    assert!(!approved.contains("is yours to do"), "{approved}");
    // The order of what the tracker said: asked, trouble, done.
    let asked = replies
        .iter()
        .position(|r| r.contains("asking the index"))
        .unwrap();
    let trouble = replies
        .iter()
        .position(|r| r.contains("I keep trying"))
        .unwrap();
    assert!(asked < trouble);
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "approved", "fasttrack"]));
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_approval_the_index_refuses_leaves_the_issue_open(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |s| s.index_recover = true).await;
    recover_answers(&env, "noprojects", &[409]).await;
    let bot = &env.bot;
    bot.open(
        1,
        REQUESTER,
        Some(&form_body("noprojects", "Lost my phone.")),
    )
    .await;
    bot.comment(1, ADMIN, "/confirm email seen").await;
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    bot.eventually("the refusal to be told", || async {
        bot.replies(1)
            .iter()
            .any(|r| r.contains("refused to reset"))
    })
    .await;
    assert_eq!(
        recover_calls(&env, "noprojects").await.len(),
        1,
        "a 4xx is not retried"
    );
    assert_eq!(bot.state(1).await, "verified");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    assert_eq!(audit_count(&pool, "recover_refused").await, 1);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_quiet_request_is_reminded_once_closed_and_reopened_by_its_requester(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.timers.remind_after = Duration::from_secs(1);
        s.timers.close_after = Duration::from_secs(2);
    })
    .await;
    // Waiting for an answer to an admin's question.
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/request-info Which device did you lose?")
        .await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    let before = bot.github.requests().len();
    bot.eventually("the reminder", || async {
        bot.replies(1)
            .iter()
            .any(|r| r.contains("friendly reminder"))
    })
    .await;
    // The reminder costs one call: the new comment (so the requester is
    // notified); nothing else changed.
    let reminding = calls_since(&bot, before);
    println!("calls for a reminder: {reminding:?}");
    assert_eq!(reminding, ["POST /repos/pypi/support/issues/1/comments"]);
    let before = bot.github.requests().len();
    let reminder = bot
        .replies(1)
        .into_iter()
        .find(|r| r.contains("friendly reminder"))
        .unwrap();
    assert!(
        reminder.contains("@locked-out") && reminder.contains("2 seconds"),
        "{reminder}"
    );
    bot.eventually("the close for no response", || async {
        bot.state(1).await == "no_response"
    })
    .await;
    let closing = calls_since(&bot, before);
    println!("calls for a close for no response: {closing:?}");
    assert_eq!(
        closing.len(),
        5,
        "comment, close, label, old label, status: {closing:?}"
    );
    let issue = bot.github.issue(REPO, 1);
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("not_planned"))
    );
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "no-response"]));
    assert!(
        bot.status_comment(1)
            .contains("closed because there was no answer")
    );
    assert_eq!(
        bot.replies(1)
            .iter()
            .filter(|r| r.contains("friendly reminder"))
            .count(),
        1,
        "one reminder"
    );
    assert!(
        bot.replies(1)
            .last()
            .unwrap()
            .contains("comment on this issue")
    );

    // The requester comes back: the comment is their answer.
    bot.comment(1, REQUESTER, "Sorry, I was away. It was my old Pixel.")
        .await;
    assert_eq!(bot.state(1).await, "pending");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "needs-verification"]));
    assert!(bot.replies(1).last().unwrap().contains("Welcome back"));
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_incomplete_request_comes_back_incomplete(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.timers.remind_after = Duration::from_secs(1);
        s.timers.close_after = Duration::from_secs(1);
    })
    .await;
    bot.open(1, REQUESTER, Some(&form_body("", "Lost my phone.")))
        .await;
    assert_eq!(bot.state(1).await, "incomplete");
    bot.eventually("the close for no response", || async {
        bot.state(1).await == "no_response"
    })
    .await;
    assert!(
        bot.replies(1)
            .iter()
            .any(|r| r.contains("the form still needs a fix"))
    );
    // A stranger's comment does not reopen it; the requester's does.
    bot.comment(1, STRANGER, "+1").await;
    assert_eq!(bot.state(1).await, "no_response");
    // Even a comment that is only a command of theirs brings them back.
    bot.comment(1, REQUESTER, "/status").await;
    assert_eq!(bot.state(1).await, "incomplete");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    let answer = bot.replies(1).pop().unwrap();
    assert!(
        answer.contains("Welcome back") && answer.contains("the form needs a fix"),
        "{answer}"
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_expired_link_is_told_to_admins_once(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |s| {
        s.verify_link_valid_for = Duration::from_secs(1);
    })
    .await;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/verify-email").await;
    let link = link_path(&smtp, PUBLIC);
    assert!(smtp.mails()[0].text().contains("expires in 1 second"));
    bot.eventually("the expired link to be told", || async {
        bot.replies(1)
            .iter()
            .any(|r| r.contains("expired without being used"))
    })
    .await;
    assert!(
        bot.status_comment(1)
            .contains("the last emailed link expired")
    );
    assert_eq!(bot.post(&link).await.0, StatusCode::GONE);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    bot.drain().await;
    assert_eq!(
        bot.replies(1)
            .iter()
            .filter(|r| r.contains("expired without being used"))
            .count(),
        1
    );
    assert_eq!(audit_count(&pool, "link_expired").await, 1);
}

/// The index's reset is recorded (with its answer) in the same commit as
/// the approval, before the GitHub writes that follow it: when GitHub then
/// refuses the close, nothing is lost and the reset is not asked twice.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_index_reset_is_recorded_before_the_close_that_follows_it(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |s| s.index_recover = true).await;
    recover_answers(&env, "alice", &[200]).await;
    let bot = &env.bot;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/confirm email seen").await;
    // Every try of every attempt to close the issue fails.
    let attempts = bot.settings.jobs.max_attempts as usize;
    bot.github.fail_next(
        "PATCH",
        "/repos/pypi/support/issues/1",
        502,
        &[],
        3 * attempts,
    );
    bot.expect_dead(1);
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    bot.eventually("the close to die", || async {
        count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await == 1
    })
    .await;
    let dead: (i64, serde_json::Value) =
        sqlx::query_as("SELECT id, args FROM jobs WHERE status = 'dead'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(dead.1["do"]["effect"], "issue_state", "{}", dead.1);
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    // The reset is on record, with the index's answer and the key it was
    // asked with.
    let details: serde_json::Value =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'approved_by_index'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(details["index_answer"], 200, "{details}");
    let keys = recover_calls(&env, "alice").await;
    assert_eq!(keys.len(), 1);
    assert_eq!(details["idempotency_key"], keys[0].as_str());
    assert_eq!(bot.state(1).await, "approved");

    // An operator retries the close: the issue closes; the index is not
    // asked again.
    let mut conn = pool.acquire().await.unwrap();
    assert!(
        recovery_bot::store::jobs::retry(&mut conn, dead.0)
            .await
            .unwrap()
    );
    bot.drain().await;
    let issue = bot.github.issue(REPO, 1);
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("completed"))
    );
    assert_eq!(recover_calls(&env, "alice").await.len(), 1);
    let replies = bot.replies(1);
    assert!(
        replies
            .last()
            .is_some_and(|r| r.contains("password reset has been issued")),
        "{replies:?}"
    );
}

/// Shadow mode never resets an account: the recover call is recorded like
/// the other effects, and not made.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn shadow_mode_records_the_recover_call_and_never_makes_it(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |s| {
        s.index_recover = true;
        s.dry_run = true;
    })
    .await;
    recover_answers(&env, "alice", &[200]).await;
    let bot = &env.bot;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/confirm email seen").await;
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    bot.drain().await;
    assert!(recover_calls(&env, "alice").await.is_empty());
    let recorded: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT detail FROM shadow_effects WHERE kind = 'recover'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        recorded,
        [serde_json::json!({ "username": "alice", "index": "default" })]
    );
    assert_eq!(bot.github.writes().len(), 0, "{:#?}", bot.github.writes());
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
}
