//! Only the owner gets the account back, and the tracker tells the truth:
//! links bound to their round, usernames read exactly, one state label
//! whatever the order of events, bounded answers to hostile comments, and
//! echoes that cannot break out. End to end: signed deliveries through the
//! router, PostgreSQL, the fake GitHub, the loopback SMTP server and account
//! directory.

mod common;

use common::email::{ADDRESS, BOB_ADDRESS, Env, link_path, nth_link_path, start};
use common::*;
use http::StatusCode;
use sqlx::PgPool;

const PUBLIC: &str = "https://recovery.example.org";
const NEUTRAL: &str = "This link is no longer valid; ask on the issue for a new one.";
const STATE_LABELS: &[&str] = &[
    "needs-fix",
    "needs-verification",
    "awaiting-user",
    "verified",
    "approved",
    "denied",
];

/// The link is refused with the one neutral page, and changes nothing.
async fn assert_refused(bot: &TestBot, link: &str, number: u64) {
    let state = bot.state(number).await;
    let passed = passed_checks(bot, number).await;
    for (status, html) in [bot.get(link).await, bot.post(link).await] {
        assert_eq!(status, StatusCode::GONE, "{html}");
        assert!(html.contains(NEUTRAL), "{html}");
        assert!(!html.contains("<form"), "{html}");
    }
    bot.drain().await;
    assert_eq!(bot.state(number).await, state, "nothing changed");
    assert_eq!(passed_checks(bot, number).await, passed, "nothing recorded");
}

async fn passed_checks(bot: &TestBot, number: u64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT c.name FROM request_checks c JOIN requests r ON r.id = c.request_id
         WHERE r.issue_number = $1 AND c.status = 'passed' ORDER BY c.name",
    )
    .bind(number as i64)
    .fetch_all(&bot.pool)
    .await
    .unwrap()
}

fn state_labels(bot: &TestBot, number: u64) -> Vec<String> {
    bot.labels(number)
        .into_iter()
        .filter(|l| STATE_LABELS.contains(&l.as_str()))
        .collect()
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_link_sent_for_ones_own_account_cannot_confirm_someone_elses(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    // The requester asks for their own account; the link goes to its owner.
    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    assert!(bot.labels(1).contains(&"fasttrack".to_owned()));
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let link = link_path(&smtp, PUBLIC);
    // Then renames the request to someone else's account...
    bot.edit(1, REQUESTER, &form_body("bob", "Lost my phone."))
        .await;
    assert_eq!(bot.state(1).await, "pending");
    // ...and opens the link already in their inbox: it names nobody, and
    // Confirm records nothing.
    let (status, html) = bot.get(&link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(
        !html.contains("bob") && !html.contains("alice"),
        "the page names no account: {html}"
    );
    assert_refused(&bot, &link, 1).await;
    assert_eq!(bot.state(1).await, "pending", "not verified");
    assert!(passed_checks(&bot, 1).await.is_empty());
    // The ownership evidence and the fast track went with the old name;
    // bob's projects are not the requester's.
    let status = bot.status_comment(1);
    assert!(
        status.contains("**Username read from the form:** `bob`"),
        "{status}"
    );
    assert!(
        status.contains("The username in this request changed"),
        "{status}"
    );
    assert!(
        status.contains("`bobs-lib`") && status.contains("❌ no"),
        "{status}"
    );
    assert!(!status.contains("alice-tools"), "{status}");
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "needs-verification"]));
    let c = bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    assert_eq!(bot.state(1).await, "pending");
    bot.assert_reply(
        1,
        "`/approve` needs every required check to pass first. Missing: `email`.",
    );
    // A new round for bob goes to bob's own address.
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].to, [BOB_ADDRESS]);
    let audit: Vec<String> = sqlx::query_scalar("SELECT details::text FROM audit_log ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    for row in audit {
        assert!(
            !row.contains(ADDRESS) && !row.contains(BOB_ADDRESS),
            "{row}"
        );
    }
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_newer_round_a_check_by_hand_a_denial_and_a_close_each_revoke_the_links(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    // A newer /verify-email supersedes the older link.
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let (first, second) = (
        nth_link_path(&smtp, PUBLIC, 0),
        nth_link_path(&smtp, PUBLIC, 1),
    );
    assert_ne!(first, second);
    assert_refused(&bot, &first, 1).await;
    let (status, html) = bot.post(&second).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    bot.drain().await;
    assert_eq!(bot.state(1).await, "verified");
    bot.assert_reply(1, CONFIRMED_FROM_LINK);

    // An admin records `email` by hand (with the note it requires).
    bot.open(2, REQUESTER, Some(&form_body("noprojects", "r")))
        .await;
    bot.comment(2, ADMIN, "/verify-email").await;
    let link = nth_link_path(&smtp, PUBLIC, 2);
    let c = bot.comment(2, ADMIN, "/confirm email").await;
    assert_eq!(
        bot.reactions(2, c),
        ["eyes", "confused"],
        "a note is required"
    );
    assert!(bot.replies(2).last().unwrap().contains("needs a note"));
    assert_eq!(bot.get(&link).await.0, StatusCode::OK, "still live");
    bot.comment(2, ADMIN, "/confirm email the owner called us")
        .await;
    assert_eq!(bot.state(2).await, "verified");
    bot.assert_reply(2, "Check `email` recorded as passed");
    assert_refused(&bot, &link, 2).await;
    let note: String = sqlx::query_scalar(
        "SELECT details->>'note' FROM audit_log WHERE action = 'confirm' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(note, "the owner called us", "the note is in the audit log");

    // Denied.
    bot.open(3, STRANGER, Some(&form_body("bob", "r"))).await;
    bot.comment(3, ADMIN, "/verify-email").await;
    bot.assert_reply(3, EMAILED_LINK);
    let link = nth_link_path(&smtp, PUBLIC, 3);
    bot.comment(3, ADMIN, "/deny Not your account.").await;
    bot.assert_reply(
        3,
        "this request was denied and closed.\n\n> Not your account.",
    );
    assert_refused(&bot, &link, 3).await;

    // Closed by hand.
    bot.open(4, REQUESTER, Some(&form_body("pipes", "r"))).await;
    bot.comment(4, ADMIN, "/verify-email").await;
    bot.assert_reply(4, EMAILED_LINK);
    let link = nth_link_path(&smtp, PUBLIC, 4);
    bot.set_open_by_hand(4, ADMIN, false).await;
    assert_refused(&bot, &link, 4).await;
    assert_eq!(bot.state(4).await, "awaiting_user");
    let revoked: Vec<String> = sqlx::query_scalar(
        "SELECT revoked_reason FROM verification_tokens WHERE revoked_at IS NOT NULL ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        revoked,
        ["superseded", "recorded_by_hand", "decided", "closed"]
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_approval_revokes_the_link(pool: PgPool) {
    // No check required: an admin may approve while the link is out.
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |s| s.required_checks.clear()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let link = link_path(&smtp, PUBLIC);
    bot.comment(1, ADMIN, "/approve").await;
    assert_eq!(bot.state(1).await, "approved");
    bot.assert_reply(1, "the verification was successful!");
    assert_refused(&bot, &link, 1).await;
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn usernames_are_read_exactly_and_said(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let cases = [
        ("_jbber", "_jbber"),
        ("jbber_", "jbber_"),
        ("`_jbber_`", "_jbber_"),
        ("__init__", "__init__"),
        (
            "https://test.pypi.org/user/jbber/",
            "https://test.pypi.org/user/jbber/",
        ),
    ];
    for (n, (typed, read)) in cases.iter().enumerate() {
        let number = 10 + n as u64;
        bot.open(number, REQUESTER, Some(&form_body(typed, "r")))
            .await;
        assert_eq!(bot.state(number).await, "incomplete", "{typed}");
        let status = bot.status_comment(number);
        assert!(
            status.contains(&format!("**Username read from the form:** `{read}`")),
            "{typed}: {status}"
        );
        assert!(status.contains("is not a valid username"), "{status}");
    }
    // The index's own profile URL gives the bare name.
    bot.open(
        20,
        REQUESTER,
        Some(&form_body("https://pypi.org/user/jbber/", "r")),
    )
    .await;
    assert_eq!(bot.state(20).await, "pending");
    assert!(
        bot.status_comment(20)
            .contains("**Username read from the form:** `jbber`")
    );
    // An email address with more around it is recognised and never echoed.
    for (n, typed) in ["alice@example.com (old)", "alice@example.com."]
        .iter()
        .enumerate()
    {
        let number = 30 + n as u64;
        bot.open(number, REQUESTER, Some(&form_body(typed, "r")))
            .await;
        let status = bot.status_comment(number);
        assert!(
            status.contains("a username is not an email address"),
            "{status}"
        );
        assert!(!status.contains("alice@example.com"), "{status}");
        assert!(!status.contains("example.com"), "{status}");
    }
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn commands_racing_intake_leave_exactly_one_state_label(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    // In order, as GitHub sends them: the comment's payload still lists the
    // labels from before intake ran.
    for number in 1..=6u64 {
        bot.github.add_issue(
            REPO,
            number,
            REQUESTER.login,
            REQUESTER.id,
            Some(&form_body("alice", "r")),
            &[INTAKE],
        );
        let opened = bot.delivery_of("opened", number, REQUESTER);
        let body = "/deny Not an account-recovery request.";
        let id = bot
            .github
            .add_comment(REPO, number, ADMIN.login, ADMIN.id, body);
        let mut comment = comment_event(number, REQUESTER, ADMIN, id, body, &[INTAKE.to_owned()]);
        comment["issue"]["body"] = form_body("alice", "r").into();
        if number % 2 == 0 {
            // Sent at once, side by side.
            let (a, b) = tokio::join!(
                bot.send("issues", &opened),
                bot.send("issue_comment", &comment)
            );
            assert_eq!((a.0, b.0), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
        } else {
            assert_eq!(bot.send("issues", &opened).await.0, StatusCode::ACCEPTED);
            assert_eq!(
                bot.send("issue_comment", &comment).await.0,
                StatusCode::ACCEPTED
            );
        }
    }
    bot.drain().await;
    for number in 1..=6u64 {
        // Whichever delivery was stored first, the command is not lost: a
        // comment that overtakes its issue's delivery takes the issue in.
        assert_eq!(bot.state(number).await, "denied", "#{number}");
        assert_eq!(state_labels(&bot, number), ["denied"], "#{number}");
        assert_eq!(bot.github.issue(REPO, number).state, "closed");
        assert_eq!(
            bot.github
                .bot_comments(REPO, number)
                .iter()
                .filter(|c| c.body.contains("<!-- recovery-bot:status -->"))
                .count(),
            1,
            "#{number}: one status comment"
        );
        bot.assert_reply(
            number,
            "this request was denied and closed.\n\n> Not an account-recovery request.",
        );
    }
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_command_that_overtakes_its_issue_is_not_lost(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.github.add_issue(
        REPO,
        1,
        REQUESTER.login,
        REQUESTER.id,
        Some(&form_body("alice", "r")),
        &[INTAKE],
    );
    let body = "/request-info Which projects are yours?";
    let id = bot.github.add_comment(REPO, 1, ADMIN.login, ADMIN.id, body);
    let mut comment = comment_event(1, REQUESTER, ADMIN, id, body, &[INTAKE.to_owned()]);
    comment["issue"]["body"] = form_body("alice", "r").into();
    bot.send("issue_comment", &comment).await;
    bot.drain().await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    bot.assert_reply(
        1,
        "an admin needs more information:\n\n> Which projects are yours?",
    );
    // The issue's own delivery, late: nothing more happens.
    let writes = bot.github.writes().len();
    bot.send("issues", &bot.delivery_of("opened", 1, REQUESTER))
        .await;
    bot.drain().await;
    assert_eq!(bot.github.writes().len(), writes);
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert_eq!(state_labels(&bot, 1), ["awaiting-user"]);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_older_edit_never_overrides_a_newer_one(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    let older = bot.edited(1, REQUESTER, &form_body("bob", "r"));
    let newer = bot.edited(1, REQUESTER, &form_body("carol", "r"));
    // Delivered out of order.
    bot.send("issues", &newer).await;
    bot.drain().await;
    bot.send("issues", &older).await;
    bot.drain().await;
    let username: String = sqlx::query_scalar("SELECT username FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(username, "carol");
    assert!(
        bot.status_comment(1)
            .contains("**Username read from the form:** `carol`")
    );
}

/// An edit and its undoing, delivered reversed: the undoing changes
/// nothing the bot stored, but it is the newest version read, so the edit
/// it undid (older) must not be applied after it.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_edit_undone_then_delivered_late_is_not_applied(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    let edit = bot.edited(1, REQUESTER, &form_body("bob", "r"));
    let undo = bot.edited(1, REQUESTER, &form_body("alice", "r"));
    bot.send("issues", &undo).await;
    bot.drain().await;
    bot.send("issues", &edit).await;
    bot.drain().await;
    let username: String = sqlx::query_scalar("SELECT username FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(username, "alice", "the body on GitHub now");
    assert!(
        bot.status_comment(1)
            .contains("**Username read from the form:** `alice`")
    );
    assert_eq!(audit_count(&pool, "form_edited").await, 0);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_retried_dead_job_does_not_replay_a_stale_body(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    // The edit to bob cannot read the issue as it is now through every
    // attempt (3 in-process tries each) and is kept as dead.
    bot.github
        .fail_next("GET", "/repos/pypi/support/issues/1", 502, &[], 9);
    let mut stale = bot.edited(1, REQUESTER, &form_body("bob", "r"));
    // Stamped with the time of the version the bot last read, so that even
    // the first attempt reads the issue from GitHub (two versions with one
    // `updated_at` cannot be ordered by it) and every attempt fails.
    let seen: String = sqlx::query_scalar(
        "SELECT to_char(issue_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')
         FROM requests",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    stale["issue"]["updated_at"] = serde_json::json!(seen);
    bot.expect_dead(1);
    bot.send("issues", &stale).await;
    bot.drain().await;
    let dead: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE status = 'dead'")
        .fetch_one(&pool)
        .await
        .unwrap();
    // The issue is edited again while the bot is away: no delivery.
    let _lost = bot.edited(1, REQUESTER, &form_body("carol", "r"));
    let gets_before = bot
        .github
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/repos/pypi/support/issues/1")
        .count();
    // The operator revives the dead job: it reads the issue as it is now,
    // not the body its delivery carried.
    let mut conn = pool.acquire().await.unwrap();
    assert!(
        recovery_bot::store::jobs::retry(&mut conn, dead)
            .await
            .unwrap()
    );
    bot.drain().await;
    let username: String = sqlx::query_scalar("SELECT username FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(username, "carol");
    assert!(
        bot.status_comment(1)
            .contains("**Username read from the form:** `carol`")
    );
    let gets_after = bot
        .github
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/repos/pypi/support/issues/1")
        .count();
    assert_eq!(gets_after, gets_before + 1, "the revived job asked GitHub");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_invalid_form_stays_incomplete_whatever_the_transition(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let invalid = form_body("alice@example.com", "r");
    // /reopen of a denied request whose form was broken meanwhile.
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.comment(1, ADMIN, "/deny Please file it again.").await;
    bot.assert_reply(1, "denied and closed.\n\n> Please file it again.");
    bot.edit(1, REQUESTER, &invalid).await;
    assert_eq!(bot.state(1).await, "denied", "the decision stands");
    bot.comment(1, ADMIN, "/reopen").await;
    assert_eq!(bot.state(1).await, "incomplete");
    bot.assert_reply(1, "Reopened; the request is `incomplete` again.");
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "needs-fix"]));
    assert_eq!(bot.github.issue(REPO, 1).state, "open");
    // /approve and /confirm do not move it.
    let c = bot.comment(1, ADMIN, "/approve").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    bot.assert_reply(
        1,
        "`/approve` cannot be used now: the form is not complete yet.",
    );
    bot.comment(1, ADMIN, "/confirm email the owner called")
        .await;
    assert_eq!(bot.state(1).await, "incomplete");
    let recorded = bot.assert_reply(1, "Check `email` recorded as passed.");
    assert!(!recorded.contains("verified"), "{recorded}");
    assert_eq!(bot.github.issue(REPO, 1).state, "open");

    // Reopened by hand.
    bot.open(2, REQUESTER, Some(&form_body("bob", "r"))).await;
    bot.comment(2, ADMIN, "/deny No.").await;
    bot.assert_reply(2, "denied and closed.\n\n> No.");
    bot.edit(2, REQUESTER, &invalid).await;
    bot.set_open_by_hand(2, ADMIN, true).await;
    assert_eq!(bot.state(2).await, "incomplete");
    assert_eq!(state_labels(&bot, 2), ["needs-fix"]);

    // The requester's answer to /request-info on a broken form.
    bot.open(3, REQUESTER, Some(&invalid)).await;
    bot.comment(3, ADMIN, "/request-info Which account?").await;
    assert_eq!(bot.state(3).await, "awaiting_user");
    bot.assert_reply(3, "> Which account?");
    bot.comment(3, REQUESTER, "The one I use every day.").await;
    assert_eq!(bot.state(3).await, "incomplete");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_thousand_line_comment_gets_one_reply(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    let rows = |pool: PgPool| async move { count(&pool, "SELECT count(*) FROM audit_log").await };
    let before = rows(pool.clone()).await;
    let calls = bot.github.requests().len();
    let flood = "/x\n".repeat(1_000);
    let c = bot.comment(1, STRANGER, &flood).await;
    assert_eq!(bot.replies(1).len(), 1, "one reply");
    assert!(bot.replies(1)[0].contains("only the tracker's admins"));
    assert_eq!(rows(pool.clone()).await, before + 1, "one audit row");
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    let made = bot.github.requests().len() - calls;
    assert!(made <= 4, "{made} GitHub calls for one comment");

    // An admin's flood: the first commands run, the rest are counted.
    let before = rows(pool.clone()).await;
    let flood = "/status\n".repeat(1_000);
    bot.comment(1, ADMIN, &flood).await;
    let replies = bot.replies(1);
    assert_eq!(replies.len(), 2, "one more reply");
    assert!(
        replies[1].contains(
            "Only the first 20 commands of a comment are run; the 980 after them were ignored."
        ),
        "{}",
        &replies[1][replies[1].len().saturating_sub(300)..]
    );
    assert!(replies[1].chars().count() <= 65_536);
    assert!(rows(pool.clone()).await - before <= 20);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_marker_typed_by_someone_else_counts_for_nothing(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.github.add_issue(
        REPO,
        1,
        REQUESTER.login,
        REQUESTER.id,
        Some(&form_body("alice", "r")),
        &[INTAKE],
    );
    // Someone pastes the bot's hidden markers into their own comment.
    let fake =
        "<!-- recovery-bot:status -->\n<!-- recovery-bot:reply delivery-1 -->\nAll verified!";
    bot.github
        .add_comment(REPO, 1, STRANGER.login, STRANGER.id, fake);
    // The first attempt fails after GitHub made the status comment: the
    // retry must look for the bot's own comment, not take the stranger's.
    bot.github.fail_after_applying("POST", "/comments", 502);
    bot.send("issues", &bot.delivery_of("opened", 1, REQUESTER))
        .await;
    bot.drain().await;
    let status = bot.status_comment(1);
    assert!(status.contains("waits for an admin"), "{status}");
    let comments = bot.github.issue(REPO, 1).comments;
    assert_eq!(comments.len(), 2, "{comments:#?}");
    assert_eq!(
        comments[0].body, fake,
        "the stranger's comment is untouched"
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_new_valid_request_costs_two_github_calls(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    let calls: Vec<String> = bot
        .github
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        [
            "POST /repos/pypi/support/issues/1/labels",
            "POST /repos/pypi/support/issues/1/comments"
        ]
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn directory_values_cannot_break_a_table_cell_or_reach_errors(pool: PgPool) {
    let Env { bot, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("pipes", "r"))).await;
    let status = bot.status_comment(1);
    let rows: Vec<&str> = status
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains("✅") || l.contains("❌"))
        .collect();
    assert_eq!(rows.len(), 2, "{status}");
    for row in rows {
        let bytes = row.as_bytes();
        let cells = row
            .char_indices()
            .filter(|&(i, c)| c == '|' && (i == 0 || bytes[i - 1] != b'\\'))
            .count();
        assert_eq!(cells, 5, "four cells: {row}");
    }
    // Inside code spans, markup and mentions are shown, not run.
    let outside_code: String = status.split('`').step_by(2).collect();
    assert!(!outside_code.contains("@pypi/admins"), "{status}");
    assert!(!outside_code.contains("<b>"), "{status}");

    // A directory answer of the wrong shape: the job's error names no value.
    bot.expect_dead(1);
    bot.open(2, REQUESTER, Some(&form_body("garbled", "r")))
        .await;
    let errors = job_errors(&pool).await;
    assert!(!errors.is_empty());
    for e in errors {
        assert!(e.contains("cannot be read"), "{e}");
        assert!(!e.contains("garbled-secret"), "{e}");
    }
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn ownership_is_judged_by_the_owners_user_id(pool: PgPool) {
    let Env { bot, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    // The URL says github.com/locked-out, but that login now belongs to
    // another user than the one who opened the issue.
    bot.github
        .add_repo("locked-out/alice-tools", REQUESTER.login, 777_777);
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    let status = bot.status_comment(1);
    assert!(status.contains("❌ no"), "{status}");
    assert!(!bot.labels(1).contains(&"fasttrack".to_owned()));
    assert!(passed_checks(&bot, 1).await.is_empty());
    // No projects at all: PyPI's fast path, not a failed check.
    bot.open(2, REQUESTER, Some(&form_body("noprojects", "r")))
        .await;
    assert!(bot.labels(2).contains(&"fasttrack".to_owned()));
    assert!(passed_checks(&bot, 2).await.is_empty());
    assert!(bot.status_comment(2).contains("no projects"));
    // Each repository is looked up once, then cached.
    bot.open(3, STRANGER, Some(&form_body("alice", "r"))).await;
    let lookups = bot
        .github
        .requests()
        .iter()
        .filter(|r| r.path == "/repos/locked-out/alice-tools")
        .count();
    assert_eq!(lookups, 1);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_deleted_issue_leaves_the_open_requests(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.open(2, STRANGER, Some(&form_body("Alice", "r"))).await;
    assert_eq!(
        bot.labels(2),
        sorted(&[INTAKE, "duplicate", "needs-verification"])
    );
    assert!(bot.status_comment(2).contains("#1"));
    assert!(
        bot.status_comment(1)
            .contains("no request that an admin has not answered yet was ahead")
    );
    // #1 is deleted: #2 is nobody's duplicate any more.
    bot.github.delete_issue(REPO, 1);
    bot.send(
        "issues",
        &issue_event("deleted", 1, REQUESTER, ADMIN, None, &[]),
    )
    .await;
    bot.drain().await;
    assert_eq!(bot.labels(2), sorted(&[INTAKE, "needs-verification"]));
    assert!(!bot.status_comment(2).contains("Another open request"));
    // ...and counts in nobody's queue position.
    bot.open(3, STRANGER, Some(&form_body("carol", "r"))).await;
    assert!(
        bot.status_comment(3)
            .contains("1 request that no admin has answered yet was ahead"),
        "{}",
        bot.status_comment(3)
    );
    // A transferred issue leaves too.
    bot.send(
        "issues",
        &issue_event("transferred", 2, STRANGER, ADMIN, None, &[]),
    )
    .await;
    bot.drain().await;
    bot.open(4, STRANGER, Some(&form_body("dave", "r"))).await;
    assert!(
        bot.status_comment(4)
            .contains("1 request that no admin has answered yet was ahead"),
        "{}",
        bot.status_comment(4)
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_round_is_sent_by_the_same_job_that_changed_the_request(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), PUBLIC, |_| {}).await;
    // The comment overtakes its issue's delivery: the request is stored by
    // the very job that sends the link.
    bot.github.add_issue(
        REPO,
        1,
        REQUESTER.login,
        REQUESTER.id,
        Some(&form_body("alice", "r")),
        &[INTAKE],
    );
    let id = bot
        .github
        .add_comment(REPO, 1, ADMIN.login, ADMIN.id, "/verify-email");
    let mut comment = comment_event(
        1,
        REQUESTER,
        ADMIN,
        id,
        "/verify-email",
        &[INTAKE.to_owned()],
    );
    comment["issue"]["body"] = form_body("alice", "r").into();
    bot.send("issue_comment", &comment).await;
    bot.drain().await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert_eq!(smtp.mails().len(), 1);
    bot.assert_reply(1, EMAILED_LINK);
    let first = nth_link_path(&smtp, PUBLIC, 0);
    // One comment that revokes the links and sends a new one.
    bot.comment(1, ADMIN, "/deny Wrong account.\n/reopen\n/verify-email")
        .await;
    assert_eq!(bot.state(1).await, "awaiting_user");
    // One reply, covering the three commands in order.
    let reply = bot.new_reply(1);
    let said: Vec<usize> = [
        "denied and closed.\n\n> Wrong account.",
        "Reopened; the request is `pending` again.",
        EMAILED_LINK,
    ]
    .iter()
    .map(|s| reply.find(s).unwrap_or_else(|| panic!("{s:?} in {reply}")))
    .collect();
    assert!(said.is_sorted(), "{reply}");
    assert_eq!(smtp.mails().len(), 2, "the new round was mailed");
    assert_refused(&bot, &first, 1).await;
    let second = nth_link_path(&smtp, PUBLIC, 1);
    let (status, html) = bot.post(&second).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    bot.drain().await;
    assert_eq!(bot.state(1).await, "verified");
    bot.assert_reply(1, CONFIRMED_FROM_LINK);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await,
        0
    );
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_close_and_a_reopen_out_of_order_leave_the_issues_state_now(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    // Closed, then reopened, on GitHub; the deliveries arrive reversed.
    let closed = issue_event("closed", 1, REQUESTER, ADMIN, None, &[INTAKE]);
    let reopened = issue_event("reopened", 1, REQUESTER, ADMIN, None, &[INTAKE]);
    bot.send("issues", &reopened).await;
    bot.drain().await;
    bot.send("issues", &closed).await;
    bot.drain().await;
    let open: bool = sqlx::query_scalar("SELECT issue_open FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(open, "GitHub says the issue is open");
    assert_eq!(bot.state(1).await, "pending");
    // Closed now: the same late delivery closes it.
    bot.set_open_by_hand(1, ADMIN, false).await;
    let open: bool = sqlx::query_scalar("SELECT issue_open FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!open);
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn two_edits_within_one_second_are_settled_by_github(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    // GitHub's timestamps have whole seconds: both edits carry the same.
    let second = (chrono::Utc::now() + chrono::Duration::seconds(10))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let mut older = bot.edited(1, REQUESTER, &form_body("bob", "r"));
    let mut newer = bot.edited(1, REQUESTER, &form_body("carol", "r"));
    older["issue"]["updated_at"] = second.clone().into();
    newer["issue"]["updated_at"] = second.into();
    bot.send("issues", &newer).await;
    bot.drain().await;
    bot.send("issues", &older).await;
    bot.drain().await;
    let username: String = sqlx::query_scalar("SELECT username FROM requests")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(username, "carol", "the body on GitHub now wins");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_link_stops_when_the_accounts_address_is_no_longer_the_one_it_went_to(pool: PgPool) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let Env {
        bot,
        smtp,
        directory,
    } = start(pool.clone(), PUBLIC, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let link = link_path(&smtp, PUBLIC);
    assert_eq!(bot.get(&link).await.0, StatusCode::OK);
    // The account's primary address changes before the link is used.
    Mock::given(method("GET"))
        .and(path("/alice"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "username": "alice",
            "emails": [{"address": "new.owner@example.net", "verified": true, "primary": true}],
            "projects": []
        })))
        .with_priority(1)
        .mount(&directory)
        .await;
    assert_refused(&bot, &link, 1).await;
    assert_eq!(bot.state(1).await, "awaiting_user");
}
