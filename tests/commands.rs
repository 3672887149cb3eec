//! Admins' commands end to end: authorization, the state machine, replies,
//! reactions, labels, closing and reopening, and the audit log.

mod common;

use common::*;
use sqlx::PgPool;

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_happy_path_from_opened_to_approved(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(1).await;
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "needs-verification"]));

    let c = bot
        .comment(1, ADMIN, "/confirm email checked by phone call")
        .await;
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
    assert_eq!(bot.state(1).await, "verified");
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "verified"]));
    assert!(
        bot.status_comment(1)
            .contains("Every required check passed")
    );

    let c = bot.comment(1, OTHER_ADMIN, "/approve Welcome back!").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
    assert_eq!(bot.state(1).await, "approved");
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "approved"]));
    let issue = bot.github.issue(REPO, 1);
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("completed"))
    );
    let replies = bot.replies(1);
    assert!(
        replies
            .last()
            .unwrap()
            .contains("the verification was successful"),
        "{replies:?}"
    );
    assert!(
        replies.last().unwrap().contains("> Welcome back!"),
        "{replies:?}"
    );

    // Every step is in the audit log, with actor and delivery.
    let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT actor_login, action, from_state, to_state FROM audit_log ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(actions, ["intake_opened", "confirm", "confirm", "approve"]);
    assert_eq!(
        rows[3],
        (
            "second-admin".into(),
            "approve".into(),
            Some("verified".into()),
            Some("approved".into())
        )
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE delivery_id IS NULL"
        )
        .await,
        0
    );

    // `requests show` prints it all.
    let text = requests_show(&pool, 1, false).await;
    for needle in [
        "state approved",
        "issue closed",
        "email",
        "passed",
        "the-admin",
        "intake_opened",
        "verified -> approved",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from:\n{text}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_recovery-bot"))
        .args(["requests", "list", "--state", "approved"])
        .env("DATABASE_URL", database_url(&pool).await)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("pypi/support#1"));
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_non_admins_command_changes_nothing(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(2).await;
    let c = bot.comment(2, STRANGER, "/approve").await;
    assert_eq!(bot.reactions(2, c), ["eyes", "confused"]);
    assert_eq!(bot.state(2).await, "pending");
    let replies = bot.replies(2);
    assert_eq!(replies.len(), 1);
    assert!(
        replies[0].contains("only the tracker's admins can run commands"),
        "{replies:?}"
    );
    // The requester cannot either; several commands get one reply.
    bot.comment(2, REQUESTER, "/help\n/confirm email\n/approve")
        .await;
    let replies = bot.replies(2);
    assert_eq!(replies.len(), 2, "one comment, one reply: {replies:?}");
    assert!(
        replies[1].contains("| command |") && replies[1].contains("only the tracker's admins"),
        "{replies:?}"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM request_checks").await, 0);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_admin_cannot_approve_or_confirm_their_own_request(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(3, OTHER_ADMIN, Some(&form_body("bob", "r"))).await;
    let c = bot
        .comment(3, OTHER_ADMIN, "/confirm email checked by phone")
        .await;
    assert_eq!(bot.reactions(3, c), ["eyes", "confused"]);
    assert!(bot.replies(3)[0].contains("cannot be used on your own request"));
    bot.comment(3, ADMIN, "/confirm email checked by phone")
        .await;
    assert_eq!(bot.state(3).await, "verified");
    bot.assert_reply(3, "Check `email` recorded as passed");
    bot.comment(3, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.state(3).await, "verified");
    bot.assert_reply(3, "`/approve` cannot be used on your own request");
    bot.comment(3, ADMIN, "/approve").await;
    assert_eq!(bot.state(3).await, "approved");
    bot.assert_reply(3, "the verification was successful!");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn approve_says_which_checks_are_missing(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.required_checks = vec!["email".into(), "project-ownership".into()]
    })
    .await;
    bot.pending_request(4).await;
    bot.comment(4, ADMIN, "/confirm project-ownership seen on a call")
        .await;
    let c = bot.comment(4, ADMIN, "/approve").await;
    assert_eq!(bot.reactions(4, c), ["eyes", "confused"]);
    assert_eq!(bot.state(4).await, "pending");
    let last = bot.replies(4).pop().unwrap();
    assert!(last.contains("Missing: `email`"), "{last}");
    assert!(!last.contains("`project-ownership`"), "{last}");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn commands_in_code_quotes_and_html_comments_are_not_run(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(5).await;
    let writes = bot.github.writes().len();
    for body in [
        "```\n/confirm email\n```",
        "~~~\n/approve\n~~~",
        "    /approve",
        "`/approve`",
        "> /approve",
        "> quoted\n/approve",
        "<!--\n/approve\n-->",
        "<!-- /deny no -->",
        "please /approve this",
    ] {
        let c = bot.comment(5, ADMIN, body).await;
        assert!(bot.reactions(5, c).is_empty(), "{body:?} ran");
    }
    assert_eq!(bot.github.writes().len(), writes, "something was written");
    assert_eq!(bot.state(5).await, "pending");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn near_misses_and_unknown_commands_point_to_help(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(6).await;
    for (body, needle) in [
        ("/approved", "`/approved`"),
        ("/APPROVE", "`/APPROVE`"),
        ("/frobnicate now", "`/frobnicate`"),
        ("/deny", "needs a reason"),
        ("/confirm Email!", "is not a check name"),
        ("/status please", "takes no argument"),
    ] {
        let c = bot.comment(6, ADMIN, body).await;
        assert_eq!(bot.reactions(6, c), ["eyes", "confused"], "{body}");
        let last = bot.replies(6).pop().unwrap();
        assert!(last.contains(needle), "{body}: {last}");
    }
    assert_eq!(bot.state(6).await, "pending");
    bot.comment(6, STRANGER, "/help").await;
    let help = bot.replies(6).pop().unwrap();
    // Anyone may ask; each is told what they may run.
    assert!(
        help.contains("`/help`") && !help.contains("/approve"),
        "{help}"
    );
    bot.comment(6, ADMIN, "/help").await;
    let help = bot.replies(6).pop().unwrap();
    assert!(
        help.contains("`duplicate`"),
        "the canned replies are listed: {help}"
    );
    for cmd in [
        "/reply <name> [more]",
        "/verify-email",
        "/request-info <text>",
        "/confirm <check> [note]",
        "/approve [note]",
        "/deny <reason>",
        "/reopen",
        "/status",
        "/help",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from help: {help}");
    }
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn two_commands_in_one_comment_run_in_order(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(7).await;
    let c = bot
        .comment(
            7,
            ADMIN,
            "Checked by phone.\n/confirm email by phone\n/approve",
        )
        .await;
    assert_eq!(bot.reactions(7, c), ["eyes", "rocket"]);
    assert_eq!(bot.state(7).await, "approved");
    // One comment, one reply, covering both commands in order.
    let reply = bot.new_reply(7);
    let (confirmed, approved) = (
        reply.find("Check `email` recorded as passed").unwrap(),
        reply.find("the verification was successful!").unwrap(),
    );
    assert!(confirmed < approved, "{reply}");
    // Reversed, the approve comes too early and is refused; the confirm runs.
    bot.pending_request(8).await;
    let c = bot
        .comment(8, ADMIN, "/approve\r\n/confirm email by phone")
        .await;
    assert_eq!(bot.reactions(8, c), ["eyes", "confused"]);
    assert_eq!(bot.state(8).await, "verified");
    let reply = bot.new_reply(8);
    let (refused, confirmed) = (
        reply.find("`/approve` needs every required check").unwrap(),
        reply.find("Check `email` recorded as passed").unwrap(),
    );
    assert!(refused < confirmed, "{reply}");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn deny_then_reopen(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(9).await;
    bot.comment(
        9,
        ADMIN,
        "/deny No project of yours @someone links to this account. <b>sorry</b>",
    )
    .await;
    assert_eq!(bot.state(9).await, "denied");
    assert_eq!(bot.labels(9), sorted(&[INTAKE, "denied"]));
    let issue = bot.github.issue(REPO, 9);
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("not_planned"))
    );
    let reply = bot.replies(9).pop().unwrap();
    assert!(reply.contains("No project of yours"), "{reply}");
    assert!(
        !reply.contains("@someone") && !reply.contains("<b>"),
        "{reply}"
    );

    // Deny again: refused, already closed.
    let c = bot.comment(9, ADMIN, "/deny again").await;
    assert_eq!(bot.reactions(9, c), ["eyes", "confused"]);
    bot.assert_reply(9, "`/deny` cannot be used now: the request is closed");

    bot.comment(9, ADMIN, "/reopen").await;
    assert_eq!(bot.state(9).await, "pending");
    bot.assert_reply(9, "Reopened; the request is `pending` again.");
    assert_eq!(bot.labels(9), sorted(&[INTAKE, "needs-verification"]));
    assert_eq!(bot.github.issue(REPO, 9).state, "open");
    let c = bot.comment(9, ADMIN, "/reopen").await;
    assert_eq!(
        bot.reactions(9, c),
        ["eyes", "confused"],
        "reopening an open request"
    );
    bot.assert_reply(9, "`/reopen` cannot be used now: the request is open");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn request_info_waits_for_the_requesters_reply(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(10).await;
    bot.comment(
        10,
        ADMIN,
        "/request-info Which projects did you upload last?",
    )
    .await;
    assert_eq!(bot.state(10).await, "awaiting_user");
    assert_eq!(bot.labels(10), sorted(&[INTAKE, "awaiting-user"]));
    let ask = bot.replies(10).pop().unwrap();
    assert!(
        ask.contains("@locked-out") && ask.contains("> Which projects did you upload last?"),
        "{ask}"
    );
    // Someone else's comment does not count as the answer.
    bot.comment(10, STRANGER, "I know them!").await;
    assert_eq!(bot.state(10).await, "awaiting_user");
    bot.comment(10, REQUESTER, "numpy-helpers, last week.")
        .await;
    assert_eq!(bot.state(10).await, "pending");
    assert_eq!(bot.labels(10), sorted(&[INTAKE, "needs-verification"]));
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn status_shows_checks_and_history(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(11).await;
    bot.comment(11, ADMIN, "/confirm project-ownership all repos are theirs")
        .await;
    bot.comment(11, ADMIN, "/status").await;
    let status = bot.replies(11).pop().unwrap();
    assert!(status.contains("**State:** `pending`"), "{status}");
    assert!(
        status.contains("`project-ownership`") && status.contains("all repos are theirs"),
        "{status}"
    );
    assert!(status.contains("`email` | yes | — not yet"), "{status}");
    assert!(
        status.contains("`intake_opened`") && status.contains("the-admin"),
        "{status}"
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn verify_email_says_when_mail_is_not_configured(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(12).await;
    let c = bot.comment(12, ADMIN, "/verify-email").await;
    assert_eq!(bot.reactions(12, c), ["eyes", "confused"]);
    assert!(
        bot.replies(12)
            .pop()
            .unwrap()
            .contains("`/verify-email` is not available")
    );
    assert_eq!(bot.state(12).await, "pending");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn bots_and_pull_requests_never_run_commands(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(13).await;
    let writes = bot.github.writes().len();
    // The bot's own comment.
    let own = Person {
        login: common::fake_github::BOT_LOGIN,
        id: common::fake_github::BOT_ID,
    };
    bot.comment(13, own, "/approve").await;
    // Another app.
    let mut p = comment_event(13, REQUESTER, ADMIN, 77, "/approve", &[]);
    p["comment"]["user"] =
        serde_json::json!({"login": "dependabot[bot]", "id": 49699333, "type": "Bot"});
    bot.send("issue_comment", &p).await;
    // A comment on a pull request.
    let mut p = comment_event(13, REQUESTER, ADMIN, 78, "/approve", &[]);
    p["issue"]["pull_request"] =
        serde_json::json!({"url": "https://api.github.com/repos/pypi/support/pulls/13"});
    bot.send("issue_comment", &p).await;
    bot.drain().await;
    assert_eq!(bot.github.writes().len(), writes);
    assert_eq!(bot.state(13).await, "pending");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn team_members_and_maintainers_are_admins(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins.clear();
        s.admin_teams = vec!["pypi/admins".into()];
        s.admin_min_permission = Some(recovery_bot::config::Permission::Maintain);
    })
    .await;
    bot.github.add_team_member("pypi/admins", ADMIN.login);
    bot.github.set_role(REPO, OTHER_ADMIN.login, "maintain");
    bot.github.set_role(REPO, STRANGER.login, "triage");
    bot.pending_request(14).await;
    let c = bot.comment(14, STRANGER, "/confirm email").await;
    assert_eq!(bot.reactions(14, c), ["eyes", "confused"]);
    bot.assert_reply(14, "@passer-by, only the tracker's admins can run commands");
    bot.comment(14, ADMIN, "/confirm email checked by phone")
        .await;
    assert_eq!(bot.state(14).await, "verified");
    bot.assert_reply(14, "Check `email` recorded as passed");
    bot.comment(14, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.state(14).await, "approved");
    bot.assert_reply(14, "the verification was successful!");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn closed_and_reopened_by_hand(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(15).await;
    bot.set_open_by_hand(15, ADMIN, false).await;
    let open: bool = sqlx::query_scalar("SELECT issue_open FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!open);
    assert_eq!(bot.state(15).await, "pending");
    let c = bot
        .comment(15, ADMIN, "/confirm email checked by phone")
        .await;
    assert_eq!(
        bot.reactions(15, c),
        ["eyes", "confused"],
        "a closed request takes no checks"
    );
    bot.assert_reply(15, "`/confirm` cannot be used now: the request is closed");
    bot.set_open_by_hand(15, ADMIN, true).await;
    let open: bool = sqlx::query_scalar("SELECT issue_open FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(open);
    assert_eq!(bot.state(15).await, "pending");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action IN ('closed_by_hand', 'reopened_by_hand')"
        )
        .await,
        2
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_new_username_after_a_check_resets_the_checks(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(16).await;
    bot.comment(16, ADMIN, "/confirm email checked by phone")
        .await;
    assert_eq!(bot.state(16).await, "verified");
    bot.assert_reply(16, "Check `email` recorded as passed");
    bot.edit(16, REQUESTER, &form_body("mallory", "Lost my phone."))
        .await;
    assert_eq!(bot.state(16).await, "pending");
    assert_eq!(count(&pool, "SELECT count(*) FROM request_checks").await, 0);
    assert_eq!(bot.labels(16), sorted(&[INTAKE, "needs-verification"]));
    let status = bot.status_comment(16);
    assert!(
        status.contains("The username in this request changed")
            && status.contains("**Username read from the form:** `mallory`"),
        "{status}"
    );
    // The warning stays until an admin's next command, then goes.
    bot.edit(
        16,
        REQUESTER,
        &form_body("mallory", "Lost my phone, really."),
    )
    .await;
    assert!(
        bot.status_comment(16)
            .contains("The username in this request changed")
    );
    bot.comment(16, ADMIN, "/request-info Which projects are yours?")
        .await;
    bot.assert_reply(16, "> Which projects are yours?");
    assert!(
        !bot.status_comment(16)
            .contains("The username in this request changed")
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_retried_command_job_does_not_reply_twice(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(17).await;
    // The final reaction fails past the in-process retries: the job is
    // retried after its reply was already posted.
    bot.github
        .fail_next_with_body("POST", "/reactions", "rocket", 502, 3);
    let c = bot
        .comment(17, ADMIN, "/request-info Which projects?")
        .await;
    assert_eq!(bot.replies(17).len(), 1, "{:?}", bot.replies(17));
    assert_eq!(bot.state(17).await, "awaiting_user");
    assert_eq!(bot.reactions(17, c), ["eyes", "rocket"]);
    let rocket_posts = bot
        .github
        .requests()
        .iter()
        .filter(|r| {
            r.body
                .as_ref()
                .is_some_and(|b| b.to_string().contains("rocket"))
        })
        .count();
    assert_eq!(
        rocket_posts, 4,
        "three failures, then the retried job's success"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'request_info'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn with_no_admin_cache_a_failed_team_look_up_is_retried_not_guessed(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins.clear();
        s.admin_teams = vec!["pypi/admins".into()];
        // Every look-up refreshes, and no cached answer may stand in for a
        // failed one.
        s.admin_cache = std::time::Duration::ZERO;
    })
    .await;
    bot.github.add_team_member("pypi/admins", ADMIN.login);
    bot.pending_request(20).await;
    bot.comment(20, ADMIN, "/confirm project-ownership seen on a call")
        .await;
    bot.assert_reply(20, "Check `project-ownership` recorded as passed.");
    bot.github
        .fail_next("GET", "/orgs/pypi/teams/admins/memberships/", 500, &[], 3);
    let c = bot
        .comment(20, ADMIN, "/confirm email checked by phone call")
        .await;
    assert_eq!(bot.reactions(20, c), ["eyes", "rocket"]);
    assert_eq!(bot.state(20).await, "verified");
    bot.assert_reply(20, "Check `email` recorded as passed");
    assert_eq!(
        membership_look_ups(&bot),
        1 + 3 + 1,
        "one good look-up; then three failed tries, and the retried job's good one"
    );
}

fn membership_look_ups(bot: &TestBot) -> usize {
    bot.github
        .requests()
        .iter()
        .filter(|r| r.path.contains("/memberships/"))
        .count()
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_configured_login_held_by_another_user_id_is_not_an_admin(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    // On GitHub the configured login `the-admin` is ADMIN's; a comment under
    // that login by another account (a renamed and re-registered login) is
    // not theirs.
    bot.github.add_user(ADMIN.login, ADMIN.id);
    bot.pending_request(21).await;
    let impostor = Person {
        login: ADMIN.login,
        id: 9_009,
    };
    let c = bot.comment(21, impostor, "/deny x").await;
    assert_eq!(bot.reactions(21, c), ["eyes", "confused"]);
    assert_eq!(bot.state(21).await, "pending");
    assert_eq!(bot.github.issue(REPO, 21).state, "open");
    let replies = bot.replies(21);
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(
        replies[0].contains("only the tracker's admins can run commands"),
        "{replies:?}"
    );
    // ADMIN still is one; the login's id was looked up once, and no other
    // configured login was looked up at all.
    bot.comment(21, ADMIN, "/deny x").await;
    assert_eq!(bot.state(21).await, "denied");
    bot.assert_reply(21, "@locked-out, this request was denied and closed.");
    let users: Vec<String> = bot
        .github
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/users/"))
        .map(|r| r.path)
        .collect();
    assert_eq!(users, ["/users/the-admin"]);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_cached_team_answer_belongs_to_the_user_id_not_the_login(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins.clear();
        s.admin_teams = vec!["pypi/admins".into()];
    })
    .await;
    bot.github.add_team_member("pypi/admins", ADMIN.login);
    bot.pending_request(22).await;
    bot.comment(22, ADMIN, "/confirm project-ownership seen on a call")
        .await;
    bot.assert_reply(22, "Check `project-ownership` recorded as passed.");
    // ADMIN renames themself; someone else registers the old login, which
    // is in no team.
    let renamed = Person {
        login: "renamed-admin",
        id: ADMIN.id,
    };
    let impostor = Person {
        login: ADMIN.login,
        id: 9_009,
    };
    bot.github
        .model()
        .teams
        .insert("pypi/admins".into(), vec![renamed.login.to_owned()]);
    bot.github.add_user(renamed.login, renamed.id);
    bot.github.add_user(impostor.login, impostor.id);
    // Well within the cache time, the impostor does not inherit the answer.
    let c = bot.comment(22, impostor, "/deny x").await;
    assert_eq!(bot.reactions(22, c), ["eyes", "confused"]);
    assert_eq!(bot.state(22).await, "pending");
    bot.assert_reply(22, "@the-admin, only the tracker's admins can run commands");
    // ADMIN, under the new login, still is an admin from the cache.
    bot.comment(22, renamed, "/confirm email checked by phone call")
        .await;
    assert_eq!(bot.state(22).await, "verified");
    bot.assert_reply(22, "Check `email` recorded as passed");
    assert_eq!(
        membership_look_ups(&bot),
        2,
        "ADMIN's first command, then the impostor's"
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_stale_team_answer_stands_in_for_a_failed_refresh_only_for_a_while(pool: PgPool) {
    use std::time::{Duration, Instant};
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins.clear();
        s.admin_teams = vec!["pypi/admins".into()];
        s.admin_cache = Duration::from_secs(1);
    })
    .await;
    bot.github.add_team_member("pypi/admins", ADMIN.login);
    bot.pending_request(23).await;
    bot.comment(23, ADMIN, "/confirm project-ownership seen on a call")
        .await;
    // The answer was cached a little before this.
    let cached = Instant::now();
    const MEMBERSHIP: &str = "/orgs/pypi/teams/admins/memberships/";

    // Older than the cache time, younger than twice that: a failed refresh
    // falls back on the cached answer.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    bot.github.fail_next("GET", MEMBERSHIP, 500, &[], 3);
    let c = bot
        .comment(23, ADMIN, "/confirm email checked by phone call")
        .await;
    assert_eq!(bot.reactions(23, c), ["eyes", "rocket"]);
    assert_eq!(bot.state(23).await, "verified");
    assert_eq!(membership_look_ups(&bot), 1 + 3);

    // Older than twice the cache time: the failure is the answer. Every
    // try of every attempt fails, so the last attempt refuses `/deny`
    // ("could not check permission") without running it; no job dies.
    let past_grace = cached + Duration::from_millis(2_300);
    tokio::time::sleep(past_grace.saturating_duration_since(Instant::now())).await;
    let attempts = bot.settings.jobs.max_attempts as usize;
    bot.github
        .fail_next("GET", MEMBERSHIP, 500, &[], 3 * attempts);
    // The replies so far, read.
    bot.replies(23);
    let c = bot.comment(23, ADMIN, "/deny x").await;
    assert_eq!(bot.reactions(23, c), ["eyes", "confused"]);
    assert_eq!(bot.state(23).await, "verified");
    assert_eq!(bot.github.issue(REPO, 23).state, "open");
    bot.assert_reply(23, "@the-admin, I could not check permission");
    assert_eq!(membership_look_ups(&bot), 1 + 3 + 3 * attempts);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await,
        0
    );
}
