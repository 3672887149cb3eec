//! Issue #20 ("Fail closed"), items 1 and 2: the waiting period cannot be
//! skipped, and ownership is judged by what an attacker cannot take. Each
//! attack replayed through the real router, PostgreSQL, the fake GitHub and
//! the loopback directory, and what the bot now does instead.

mod common;

use common::email::{BOB_ADDRESS, Env, account, nth_link_path, recover_keys, start};
use common::*;
use http::StatusCode;
use sqlx::PgPool;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

const PUBLIC: &str = "https://recovery.example.org";

const WAITING: &str = "`/approve` cannot be used yet";

/// `/verify-email`, then the owner of the mailbox presses Confirm on the
/// `n`th mail's link: the `email` check passes.
async fn mailbox_confirms(env: &Env, number: u64, n: usize, to: &str) {
    let bot = &env.bot;
    bot.comment(number, ADMIN, "/verify-email").await;
    bot.assert_reply(number, EMAILED_LINK);
    assert_eq!(env.smtp.mails()[n].to, [to]);
    let link = nth_link_path(&env.smtp, PUBLIC, n);
    let (status, html) = bot.post(&link).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    bot.drain().await;
    bot.assert_reply(number, "confirmed this request from the link");
}

/// The stored evidence's username, if any.
async fn evidence_for(pool: &PgPool, number: u64) -> Option<String> {
    sqlx::query_scalar("SELECT ownership->>'username' FROM requests WHERE issue_number = $1")
        .bind(number as i64)
        .fetch_one(pool)
        .await
        .unwrap()
}

// ---- Item 1: the waiting period cannot be skipped --------------------------

/// The attack: a request for an account with no projects (the fast path),
/// closed by its requester, its username edited to another account with
/// projects, then reopened. Before: no evidence was gathered on the reopen,
/// `waiting_ends` found none, and `/approve` passed as soon as the mailbox
/// confirmed. Now the reopen gathers the new account's evidence, and the
/// waiting period applies.
async fn username_swap_while_closed(pool: PgPool, by_admin: bool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    bot.open(
        1,
        REQUESTER,
        Some(&form_body("noprojects", "Lost my phone.")),
    )
    .await;
    assert!(bot.labels(1).contains(&"fasttrack".to_owned()));
    assert_eq!(evidence_for(&pool, 1).await.as_deref(), Some("noprojects"));
    bot.set_open_by_hand(1, REQUESTER, false).await;
    assert_eq!(bot.state(1).await, "withdrawn");
    bot.edit(1, REQUESTER, &form_body("bob", "Lost my phone."))
        .await;
    assert_eq!(bot.state(1).await, "withdrawn");
    if by_admin {
        bot.comment(1, ADMIN, "/reopen").await;
        bot.assert_reply(1, "Reopened; the request is `pending` again.");
    } else {
        bot.set_open_by_hand(1, REQUESTER, true).await;
    }
    assert_eq!(bot.state(1).await, "pending");
    // bob's evidence, gathered on the reopen: not the requester's.
    assert_eq!(evidence_for(&pool, 1).await.as_deref(), Some("bob"));
    let status = bot.status_comment(1);
    assert!(
        status.contains("| `bobs-lib` | `https://github.com/bob/bobs-lib` | unverified | ❌ no |"),
        "{status}"
    );
    assert!(!bot.labels(1).contains(&"fasttrack".to_owned()));
    mailbox_confirms(&env, 1, 0, BOB_ADDRESS).await;
    assert_eq!(bot.state(1).await, "verified");
    assert!(bot.status_comment(1).contains("**Waiting period:**"));
    let c = bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    bot.assert_reply(1, WAITING);
    assert_eq!(bot.state(1).await, "verified");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_reopen_by_the_requester_gathers_the_new_accounts_evidence(pool: PgPool) {
    username_swap_while_closed(pool, false).await;
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_admins_reopen_gathers_the_new_accounts_evidence(pool: PgPool) {
    username_swap_while_closed(pool, true).await;
}

/// Evidence stored for another username (or before evidence named one), or
/// none at all, is missing evidence: the waiting period applies. Before:
/// the stored table's "no projects" (whatever account it was for), or no
/// table, let `/approve` through at once.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn evidence_for_another_username_or_none_keeps_the_waiting_period(pool: PgPool) {
    let Env { bot, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.confirm_email_by_hand(1).await;
    assert_eq!(bot.state(1).await, "verified");
    for stored in [
        Some(r#"{"username": "noprojects", "rows": [], "all_owned": false}"#),
        Some(r#"{"rows": [], "all_owned": false}"#),
        None,
    ] {
        sqlx::query("UPDATE requests SET ownership = $1::jsonb WHERE issue_number = 1")
            .bind(stored)
            .execute(&pool)
            .await
            .unwrap();
        let c = bot.comment(1, OTHER_ADMIN, "/approve").await;
        assert_eq!(bot.reactions(1, c), ["eyes", "confused"], "{stored:?}");
        bot.assert_reply(1, WAITING);
        assert_eq!(bot.state(1).await, "verified");
    }
}

/// Verified, closed by the requester, the username edited (the checks are
/// reset), reopened: pending, never verified. Before: the reopen went back
/// to `verified` with no check passed for the account named now.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_reopen_after_a_reset_of_the_checks_is_pending(pool: PgPool) {
    let Env { bot, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    bot.confirm_email_by_hand(1).await;
    assert_eq!(bot.state(1).await, "verified");
    bot.set_open_by_hand(1, REQUESTER, false).await;
    bot.edit(1, REQUESTER, &form_body("bob", "Lost my phone."))
        .await;
    bot.set_open_by_hand(1, REQUESTER, true).await;
    assert_eq!(bot.state(1).await, "pending");
    assert_eq!(
        bot.labels(1),
        sorted(&[INTAKE, "needs-verification"]),
        "no fasttrack from alice's evidence"
    );
    let c = bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    bot.assert_reply(1, "Missing: `email`");
}

/// Withdrawn while the form was invalid, fixed while closed, then reopened
/// by an admin: the form as it is now counts. Before: back to `incomplete`.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_reopen_reads_the_form_as_it_is_now(pool: PgPool) {
    let Env { bot, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", ""))).await;
    assert_eq!(bot.state(1).await, "incomplete");
    bot.set_open_by_hand(1, REQUESTER, false).await;
    assert_eq!(bot.state(1).await, "withdrawn");
    bot.edit(1, REQUESTER, &form_body("alice", "Lost my phone."))
        .await;
    assert_eq!(bot.state(1).await, "withdrawn");
    bot.comment(1, ADMIN, "/reopen").await;
    bot.assert_reply(1, "Reopened; the request is `pending` again.");
    assert_eq!(bot.state(1).await, "pending");
    // The reopen gathered the evidence the invalid form never had.
    assert_eq!(evidence_for(&pool, 1).await.as_deref(), Some("alice"));
    assert!(bot.labels(1).contains(&"fasttrack".to_owned()));
}

// ---- Item 2: ownership judged by what an attacker cannot take --------------

/// One project in `repo`, with the trusted publishers given.
async fn one_project(env: &Env, name: &str, repo: &str, publishers: serde_json::Value) {
    account(
        &env.directory,
        name,
        serde_json::json!({
            "username": name,
            "emails": [{"address": format!("{name}@example.net"), "verified": true, "primary": true}],
            "projects": [{"name": format!("{name}-lib"),
                          "repository_url": format!("https://github.com/{repo}"),
                          "publishers": publishers}]
        }),
    )
    .await;
}

/// A repository owned today by the author's id, with no trusted publisher
/// recording that id (a freed login registered again, or an old repository
/// transferred in), or owned by an organization: shown, but proves nothing;
/// no fast track, and the waiting period applies. Before: a live owner-id
/// match alone passed `project-ownership` and added `fasttrack`.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_repository_counts_only_by_an_owner_id_the_index_recorded(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    let recorded = |id: u64| serde_json::json!([{"kind": "github", "repository": "x/y", "repository_owner_id": id}]);
    // The first contract: `repository_url` alone, no publisher.
    bot.github
        .add_repo("locked-out/taken", REQUESTER.login, REQUESTER.id);
    one_project(&env, "taken", "locked-out/taken", serde_json::json!([])).await;
    // A publisher that records another owner.
    bot.github
        .add_repo("locked-out/moved", REQUESTER.login, REQUESTER.id);
    one_project(&env, "moved", "locked-out/moved", recorded(31_337)).await;
    // An organization's repository, even with the author's id everywhere.
    bot.github
        .add_org_repo("some-org/tool", "some-org", REQUESTER.id);
    one_project(&env, "orgs", "some-org/tool", recorded(REQUESTER.id)).await;
    // The author's id, recorded by the index: counts.
    bot.github
        .add_repo("locked-out/mine", REQUESTER.login, REQUESTER.id);
    one_project(&env, "mine", "locked-out/mine", recorded(REQUESTER.id)).await;

    for (number, name, words) in [
        (
            1,
            "taken",
            "❌ no: owned by the author's id today, but the index recorded no such owner",
        ),
        (
            2,
            "moved",
            "❌ no: owned by the author's id today, but the index recorded no such owner",
        ),
        (
            3,
            "orgs",
            "❌ no: an organization's (never counts by itself)",
        ),
    ] {
        bot.open(number, REQUESTER, Some(&form_body(name, "Lost my phone.")))
            .await;
        let status = bot.status_comment(number);
        assert!(status.contains(words), "{name}: {status}");
        assert_eq!(
            bot.labels(number),
            sorted(&[INTAKE, "needs-verification"]),
            "{name}"
        );
        bot.confirm_email_by_hand(number).await;
        bot.comment(number, OTHER_ADMIN, "/approve").await;
        bot.assert_reply(number, WAITING);
        assert_eq!(bot.state(number).await, "verified", "{name}");
    }
    bot.open(4, REQUESTER, Some(&form_body("mine", "Lost my phone.")))
        .await;
    assert!(bot.status_comment(4).contains("| ✅ yes |"));
    assert!(bot.labels(4).contains(&"fasttrack".to_owned()));
    bot.confirm_email_by_hand(4).await;
    bot.comment(4, OTHER_ADMIN, "/approve").await;
    bot.assert_reply(4, "password reset has been issued for `mine`");
    assert_eq!(bot.state(4).await, "approved");
}

/// 25 distinct repositories, every one the author's by a recorded id: only
/// 20 are looked up on GitHub, the rest are shown as not judged, and that
/// is never the fast path.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn at_most_twenty_repositories_are_judged(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    let projects: Vec<_> = (0..25)
        .map(|i| {
            let repo = format!("locked-out/r{i:02}");
            bot.github.add_repo(&repo, REQUESTER.login, REQUESTER.id);
            serde_json::json!({
                "name": format!("p{i:02}"),
                "repository_url": format!("https://github.com/{repo}"),
                "publishers": [{"kind": "github", "repository": repo, "repository_owner_id": REQUESTER.id}],
            })
        })
        .collect();
    account(
        &env.directory,
        "many",
        serde_json::json!({
            "username": "many",
            "emails": [{"address": "many@example.net", "verified": true, "primary": true}],
            "projects": projects,
        }),
    )
    .await;
    let before = bot.github.repository_reads();
    bot.open(1, REQUESTER, Some(&form_body("many", "Lost my phone.")))
        .await;
    assert_eq!(bot.github.repository_reads() - before, 20);
    let status = bot.status_comment(1);
    assert_eq!(status.matches("| ✅ yes |").count(), 20, "{status}");
    assert_eq!(status.matches("| ⏸ not judged |").count(), 5, "{status}");
    assert!(
        status.contains(
            "| `p20` | `https://github.com/locked-out/r20` | unverified | ⏸ not judged |"
        )
    );
    assert!(status.contains("Projects not judged: 5"), "{status}");
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "needs-verification"]));
    let passed: i64 = count(
        &pool,
        "SELECT count(*) FROM request_checks WHERE status = 'passed'",
    )
    .await;
    assert_eq!(passed, 0, "project-ownership did not pass by itself");
}

/// A directory answer without `projects` is malformed: never "no projects"
/// (PyPI's fast path). Before: it was read as an empty list, and the
/// request got `fasttrack` and no waiting period.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_answer_without_projects_is_malformed_never_no_projects(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    account(
        &env.directory,
        "silent",
        serde_json::json!({
            "username": "silent",
            "emails": [{"address": "silent@example.net", "verified": true, "primary": true}],
        }),
    )
    .await;
    bot.expect_dead(1);
    bot.open(1, REQUESTER, Some(&form_body("silent", "Lost my phone.")))
        .await;
    let errors = job_errors(&pool).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("cannot be read"), "{errors:?}");
    assert!(!bot.labels(1).contains(&"fasttrack".to_owned()));
    let fasttrack: i64 = count(&pool, "SELECT count(*) FROM requests WHERE fasttrack").await;
    assert_eq!(fasttrack, 0);
}

/// `/approve` asks the directory again; while it answers 5xx the approval
/// is refused with a reply to try again later: no reset asked of the
/// index, nothing closed. Once it answers, the same command goes through.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn approve_is_refused_while_the_directory_cannot_answer(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |s| s.index_recover = true).await;
    let bot = &env.bot;
    Mock::given(method("POST"))
        .and(path("/alice/recover"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&env.directory)
        .await;
    bot.pending_request(1).await;
    bot.confirm_email_by_hand(1).await;
    assert_eq!(bot.state(1).await, "verified");
    let lookups = |env: &Env| {
        let directory = env.directory.clone();
        async move {
            directory
                .received_requests()
                .await
                .unwrap()
                .iter()
                .filter(|r| r.method.as_str() == "GET" && r.url.path() == "/alice")
                .count()
        }
    };
    Mock::given(method("GET"))
        .and(path("/alice"))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .up_to_n_times(1)
        .mount(&env.directory)
        .await;
    let before = lookups(&env).await;
    let c = bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    assert_eq!(lookups(&env).await, before + 1, "asked again");
    bot.assert_reply(1, "try `/approve` again later");
    assert!(recover_keys(&env.directory, "alice").await.is_empty());
    assert_eq!(bot.state(1).await, "verified");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    // The directory answers again: the approval goes through.
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    bot.eventually("the index's reset and the close", || async {
        bot.github.issue(REPO, 1).state == "closed"
    })
    .await;
    assert_eq!(recover_keys(&env.directory, "alice").await.len(), 1);
    assert_eq!(bot.state(1).await, "approved");
    let replies = bot.new_replies(1);
    assert!(
        replies[0].contains("asking the index to reset")
            && replies[1].contains("password reset has been issued"),
        "{replies:?}"
    );
}

/// `/approve` asks the directory again: an account it no longer lists, one
/// it froze, or one left without a primary address is not recovered, and
/// the tracker is told in neutral words (a frozen account is not named so).
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn approve_is_refused_for_an_account_gone_frozen_or_without_a_primary_address(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    for (number, answer, says) in [
        (
            1,
            ResponseTemplate::new(404),
            "no longer has an account with the username",
        ),
        (
            2,
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "username": "noprojects",
                "emails": [{"address": "np@example.net", "verified": true, "primary": true}],
                "projects": [],
                "frozen": true,
            })),
            "an admin must look at this account before it is recovered",
        ),
        (
            3,
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "username": "noprojects",
                "emails": [{"address": "np@example.net", "verified": true, "primary": false}],
                "projects": [],
            })),
            "lists no primary email address",
        ),
    ] {
        bot.open(
            number,
            REQUESTER,
            Some(&form_body("noprojects", "Lost my phone.")),
        )
        .await;
        bot.confirm_email_by_hand(number).await;
        Mock::given(method("GET"))
            .and(path("/noprojects"))
            .respond_with(answer)
            .with_priority(1)
            .up_to_n_times(1)
            .mount(&env.directory)
            .await;
        let c = bot.comment(number, OTHER_ADMIN, "/approve").await;
        assert_eq!(bot.reactions(number, c), ["eyes", "confused"]);
        let reply = bot.assert_reply(number, says);
        assert!(!reply.contains("frozen"), "{reply}");
        assert_eq!(bot.state(number).await, "verified");
        assert_eq!(bot.github.issue(REPO, number).state, "open");
    }
}
