//! Email verification set-up shared by tests: SMTP sink, account directory.

use sqlx::PgPool;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::TestBot;
use super::smtp::SmtpSink;

pub const ADDRESS: &str = "alice.private@example.net";

pub struct Env {
    pub bot: TestBot,
    pub smtp: SmtpSink,
    pub directory: MockServer,
}

/// A bot with mail (a real SMTP server on loopback), an account directory
/// (wiremock) and links under `public_url`.
pub async fn start(
    pool: PgPool,
    public_url: &str,
    tweak: impl FnOnce(&mut recovery_bot::config::Settings),
) -> Env {
    let smtp = SmtpSink::start().await;
    let directory = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/alice"))
        .and(header("authorization", "Bearer dir-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "username": "alice",
            "emails": [
                {"address": "old@example.net", "verified": true, "primary": false},
                {"address": ADDRESS, "verified": true, "primary": true}
            ],
            "projects": [{"name": "alice-tools", "repository_url": "https://github.com/locked-out/alice-tools"}]
        })))
        .mount(&directory)
        .await;
    Mock::given(method("GET"))
        .and(path("/noaddress"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "username": "noaddress", "emails": [{"address": "x@example.net", "verified": false, "primary": true}], "projects": []
        })))
        .mount(&directory)
        .await;
    let (smtp_url, dir_url) = (smtp.url(), directory.uri());
    let bot = TestBot::start_with(pool, |s| {
        s.smtp_url = Some(smtp_url.into());
        s.mail_from = Some("PyPI Support <support@example.org>".into());
        s.account_directory_url = Some(dir_url);
        s.account_directory_token = Some("dir-token".into());
        s.public_url = Some(format!("{public_url}/"));
        tweak(s);
    })
    .await;
    Env {
        bot,
        smtp,
        directory,
    }
}

/// The path of the link in the one mail sent so far.
pub fn link_path(smtp: &SmtpSink, public_url: &str) -> String {
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1, "mails: {mails:?}");
    let text = mails[0].text();
    let start = text
        .find(&format!("{public_url}/verify/"))
        .expect("no link in the mail");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    link.trim_start_matches(public_url).to_owned()
}
