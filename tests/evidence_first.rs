//! Issue #21, items 2, 3, 4 and 8: the linked GitHub account decides first,
//! the public tracker never shows what the index does not publish, verified
//! URLs come first, and the bot lives beside the tracker's own tools. Each
//! through the real router, PostgreSQL, the fake GitHub and the loopback
//! directory.

mod common;

use common::email::{Env, account, start};
use common::*;
use sqlx::PgPool;

const PUBLIC: &str = "https://recovery.example.org";

const MUST_LOOK: &str = "an admin must look at this account before any proof is sent";
const WAITING: &str = "`/approve` cannot be used yet";

/// Someone else's GitHub account, linked to the index account.
const MALLORY: Person = Person {
    login: "mallory-gh",
    id: 777_777,
};

/// An account `name` with one project in `repo` (the requester's own
/// repository, with the requester's id recorded: it counts), linked to the
/// GitHub ids given.
async fn linked_account(env: &Env, name: &str, linked: &[Person], projects: bool) {
    let linked: Vec<_> = linked
        .iter()
        .map(|p| serde_json::json!({"service": "github", "id": p.id, "login": p.login}))
        .collect();
    let projects = if projects {
        serde_json::json!([{"name": format!("{name}-lib"),
            "repository_url": "https://github.com/locked-out/alice-tools",
            "publishers": [{"kind": "github", "repository": "locked-out/alice-tools",
                            "repository_owner_id": REQUESTER.id}]}])
    } else {
        serde_json::json!([])
    };
    account(
        &env.directory,
        name,
        serde_json::json!({
            "username": name,
            "emails": [{"address": format!("{name}.private@example.net"), "verified": true, "primary": true}],
            "projects": projects,
            "linked_accounts": linked,
        }),
    )
    .await;
}

async fn check_status(pool: &PgPool, number: u64, check: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT c.status FROM request_checks c JOIN requests r ON r.id = c.request_id
         WHERE r.issue_number = $1 AND c.name = $2",
    )
    .bind(number as i64)
    .bind(check)
    .fetch_optional(pool)
    .await
    .unwrap()
}

// ---- Item 2: the linked account ---------------------------------------------

/// The author is the GitHub account linked to the index account: the
/// strongest evidence. `project-ownership` passes by itself (even though no
/// repository counts), `fasttrack` is added and no waiting period applies.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_linked_author_passes_ownership_by_itself(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    // The project's repository is someone else's: it would not count.
    bot.github.add_repo("bob/elsewhere", "bob", 4004);
    account(
        &env.directory,
        "linkedme",
        serde_json::json!({
            "username": "linkedme",
            "emails": [{"address": "linkedme@example.net", "verified": true, "primary": true}],
            "projects": [{"name": "lib", "repository_url": "https://github.com/bob/elsewhere"}],
            "linked_accounts": [{"service": "github", "id": REQUESTER.id, "login": REQUESTER.login},
                                {"service": "gitlab", "id": 5}],
        }),
    )
    .await;
    bot.open(1, REQUESTER, Some(&form_body("linkedme", "Lost my phone.")))
        .await;
    assert_eq!(
        check_status(&pool, 1, "project-ownership").await.as_deref(),
        Some("passed")
    );
    assert!(bot.labels(1).contains(&"fasttrack".to_owned()));
    let status = bot.status_comment(1);
    assert!(
        status.contains("the requester is the GitHub account linked to this account"),
        "{status}"
    );
    assert!(!status.contains(MUST_LOOK), "{status}");
    assert!(!status.contains("**Waiting period:**"), "{status}");
    bot.confirm_email_by_hand(1).await;
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    bot.assert_reply(1, "password reset has been issued for `linkedme`");
    assert_eq!(bot.state(1).await, "approved");
}

/// Linked to another GitHub account, alone or beside the author: nothing
/// passes by itself (the repository would count), no `fasttrack` (even with
/// no projects), the waiting period applies, the status comment has the
/// neutral line, and `requests show` gives the reason.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_link_to_anyone_else_overrides_every_other_evidence(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    let cases: [(&str, &[Person], bool); 3] = [
        ("other", &[MALLORY], true),
        ("both", &[REQUESTER, MALLORY], true),
        ("otherempty", &[MALLORY], false),
    ];
    for (number, (name, linked, projects)) in (1u64..).zip(cases) {
        linked_account(&env, name, linked, projects).await;
        bot.open(number, REQUESTER, Some(&form_body(name, "Lost my phone.")))
            .await;
        assert_eq!(bot.state(number).await, "pending", "{name}");
        assert_eq!(
            check_status(&pool, number, "project-ownership").await,
            None,
            "{name}"
        );
        assert_eq!(
            bot.labels(number),
            sorted(&[INTAKE, "needs-verification"]),
            "{name}"
        );
        let status = bot.status_comment(number);
        assert!(status.contains(MUST_LOOK), "{name}: {status}");
        for secret in ["mallory", "777777", "linked", "Linked"] {
            assert!(!status.contains(secret), "{name}: {secret} in {status}");
        }
        let text = requests_show(&pool, number, false).await;
        assert!(
            text.contains(
                "admin must look before any proof is sent: linked to another GitHub account"
            ),
            "{text}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&requests_show(&pool, number, true).await).unwrap();
        assert_eq!(
            json["admin_must_look"],
            serde_json::json!(["linked to another GitHub account"])
        );
        // No check passed by itself: the waiting period holds `/approve`.
        bot.confirm_email_by_hand(number).await;
        bot.comment(number, OTHER_ADMIN, "/approve").await;
        bot.assert_reply(number, WAITING);
        assert_eq!(bot.state(number).await, "verified", "{name}");
    }
}

// ---- Item 3: the tracker is public ------------------------------------------

/// A frozen account, an account linked to another GitHub account and one
/// whose primary address is not verified: the status comment and every
/// reply of the bot carry the neutral line (or neutral words) and never the
/// linked login or id, the word "frozen", an address or its verification.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_public_tracker_never_shows_what_the_index_does_not_publish(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    account(
        &env.directory,
        "icy",
        serde_json::json!({
            "username": "icy",
            "emails": [{"address": "icy.private@example.net", "verified": true, "primary": true}],
            "projects": [],
            "frozen": true,
        }),
    )
    .await;
    linked_account(&env, "taken", &[MALLORY], false).await;
    let cases = [
        ("icy", "the index froze the account"),
        ("taken", "linked to another GitHub account"),
        (
            "noaddress",
            "the account has no verified primary email address",
        ),
    ];
    for (number, (name, reason)) in (1u64..).zip(cases) {
        bot.open(number, REQUESTER, Some(&form_body(name, "Lost my phone.")))
            .await;
        assert_eq!(bot.state(number).await, "pending", "{name}");
        bot.comment(number, ADMIN, "/verify-email").await;
        bot.comment(number, ADMIN, "/confirm email seen").await;
        let open_status = bot.status_comment(number);
        assert!(open_status.contains(MUST_LOOK), "{name}: {open_status}");
        bot.comment(number, OTHER_ADMIN, "/approve --now checked by hand")
            .await;
        let status = bot.status_comment(number);
        let replies = bot.replies(number);
        assert_eq!(replies.len(), 3, "{name}: {replies:?}");
        for text in replies.iter().chain([&open_status, &status]) {
            let lower = text.to_lowercase();
            for secret in [
                "frozen",
                "mallory",
                "777777",
                "@example.net",
                "not verified",
                "unverified",
                "linked",
            ] {
                assert!(!lower.contains(secret), "{name}: {secret} in {text}");
            }
        }
        let text = requests_show(&pool, number, false).await;
        assert!(text.contains(reason), "{name}: {text}");
    }
    // The frozen account: `/approve` refused in neutral words.
    let replies = bot.replies(1);
    assert!(
        replies[2].contains("an admin must look at this account before it is recovered"),
        "{replies:?}"
    );
    assert_ne!(bot.state(1).await, "approved");
    // No verified primary address: no mail, neutral words.
    let replies = bot.replies(3);
    assert!(replies[0].contains(MUST_LOOK), "{replies:?}");
    assert!(
        env.smtp
            .mails()
            .iter()
            .all(|m| !m.to.iter().any(|a| a.contains("x@example.net")))
    );
}

// ---- Item 4: verified URLs first ---------------------------------------------

/// `/verify-repo`'s round uses the GitHub repositories among verified URLs
/// when there are any (else all of them); the status comment's table marks
/// each repository verified or not.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn verify_repo_uses_the_verified_urls_first(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    let urls = |verified: bool| {
        serde_json::json!([
            {"label": "Fork", "url": "https://github.com/someone/fork"},
            {"label": "Docs", "url": "https://docs.example.org/"},
            {"label": "Source", "url": "https://github.com/owner/real", "verified": verified}
        ])
    };
    for (name, verified) in [("verifiedurls", true), ("plainurls", false)] {
        account(
            &env.directory,
            name,
            serde_json::json!({
                "username": name,
                "emails": [{"address": format!("{name}@example.net"), "verified": true, "primary": true}],
                "projects": [{"name": format!("{name}-lib"),
                              "repository_url": "https://github.com/owner/old-home",
                              "urls": urls(verified)}],
            }),
        )
        .await;
    }
    bot.open(1, REQUESTER, Some(&form_body("verifiedurls", "Lost it.")))
        .await;
    let status = bot.status_comment(1);
    assert!(
        status.contains("| `verifiedurls-lib` | `https://github.com/owner/real` | verified |"),
        "{status}"
    );
    bot.comment(1, ADMIN, "/verify-repo").await;
    bot.assert_reply(1, "emailed instructions");
    let mail = env.smtp.mails()[0].text();
    assert!(mail.contains("https://github.com/owner/real"), "{mail}");
    for other in ["someone/fork", "owner/old-home"] {
        assert!(!mail.contains(other), "{other} in {mail}");
    }

    bot.open(2, REQUESTER, Some(&form_body("plainurls", "Lost it.")))
        .await;
    let status = bot.status_comment(2);
    assert!(
        status.contains("| `plainurls-lib` | `https://github.com/owner/old-home` | unverified |"),
        "{status}"
    );
    bot.comment(2, ADMIN, "/verify-repo").await;
    bot.assert_reply(2, "emailed instructions");
    let mail = env.smtp.mails()[1].text();
    for repo in ["someone/fork", "owner/real", "owner/old-home"] {
        assert!(
            mail.contains(&format!("https://github.com/{repo}")),
            "{repo} in {mail}"
        );
    }
}

// ---- Item 8: beside the tracker's own tools ----------------------------------

/// `queue_position = false` leaves the "requests ahead" count out; the
/// default keeps it.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn queue_position_false_leaves_the_count_out(pool: PgPool) {
    let bot = TestBot::start_with(pool, |s| s.queue_position = false).await;
    bot.pending_request(1).await;
    let status = bot.status_comment(1);
    assert!(status.contains("waits for an admin"), "{status}");
    assert!(!status.contains("ahead"), "{status}");
    let bot = bot.restart_with(|s| s.queue_position = true).await;
    bot.pending_request(2).await;
    assert!(bot.status_comment(2).contains("ahead of yours"));
}

/// Unused recovery codes are shown with the date they were generated; the
/// requester is told to use one.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn unused_recovery_codes_are_shown_with_their_date(pool: PgPool) {
    let env = start(pool.clone(), PUBLIC, |_| {}).await;
    let bot = &env.bot;
    account(
        &env.directory,
        "hascodes",
        serde_json::json!({
            "username": "hascodes",
            "emails": [{"address": "hascodes@example.net", "verified": true, "primary": true}],
            "projects": [],
            "recovery_codes": {"generated": "2023-10-27T09:00:00Z", "unused": 3},
        }),
    )
    .await;
    bot.open(1, REQUESTER, Some(&form_body("hascodes", "Lost my phone.")))
        .await;
    let status = bot.status_comment(1);
    assert!(
        status.contains("3 unused recovery codes, generated 2023-10-27"),
        "{status}"
    );
    assert!(status.contains("the account still has unused recovery codes"));
    assert!(env.smtp.mails().is_empty(), "no round by itself");
}
