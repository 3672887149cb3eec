//! Intake on the tracker, end to end: signed deliveries through the router,
//! jobs on a real database, effects on the fake GitHub.

mod common;

use common::*;

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_valid_request_waits_for_verification(pool: sqlx::PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("`alice`", "Lost my phone.")))
        .await;
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "needs-verification"]));
    let status = bot.status_comment(1);
    assert!(status.contains("waits for an admin"), "{status}");
    assert!(status.contains("@locked-out"), "{status}");
    assert_eq!(bot.state(1).await, "pending");
    let username: String = sqlx::query_scalar("SELECT username FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(username, "alice");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'intake_opened' AND to_state = 'pending'"
        )
        .await,
        1
    );
    // Few API calls: add a label and write one comment.
    let writes: Vec<_> = bot
        .github
        .writes()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        [
            "POST /repos/pypi/support/issues/1/labels",
            "POST /repos/pypi/support/issues/1/comments"
        ]
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_invalid_request_lists_every_problem_then_an_edit_fixes_it(pool: sqlx::PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let body =
        form_body("alice@example.com", "_No response_").replace("- [X] I agree", "- [ ] I agree");
    bot.open(2, REQUESTER, Some(&body)).await;
    assert_eq!(bot.labels(2), sorted(&[INTAKE, "needs-fix"]));
    assert_eq!(bot.state(2).await, "incomplete");
    let status = bot.status_comment(2);
    assert!(
        status.contains("**PyPI Username**: a username is not an email address"),
        "{status}"
    );
    assert!(status.contains("**Reason for request**"), "{status}");
    assert!(
        status.contains("tick “I agree to follow the PSF Code of Conduct”"),
        "{status}"
    );
    assert!(
        !status.contains("alice@example.com"),
        "the address is echoed: {status}"
    );

    bot.edit(2, REQUESTER, &form_body("alice", "Lost my phone."))
        .await;
    assert_eq!(bot.labels(2), sorted(&[INTAKE, "needs-verification"]));
    assert_eq!(bot.state(2).await, "pending");
    let status = bot.status_comment(2);
    assert!(status.contains("waits for an admin"), "{status}");
    assert_eq!(
        bot.github.bot_comments(REPO, 2).len(),
        1,
        "the status comment is edited, not repeated"
    );

    // An edit that changes nothing does nothing.
    let before = bot.github.writes().len();
    bot.edit(2, REQUESTER, &form_body("alice", "Lost my phone."))
        .await;
    assert_eq!(bot.github.writes().len(), before);
    assert_eq!(count(&pool, "SELECT count(*) FROM audit_log").await, 2);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_second_request_for_the_same_account_is_a_duplicate(pool: sqlx::PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(3, REQUESTER, Some(&form_body("alice", "first")))
        .await;
    bot.open(4, STRANGER, Some(&form_body("`ALICE`", "second")))
        .await;
    assert_eq!(
        bot.labels(4),
        sorted(&[INTAKE, "duplicate", "needs-verification"])
    );
    assert!(
        bot.status_comment(4).contains("#3"),
        "{}",
        bot.status_comment(4)
    );
    assert_eq!(bot.labels(3), sorted(&[INTAKE, "needs-verification"]));
    let dup: Option<i64> =
        sqlx::query_scalar("SELECT duplicate_of FROM requests WHERE issue_number = 4")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(dup.is_some());
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_blank_issue_labeled_by_an_admin_gets_the_form_to_fill_in(pool: sqlx::PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let body = "I lost my 2FA device, please help! user: alice";
    bot.github
        .add_issue(REPO, 5, REQUESTER.login, REQUESTER.id, Some(body), &[]);
    // Opened without the label: not a request.
    bot.send(
        "issues",
        &issue_event("opened", 5, REQUESTER, REQUESTER, Some(body), &[]),
    )
    .await;
    bot.drain().await;
    assert!(bot.github.writes().is_empty());
    // An admin adds the intake label.
    bot.github
        .update_issue(REPO, 5, |i| i.labels.push(INTAKE.into()));
    let mut labeled = issue_event("labeled", 5, REQUESTER, ADMIN, Some(body), &[INTAKE]);
    labeled["label"] = serde_json::json!({"name": INTAKE});
    bot.send("issues", &labeled).await;
    bot.drain().await;
    assert_eq!(bot.labels(5), sorted(&[INTAKE, "needs-fix"]));
    let status = bot.status_comment(5);
    assert!(
        status.contains("does not follow the account-recovery form"),
        "{status}"
    );
    assert!(
        status.contains("### PyPI Username\n\n_No response_"),
        "{status}"
    );
    assert!(status.contains(&format!("- [ ] {ACK}")), "{status}");
    // Another label changes nothing.
    let mut other = issue_event("labeled", 5, REQUESTER, ADMIN, Some(body), &[INTAKE, "bug"]);
    other["label"] = serde_json::json!({"name": "bug"});
    let before = bot.github.writes().len();
    bot.send("issues", &other).await;
    bot.drain().await;
    assert_eq!(bot.github.writes().len(), before);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_null_body_gets_a_clear_answer(pool: sqlx::PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(6, REQUESTER, None).await;
    assert_eq!(bot.state(6).await, "incomplete");
    assert!(
        bot.status_comment(6)
            .contains("does not follow the account-recovery form")
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn requester_text_cannot_ping_or_inject(pool: sqlx::PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(
        7,
        REQUESTER,
        Some(&form_body("@pypi/x <b>hi</b> #1 `x", "r")),
    )
    .await;
    let status = bot.status_comment(7);
    assert_eq!(bot.state(7).await, "incomplete");
    // The name is quoted in a code span, whose fence is longer than any
    // backtick run inside it.
    assert!(status.contains("``@pypi/x <b>hi</b> #1 `x``"), "{status}");
    let outside_code: String = status.split("``").step_by(2).collect();
    assert!(!outside_code.contains("@pypi"), "{status}");
    assert!(!outside_code.contains("<b>"), "{status}");
    assert!(!outside_code.contains("#1"), "{status}");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn github_failing_during_intake_is_retried_without_duplicates(pool: sqlx::PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    // A create is not retried in-process: each 502 fails the job, which the
    // queue retries.
    bot.github.fail_next("POST", "/comments", 502, &[], 2);
    bot.open(8, REQUESTER, Some(&form_body("alice", "r"))).await;
    assert_eq!(bot.github.bot_comments(REPO, 8).len(), 1);
    // The status comment was made, but GitHub's answer was a 502: the retry
    // finds the bot's own comment instead of posting a second one.
    bot.github.fail_after_applying("POST", "/comments", 502);
    bot.open(18, REQUESTER, Some(&form_body("bob", "r"))).await;
    assert_eq!(bot.github.bot_comments(REPO, 18).len(), 1);
    assert_eq!(bot.state(18).await, "pending");
    assert_eq!(bot.labels(18), sorted(&[INTAKE, "needs-verification"]));
    assert_eq!(bot.labels(8), sorted(&[INTAKE, "needs-verification"]));
    assert_eq!(count(&pool, "SELECT count(*) FROM requests").await, 2);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM audit_log").await,
        2,
        "the failed attempts' rows were rolled back"
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_deleted_status_comment_is_written_again(pool: sqlx::PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(9, REQUESTER, Some(&form_body("alice@example.com", "r")))
        .await;
    bot.github.update_issue(REPO, 9, |i| i.comments.clear());
    bot.edit(9, REQUESTER, &form_body("alice", "r")).await;
    assert!(bot.status_comment(9).contains("waits for an admin"));
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn as_a_github_app_intake_acts_through_the_deliverys_installation(pool: sqlx::PgPool) {
    let key = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/test-app-key.pem"
    ))
    .unwrap();
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.github_auth = Some(recovery_bot::config::GitHubAuth::App {
            app_id: 1,
            private_key: key.into(),
        });
    })
    .await;
    let body = form_body("alice", "r");
    bot.github.add_issue(
        REPO,
        10,
        REQUESTER.login,
        REQUESTER.id,
        Some(&body),
        &[INTAKE],
    );
    let mut p = issue_event("opened", 10, REQUESTER, REQUESTER, Some(&body), &[INTAKE]);
    p["installation"] = serde_json::json!({"id": 77});
    bot.send("issues", &p).await;
    bot.drain().await;
    assert_eq!(bot.labels(10), sorted(&[INTAKE, "needs-verification"]));
    assert!(
        bot.github
            .requests()
            .iter()
            .any(|r| r.path == "/app/installations/77/access_tokens")
    );
    let installation: Option<i64> = sqlx::query_scalar("SELECT installation_id FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(installation, Some(77));
}
