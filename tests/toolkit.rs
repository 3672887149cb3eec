//! The admins' toolkit and the requester's side, end to end: arguments over
//! several lines, canned replies, withdrawal, the requester's `/status` and
//! `/help`, and secrets pasted in public.

mod common;

use common::email::{self, Env};
use common::*;
use http::StatusCode;
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
    bot.assert_reply(
        1,
        "@locked-out, your request is withdrawn and the issue is closed.",
    );
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
    let for_admins = bot.assert_reply(1, "**State:** `pending`");
    assert!(for_admins.contains("**History**"), "{for_admins}");
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
    assert_told_to_revoke(&bot, &token);
    for secret in [gh.as_str(), code, key] {
        let id = bot
            .comment(1, REQUESTER, &format!("here it is:\n{secret}\n"))
            .await;
        let comment = bot.github.comment(REPO, 1, id);
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

/// The bot's last reply on #1 tells the requester to revoke `secret` without
/// repeating it, and the status comment flags it for admins.
fn assert_told_to_revoke(bot: &TestBot, secret: &str) {
    let warning = bot.replies(1).pop().unwrap();
    assert!(
        warning.contains("revoke") && !warning.contains(secret),
        "{warning}"
    );
    assert!(
        bot.status_comment(1)
            .contains("a secret was pasted in public")
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_secret_edited_into_a_comment_is_caught_and_edits_run_no_commands(pool: PgPool) {
    let bot = TestBot::start(pool).await;
    bot.pending_request(1).await;
    let id = bot
        .comment(1, REQUESTER, "I will paste my token below")
        .await;
    let replies = bot.replies(1).len();
    // An ordinary edit is acknowledged and ignored.
    assert_eq!(
        bot.edit_comment(1, REQUESTER, id, "I can paste my token if needed")
            .await,
        StatusCode::OK
    );
    let token = format!("pypi-AgEIcHlwaS5vcmc{}", "AbC123_-".repeat(12));
    let status = bot
        .edit_comment(1, REQUESTER, id, &format!("here: {token}\n/withdraw"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let comment = bot.github.comment(REPO, 1, id);
    assert!(
        !comment.body.contains(&token) && comment.body.contains("[redacted]"),
        "{}",
        comment.body
    );
    assert_eq!(bot.replies(1).len(), replies + 1, "one warning only");
    assert_told_to_revoke(&bot, &token);
    // The `/withdraw` in the edit ran nothing.
    assert_eq!(bot.state(1).await, "pending");
}

/// The GitHub calls one comment's commands cost, as `METHOD path` with the
/// repository prefix cut.
async fn calls_for(bot: &TestBot, commenter: Person, body: &str) -> Vec<String> {
    let before = bot.github.requests().len();
    bot.comment(1, commenter, body).await;
    bot.github.requests()[before..]
        .iter()
        .map(|r| {
            let path = r.path.split("/issues/").nth(1).unwrap_or(&r.path);
            let path: String = path
                .split('/')
                .map(|s| if s.parse::<u64>().is_ok() { "N" } else { s })
                .collect::<Vec<_>>()
                .join("/");
            format!("{} {path}", r.method)
        })
        .collect()
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_command_that_only_replies_costs_three_calls(pool: PgPool) {
    let bot = TestBot::start(pool).await;
    bot.pending_request(1).await;
    let reply_only = [
        "POST comments/N/reactions",
        "POST N/comments",
        "POST comments/N/reactions",
    ];
    // The first command of an admin resolves their configured login to a
    // user id, once (cached for `admin_cache_secs`).
    let calls = calls_for(&bot, ADMIN, "/status").await;
    eprintln!(
        "first /status by an admin: {} calls: {calls:?}",
        calls.len()
    );
    // 👀 is stored on its own when the comment is received and runs
    // while the job decides: the look-up may come before or after it.
    let (lookups, writes): (Vec<_>, Vec<_>) =
        calls.iter().partition(|c| *c == "GET /users/the-admin");
    assert_eq!(lookups.len(), 1, "{calls:?}");
    assert_eq!(writes, reply_only, "{calls:?}");
    for (who, body) in [
        (ADMIN, "/status"),
        (ADMIN, "/help"),
        (STRANGER, "/approve"),
        (ADMIN, "/no-such-command"),
        (REQUESTER, "/status"),
    ] {
        let calls = calls_for(&bot, who, body).await;
        eprintln!("{body} by {}: {} calls: {calls:?}", who.login, calls.len());
        assert_eq!(calls, reply_only, "{body} by {}", who.login);
    }
    // Each of them got its answer.
    let replies = bot.replies(1);
    let says = [
        "**State:** `pending`",
        "**State:** `pending`",
        "| `/help` | list the commands you may run |",
        "@passer-by, only the tracker's admins can run commands",
        "I don't know the command `/no-such-command`",
        "Your request is **complete, waiting for an admin**",
    ];
    assert_eq!(replies.len(), says.len(), "{replies:#?}");
    for (reply, says) in replies.iter().zip(says) {
        assert!(reply.contains(says), "expected {says:?}: {reply}");
    }
    // A command that moves the request also brings the labels and the
    // status comment in line: two label calls and one edit.
    let calls = calls_for(&bot, ADMIN, "/request-info Which projects are yours?").await;
    eprintln!("/request-info: {} calls: {calls:?}", calls.len());
    assert_eq!(
        calls,
        [
            "POST comments/N/reactions",
            "POST N/comments",
            "POST N/labels",
            "DELETE N/labels/needs-verification",
            "PATCH comments/N",
            "POST comments/N/reactions",
        ]
    );
    bot.assert_reply(1, "> Which projects are yours?");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn thirty_projects_and_unused_codes_fit_in_the_one_status_comment(pool: PgPool) {
    let Env { bot, directory, .. } = email::start(pool, "http://127.0.0.1:9", |_| {}).await;
    // Long names, as real projects have; every repository the requester's.
    let projects: Vec<_> = (0..30)
        .map(|i| {
            let repo = format!("{}-{i:02}", "repository".repeat(9));
            bot.github
                .add_repo(&format!("locked-out/{repo}"), REQUESTER.login, REQUESTER.id);
            serde_json::json!({
                "name": format!("{}-{i:02}", "a-rather-long-project-name".repeat(3)),
                "repository_url": format!("https://github.com/locked-out/{repo}"),
                "publishers": [{"kind": "github", "repository": format!("locked-out/{repo}"),
                                "repository_owner_id": REQUESTER.id}],
            })
        })
        .collect();
    email::account(
        &directory,
        "many",
        serde_json::json!({
            "username": "many",
            "emails": [{"address": "many@example.net", "verified": true, "primary": true}],
            "projects": projects,
            "recovery_codes": {"generated": true, "unused": 3},
        }),
    )
    .await;
    bot.open(1, REQUESTER, Some(&form_body("many", "Lost my phone.")))
        .await;
    let status = bot.status_comment(1);
    let length = status.chars().count();
    eprintln!("status comment for 30 projects: {length} characters");
    assert!(length < 65_536);
    // The table is folded for admins, every project in it.
    let (open, close) = (
        status.find("<details>").unwrap(),
        status.find("</details>").unwrap(),
    );
    let table = status.find("| project | repository |").unwrap();
    assert!(open < table && table < close, "{status}");
    // At most 20 repositories are judged; the rest are listed, not judged,
    // and keep the request off the fast path.
    assert_eq!(status.matches("| ✅ yes |").count(), 20, "{status}");
    assert_eq!(status.matches("| ⏸ not judged |").count(), 10, "{status}");
    assert!(!bot.labels(1).contains(&"fasttrack".to_owned()));
    // Unused recovery codes: shown to admins, and the requester is told.
    assert!(
        status[open..close].contains("**3 unused recovery codes"),
        "{status}"
    );
    let note = &status[status.find("[!IMPORTANT]").unwrap()..open];
    assert!(
        note.contains("@locked-out") && note.contains("unused recovery codes"),
        "{note}"
    );
    assert!(status.contains("State label:"), "the footer is whole");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn thousands_of_projects_are_counted_not_listed(pool: PgPool) {
    let Env { bot, directory, .. } = email::start(pool, "http://127.0.0.1:9", |_| {}).await;
    // Hosted elsewhere: no repository to look up on GitHub.
    let projects: Vec<_> = (0..3000)
        .map(|i| {
            serde_json::json!({
                "name": format!("project-{i}"),
                "repository_url": format!("https://gitlab.com/someone/project-{i}"),
            })
        })
        .collect();
    email::account(
        &directory,
        "huge",
        serde_json::json!({
            "username": "huge",
            "emails": [{"address": "huge@example.net", "verified": true, "primary": true}],
            "projects": projects,
        }),
    )
    .await;
    bot.open(1, REQUESTER, Some(&form_body("huge", "Lost my phone.")))
        .await;
    let status = bot.status_comment(1);
    eprintln!(
        "status comment for 3000 projects: {} characters",
        status.chars().count()
    );
    assert_eq!(status.matches("| ❌ no |").count(), 100, "{status}");
    assert!(
        status.contains("… and 2900 more projects | | | 0 of them the author's"),
        "{status}"
    );
    assert!(status.contains("</details>") && status.contains("State label:"));
}
