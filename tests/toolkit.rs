//! The admins' toolkit and the requester's side, end to end: arguments over
//! several lines, canned replies, withdrawal, the requester's `/status` and
//! `/help`, and secrets pasted in public.

mod common;

use common::*;
use sqlx::PgPool;

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_question_over_several_paragraphs_reaches_the_requester_whole(pool: PgPool) {
    let bot = TestBot::start(pool).await;
    bot.pending_request(1).await;
    bot.comment(
        1,
        ADMIN,
        "/request-info Hi,\n\nwhich of these projects did you upload last?\n\n- alpha\n- beta",
    )
    .await;
    let reply = bot.replies(1).pop().unwrap();
    for part in ["> Hi,", "which of these projects", "> - alpha", "> - beta"] {
        assert!(reply.contains(part), "{part} missing: {reply}");
    }
    assert_eq!(bot.state(1).await, "awaiting_user");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn canned_replies_post_their_text_and_move_the_state(pool: PgPool) {
    let bot = TestBot::start(pool).await;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/reply unused-recovery-codes").await;
    let reply = bot.replies(1).pop().unwrap();
    assert!(
        reply.contains("@locked-out") && reply.contains("`alice`"),
        "{reply}"
    );
    assert!(reply.contains("unused recovery codes"), "{reply}");
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert!(bot.labels(1).contains(&"awaiting-user".to_owned()));
    // An unknown name is answered with the list, and changes nothing.
    bot.comment(1, ADMIN, "/reply no-such-thing").await;
    let reply = bot.replies(1).pop().unwrap();
    assert!(
        reply.contains("`no-such-thing`") && reply.contains("`duplicate`"),
        "{reply}"
    );
    // A reply with state `denied` closes the issue as not planned.
    bot.comment(1, ADMIN, "/reply not-account-recovery\nGood luck!")
        .await;
    assert_eq!(bot.state(1).await, "denied");
    let issue = bot.github.issue(REPO, 1);
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("not_planned"))
    );
    assert!(bot.replies(1).pop().unwrap().ends_with("Good luck!"));
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_requester_withdraws_and_a_reopen_returns(pool: PgPool) {
    let bot = TestBot::start(pool).await;
    bot.pending_request(1).await;
    bot.comment(1, REQUESTER, "/withdraw").await;
    assert_eq!(bot.state(1).await, "withdrawn");
    assert_eq!(bot.github.issue(REPO, 1).state, "closed");
    assert!(bot.labels(1).contains(&"withdrawn".to_owned()));
    bot.set_open_by_hand(1, REQUESTER, true).await;
    assert_eq!(bot.state(1).await, "pending");
    assert!(bot.labels(1).contains(&"needs-verification".to_owned()));
    // Closing their own issue withdraws it too; an admin's close does not.
    bot.set_open_by_hand(1, REQUESTER, false).await;
    assert_eq!(bot.state(1).await, "withdrawn");
    bot.pending_request(2).await;
    bot.set_open_by_hand(2, ADMIN, false).await;
    assert_eq!(bot.state(2).await, "pending");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_requester_knows_where_they_stand(pool: PgPool) {
    let bot = TestBot::start(pool).await;
    bot.pending_request(1).await;
    bot.pending_request(2).await;
    bot.pending_request(3).await;
    // An admin answered #1: it no longer counts as waiting ahead.
    bot.comment(1, ADMIN, "/status").await;
    bot.comment(3, REQUESTER, "/status").await;
    let status = bot.replies(3).pop().unwrap();
    assert!(status.contains("waiting for an admin"), "{status}");
    assert!(
        status.contains("1 request that no admin has answered yet"),
        "{status}"
    );
    bot.comment(3, REQUESTER, "/help").await;
    let help = bot.replies(3).pop().unwrap();
    assert!(
        help.contains("/withdraw") && !help.contains("/approve"),
        "{help}"
    );
    // Admin commands from the requester: a kind answer, once per request.
    bot.comment(3, REQUESTER, "/approve").await;
    let before = bot.replies(3).len();
    assert!(
        bot.replies(3)
            .pop()
            .unwrap()
            .contains("only the tracker's admins")
    );
    bot.comment(3, REQUESTER, "/approve\n/verify-email").await;
    assert_eq!(bot.replies(3).len(), before, "told once");
    assert_eq!(bot.state(3).await, "pending");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn secrets_pasted_in_public_are_redacted_and_flagged(pool: PgPool) {
    let bot = TestBot::start(pool).await;
    let token = format!("pypi-AgEIcHlwaS5vcmc{}", "AbC123_-".repeat(12));
    let gh = format!("ghp_{}", "Zx9".repeat(12));
    let code = "9f86d081884c7d65";
    let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    bot.open(
        1,
        REQUESTER,
        Some(&form_body(
            "alice",
            &format!("Lost my phone. My token: {token}"),
        )),
    )
    .await;
    let body = bot.github.issue(REPO, 1).body.unwrap();
    assert!(
        !body.contains(&token) && body.contains("[redacted]"),
        "{body}"
    );
    let warning = bot.replies(1).pop().unwrap();
    assert!(
        warning.contains("revoke") && !warning.contains(&token),
        "{warning}"
    );
    assert!(
        bot.status_comment(1)
            .contains("a secret was pasted in public")
    );
    for secret in [gh.as_str(), code, key] {
        let id = bot
            .comment(1, REQUESTER, &format!("here it is:\n{secret}\n"))
            .await;
        let comment = bot
            .github
            .issue(REPO, 1)
            .comments
            .into_iter()
            .find(|c| c.id == id)
            .unwrap();
        assert!(!comment.body.contains(secret), "{}", comment.body);
        assert!(comment.body.contains("[redacted]"));
        let warning = bot.replies(1).pop().unwrap();
        assert!(
            !warning.contains(secret) && warning.contains("edit history"),
            "{warning}"
        );
    }
    for c in bot.github.bot_comments(REPO, 1) {
        for secret in [token.as_str(), gh.as_str(), code, key] {
            assert!(!c.body.contains(secret));
        }
    }
}
