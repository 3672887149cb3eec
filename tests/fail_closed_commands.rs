//! Issue #20 ("Fail closed"), item 5 and the rest of item 7: each attack
//! replayed through the real router, PostgreSQL, the fake GitHub and a
//! loopback directory, and what the bot now does instead.

mod common;

use std::time::Duration;

use common::email::{BOB_ADDRESS, Env, recover_keys, start};
use common::*;
use http::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const PUBLIC: &str = "https://recovery.example.org";

/// What the bot answers an admin's command written before the request
/// changed.
const CHANGED: &str = "the request changed after this comment was written";

/// `commenter` writes `body` on issue `number` now; GitHub's delivery of it
/// (not sent yet) and the comment's id.
fn written_now(bot: &TestBot, number: u64, commenter: Person, body: &str) -> (Value, u64) {
    let issue = bot.github.issue(REPO, number);
    let id = bot
        .github
        .add_comment(REPO, number, commenter.login, commenter.id, body);
    let event = comment_event(number, REQUESTER, commenter, id, body, &issue.labels);
    (event, id)
}

/// Sends a delivery held back until now, and waits until it ran.
async fn deliver(bot: &TestBot, event: &Value) {
    let (status, text) = bot.send("issue_comment", event).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    bot.drain().await;
}

/// The edit that lands after a comment was written has a later
/// `updated_at`, even within one clock tick.
async fn a_moment_later() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

// ---- Item 5: commands bound to what the admin saw ------------------------

/// An admin reads a verified request for `alice` and writes `/approve`; the
/// requester swaps the username to `bob` before the delivery is handled,
/// and a second look records `email` for bob. Before: the late `/approve`
/// closed bob's request on the strength of a review of alice's.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_approve_written_before_a_username_edit_is_refused(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/confirm email checked by phone")
        .await;
    bot.new_reply(1);
    assert_eq!(bot.state(1).await, "verified");

    let (early, early_id) = written_now(&bot, 1, ADMIN, "/approve");
    a_moment_later().await;
    bot.edit(1, REQUESTER, &form_body("bob", "Lost my phone."))
        .await;
    assert_eq!(bot.state(1).await, "pending", "the edit reset the checks");
    bot.comment(1, ADMIN, "/confirm email bob checked by phone")
        .await;
    bot.new_reply(1);
    assert_eq!(bot.state(1).await, "verified");

    deliver(&bot, &early).await;
    assert_eq!(bot.state(1).await, "verified", "nothing changed");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    let reply = bot.assert_reply(1, CHANGED);
    assert!(reply.contains("`/approve` did not run"), "{reply}");
    assert!(reply.contains("look at the request again"), "{reply}");
    assert_eq!(bot.reactions(1, early_id), ["eyes", "confused"]);
    assert_eq!(audit_count(&pool, "command_stale").await, 1);
    assert_eq!(audit_count(&pool, "approve").await, 0);

    // Written after the edit, the same command runs.
    let c = bot.comment(1, ADMIN, "/approve").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
    bot.new_reply(1);
    assert_eq!(bot.state(1).await, "approved");
    assert_eq!(bot.github.issue(REPO, 1).state, "closed");
}

/// `/verify-email` written while the request named alice, handled after
/// the edit to bob: before, bob's address got a link on the strength of a
/// look at alice's request. `/status` in the same comment still answers.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_verify_email_written_before_a_username_edit_mails_nobody(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.pending_request(1).await;
    let (early, early_id) = written_now(&bot, 1, ADMIN, "/status\n/verify-email");
    a_moment_later().await;
    bot.edit(1, REQUESTER, &form_body("bob", "Lost my phone."))
        .await;
    assert_eq!(bot.state(1).await, "pending");

    deliver(&bot, &early).await;
    assert!(smtp.mails().is_empty(), "no mail for a request nobody saw");
    assert_eq!(bot.state(1).await, "pending");
    let reply = bot.assert_reply(1, CHANGED);
    assert!(reply.contains("`/verify-email` did not run"), "{reply}");
    assert!(reply.contains("pending"), "/status answered: {reply}");
    assert_eq!(bot.reactions(1, early_id), ["eyes", "confused"]);
    let sent: i64 = count(
        &pool,
        "SELECT count(*) FROM request_checks WHERE status = 'sent'",
    )
    .await;
    assert_eq!(sent, 0);
    // The admin's /status was written before the edit: the warning stays.
    let warned: bool = sqlx::query_scalar("SELECT username_changed FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(warned, "the admin has not seen the new username yet");

    // Looked at again, it runs: bob's own address, bob's own round.
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, [BOB_ADDRESS]);
    assert_eq!(bot.state(1).await, "awaiting_user");
}

/// The form broken and fixed again (the same username, so the checks
/// stand) is a change too: the admin approved what they saw before it.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_command_written_before_the_form_broke_and_was_fixed_is_refused(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/confirm email checked by phone")
        .await;
    bot.new_reply(1);
    let (early, _) = written_now(&bot, 1, ADMIN, "/deny Not theirs.");
    a_moment_later().await;
    let unticked =
        form_body("alice", "Lost my phone.").replace(&format!("[X] {COC}"), &format!("[ ] {COC}"));
    bot.edit(1, REQUESTER, &unticked).await;
    assert_eq!(bot.state(1).await, "incomplete");
    bot.new_replies(1);
    bot.edit(1, REQUESTER, &form_body("alice", "Lost my phone."))
        .await;
    bot.new_replies(1);
    let state = bot.state(1).await;
    let username_changed: bool = sqlx::query_scalar("SELECT username_changed FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!username_changed, "only the form's validity changed");

    deliver(&bot, &early).await;
    assert_eq!(bot.state(1).await, state, "nothing changed");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    bot.assert_reply(1, CHANGED);
    assert_eq!(audit_count(&pool, "deny").await, 0);
}

/// An approval whose job died (its write failed on every attempt) is
/// revived by an operator after the username was swapped and a new check
/// recorded: before, the revived job approved a request nobody had looked
/// at since the swap.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_revived_job_does_not_replay_a_command_on_a_changed_request(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/confirm email checked by phone")
        .await;
    bot.new_reply(1);
    assert_eq!(bot.state(1).await, "verified");

    // The database refuses the approval's write on every attempt: the job
    // goes dead, as an operator would find it. (An admin look-up that
    // fails is no way to kill it: the last attempt answers "could not
    // check permission" instead.)
    for ddl in [
        "CREATE FUNCTION refuse_approval() RETURNS trigger LANGUAGE plpgsql
         AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
        "CREATE TRIGGER refuse_approval BEFORE UPDATE ON requests FOR EACH ROW
         WHEN (NEW.state = 'approved') EXECUTE FUNCTION refuse_approval()",
    ] {
        sqlx::query(ddl).execute(&pool).await.unwrap();
    }
    bot.expect_dead(1);
    let c = bot.comment(1, OTHER_ADMIN, "/approve").await;
    let dead: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'dead'")
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER refuse_approval ON requests")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(bot.state(1).await, "verified");

    a_moment_later().await;
    bot.edit(1, REQUESTER, &form_body("bob", "Lost my phone."))
        .await;
    bot.comment(1, ADMIN, "/confirm email bob checked by phone")
        .await;
    bot.new_reply(1);
    assert_eq!(bot.state(1).await, "verified");

    let mut conn = pool.acquire().await.unwrap();
    assert!(
        recovery_bot::store::jobs::retry(&mut conn, dead)
            .await
            .unwrap()
    );
    bot.drain().await;
    assert_eq!(bot.state(1).await, "verified", "the revived job approved");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    bot.assert_reply(1, CHANGED);
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    assert_eq!(audit_count(&pool, "approve").await, 0);
    assert_eq!(audit_count(&pool, "command_stale").await, 1);
}

/// With `index_recover`, an approval's reset job dies (the index answers
/// 500); meanwhile the username goes to `bob` and back to `alice` and a new
/// look records `email` again. Before: the revived reset saw the same
/// username and passed checks, and reset the account on the strength of an
/// approval given before the swap.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_revived_reset_does_not_replay_an_approval_on_a_changed_request(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |s| s.index_recover = true).await;
    let down = Mock::given(method("POST"))
        .and(path("/alice/recover"))
        .respond_with(ResponseTemplate::new(500).set_body_json(serde_json::json!({})))
        .mount_as_scoped(&env.directory)
        .await;
    let bot = &env.bot;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/confirm email checked by phone")
        .await;
    bot.new_reply(1);
    bot.expect_dead(1);
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    bot.eventually("the reset to die", || async {
        count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await == 1
    })
    .await;
    let dead: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'dead'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let asked = recover_keys(&env.directory, "alice").await.len();
    assert!(asked >= 1);
    bot.new_replies(1);
    drop(down);
    Mock::given(method("POST"))
        .and(path("/alice/recover"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&env.directory)
        .await;

    a_moment_later().await;
    bot.edit(1, REQUESTER, &form_body("bob", "Lost my phone."))
        .await;
    bot.edit(1, REQUESTER, &form_body("alice", "Lost my phone."))
        .await;
    bot.comment(1, ADMIN, "/confirm email checked by phone again")
        .await;
    bot.new_replies(1);
    assert_eq!(bot.state(1).await, "verified");

    let mut conn = pool.acquire().await.unwrap();
    assert!(
        recovery_bot::store::jobs::retry(&mut conn, dead)
            .await
            .unwrap()
    );
    bot.drain().await;
    assert_eq!(
        recover_keys(&env.directory, "alice").await.len(),
        asked,
        "the index was asked again"
    );
    assert_eq!(bot.state(1).await, "verified");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    bot.assert_reply(1, "was not carried out");
}

/// `/confirm project-ownership` without a note is refused like `/confirm
/// email` without one: it proves the account is the requester's.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn confirming_project_ownership_needs_a_note(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(1).await;
    let c = bot.comment(1, ADMIN, "/confirm project-ownership").await;
    bot.assert_reply(
        1,
        "`/confirm project-ownership` records by hand a check that proves ownership",
    );
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    assert_eq!(count(&pool, "SELECT count(*) FROM request_checks").await, 0);
    bot.comment(1, ADMIN, "/confirm project-ownership seen on a call")
        .await;
    bot.new_reply(1);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM request_checks WHERE name = 'project-ownership' AND status = 'passed'"
        )
        .await,
        1
    );
}

// ---- Item 7: polite under abuse -------------------------------------------

/// Someone who is neither an admin nor the requester posts five commands.
/// Before: five replies and ten reactions, each a GitHub write, and as
/// many notifications for everyone watching the issue.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_outsider_gets_one_answer_an_hour(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(1).await;
    let mut ids = Vec::new();
    for body in ["/approve", "/help", "/deny go away", "/status", "/approve"] {
        ids.push(bot.comment(1, STRANGER, body).await);
    }
    let replies = bot.new_replies(1);
    assert_eq!(replies.len(), 1, "{replies:#?}");
    assert!(
        replies[0].contains("only the tracker's admins"),
        "{replies:?}"
    );
    assert_eq!(bot.reactions(1, ids[0]), ["eyes", "confused"]);
    for id in &ids[1..] {
        assert!(
            bot.reactions(1, *id).is_empty(),
            "no reaction past the first"
        );
    }
    assert_eq!(bot.state(1).await, "pending");

    // The requester is always answered, the admins too.
    bot.comment(1, REQUESTER, "/status").await;
    bot.new_reply(1);
    bot.comment(1, REQUESTER, "/help").await;
    bot.new_reply(1);
    bot.comment(1, ADMIN, "/help").await;
    bot.new_reply(1);
    // Another issue is another hour.
    bot.pending_request(2).await;
    bot.comment(2, STRANGER, "/help").await;
    bot.new_reply(2);

    // Stored in PostgreSQL: a restart keeps the outsider quiet.
    let bot = bot.restart_with(|_| {}).await;
    let c = bot.comment(1, STRANGER, "/help").await;
    assert!(bot.new_replies(1).is_empty());
    assert!(bot.reactions(1, c).is_empty());

    // An hour later they are answered again.
    sqlx::query("UPDATE outsider_answers SET answered_at = answered_at - interval '61 minutes'")
        .execute(&pool)
        .await
        .unwrap();
    let c = bot.comment(1, STRANGER, "/help").await;
    bot.assert_reply(1, "The commands you may run here");
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
}

/// The number of branch look-ups made so far.
fn branch_calls(bot: &TestBot) -> usize {
    bot.github
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/branches/"))
        .count()
}

/// Twenty `/status` lines, then five `/status` comments within a minute.
/// Before: each line looked for the `/verify-repo` branch in every
/// repository of the round, 20 lines costing up to 100 calls.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn status_looks_for_the_branch_at_most_once_a_minute(pool: PgPool) {
    let Env { bot, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.comment(1, ADMIN, "/verify-repo").await;
    bot.new_reply(1);
    assert_eq!(bot.state(1).await, "awaiting_user");
    let before = branch_calls(&bot);

    let flood = vec!["/status"; 20].join("\n");
    bot.comment(1, ADMIN, &flood).await;
    bot.new_reply(1);
    assert_eq!(branch_calls(&bot) - before, 1, "one look, one repository");
    for who in [ADMIN, REQUESTER, ADMIN, REQUESTER, OTHER_ADMIN] {
        bot.comment(1, who, "/status").await;
        bot.new_reply(1);
    }
    assert_eq!(branch_calls(&bot) - before, 1, "no look within the minute");

    // A minute later `/status` looks again, and finds the pushed branch.
    let token: String =
        sqlx::query_scalar("SELECT branch FROM verification_tokens WHERE branch IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    bot.github.add_branch(
        "bob/bobs-lib",
        &token,
        "4f2a9c1e0b7d3a5f6e8c9d0a1b2c3d4e5f6a7b8c",
    );
    sqlx::query("UPDATE requests SET repo_checked_at = repo_checked_at - interval '61 seconds'")
        .execute(&pool)
        .await
        .unwrap();
    bot.comment(1, ADMIN, "/status\n/status").await;
    assert_eq!(branch_calls(&bot) - before, 2);
    bot.assert_reply(1, "was found in");
    let passed = count(
        &pool,
        "SELECT count(*) FROM request_checks WHERE name = 'project-ownership' AND status = 'passed'",
    )
    .await;
    assert_eq!(passed, 1);
}
