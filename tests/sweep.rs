//! Catching up after downtime: issues opened or edited while no delivery
//! reached the bot are taken in by the sweep, once.

mod common;

use common::*;
use recovery_bot::jobs::sweep::enqueue_sweeps;
use sqlx::PgPool;

async fn sweep(bot: &TestBot, allow_list: &[&str]) {
    let list: Vec<String> = allow_list.iter().map(|s| s.to_string()).collect();
    enqueue_sweeps(&bot.pool, &list, 3).await.unwrap();
    bot.drain().await;
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_issue_opened_while_the_bot_was_down_is_taken_in(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.github.add_issue(
        REPO,
        30,
        REQUESTER.login,
        REQUESTER.id,
        Some(&form_body("alice", "r")),
        &[INTAKE],
    );
    // Not an intake issue: left alone.
    bot.github.add_issue(
        REPO,
        33,
        REQUESTER.login,
        REQUESTER.id,
        Some("hello"),
        &["question"],
    );
    sweep(&bot, &[REPO]).await;
    assert_eq!(bot.labels(30), sorted(&[INTAKE, "needs-verification"]));
    assert!(bot.status_comment(30).contains("waits for an admin"));
    assert_eq!(bot.state(30).await, "pending");
    assert_eq!(bot.labels(33), ["question"]);

    // A second sweep finds nothing new to do.
    let writes = bot.github.writes().len();
    sweep(&bot, &[REPO]).await;
    assert_eq!(bot.github.writes().len(), writes);
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log").await, 1);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_edit_missed_while_down_is_read_and_repositories_with_requests_are_swept(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(31, REQUESTER, Some(&form_body("alice@example.com", "r")))
        .await;
    assert_eq!(bot.state(31).await, "incomplete");
    // Edited on GitHub while the bot was down; and a new issue opened.
    bot.github
        .update_issue(REPO, 31, |i| i.body = Some(form_body("alice", "r")));
    bot.github.add_issue(
        REPO,
        32,
        STRANGER.login,
        STRANGER.id,
        Some(&form_body("bob", "r")),
        &[INTAKE],
    );
    // No allow-list: the repository is known from its requests.
    sweep(&bot, &[]).await;
    assert_eq!(bot.state(31).await, "pending");
    assert_eq!(bot.labels(31), sorted(&[INTAKE, "needs-verification"]));
    assert_eq!(bot.github.bot_comments(REPO, 31).len(), 1);
    assert_eq!(bot.state(32).await, "pending");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn closes_and_deletions_missed_while_down_are_caught_up(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.open(2, STRANGER, Some(&form_body("bob", "r"))).await;
    bot.open(3, STRANGER, Some(&form_body("carol", "r"))).await;
    // While no delivery reached the bot: #1 closed, #2 deleted; #3 open.
    bot.github
        .update_issue(REPO, 1, |i| i.state = "closed".into());
    bot.github.delete_issue(REPO, 2);
    sweep(&bot, &[REPO]).await;
    let open: Vec<i64> = sqlx::query_scalar(
        "SELECT issue_number FROM requests WHERE issue_open AND removed_at IS NULL ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(open, [3]);
    let removed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM requests WHERE issue_number = 2 AND removed_at IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(removed, 1);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE actor_login = '(catch-up sweep)'"
        )
        .await,
        2
    );
}
