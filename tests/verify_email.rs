//! `/verify-email` end to end: the account directory, a real SMTP server on
//! loopback, the emailed single-use link, the confirmation page, and the
//! tracker told afterwards.

mod common;

use axum::body::Body;
use common::email::{ADDRESS, Env, link_path, start};
use common::*;
use http::{Request, StatusCode};
use sqlx::PgPool;

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_owner_confirms_from_the_emailed_link(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), "https://recovery.example.org", |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    let c = bot.comment(1, ADMIN, "/verify-email").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
    assert_eq!(bot.state(1).await, "awaiting_user");
    // The directory showed every project in the requester's repositories.
    assert_eq!(
        bot.labels(1),
        sorted(&[INTAKE, "awaiting-user", "fasttrack"])
    );
    // The evidence is folded in the one status comment, not a comment of its own.
    assert!(
        bot.status_comment(1)
            .contains("<details><summary>Triage facts (for admins)</summary>"),
        "{}",
        bot.status_comment(1)
    );
    assert_eq!(bot.replies(1).len(), 1, "{:?}", bot.replies(1));

    let mails = smtp.mails();
    assert_eq!(
        mails[0].to,
        [ADDRESS],
        "written to the verified primary address"
    );
    let text = mails[0].text();
    assert!(
        text.contains("\"alice\"") && text.contains("/pypi/support/issues/1\r\n"),
        "the mail names the account and links the issue: {text}"
    );
    assert!(
        text.contains("someone asked PyPI to recover"),
        "names the index: {text}"
    );
    assert!(text.contains("If you did NOT ask for this"), "{text}");
    let message_id = mails[0]
        .data
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .unwrap_or_else(|| panic!("no Message-ID: {}", mails[0].data));
    assert!(
        message_id.contains('<') && message_id.contains('@'),
        "{message_id}"
    );
    let link = link_path(&smtp, "https://recovery.example.org");
    let token = link.trim_start_matches("/verify/");
    assert_eq!(token.len(), 64, "256-bit token in hex");
    // Only the hash is stored.
    let stored: String = sqlx::query_scalar("SELECT token_hash FROM verification_tokens")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_ne!(stored, token);
    assert_eq!(stored, recovery_bot::verify::hash_token(token));

    // The address is nowhere on the tracker.
    for c in bot.github.issue(REPO, 1).comments {
        assert!(
            !c.body.contains(ADDRESS) && !c.body.contains("example.net"),
            "{}",
            c.body
        );
    }
    assert!(
        bot.replies(1)
            .last()
            .unwrap()
            .contains("emailed a confirmation link")
    );

    // Opening the link changes nothing (mail scanners open links).
    let (status, headers, html) = bot
        .request_with_headers(Request::get(&link).body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<strong id=\"username\">alice</strong>")
            && html.contains("<form method=\"post\">")
            && html.contains("Someone asked PyPI")
            && html.contains("/pypi/support/issues/1\" rel=\"noreferrer\""),
        "{html}"
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "style-src 'sha256-",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    bot.get(&link).await;
    assert_eq!(bot.state(1).await, "awaiting_user");

    // Pressing Confirm records the check; the tracker is told.
    let (status, html) = bot.post(&link).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("your request is confirmed"), "{html}");
    bot.drain().await;
    assert_eq!(bot.state(1).await, "verified");
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "fasttrack", "verified"]));
    assert!(
        bot.replies(1)
            .last()
            .unwrap()
            .contains("confirmed this request from the link"),
        "{:?}",
        bot.replies(1)
    );
    assert!(bot.status_comment(1).contains("✅ passed"));

    // Single use: afterwards the neutral page, and nothing changes.
    let (status, html) = bot.post(&link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This link is no longer valid; ask on the issue for a new one."));
    assert!(!html.contains("alice"), "reveals nothing: {html}");
    assert_eq!(bot.get(&link).await.0, StatusCode::GONE);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'email_confirmed'"
        )
        .await,
        2
    );

    bot.comment(1, OTHER_ADMIN, "/approve").await;
    assert_eq!(bot.state(1).await, "approved");
    bot.assert_reply(1, "password reset has been issued for `alice`");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn unknown_accounts_and_accounts_without_an_address_get_no_mail(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), "https://recovery.example.org", |_| {}).await;
    // With a directory, intake checks that the account exists.
    bot.open(2, REQUESTER, Some(&form_body("nobody-here", "r")))
        .await;
    assert_eq!(bot.state(2).await, "incomplete");
    assert!(
        bot.status_comment(2)
            .contains("there is no account named `nobody-here`"),
        "{}",
        bot.status_comment(2)
    );
    let c = bot.comment(2, ADMIN, "/verify-email").await;
    assert_eq!(bot.reactions(2, c), ["eyes", "confused"]);
    assert!(
        bot.replies(2)
            .pop()
            .unwrap()
            .contains("the form is not complete")
    );
    // An account with no verified address.
    bot.open(3, REQUESTER, Some(&form_body("noaddress", "r")))
        .await;
    assert_eq!(bot.state(3).await, "pending");
    bot.comment(3, ADMIN, "/verify-email").await;
    let reply = bot.replies(3).pop().unwrap();
    assert!(
        // Neutral words: the tracker never says whether an address is verified.
        reply.contains("an admin must look at this account before any proof is sent")
            && reply.contains("no mail was sent")
            && !reply.contains("verified"),
        "{reply}"
    );
    // Not even to the verified secondary address.
    assert!(smtp.mails().is_empty(), "{:?}", smtp.mails());
    assert_eq!(bot.state(3).await, "pending");
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn ownership_evidence_is_posted_and_recorded_only_when_every_repository_is_the_authors(
    pool: PgPool,
) {
    let Env { bot, .. } = start(pool.clone(), "https://recovery.example.org", |s| {
        s.required_checks = vec!["project-ownership".into()];
    })
    .await;
    // alice's only project is in github.com/locked-out: the requester's.
    bot.open(6, REQUESTER, Some(&form_body("alice", "r"))).await;
    let table = bot.status_comment(6);
    assert!(
        table.contains(
            "`alice-tools` | `https://github.com/locked-out/alice-tools` | unverified | ✅ yes"
        ),
        "{table}"
    );
    assert!(bot.replies(6).is_empty(), "{:?}", bot.replies(6));
    assert_eq!(
        bot.state(6).await,
        "verified",
        "the only required check passed"
    );
    assert_eq!(bot.labels(6), sorted(&[INTAKE, "fasttrack", "verified"]));
    let actor: String = sqlx::query_scalar(
        "SELECT actor_login FROM request_checks WHERE name = 'project-ownership'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(actor, common::fake_github::BOT_LOGIN);

    // Someone else asking for alice's account: not their repositories.
    bot.open(7, STRANGER, Some(&form_body("alice", "r"))).await;
    let table = bot.status_comment(7);
    assert!(
        table.contains("❌ no") && table.contains("needs another check"),
        "{table}"
    );
    assert_eq!(bot.state(7).await, "pending");
    assert!(!bot.labels(7).contains(&"fasttrack".to_owned()));
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn expired_and_unknown_links_are_refused(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), "https://recovery.example.org", |s| {
        s.verify_link_valid_for = std::time::Duration::ZERO
    })
    .await;
    bot.open(4, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.comment(4, ADMIN, "/verify-email").await;
    bot.assert_reply(4, EMAILED_LINK);
    let link = link_path(&smtp, "https://recovery.example.org");
    let (status, expired) = bot.post(&link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(expired.contains("no longer valid"), "{expired}");
    assert_eq!(bot.state(4).await, "awaiting_user");
    // Unknown links get the very same page: it tells nothing apart.
    let (status, unknown) = bot.get(&format!("/verify/{}", "0".repeat(64))).await;
    assert_eq!((status, &unknown), (StatusCode::GONE, &expired));
    let (status, garbage) = bot.post("/verify/not-even-hex").await;
    assert_eq!((status, &garbage), (StatusCode::GONE, &expired));
}

/// The mail server is down for every attempt of a round's mail. Before:
/// the mail effect went dead while the reply said "I have emailed a
/// confirmation link", and nothing told admins otherwise. Now the round
/// ends (its link would never work), admins are told in a reply that names
/// no address, and no job is left dead.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_dead_mail_server_ends_the_round_and_admins_are_told(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), "https://recovery.example.org", |s| {
        // Nothing listens on port 9 (discard) here.
        s.smtp_url = Some("smtp://127.0.0.1:9".into());
    })
    .await;
    bot.open(5, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.comment(5, ADMIN, "/verify-email").await;
    bot.drain().await;
    let replies = bot.new_replies(5);
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert!(replies[0].contains(EMAILED_LINK), "{replies:#?}");
    assert!(
        replies[1].contains("the email for the last verification round was **not** sent")
            && replies[1].contains("the mail server did not take it"),
        "{replies:#?}"
    );
    assert!(replies.iter().all(|r| !r.contains(ADDRESS)));
    assert!(smtp.mails().is_empty());
    let (reason, mailed): (Option<String>, bool) =
        sqlx::query_as("SELECT revoked_reason, mail_sent_at IS NOT NULL FROM verification_tokens")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((reason.as_deref(), mailed), (Some("mail_failed"), false));
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await,
        0
    );
    // No error or job argument carries the address.
    let errors: Vec<String> =
        sqlx::query_scalar("SELECT coalesce(last_error, '') || args::text FROM jobs")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(errors.iter().all(|e| !e.contains(ADDRESS)), "{errors:#?}");
}

/// The link works the moment its mail arrives: the test waits for the mail
/// only (not for the queue), then confirms at once.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_link_works_the_moment_its_mail_arrives(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool.clone(), "https://recovery.example.org", |_| {}).await;
    bot.pending_request(6).await;
    for round in 0..3 {
        bot.github
            .add_comment(REPO, 6, ADMIN.login, ADMIN.id, "/verify-email");
        let issue = bot.github.issue(REPO, 6);
        let cid = issue.comments.last().unwrap().id;
        bot.send(
            "issue_comment",
            &comment_event(6, REQUESTER, ADMIN, cid, "/verify-email", &issue.labels),
        )
        .await;
        for _ in 0..400 {
            if smtp.mails().len() > round {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let link = common::email::nth_link_path(&smtp, "https://recovery.example.org", round);
        let (status, page) = bot.get(&link).await;
        assert_eq!(status, StatusCode::OK, "round {round}: {page}");
        bot.drain().await;
        bot.assert_reply(6, EMAILED_LINK);
    }
}

/// How often the account directory was asked about alice.
async fn alice_lookups(directory: &wiremock::MockServer) -> usize {
    directory
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/alice")
        .count()
}

/// A link that is used, or revoked by a newer round, is refused on its own
/// state: opening or pressing it again asks the account directory nothing
/// (before: every replay of a spent link cost a directory look-up).
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_spent_link_is_refused_without_asking_the_directory(pool: PgPool) {
    let public = "https://recovery.example.org";
    let Env {
        bot,
        smtp,
        directory,
    } = start(pool.clone(), public, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let first = link_path(&smtp, public);
    // A second round revokes the first link.
    bot.comment(1, OTHER_ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let second = common::email::nth_link_path(&smtp, public, 1);
    assert_ne!(first, second);
    let (status, html) = bot.post(&second).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    bot.drain().await;
    bot.new_replies(1);
    let asked = alice_lookups(&directory).await;
    for link in [&first, &second] {
        for _ in 0..3 {
            assert_eq!(bot.get(link).await.0, StatusCode::GONE);
            assert_eq!(bot.post(link).await.0, StatusCode::GONE);
        }
    }
    assert_eq!(alice_lookups(&directory).await, asked);
    assert_eq!(bot.state(1).await, "verified");
}

/// The owner presses Confirm while a job holds the request. Before: the
/// page waited on the request's lock as long as the job took, holding a
/// pool connection the whole time. Now it waits at most two seconds and
/// asks to press again; nothing is recorded, and the next press works.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn confirm_on_a_busy_request_asks_to_press_again(pool: PgPool) {
    let public = "https://recovery.example.org";
    let Env { bot, smtp, .. } = start(pool.clone(), public, |_| {}).await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "r"))).await;
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let link = link_path(&smtp, public);
    let mut job = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM requests FOR UPDATE")
        .fetch_all(&mut *job)
        .await
        .unwrap();
    // Bounded here so that a page that waits on the lock fails the test
    // instead of hanging it.
    let (status, html) = tokio::time::timeout(std::time::Duration::from_secs(30), bot.post(&link))
        .await
        .expect("the page waited on the busy request");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{html}");
    assert!(html.contains("press Confirm again"), "{html}");
    assert!(html.contains("id=\"confirm\""), "{html}");
    job.rollback().await.unwrap();
    assert_eq!(bot.state(1).await, "awaiting_user");
    let used: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT used_at FROM verification_tokens")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(used, None, "nothing recorded");
    let (status, html) = bot.post(&link).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    bot.drain().await;
    assert_eq!(bot.state(1).await, "verified");
    bot.assert_reply(1, "confirmed this request from the link");
}
