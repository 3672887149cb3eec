//! The confirmation page in a real headless browser (Chromium driven
//! through chromedriver): open the emailed link, press Confirm, see the
//! result; the request is verified on the tracker afterwards.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::email::{Env, link_path, start};
use common::*;
use fantoccini::{ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use sqlx::PgPool;

/// The browser and its driver: Debian's by default, or `CHROME_BIN` and
/// `CHROMEDRIVER` (as CI on GitHub Actions sets them).
fn tool(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_owner_confirms_in_a_real_browser(pool: PgPool) {
    let chromium = tool("CHROME_BIN", "/usr/bin/chromium");
    let chromedriver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
    assert!(
        std::path::Path::new(&chromium).exists() && std::path::Path::new(&chromedriver).exists(),
        "this test needs Chromium and chromedriver (scripts/test installs Debian's), or CHROME_BIN and CHROMEDRIVER"
    );
    // Both rustls back-ends are linked into this test binary; pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    // The bot's HTTP server on a real loopback port, as the browser sees it.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let Env { bot, smtp, .. } = start(pool.clone(), &public, |_| {}).await;
    let app = bot.router.clone();
    tokio::spawn(async move { axum::serve(listener, app).await });

    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    let link = format!("{public}{}", link_path(&smtp, &public));

    let port = free_port();
    let _driver = Driver(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync"]
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        // chromedriver speaks plain HTTP on loopback: no TLS stack needed.
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let client = client.expect("chromedriver did not come up");

    client.goto(&link).await.unwrap();
    let heading = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "PyPI: confirm your account recovery request");
    // The strict Content-Security-Policy still lets the page's own style in.
    let width = client
        .execute("return getComputedStyle(document.body).maxWidth", vec![])
        .await
        .unwrap();
    assert_eq!(
        width,
        serde_json::json!("576px"),
        "the inline style applies"
    );
    assert_eq!(
        bot.state(1).await,
        "awaiting_user",
        "opening the page changes nothing"
    );
    client
        .find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let result = client
        .wait()
        .for_element(Locator::Id("result"))
        .await
        .unwrap();
    let text = result.text().await.unwrap();
    assert!(text.contains("your request is confirmed"), "{text}");
    let png = client.screenshot().await.unwrap();
    assert_eq!(&png[..4], b"\x89PNG", "a screenshot of the page");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("verify-confirmed.png");
    std::fs::write(&out, &png).unwrap();

    // Back and Confirm again: the link is used up.
    client.goto(&link).await.unwrap();
    let heading = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Link no longer valid");

    bot.drain().await;
    assert_eq!(bot.state(1).await, "verified");
    assert_eq!(bot.labels(1), sorted(&[INTAKE, "fasttrack", "verified"]));
    bot.assert_reply(1, CONFIRMED_FROM_LINK);

    // The username swap: a link sent for one account, then the request
    // renamed to someone else's. The old link confirms nothing.
    bot.open(
        2,
        STRANGER,
        Some(&form_body("noprojects", "Lost my phone.")),
    )
    .await;
    bot.comment(2, ADMIN, "/verify-email").await;
    bot.assert_reply(2, EMAILED_LINK);
    let stale = format!(
        "{public}{}",
        common::email::nth_link_path(&smtp, &public, 1)
    );
    bot.edit(2, STRANGER, &form_body("bob", "Lost my phone."))
        .await;
    client.goto(&stale).await.unwrap();
    let heading = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Link no longer valid");
    let body = client.source().await.unwrap();
    assert!(
        !body.contains("bob") && !body.contains("noprojects"),
        "the page names no account: {body}"
    );
    assert!(
        client.find(Locator::Id("confirm")).await.is_err(),
        "no Confirm button"
    );
    client.close().await.unwrap();
    bot.drain().await;
    assert_eq!(bot.state(2).await, "pending");
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM request_checks c JOIN requests r ON r.id = c.request_id
             WHERE r.issue_number = 2 AND c.status = 'passed'"
        )
        .await,
        0
    );
}
