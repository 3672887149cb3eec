//! Issue #21 item 7, end to end: several indexes on one tracker (PyPI and
//! TestPyPI share pypi/support), through the real router, PostgreSQL, the
//! fake GitHub, the loopback SMTP server and a loopback directory per
//! index. An account is a username on an index: the issue's label or the
//! form's `index` dropdown picks the index, usernames, duplicates, links,
//! evidence and automatic rounds are per index, and moving a request to
//! another index is a change of account.

mod common;

use std::sync::Arc;

use common::email::{ADDRESS, Env, account, link_path, nth_link_path, start};
use common::*;
use http::StatusCode;
use recovery_bot::config::{AutoVerify, Index, Indexes, Settings};
use sqlx::PgPool;
use wiremock::MockServer;

const PUBLIC: &str = "https://recovery.example.org";
const TEST_LABEL: &str = "test pypi issue";
/// alice's address on TestPyPI: another account than PyPI's alice.
const TEST_ADDRESS: &str = "alice.on.testpypi@example.net";

/// The two indexes, as `[indexes.pypi]` and `[indexes.testpypi]` give them:
/// PyPI's directory is the one `email::start` serves (with its token),
/// TestPyPI's is `test_dir`.
fn two_indexes(test_dir: String) -> impl FnOnce(&mut Settings) {
    move |s| {
        let pypi = Index {
            key: "pypi".into(),
            name: "PyPI".into(),
            directory_url: s.account_directory_url.take(),
            directory_token: s.account_directory_token.take(),
            profile_url_prefix: Some("https://pypi.org/user/".into()),
            recover: false,
            label: None,
        };
        let testpypi = Index {
            key: "testpypi".into(),
            name: "TestPyPI".into(),
            directory_url: Some(test_dir),
            directory_token: None,
            profile_url_prefix: Some("https://test.pypi.org/user/".into()),
            recover: false,
            label: Some(TEST_LABEL.into()),
        };
        s.index_tables = Some(Indexes::tables(vec![pypi, testpypi], "pypi").unwrap());
    }
}

/// TestPyPI's directory: its own alice (another address, one project in a
/// repository that is not the requester's), and carol, who is on TestPyPI
/// only.
async fn testpypi_directory() -> Arc<MockServer> {
    let dir = Arc::new(MockServer::start().await);
    account(
        &dir,
        "alice",
        serde_json::json!({
            "username": "alice",
            "emails": [{"address": TEST_ADDRESS, "verified": true, "primary": true}],
            "projects": [{"name": "alice-sandbox", "repository_url": "https://github.com/someone/sandbox"}]
        }),
    )
    .await;
    account(
        &dir,
        "carol",
        serde_json::json!({
            "username": "carol",
            "emails": [{"address": "carol@example.net", "verified": true, "primary": true}],
            "projects": []
        }),
    )
    .await;
    dir
}

/// A bot serving PyPI and TestPyPI, `tweak` applied last.
async fn start_two(pool: PgPool, tweak: impl FnOnce(&mut Settings)) -> (Env, Arc<MockServer>) {
    let test_dir = testpypi_directory().await;
    let indexes = two_indexes(test_dir.uri());
    let mut env = start(pool, PUBLIC, |s| {
        indexes(s);
        tweak(s);
    })
    .await;
    env.bot.keep_alive.push(test_dir.clone());
    env.bot.github.add_repo("someone/sandbox", "someone", 5005);
    (env, test_dir)
}

/// Opens issue `number` for `username` from the default form, with
/// `labels` beside the intake label.
async fn open_with(bot: &TestBot, number: u64, username: &str, labels: &[&str]) {
    let body = form_body(username, "Lost my phone.");
    let mut all = vec![INTAKE];
    all.extend_from_slice(labels);
    bot.github.add_issue(
        REPO,
        number,
        REQUESTER.login,
        REQUESTER.id,
        Some(&body),
        &all,
    );
    let (status, text) = bot
        .send("issues", &bot.delivery_of("opened", number, REQUESTER))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    bot.drain().await;
}

async fn index_of(pool: &PgPool, number: u64) -> String {
    sqlx::query_scalar("SELECT index_key FROM requests WHERE issue_number = $1")
        .bind(number as i64)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The usernames each directory was asked about (`GET /{name}`).
async fn asked(dir: &MockServer) -> Vec<String> {
    dir.received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "GET")
        .map(|r| r.url.path().trim_start_matches('/').to_owned())
        .collect()
}

/// The label picks the index; each index is asked about its own accounts;
/// `alice` on TestPyPI is no duplicate of `alice` on PyPI (but a second
/// PyPI request for her is); the mail, its link's page and the status
/// comment name the request's index.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_label_picks_the_index_and_each_index_is_its_own_account(pool: PgPool) {
    let (env, test_dir) = start_two(pool.clone(), |_| {}).await;
    let Env {
        bot,
        smtp,
        directory,
    } = &env;
    open_with(bot, 1, "alice", &[]).await;
    open_with(bot, 2, "alice", &[TEST_LABEL]).await;
    open_with(bot, 3, "alice", &[]).await;
    assert_eq!(index_of(&pool, 1).await, "pypi");
    assert_eq!(index_of(&pool, 2).await, "testpypi");
    assert_eq!(index_of(&pool, 3).await, "pypi");
    assert!(asked(&test_dir).await.iter().all(|n| n == "alice"));
    // Each request's evidence is its own index's: PyPI's alice-tools, and
    // TestPyPI's alice-sandbox.
    let first = bot.status_comment(1);
    assert!(first.contains("**Index:** PyPI"), "{first}");
    assert!(first.contains("alice-tools") && !first.contains("alice-sandbox"));
    let second = bot.status_comment(2);
    assert!(second.contains("**Index:** TestPyPI"), "{second}");
    assert!(second.contains("alice-sandbox") && !second.contains("alice-tools"));
    // Duplicates are per index.
    assert!(!bot.labels(2).contains(&"duplicate".to_owned()));
    assert!(bot.labels(3).contains(&"duplicate".to_owned()));
    assert!(bot.status_comment(3).contains("#1"));

    // The round goes to TestPyPI's alice, and names TestPyPI.
    bot.comment(2, ADMIN, "/verify-email").await;
    bot.assert_reply(2, EMAILED_LINK);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, [TEST_ADDRESS]);
    assert!(mails[0].text().contains("TestPyPI"), "{}", mails[0].text());
    let link = link_path(smtp, PUBLIC);
    let (code, page) = bot.get(&link).await;
    assert_eq!(code, StatusCode::OK, "{page}");
    assert!(page.contains("TestPyPI"), "{page}");
    // And confirms the TestPyPI request only.
    let (code, _) = bot.post(&link).await;
    assert_eq!(code, StatusCode::OK);
    bot.drain().await;
    bot.assert_reply(2, CONFIRMED_FROM_LINK);
    assert_eq!(bot.state(2).await, "verified");
    assert_eq!(bot.state(1).await, "pending");
    // PyPI's directory was never asked about this round's address.
    let pypi_asked = asked(directory).await;
    assert!(pypi_asked.iter().all(|n| n == "alice"), "{pypi_asked:?}");
}

/// An admin adds the index's label: the request names another account.
/// Its checks reset, its link stops working, its evidence is gathered
/// again from the new index's directory, `fasttrack` goes, admins are
/// warned, and a command written before the move is refused. Taking the
/// label off moves it back, the same way.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn moving_a_request_to_another_index_is_a_change_of_account(pool: PgPool) {
    let (env, _test_dir) = start_two(pool.clone(), |_| {}).await;
    let Env { bot, smtp, .. } = &env;
    open_with(bot, 1, "alice", &[]).await;
    // PyPI's alice: the requester's own repository by the recorded id.
    assert!(bot.labels(1).contains(&"fasttrack".to_owned()));
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    assert_eq!(smtp.mails()[0].to, [ADDRESS]);
    let link = link_path(smtp, PUBLIC);
    // Written before the move, delivered after it.
    let issue = bot.github.issue(REPO, 1);
    let id = bot.github.add_comment(
        REPO,
        1,
        ADMIN.login,
        ADMIN.id,
        "/confirm email seen in person",
    );
    let stale = comment_event(
        1,
        REQUESTER,
        ADMIN,
        id,
        "/confirm email seen in person",
        &issue.labels,
    );

    bot.set_label(1, ADMIN, TEST_LABEL, true).await;
    assert_eq!(index_of(&pool, 1).await, "testpypi");
    assert_eq!(bot.state(1).await, "pending");
    let checks = count(&pool, "SELECT count(*) FROM request_checks").await;
    assert_eq!(checks, 0, "the checks were reset");
    assert_eq!(audit_count(&pool, "checks_reset").await, 1);
    let (code, _) = bot.post(&link).await;
    assert_eq!(code, StatusCode::GONE, "the PyPI link is revoked");
    assert!(!bot.labels(1).contains(&"fasttrack".to_owned()));
    let status = bot.status_comment(1);
    assert!(status.contains("**Index:** TestPyPI"), "{status}");
    assert!(status.contains("The username or the index in this request changed"));
    assert!(status.contains("alice-sandbox") && !status.contains("alice-tools"));

    // The admin's command saw PyPI's alice: refused, nothing recorded.
    let (code, text) = bot.send("issue_comment", &stale).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{text}");
    bot.drain().await;
    bot.assert_reply(1, "the request changed after this comment was written");
    assert_eq!(count(&pool, "SELECT count(*) FROM request_checks").await, 0);

    // A round now goes to TestPyPI's alice.
    bot.comment(1, ADMIN, "/verify-email").await;
    bot.assert_reply(1, EMAILED_LINK);
    assert_eq!(smtp.mails()[1].to, [TEST_ADDRESS]);
    let second = nth_link_path(smtp, PUBLIC, 1);

    // Back to PyPI: the same again.
    bot.set_label(1, ADMIN, TEST_LABEL, false).await;
    assert_eq!(index_of(&pool, 1).await, "pypi");
    assert_eq!(audit_count(&pool, "checks_reset").await, 2);
    let (code, _) = bot.post(&second).await;
    assert_eq!(code, StatusCode::GONE);
    assert!(bot.labels(1).contains(&"fasttrack".to_owned()));
    let status = bot.status_comment(1);
    assert!(status.contains("**Index:** PyPI") && status.contains("alice-tools"));

    // Another label changes nothing.
    bot.set_label(1, ADMIN, "help wanted", true).await;
    assert_eq!(audit_count(&pool, "checks_reset").await, 2);
}

/// A form with an `index` dropdown: its value picks the index whatever the
/// labels, the username is read with that index's profile URL, and editing
/// the dropdown is a change of account.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_forms_dropdown_picks_the_index_and_its_profile_url(pool: PgPool) {
    let form = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/forms/two-indexes.yml"
    );
    let (env, _test_dir) = start_two(pool.clone(), |s| s.template = Some(form.into())).await;
    let Env { bot, .. } = &env;
    let body = |index: &str, username: &str| {
        format!(
            "### Index\n\n{index}\n\n{}",
            form_body(username, "Lost my phone.")
        )
    };
    // TestPyPI by the dropdown, the label of no index, a TestPyPI profile
    // URL read as the name.
    bot.open(
        1,
        REQUESTER,
        Some(&body("TestPyPI", "https://test.pypi.org/user/carol/")),
    )
    .await;
    assert_eq!(index_of(&pool, 1).await, "testpypi");
    assert_eq!(bot.state(1).await, "pending");
    assert!(bot.status_comment(1).contains("`carol`"));
    // The dropdown wins over the label.
    open_with(bot, 2, "x", &[TEST_LABEL]).await;
    bot.edit(2, REQUESTER, &body("PyPI", "alice")).await;
    assert_eq!(index_of(&pool, 2).await, "pypi");
    // A PyPI profile URL on TestPyPI is not read as a name; carol is not on
    // PyPI.
    bot.edit(
        1,
        REQUESTER,
        &body("PyPI", "https://test.pypi.org/user/carol/"),
    )
    .await;
    assert_eq!(index_of(&pool, 1).await, "pypi");
    assert_eq!(bot.state(1).await, "incomplete");
    bot.edit(1, REQUESTER, &body("PyPI", "carol")).await;
    assert_eq!(bot.state(1).await, "incomplete", "no carol on PyPI");
    assert!(bot.status_comment(1).contains("carol"));
    // Back to TestPyPI by the dropdown, the same name: valid again, and a
    // change of account from PyPI's carol.
    let resets = audit_count(&pool, "checks_reset").await;
    bot.edit(1, REQUESTER, &body("TestPyPI", "carol")).await;
    assert_eq!(bot.state(1).await, "pending");
    assert_eq!(index_of(&pool, 1).await, "testpypi");
    assert_eq!(audit_count(&pool, "checks_reset").await, resets + 1);
    assert!(
        bot.status_comment(1)
            .contains("The username or the index in this request changed")
    );
    // An option that is no index is the form's problem.
    bot.edit(1, REQUESTER, &body("npm", "carol")).await;
    assert_eq!(bot.state(1).await, "incomplete");
}

/// One live round per account, one automatic round per account per
/// cooldown: per index. PyPI's alice's live round does not stop one for
/// TestPyPI's alice, but stops a second one for PyPI's.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn automatic_rounds_are_per_index(pool: PgPool) {
    let (env, _test_dir) = start_two(pool.clone(), |s| s.auto_verify = AutoVerify::Always).await;
    let Env { bot, smtp, .. } = &env;
    open_with(bot, 1, "alice", &[]).await;
    open_with(bot, 2, "alice", &[TEST_LABEL]).await;
    open_with(bot, 3, "alice", &[]).await;
    let rounds: Vec<(String, i64)> =
        sqlx::query_as("SELECT index_key, count(*) FROM auto_rounds GROUP BY 1 ORDER BY 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rounds, [("pypi".to_owned(), 1), ("testpypi".to_owned(), 1)]);
    let mut to: Vec<String> = smtp.mails().iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    let mut want = vec![ADDRESS.to_owned(), TEST_ADDRESS.to_owned()];
    want.sort();
    assert_eq!(to, want);
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert_eq!(bot.state(2).await, "awaiting_user");
    assert_eq!(
        bot.state(3).await,
        "pending",
        "PyPI's alice has a live round"
    );
}

/// `index_recover` is per index: approving TestPyPI's carol asks TestPyPI's
/// directory to reset her (and PyPI's never), while PyPI, whose directory
/// offers no recover call, is approved as before.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_reset_is_asked_of_the_requests_own_index(pool: PgPool) {
    let (env, test_dir) = start_two(pool.clone(), |s| {
        if let Some(tables) = &s.index_tables {
            let mut list: Vec<Index> = tables.iter().cloned().collect();
            list[1].recover = true;
            s.index_tables = Indexes::tables(list, "pypi");
        }
    })
    .await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/carol/recover"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&test_dir)
        .await;
    let Env { bot, directory, .. } = &env;
    open_with(bot, 1, "carol", &[TEST_LABEL]).await;
    bot.comment(1, ADMIN, "/confirm email seen in person").await;
    bot.assert_reply(1, "Check `email` recorded as passed");
    bot.comment(1, OTHER_ADMIN, "/approve").await;
    let replies = bot.new_replies(1);
    assert_eq!(replies.len(), 2, "{replies:#?}");
    assert!(replies[0].contains("asking the index to reset"));
    assert!(
        replies[1].contains("password reset email from TestPyPI"),
        "{}",
        replies[1]
    );
    assert_eq!(bot.state(1).await, "approved");
    assert_eq!(
        common::email::recover_keys(&test_dir, "carol").await.len(),
        1
    );

    open_with(bot, 2, "noprojects", &[]).await;
    bot.comment(2, ADMIN, "/confirm email seen in person").await;
    bot.assert_reply(2, "Check `email` recorded as passed");
    bot.comment(2, OTHER_ADMIN, "/approve").await;
    let reply = bot.assert_reply(2, "verification was successful");
    assert!(reply.contains("from PyPI"), "{reply}");
    assert_eq!(bot.state(2).await, "approved");
    let posts = directory
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    assert_eq!(posts, 0, "PyPI's directory offers no recover call");
}

/// The index label added, then taken off again, the deliveries reversed:
/// the request stays on the index the issue names now.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_label_added_and_removed_delivered_reversed_leaves_the_index_as_it_is(pool: PgPool) {
    let (env, _test_dir) = start_two(pool.clone(), |_| {}).await;
    let bot = &env.bot;
    open_with(bot, 1, "alice", &[]).await;
    let labeled = |add: bool| {
        bot.github.update_issue(REPO, 1, |issue| {
            issue.labels.retain(|l| l != TEST_LABEL);
            if add {
                issue.labels.push(TEST_LABEL.to_owned());
            }
            issue.updated_at += chrono::Duration::seconds(1);
        });
        let mut event = bot.delivery_of(if add { "labeled" } else { "unlabeled" }, 1, ADMIN);
        event["label"] = serde_json::json!({ "name": TEST_LABEL });
        event
    };
    let added = labeled(true);
    let removed = labeled(false);
    for event in [&removed, &added] {
        let (code, text) = bot.send("issues", event).await;
        assert_eq!(code, StatusCode::ACCEPTED, "{text}");
        bot.drain().await;
    }
    assert_eq!(index_of(&pool, 1).await, "pypi");
    assert_eq!(audit_count(&pool, "checks_reset").await, 0);
    assert!(bot.status_comment(1).contains("**Index:** PyPI"));
}
