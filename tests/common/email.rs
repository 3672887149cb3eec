//! Email verification set-up shared by tests: SMTP sink, account directory.

use std::sync::Arc;

use sqlx::PgPool;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::smtp::SmtpSink;
use super::{REQUESTER, TestBot};

pub const ADDRESS: &str = "alice.private@example.net";
pub const SECONDARY: &str = "second.verified@example.net";
pub const BOB_ADDRESS: &str = "bob.private@example.net";

pub struct Env {
    pub bot: TestBot,
    pub smtp: SmtpSink,
    /// Also held by the bot: dropping this field (`let Env { bot, .. }`)
    /// must not hand the server back to wiremock's pool mid-test.
    pub directory: Arc<MockServer>,
}

/// A bot with mail (a real SMTP server on loopback), an account directory
/// (wiremock) and links under `public_url`.
pub async fn start(
    pool: PgPool,
    public_url: &str,
    tweak: impl FnOnce(&mut recovery_bot::config::Settings),
) -> Env {
    let smtp = SmtpSink::start().await;
    let directory = Arc::new(MockServer::start().await);
    Mock::given(method("GET"))
        .and(path("/alice"))
        .and(header("authorization", "Bearer dir-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "username": "alice",
            "emails": [
                {"address": "old@example.net", "verified": true, "primary": false},
                {"address": ADDRESS, "verified": true, "primary": true}
            ],
            // The index recorded the requester's id for the project's
            // trusted publisher: the repository counts as theirs.
            "projects": [{"name": "alice-tools", "repository_url": "https://github.com/locked-out/alice-tools",
                          "publishers": [{"kind": "github", "repository": "locked-out/alice-tools",
                                          "repository_owner_id": REQUESTER.id}]}]
        })))
        .mount(&directory)
        .await;
    // The primary address is not verified; a verified secondary is never
    // used instead.
    account(
        &directory,
        "noaddress",
        serde_json::json!({
            "username": "noaddress",
            "emails": [
                {"address": "x@example.net", "verified": false, "primary": true},
                {"address": SECONDARY, "verified": true, "primary": false}
            ],
            "projects": []
        }),
    )
    .await;
    // Someone else's account: the victim of a username swap.
    account(
        &directory,
        "bob",
        serde_json::json!({
            "username": "bob",
            "emails": [{"address": BOB_ADDRESS, "verified": true, "primary": true}],
            "projects": [{"name": "bobs-lib", "repository_url": "https://github.com/bob/bobs-lib"}]
        }),
    )
    .await;
    // Hostile project names and URLs from the directory.
    account(&directory, "pipes", serde_json::json!({
            "username": "pipes",
            "emails": [{"address": "pipes@example.net", "verified": true, "primary": true}],
            "projects": [
                {"name": "a|b @pypi/admins <b>x</b>", "repository_url": "https://github.com/locked-out/x|y"},
                {"name": "tools", "repository_url": "https://github.com/locked-out/alice-tools"}
            ]
        }))
        .await;
    // An answer that does not fit the directory's shape, quoting a value.
    account(&directory, "garbled", serde_json::json!({
            "username": "garbled",
            "emails": [{"address": "garbled-secret@example.net", "verified": "garbled-secret-value"}]
        }))
        .await;
    account(
        &directory,
        "noprojects",
        serde_json::json!({
            "username": "noprojects",
            "emails": [{"address": "np@example.net", "verified": true, "primary": true}],
            "projects": []
        }),
    )
    .await;
    let (smtp_url, dir_url) = (smtp.url(), directory.uri());
    let bot = TestBot::start_with(pool, |s| {
        s.smtp_url = Some(smtp_url.into());
        s.mail_from = Some("PyPI Support <support@example.org>".into());
        s.account_directory_url = Some(dir_url);
        s.account_directory_token = Some("dir-token".into());
        s.public_url = Some(format!("{public_url}/"));
        // alice's evidence points at the requester: with the default
        // (`evidence`) every alice request would get a round at intake.
        // Tests of admins' rounds keep them the admins'; tests of the
        // automatic round turn it on (`tests/auto_verify.rs`).
        s.auto_verify = recovery_bot::config::AutoVerify::Off;
        tweak(s);
    })
    .await;
    let mut bot = bot;
    bot.keep_alive.push(directory.clone());
    // alice's project is in the requester's own repository (by user id).
    bot.github
        .add_repo("locked-out/alice-tools", REQUESTER.login, REQUESTER.id);
    bot.github.add_repo("bob/bobs-lib", "bob", 4004);
    Env {
        bot,
        smtp,
        directory,
    }
}

/// The directory answers `GET /{name}` with `body`.
pub async fn account(directory: &MockServer, name: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(format!("/{name}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(directory)
        .await;
}

/// The path of the link in the one mail sent so far.
pub fn link_path(smtp: &SmtpSink, public_url: &str) -> String {
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "mails: {mails:?}");
    link_in(&mails[0], public_url)
}

/// The path of the link in the `n`th mail (0 = first).
pub fn nth_link_path(smtp: &SmtpSink, public_url: &str, n: usize) -> String {
    let mails = smtp.mails();
    link_in(&mails[n], public_url)
}

fn link_in(mail: &super::smtp::Mail, public_url: &str) -> String {
    let text = mail.text();
    let start = text
        .find(&format!("{public_url}/verify/"))
        .expect("no link in the mail");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    link.trim_start_matches(public_url).to_owned()
}

/// The Idempotency-Key of each `POST /{name}/recover` the index received.
pub async fn recover_keys(directory: &MockServer, name: &str) -> Vec<String> {
    directory
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == format!("/{name}/recover"))
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

/// The `/verify-repo` token in a mail: the line of 32 lowercase letters and
/// digits.
pub fn token_in(mail: &super::smtp::Mail) -> String {
    mail.text()
        .lines()
        .map(str::trim)
        .find(|l| {
            l.len() == 32
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        .expect("no token line in the mail")
        .to_owned()
}
