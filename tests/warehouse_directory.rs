//! The account directory read straight from PyPI's own database: a real
//! PostgreSQL holding Warehouse's tables as its models define them
//! (tests/data/warehouse_schema.sql, transcribed from pypi/warehouse at
//! commit 6b62157124ab7865029afeeadf282bce27d601d9), read through
//! `Directory::Warehouse` and through the built binary.

mod common;

use std::process::{Command, Output};

use common::email::{ADDRESS, Env, start};
use common::*;
use recovery_bot::verify::directory::{Directory, DirectoryError};
use recovery_bot::verify::warehouse::READS;
use serde_json::json;
use sqlx::{Connection, PgPool};

const BIN: &str = env!("CARGO_BIN_EXE_recovery-bot");
const SCHEMA: &str = include_str!("data/warehouse_schema.sql");

/// alice (stored as `Alice`) with two projects, several releases of one
/// (an older one, the latest, and a newer one that is yanked), verified and
/// unverified URLs, a GitHub trusted publisher recording `owner_id`, three
/// recovery codes of which one is burned, a GitHub and a GitLab link; a
/// frozen account with nothing else; a project alice has no role on.
fn fixture(owner_id: u64) -> String {
    format!(
        r#"
INSERT INTO users (id, username, password, is_frozen, totp_secret) VALUES
  ('00000000-0000-0000-0000-000000000001', 'Alice', '$argon2id$secret-hash', false, '\x0102'),
  ('00000000-0000-0000-0000-000000000002', 'frozen-one', 'x', true, NULL),
  ('00000000-0000-0000-0000-000000000003', 'someone', 'x', false, NULL);
INSERT INTO user_emails (user_id, email, "primary", verified) VALUES
  ('00000000-0000-0000-0000-000000000001', 'old@example.net', false, true),
  ('00000000-0000-0000-0000-000000000001', '{ADDRESS}', true, true),
  ('00000000-0000-0000-0000-000000000002', 'frozen@example.net', true, false);
INSERT INTO user_recovery_codes (user_id, code, generated, burned) VALUES
  ('00000000-0000-0000-0000-000000000001', 'hash-1', '2023-10-27 09:00:00', NULL),
  ('00000000-0000-0000-0000-000000000001', 'hash-2', '2023-10-27 09:00:00', NULL),
  ('00000000-0000-0000-0000-000000000001', 'hash-3', '2023-10-27 09:00:00', '2024-02-01 12:00:00');
INSERT INTO projects (id, name, normalized_name, created) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'alice-tools', 'alice-tools', '2019-04-01 10:00:00'),
  ('00000000-0000-0000-0000-0000000000a2', 'alice-old', 'alice-old', '2018-01-01 00:00:00'),
  ('00000000-0000-0000-0000-0000000000a3', 'not-alices', 'not-alices', '2020-01-01 00:00:00');
INSERT INTO roles (role_name, user_id, project_id) VALUES
  ('Owner', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a1'),
  ('Maintainer', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-0000000000a2'),
  ('Owner', '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-0000000000a3');
INSERT INTO releases (id, project_id, version, canonical_version, home_page, home_page_verified,
                      download_url, download_url_verified, _pypi_ordering, created, yanked) VALUES
  ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1', '1.0', '1',
   'https://old.example.org', true, NULL, false, 0, '2019-04-01 10:00:00', false),
  ('00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000a1', '2.0', '2',
   'https://alice.example.org', false, 'https://github.com/locked-out/alice-tools/releases', true,
   1, '2023-01-01 00:00:00', false),
  ('00000000-0000-0000-0000-0000000000b3', '00000000-0000-0000-0000-0000000000a1', '3.0', '3',
   'https://yanked.example.org', true, NULL, false, 2, '2024-01-01 00:00:00', true),
  ('00000000-0000-0000-0000-0000000000b4', '00000000-0000-0000-0000-0000000000a3', '1.0', '1',
   'https://not-alices.example.org', true, NULL, false, 0, '2020-01-01 00:00:00', false);
INSERT INTO release_urls (release_id, name, url, verified) VALUES
  ('00000000-0000-0000-0000-0000000000b1', 'Source', 'https://github.com/old/place', true),
  ('00000000-0000-0000-0000-0000000000b2', 'Source', 'https://github.com/locked-out/alice-tools', true),
  ('00000000-0000-0000-0000-0000000000b2', 'Tracker', 'https://tracker.example.org', false),
  ('00000000-0000-0000-0000-0000000000b3', 'Source', 'https://github.com/evil/alice-tools', true);
INSERT INTO oidc_publishers (id, discriminator) VALUES
  ('00000000-0000-0000-0000-0000000000c1', 'github_oidc_publishers');
INSERT INTO github_oidc_publishers (id, repository_name, repository_owner, repository_owner_id,
                                    workflow_filename, environment) VALUES
  ('00000000-0000-0000-0000-0000000000c1', 'alice-tools', 'locked-out', '{owner_id}', 'release.yml', '');
INSERT INTO oidc_publisher_project_association (oidc_publisher_id, project_id) VALUES
  ('00000000-0000-0000-0000-0000000000c1', '00000000-0000-0000-0000-0000000000a1');
INSERT INTO account_associations (id, association_type, user_id) VALUES
  ('00000000-0000-0000-0000-0000000000d1', 'oauth', '00000000-0000-0000-0000-000000000001'),
  ('00000000-0000-0000-0000-0000000000d2', 'oauth', '00000000-0000-0000-0000-000000000001');
INSERT INTO oauth_account_associations (id, service, external_user_id, external_username) VALUES
  ('00000000-0000-0000-0000-0000000000d1', 'github', '{owner_id}', 'alice-gh'),
  ('00000000-0000-0000-0000-0000000000d2', 'gitlab', '99', 'alice-gl');
"#
    )
}

/// alice's whole answer, as the HTTP directory would give it.
fn alice(owner_id: u64) -> serde_json::Value {
    json!({
        "username": "Alice",
        "emails": [
            {"address": ADDRESS, "verified": true, "primary": true},
            {"address": "old@example.net", "verified": true, "primary": false}
        ],
        "projects": [
            {"name": "alice-old", "created": "2018-01-01T00:00:00Z", "urls": [], "publishers": []},
            {"name": "alice-tools", "created": "2019-04-01T10:00:00Z",
             "urls": [
                {"label": "Homepage", "url": "https://alice.example.org", "verified": false},
                {"label": "Download", "url": "https://github.com/locked-out/alice-tools/releases", "verified": true},
                {"label": "Source", "url": "https://github.com/locked-out/alice-tools", "verified": true},
                {"label": "Tracker", "url": "https://tracker.example.org", "verified": false}
             ],
             "publishers": [{"kind": "github", "repository": "locked-out/alice-tools",
                             "repository_owner_id": owner_id}]}
        ],
        "recovery_codes": {"generated": "2023-10-27T09:00:00Z", "unused": 2},
        "linked_accounts": [{"service": "github", "id": owner_id, "login": "alice-gh"}],
        "frozen": false
    })
}

/// Warehouse's tables, filled, in the test's database; its URL.
async fn warehouse(pool: &PgPool) -> String {
    sqlx::raw_sql(SCHEMA).execute(pool).await.unwrap();
    sqlx::raw_sql(&fixture(12345)).execute(pool).await.unwrap();
    database_url(pool).await
}

async fn lookup(url: &str, name: &str) -> Result<Option<serde_json::Value>, DirectoryError> {
    let d = Directory::new(url, None).unwrap();
    d.check().await.unwrap();
    let a = d.lookup(name).await?;
    Ok(a.map(|a| serde_json::to_value(&a).unwrap()))
}

#[sqlx::test]
async fn an_account_is_read_whole_from_warehouse(pool: PgPool) {
    let url = warehouse(&pool).await;
    // Case-insensitive, as Warehouse's citext: only the latest release
    // that is not yanked counts; a project alice has no role on is not hers.
    for name in ["alice", "ALICE", "Alice"] {
        assert_eq!(lookup(&url, name).await.unwrap().unwrap(), alice(12345));
    }
    assert!(lookup(&url, "nobody").await.unwrap().is_none());
    assert!(lookup(&url, "alic").await.unwrap().is_none());
}

#[sqlx::test]
async fn a_frozen_account_with_no_projects_codes_or_links(pool: PgPool) {
    let url = warehouse(&pool).await;
    assert_eq!(
        lookup(&url, "frozen-one").await.unwrap().unwrap(),
        json!({
            "username": "frozen-one",
            "emails": [{"address": "frozen@example.net", "verified": false, "primary": true}],
            "projects": [],
            // Warehouse knows: no codes were ever made.
            "recovery_codes": {"generated": false, "unused": 0},
            "linked_accounts": [],
            "frozen": true
        })
    );
}

/// No role may be created here (the test role has CREATEDB, not
/// CREATEROLE), so the column-level grants are stood in for by views: the
/// whole tables live in another schema and `public` holds one view per
/// table with exactly the columns of `READS` (what the operator guide's
/// `GRANT SELECT (…)` statements allow). A lookup naming any other column
/// would fail here.
#[sqlx::test]
async fn a_lookup_names_only_the_granted_columns(pool: PgPool) {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql("CREATE SCHEMA whole; SET search_path TO whole, public;")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql(SCHEMA).execute(&mut *conn).await.unwrap();
    sqlx::raw_sql(&fixture(12345))
        .execute(&mut *conn)
        .await
        .unwrap();
    for (table, columns) in READS {
        let columns: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
        sqlx::raw_sql(&format!(
            "CREATE VIEW public.{table} AS SELECT {} FROM whole.{table}",
            columns.join(", ")
        ))
        .execute(&mut *conn)
        .await
        .unwrap();
    }
    drop(conn);
    let url = database_url(&pool).await;
    // The secrets are out of reach through what the bot sees.
    let mut plain = sqlx::PgConnection::connect(&url).await.unwrap();
    for secret in [
        "SELECT password FROM users",
        "SELECT totp_secret FROM users",
        "SELECT code FROM user_recovery_codes",
    ] {
        assert!(sqlx::query(secret).execute(&mut plain).await.is_err());
    }
    assert_eq!(lookup(&url, "alice").await.unwrap().unwrap(), alice(12345));
}

/// Runs the binary with only these variables.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What `serve` and `config check` need besides the directory; the bot's
/// own database is on a port nothing listens on (the directory is checked
/// first).
fn serve_env(directory: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", "postgres://x:y@127.0.0.1:1/none".to_owned()),
        ("GITHUB_WEBHOOK_SECRET", "s3cret-webhook".to_owned()),
        ("GITHUB_TOKEN", "ghp_not_a_real_token".to_owned()),
        ("RECOVERY_BOT_REPOS", "pypi/support".to_owned()),
        ("BIND_ADDR", "127.0.0.1:0".to_owned()),
        ("ACCOUNT_DIRECTORY_URL", directory.to_owned()),
    ]
}

fn run_with(args: &[&str], env: &[(&'static str, String)]) -> Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run(args, &env)
}

#[sqlx::test]
async fn a_missing_column_is_named_at_start_and_in_config_check(pool: PgPool) {
    let url = warehouse(&pool).await;
    let env = serve_env(&url);
    let out = run_with(&["config", "check"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Warehouse migrated: a column the bot reads is gone.
    sqlx::query("ALTER TABLE users DROP COLUMN is_frozen")
        .execute(&pool)
        .await
        .unwrap();
    let named = "no column users.is_frozen";
    let out = run_with(&["config", "check"], &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(named), "{}", text(&out.stderr));
    let out = run_with(&["serve"], &env);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains(named), "{stderr}");
    assert!(
        !stderr.contains("127.0.0.1:1"),
        "stopped before the bot's database: {stderr}"
    );
    let d = Directory::new(&url, None).unwrap();
    assert!(d.check().await.unwrap_err().to_string().contains(named));
    // A lookup meanwhile is a retryable error that quotes nothing.
    let e = d.lookup("alice").await.unwrap_err();
    assert!(matches!(e, DirectoryError::Database(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "the Warehouse database: a column is missing (SQLSTATE 42703)"
    );
    // A missing table is named too.
    sqlx::query("DROP TABLE roles")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE users ADD COLUMN is_frozen boolean NOT NULL DEFAULT false")
        .execute(&pool)
        .await
        .unwrap();
    let out = run_with(&["config", "check"], &env);
    assert!(text(&out.stderr).contains("no table roles"));
}

#[sqlx::test]
async fn index_recover_is_refused_with_a_warehouse_directory(pool: PgPool) {
    let url = warehouse(&pool).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(&config, "index_recover = true\n").unwrap();
    let mut env = serve_env(&url);
    env.push(("RECOVERY_BOT_CONFIG", config.to_str().unwrap().to_owned()));
    let out = run_with(&["config", "check"], &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a Warehouse database cannot reset accounts"),
        "{}",
        text(&out.stderr)
    );
}

#[sqlx::test]
async fn directory_show_prints_the_answer_addresses_on_request(pool: PgPool) {
    let url = warehouse(&pool).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        serde_json::to_string(&json!([alice(12345)])).unwrap(),
    )
    .unwrap();
    for directory in [url.as_str(), file.path().to_str().unwrap()] {
        let env = [("ACCOUNT_DIRECTORY_URL", directory)];
        let out = run(&["directory", "show", "alice"], &env);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut hidden = alice(12345);
        hidden["emails"][0]["address"] = json!("[hidden]");
        hidden["emails"][1]["address"] = json!("[hidden]");
        assert_eq!(shown, hidden);
        assert!(!text(&out.stdout).contains("example.net"));

        let out = run(&["directory", "show", "ALICE", "--show-addresses"], &env);
        assert_eq!(out.status.code(), Some(0));
        let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(shown, alice(12345));

        let out = run(&["directory", "show", "nobody"], &env);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());

        // `--index` names the one index this config describes, or fails.
        let out = run(&["directory", "show", "alice", "--index", "pypi"], &env);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let out = run(&["directory", "show", "alice", "--index", "TestPyPI"], &env);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("no index \"TestPyPI\""),
            "{}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty());
    }
    // Cannot answer: a database nobody listens on, a file that is not there,
    // no directory at all.
    for directory in [
        "postgres://ro:pw@127.0.0.1:1/warehouse",
        "/nonexistent/x.json",
    ] {
        let out = run(
            &["directory", "show", "alice"],
            &[("ACCOUNT_DIRECTORY_URL", directory)],
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("pw@"), "{}", text(&out.stderr));
        assert!(
            !text(&out.stderr).contains("alice"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = run(&["directory", "show", "alice"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

/// `/verify-email` end to end with the account read from Warehouse: the
/// mail goes to the verified primary address stored there, and the trusted
/// publisher Warehouse recorded makes the project the requester's.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn verify_email_reads_the_account_from_warehouse(pool: PgPool) {
    sqlx::raw_sql(SCHEMA).execute(&pool).await.unwrap();
    sqlx::raw_sql(&fixture(REQUESTER.id))
        .execute(&pool)
        .await
        .unwrap();
    // Only alice-tools, whose publisher Warehouse recorded with the
    // requester's id: every project counts, the fast path.
    sqlx::query("DELETE FROM roles WHERE project_id = '00000000-0000-0000-0000-0000000000a2'")
        .execute(&pool)
        .await
        .unwrap();
    let url = database_url(&pool).await;
    let Env { bot, smtp, .. } = start(pool.clone(), "https://recovery.example.org", |s| {
        s.account_directory_url = Some(url);
        s.account_directory_token = None;
    })
    .await;
    bot.open(1, REQUESTER, Some(&form_body("alice", "Lost my phone.")))
        .await;
    let c = bot.comment(1, ADMIN, "/verify-email").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "rocket"]);
    assert_eq!(bot.state(1).await, "awaiting_user");
    assert_eq!(
        bot.labels(1),
        sorted(&[INTAKE, "awaiting-user", "fasttrack"])
    );
    assert!(bot.status_comment(1).contains("alice-tools"));
    assert_eq!(bot.replies(1).len(), 1, "{:?}", bot.replies(1));
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, [ADDRESS]);
}
