//! Issue #21 items 5 and 6, end to end through the real router,
//! PostgreSQL, the fake GitHub, the loopback SMTP server and the loopback
//! account directory: `auto_verify` (the bot starts the round an admin
//! would, never approves), and a `/verify-repo` branch that counts only
//! when GitHub's activity shows it was created after the token was mailed.

mod common;

use std::time::Duration;

use common::email::{ADDRESS, BOB_ADDRESS, Env, account, link_path, start, token_in};
use common::fake_github::PUSHER;
use common::*;
use http::StatusCode;
use recovery_bot::config::{AutoVerify, Settings};
use sqlx::PgPool;

const PUBLIC: &str = "https://recovery.example.org";

/// What the status comment says when the bot emailed the link itself.
const BOT_EMAILED: &str = "I emailed a confirmation link to the address registered on the account";

fn mode(mode: AutoVerify) -> impl FnOnce(&mut Settings) {
    move |s| s.auto_verify = mode
}

/// How many rounds the bot started itself (each writes its audit action
/// on the check's row and on the state's).
async fn auto_rounds(pool: &PgPool) -> i64 {
    count(pool, "SELECT count(*) FROM auto_rounds").await
}

/// An account whose one project is in the requester's own repository by
/// the id the index recorded (the evidence points at the author), with
/// `extra` fields merged in.
async fn owned_account(env: &Env, name: &str, extra: serde_json::Value) {
    let mut body = serde_json::json!({
        "username": name,
        "emails": [{"address": format!("{name}@example.net"), "verified": true, "primary": true}],
        "projects": [{"name": format!("{name}-lib"),
                      "repository_url": "https://github.com/locked-out/alice-tools",
                      "publishers": [{"kind": "github", "repository": "locked-out/alice-tools",
                                      "repository_owner_id": REQUESTER.id}]}]
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    account(&env.directory, name, body).await;
}

// ---- Item 5: auto_verify ----------------------------------------------------

/// With `evidence` (the default), a valid request whose evidence points at
/// the author gets the `/verify-email` round from the bot at intake: the
/// mail leaves through the outbox, the audit row's actor is the bot, the
/// status comment says so without the address, and only an admin approves.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn evidence_starts_the_email_round_at_intake_and_an_admin_still_approves(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, mode(AutoVerify::default())).await;
    let Env { bot, smtp, .. } = &env;
    let before = bot.github.requests().len();
    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    // The round costs no GitHub call: the same three as without it (the
    // evidence's repository owner, the labels, the status comment).
    let calls = calls_since(bot, before);
    println!("GitHub calls at intake with an automatic round: {calls:?}");
    assert_eq!(
        calls,
        [
            "GET /repos/locked-out/alice-tools",
            "POST /repos/pypi/support/issues/1/labels",
            "POST /repos/pypi/support/issues/1/comments",
        ]
    );
    assert_eq!(bot.state(1).await, "awaiting_user");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, [ADDRESS]);
    let (actor_id, actor_login, mode): (Option<i64>, String, String) = sqlx::query_as(
        "SELECT actor_id, actor_login, details->>'mode' FROM audit_log WHERE action = 'auto_verify_email'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (actor_id, actor_login.as_str()),
        (None, fake_github::BOT_LOGIN)
    );
    assert_eq!(mode, "evidence");
    let status = bot.status_comment(1);
    assert!(status.contains(BOT_EMAILED), "{status}");
    assert!(!status.contains(ADDRESS), "{status}");
    assert!(
        bot.replies(1).is_empty(),
        "no reply: the status comment says it"
    );
    assert_eq!(
        bot.labels(1),
        sorted(&[INTAKE, "awaiting-user", "fasttrack"])
    );

    // The owner confirms: verified, and nothing approves by itself.
    let link = link_path(smtp, PUBLIC);
    let (code, html) = bot.post(&link).await;
    assert_eq!(code, StatusCode::OK, "{html}");
    bot.drain().await;
    bot.assert_reply(1, CONFIRMED_FROM_LINK);
    assert_eq!(bot.state(1).await, "verified");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    assert_eq!(audit_count(&pool, "approve").await, 0);
    // One admin command from intake to decided.
    let c = bot.comment(1, ADMIN, "/approve").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
    bot.assert_reply(1, "verification was successful");
    assert_eq!(bot.state(1).await, "approved");
}

/// `off`: the same request waits for an admin's `/verify-email` (two admin
/// commands from intake to decided).
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn off_leaves_every_round_to_admins(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, mode(AutoVerify::Off)).await;
    let before = bot.github.requests().len();
    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    println!(
        "GitHub calls at intake without an automatic round: {:?}",
        calls_since(&bot, before)
    );
    assert_eq!(bot.state(1).await, "pending");
    assert!(smtp.mails().is_empty());
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let (code, _) = bot.post(&link_path(&smtp, PUBLIC)).await;
    assert_eq!(code, StatusCode::OK);
    bot.drain().await;
    bot.assert_reply(1, CONFIRMED_FROM_LINK);
    bot.comment(1, ADMIN, "/approve").await;
    bot.assert_reply(1, "verification was successful");
    assert_eq!(bot.state(1).await, "approved");
    assert_eq!(audit_count(&pool, "auto_verify_email").await, 0);
}

/// Evidence that does not point at the author (bob's project is someone
/// else's; noprojects has none: the fast path is not evidence) starts
/// nothing with `evidence`.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn evidence_mode_needs_evidence_that_points_at_the_author(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, mode(AutoVerify::Evidence)).await;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.open(2, STRANGER, Some(&form_body("noprojects", "Lost it.")))
        .await;
    assert_eq!(bot.state(1).await, "pending");
    assert_eq!(bot.state(2).await, "pending");
    assert!(smtp.mails().is_empty());
}

/// `always` starts the round an admin would: `/verify-repo` when the
/// account has a repository, else `/verify-email`.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn always_starts_the_round_an_admin_would(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, mode(AutoVerify::Always)).await;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert_eq!(smtp.mails()[0].to, [BOB_ADDRESS]);
    assert!(
        smtp.mails()[0]
            .text()
            .contains("https://github.com/bob/bobs-lib")
    );
    assert_eq!(auto_rounds(&pool).await, 1);
    assert!(audit_count(&pool, "auto_verify_repo").await > 0);
    assert!(
        bot.status_comment(1)
            .contains("I emailed instructions to the address registered on the account")
    );
    bot.open(2, STRANGER, Some(&form_body("noprojects", "Lost it.")))
        .await;
    assert_eq!(bot.state(2).await, "awaiting_user");
    assert_eq!(smtp.mails()[1].to, ["np@example.net"]);
    assert_eq!(auto_rounds(&pool).await, 2);
    assert!(audit_count(&pool, "auto_verify_email").await > 0);
    assert!(bot.status_comment(2).contains(BOT_EMAILED));
}

/// An edit that makes the form valid starts the round; an edit that keeps
/// it valid does not start another.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_edit_that_makes_the_request_valid_starts_the_round(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, mode(AutoVerify::Evidence)).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", ""))).await;
    assert_eq!(bot.state(1).await, "incomplete");
    assert!(smtp.mails().is_empty());
    bot.edit(1, REQUESTER, &form_body("alice", "Lost my phone."))
        .await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert_eq!(smtp.mails().len(), 1);
    bot.edit(1, REQUESTER, &form_body("alice", "Lost my phone, really."))
        .await;
    assert_eq!(smtp.mails().len(), 1);
    assert_eq!(auto_rounds(&pool).await, 1);
}

/// A reopen makes the request valid again: with no cooldown it gets a new
/// round; with the default 24h it does not (stored in PostgreSQL, so a
/// second request for the account waits too).
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_reopen_starts_a_round_again_only_after_the_cooldown(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |s| {
        s.auto_verify = AutoVerify::Evidence;
        s.auto_verify_cooldown = Duration::ZERO;
    })
    .await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    assert_eq!(smtp.mails().len(), 1);
    bot.set_open_by_hand(1, REQUESTER, false).await;
    assert_eq!(bot.state(1).await, "withdrawn");
    bot.set_open_by_hand(1, REQUESTER, true).await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert_eq!(smtp.mails().len(), 2, "the reopen started a new round");

    // The default cooldown: the bot started a round for alice just now.
    let bot = bot
        .restart_with(|s| s.auto_verify_cooldown = Duration::from_secs(24 * 3600))
        .await;
    bot.set_open_by_hand(1, REQUESTER, false).await;
    bot.set_open_by_hand(1, REQUESTER, true).await;
    assert_eq!(bot.state(1).await, "pending");
    // Another request for alice, #1 closed: no duplicate, no live round.
    bot.set_open_by_hand(1, REQUESTER, false).await;
    bot.open(2, STRANGER, Some(&form_body("alice", "Mine too.")))
        .await;
    assert_eq!(bot.state(2).await, "pending");
    assert_eq!(smtp.mails().len(), 2, "within the cooldown: no round");
    assert_eq!(auto_rounds(&pool).await, 2);
}

/// One live round per account across requests: a later-opened request
/// with the lower number (so not flagged a duplicate) waits for admins
/// while the other's round is live; a duplicate never gets one.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn no_second_round_while_one_is_live_and_none_for_a_duplicate(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |s| {
        s.auto_verify = AutoVerify::Evidence;
        s.auto_verify_cooldown = Duration::ZERO;
    })
    .await;
    bot.open(5, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    assert_eq!(bot.state(5).await, "awaiting_user");
    bot.open(3, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    assert_eq!(
        bot.state(3).await,
        "pending",
        "alice has a live round on #5"
    );
    assert_eq!(smtp.mails().len(), 1);
    // The owner uses #5's link: no live round is left; #7 duplicates #3.
    let (code, _) = bot.post(&link_path(&smtp, PUBLIC)).await;
    assert_eq!(code, StatusCode::OK);
    bot.drain().await;
    bot.assert_reply(5, CONFIRMED_FROM_LINK);
    bot.open(7, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    assert_eq!(bot.state(7).await, "pending");
    assert!(
        bot.labels(7).contains(&"duplicate".to_owned()),
        "{:?}",
        bot.labels(7)
    );
    assert_eq!(smtp.mails().len(), 1, "no round for a duplicate");
}

/// Unused recovery codes, a frozen account, or no verified primary address:
/// no automatic round, in any mode, though the evidence points at the author.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn no_round_for_codes_a_frozen_account_or_no_verified_address(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, mode(AutoVerify::Always)).await;
    owned_account(
        &env,
        "hascodes",
        serde_json::json!({"recovery_codes": {"generated": true, "unused": 2}}),
    )
    .await;
    owned_account(&env, "icy", serde_json::json!({"frozen": true})).await;
    owned_account(
        &env,
        "unverified",
        serde_json::json!({"emails": [{"address": "u@example.net", "verified": false, "primary": true}]}),
    )
    .await;
    let bot = &env.bot;
    for (n, name) in [(1, "hascodes"), (2, "icy"), (3, "unverified")] {
        bot.open(n, REQUESTER, Some(&form_body(name, "Lost my phone.")))
            .await;
        assert_eq!(bot.state(n).await, "pending", "{name}");
        assert!(
            bot.labels(n).contains(&"fasttrack".to_owned()),
            "{name}: the evidence points at the author"
        );
    }
    assert!(env.smtp.mails().is_empty());
    assert_eq!(auto_rounds(&pool).await, 0);
    assert_eq!(audit_count(&pool, "auto_verify_email").await, 0);
    assert_eq!(audit_count(&pool, "auto_verify_repo").await, 0);
}

// ---- Item 6: the branch is checked, not just seen ----------------------------

/// `/verify-repo` for bob (admins' rounds), the token from its mail.
async fn repo_round(env: &Env) -> String {
    let bot = &env.bot;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.comment(1, ADMIN, "/verify-repo").await;
    assert!(bot.last_reply(1).contains("emailed instructions"));
    token_in(&env.smtp.mails()[0])
}

async fn mailed_at(pool: &PgPool) -> chrono::DateTime<chrono::Utc> {
    sqlx::query_scalar("SELECT mailed_at FROM verification_tokens WHERE branch IS NOT NULL")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A branch created after the mail counts; who pushed it and when are in
/// the check's note and the audit row. The check costs one call per
/// repository looked in and one activity read.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_branch_created_after_the_mail_counts_with_its_pusher_recorded(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let token = repo_round(&env).await;
    let bot = &env.bot;
    let commit = "4f2a9c1e0b7d3a5f6e8c9d0a1b2c3d4e5f6a7b8c";
    bot.github.add_branch("bob/bobs-lib", &token, commit);
    let before = bot.github.requests().len();
    bot.comment(1, ADMIN, "/status").await;
    let calls: Vec<String> = calls_since(bot, before)
        .into_iter()
        .filter(|c| c.contains("/branches/") || c.contains("/activity"))
        .collect();
    println!("GitHub calls for a branch check: {calls:?}");
    assert_eq!(
        calls,
        [
            format!("GET /repos/bob/bobs-lib/branches/{token}"),
            "GET /repos/bob/bobs-lib/activity".to_owned(),
        ]
    );
    let reply = bot.last_reply(1);
    assert!(reply.contains("was found in"), "{reply}");
    let note: String = sqlx::query_scalar(
        "SELECT note FROM request_checks WHERE name = 'project-ownership' AND status = 'passed'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        note.contains(&format!("created by {} (id {})", PUSHER.0, PUSHER.1)),
        "{note}"
    );
    let (login, id, created): (String, String, String) = sqlx::query_as(
        "SELECT details->>'pusher_login', details->>'pusher_id', details->>'created_at'
         FROM audit_log WHERE action = 'repo_branch_found'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((login.as_str(), id), (PUSHER.0, PUSHER.1.to_string()));
    assert!(!created.is_empty());
    for c in bot.github.issue(REPO, 1).comments {
        assert!(!c.body.contains(&token));
    }
}

/// A branch created before the token was mailed, or whose creation GitHub
/// does not show, is not counted; admins are told once, and later looks
/// stay quiet.
async fn not_counted(pool: PgPool, how: Creation) {
    let before_mail = how == Creation::BeforeMail;
    let env = start(pool.clone(), PUBLIC, |s| {
        s.timers.repo_check_interval = Duration::from_secs(1);
    })
    .await;
    let token = repo_round(&env).await;
    let bot = &env.bot;
    let commit = "0000000000000000000000000000000000000abc";
    if before_mail {
        let earlier = mailed_at(&pool).await - chrono::Duration::hours(2);
        bot.github.add_branch_by(
            "bob/bobs-lib",
            &token,
            commit,
            Some(("early-bird", 666)),
            earlier,
        );
    } else {
        bot.github
            .add_branch_without_activity("bob/bobs-lib", &token, commit);
    }
    if how == Creation::NotFound {
        bot.github.fail_next("GET", "/activity", 404, &[], 50);
    }
    bot.eventually("a look at the activity", || async {
        bot.github.activity_reads() >= 1
    })
    .await;
    bot.drain().await;
    let told = bot
        .replies(1)
        .into_iter()
        .find(|r| r.contains("It was not counted"))
        .expect("admins are told");
    if before_mail {
        assert!(
            told.contains("created by `early-bird`")
                && told.contains("before the token was emailed"),
            "{told}"
        );
    } else {
        assert!(told.contains("does not show who created it"), "{told}");
    }
    assert!(!told.contains(&token));
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert_eq!(audit_count(&pool, "repo_branch_found").await, 0);
    let passed: i64 = count(
        &pool,
        "SELECT count(*) FROM request_checks WHERE name = 'project-ownership' AND status = 'passed'",
    )
    .await;
    assert_eq!(passed, 0);
    // Later looks: still not counted, and nothing more said.
    bot.eventually("another look", || async {
        bot.github.activity_reads() >= 2
    })
    .await;
    bot.drain().await;
    assert!(bot.new_replies(1).is_empty());
    assert_eq!(audit_count(&pool, "repo_branch_not_counted").await, 1);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_branch_created_before_the_mail_is_not_counted(pool: PgPool) {
    not_counted(pool, Creation::BeforeMail).await;
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_branch_whose_creation_cannot_be_seen_is_not_counted(pool: PgPool) {
    not_counted(pool, Creation::NotListed).await;
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_branch_whose_activity_answers_404_is_not_counted(pool: PgPool) {
    not_counted(pool, Creation::NotFound).await;
}

/// How the branch's creation looks to the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Creation {
    BeforeMail,
    /// The activity lists no creation of it.
    NotListed,
    /// The activity endpoint answers 404.
    NotFound,
}

/// The fake GitHub refuses an unknown `activity_type`, like GitHub.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_activity_endpoint_refuses_unknown_values(pool: PgPool) {
    let bot = TestBot::start(pool).await;
    bot.github.add_branch("bob/bobs-lib", "abc", "1234");
    let base = bot.github.uri();
    let client = reqwest::Client::new();
    let get = |q: &str| {
        client
            .get(format!("{base}/repos/bob/bobs-lib/activity?{q}"))
            .header("authorization", "token ghp_test_token")
            .send()
    };
    assert_eq!(
        get("activity_type=branch_made").await.unwrap().status(),
        422
    );
    let ok = get("ref=refs/heads/abc&activity_type=branch_creation")
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let listed: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(listed[0]["ref"], "refs/heads/abc");
    assert_eq!(listed[0]["actor"]["login"], PUSHER.0);
    let other = get("ref=other&activity_type=branch_creation")
        .await
        .unwrap();
    assert_eq!(
        other.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!([])
    );
}
