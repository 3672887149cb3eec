//! Shadow mode (`serve --dry-run`): a whole request's life beside admins
//! working by hand. Every decision is made and stored; no write call reaches
//! GitHub and no mail is sent; `requests show` lists what would have been
//! written.

mod common;

use common::email::{Env, start};
use common::*;
use sqlx::PgPool;

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_whole_request_in_shadow_mode_writes_nothing(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), "https://recovery.example.org", |s| {
        s.dry_run = true;
    })
    .await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    assert_eq!(bot.state(1).await, "pending");
    bot.comment(1, ADMIN, "/verify-email").await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    bot.comment(1, ADMIN, "/confirm email the owner called us")
        .await;
    assert_eq!(bot.state(1).await, "verified");
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.state(1).await, "approved");

    // Nothing was written, nothing was mailed; reads were still made.
    assert_eq!(bot.github.writes().len(), 0, "{:#?}", bot.github.writes());
    assert!(smtp.mails().is_empty());
    assert!(!bot.github.requests().is_empty());
    let issue = bot.github.issue(REPO, 1);
    assert_eq!(issue.labels, [INTAKE]);
    assert_eq!(issue.state, "open");
    assert!(bot.github.bot_comments(REPO, 1).is_empty());
    // The round is stored with the decision, but its link is made only
    // when its mail leaves: a round recorded in shadow mode is not live.
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM verification_tokens WHERE mailed_at IS NOT NULL \
             OR mail_sent_at IS NOT NULL"
        )
        .await,
        0,
        "no link is live"
    );

    // What would have been written is stored, job by job.
    let kinds: Vec<String> = sqlx::query_scalar("SELECT kind FROM shadow_effects ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    for kind in [
        "add_labels",
        "create_comment",
        "update_comment",
        "react",
        "mail",
        "set_issue_state",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    let creates = kinds.iter().filter(|k| *k == "create_comment").count();
    // The status comment once, and one reply per command comment.
    assert_eq!(creates, 1 + 3, "{kinds:?}");

    let text = requests_show(&pool, 1, false).await;
    assert!(text.contains("would have written (dry run):"), "{text}");
    assert!(text.contains("add labels: needs-verification"), "{text}");
    assert!(text.contains("add labels: approved"), "{text}");
    assert!(
        text.contains("comment:")
            && text.contains("| ### Account recovery: waiting for verification"),
        "{text}"
    );
    assert!(
        text.contains("email a confirmation link for the account alice"),
        "{text}"
    );
    assert!(text.contains("set the issue closed completed"), "{text}");
    assert!(!text.contains(common::email::ADDRESS), "{text}");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn leaving_shadow_mode_brings_the_tracker_in_line(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| s.dry_run = true).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.open(2, STRANGER, Some(&form_body("bob@example.com", "r")))
        .await;
    assert!(bot.github.writes().is_empty());
    // Switched on: the open requests get their labels and status comment.
    let bot = bot.restart_with(|s| s.dry_run = false).await;
    let queued = recovery_bot::jobs::hand_over_from_shadow(&pool, 3)
        .await
        .unwrap();
    assert_eq!(queued, 2);
    bot.drain().await;
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "needs-verification"]));
    assert_eq!(bot.labels(2), sorted(&[INTAKE, "needs-fix"]));
    assert!(bot.status_comment(1).contains("waits for an admin"));
    assert!(bot.status_comment(2).contains("not an email address"));
    // Once: a second start has nothing left to hand over.
    assert_eq!(
        recovery_bot::jobs::hand_over_from_shadow(&pool, 3)
            .await
            .unwrap(),
        0
    );
    // And from now on the bot writes as usual.
    bot.comment(1, ADMIN, "/request-info Which projects?").await;
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "awaiting-user"]));
    bot.assert_reply(1, "an admin needs more information:\n\n> Which projects?");
}
