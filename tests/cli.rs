//! The built binary, driven the way an operator does: `serve` (start, take a
//! delivery, stop on SIGTERM with exit 0), `migrate`, `jobs`, and settings.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{FakeGitHub, SECRET, count, database_url, payload};
use recovery_bot::store::MIGRATOR;
use recovery_bot::webhook::signature;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_recovery-bot");

/// A running `recovery-bot serve`, killed when the test ends, even when it
/// fails: a leaked server would hold the test's database open and break
/// every later run.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for Serve {
    type Target = std::process::Child;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Serve {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// `recovery-bot serve` against the test's database and the fake GitHub, on
/// `port`, with `config`; stdout discarded. Callers add what is theirs.
fn serve_command(
    db_url: &str,
    github: &FakeGitHub,
    port: u16,
    config: &std::path::Path,
) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve")
        .env("DATABASE_URL", db_url)
        .env("GITHUB_WEBHOOK_SECRET", SECRET)
        .env("GITHUB_TOKEN", "ghp_x")
        .env("GITHUB_API_URL", github.uri())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RECOVERY_BOT_CONFIG", config)
        // Our tracker, and the repository of GitHub's example payloads.
        .env("RECOVERY_BOT_REPOS", "pypi/support,Codertocat/Hello-World")
        .stdout(Stdio::null());
    cmd
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request; returns the status code and body.
async fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Option<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    s.write_all(body).await.ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn serve_takes_a_delivery_and_stops_cleanly_on_sigterm(pool: PgPool) {
    let github = FakeGitHub::start().await;
    let port = free_port();
    let mut config = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        config,
        "[jobs]\npoll_interval_ms = 100\nshutdown_grace_secs = 5"
    )
    .unwrap();
    // Logs go to a file: a pipe nobody reads could fill up and stall serve.
    let log_file = tempfile::NamedTempFile::new().unwrap();
    let mut child = Serve(
        serve_command(&database_url(&pool).await, &github, port, config.path())
            .env("GITHUB_TOKEN", "ghp_token_that_must_not_be_logged")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "debug")
            .stderr(log_file.reopen().unwrap())
            .spawn()
            .unwrap(),
    );

    let started = Instant::now();
    while http(port, "GET", "/healthz", &[], b"").await.map(|r| r.0) != Some(200) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "serve did not come up"
        );
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(http(port, "GET", "/readyz", &[], b"").await.unwrap().0, 200);
    assert!(
        github.requests().iter().any(|r| r.path == "/user"),
        "identity not fetched at start"
    );

    let body = serde_json::to_vec(&payload("issues.opened")).unwrap();
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("x-github-event", "issues".to_owned()),
        ("x-github-delivery", "cli-1".to_owned()),
        ("x-github-hook-id", "1".to_owned()),
        ("x-hub-signature-256", signature::sign(SECRET, &body)),
    ];
    let (status, text) = http(port, "POST", "/webhook", &headers, &body)
        .await
        .unwrap();
    assert_eq!(status, 202, "{text}");
    let started = Instant::now();
    while count(
        &pool,
        "SELECT count(*) FROM deliveries WHERE processed_at IS NOT NULL",
    )
    .await
        != 1
    {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "delivery not processed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // An emailed link's path holds a secret: it never reaches the logs.
    let token = "5ec7e7".repeat(10) + "abcd";
    let (status, _) = http(port, "GET", &format!("/verify/{token}"), &[], b"")
        .await
        .unwrap();
    assert_eq!(status, 410);

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve ignored SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status:?}");

    let logs = std::fs::read_to_string(log_file.path()).unwrap();
    assert!(logs.contains("/verify/{token}"), "the route is logged");
    assert!(!logs.contains(&token), "a link's token in the logs");
    assert!(
        !logs.contains("ghp_token_that_must_not_be_logged"),
        "token in logs"
    );
    assert!(!logs.contains(SECRET), "webhook secret in logs");
    let stored = logs
        .lines()
        .find(|l| l.contains("delivery stored"))
        .expect("no 'delivery stored' log line");
    let line: serde_json::Value = serde_json::from_str(stored).expect("JSON log line");
    assert_eq!(line["span"]["delivery"], "cli-1", "{line}");
    assert_eq!(
        line["span"]["repository"], "Codertocat/Hello-World",
        "{line}"
    );
}

#[test]
fn a_missing_setting_fails_with_one_line_naming_it() {
    let out = Command::new(BIN)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // DATABASE_URL has a default (the bot's own database on the local
    // server): the first setting missing is the webhook secret.
    assert!(err.contains("GITHUB_WEBHOOK_SECRET"), "{err}");

    let out = Command::new(BIN)
        .arg("serve")
        .env_clear()
        .env("DATABASE_URL", "postgres://127.0.0.1:1/none")
        .env("GITHUB_WEBHOOK_SECRET", "s")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("GITHUB_TOKEN"), "{err}");
}

#[test]
fn help_never_shows_secret_values() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .env("GITHUB_TOKEN", "ghp_visible_in_help")
        .env("GITHUB_WEBHOOK_SECRET", "hook_secret_in_help")
        .env("DATABASE_URL", "postgres://user:dbpassword@host/db")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(help.contains("GITHUB_TOKEN"), "{help}");
    for secret in ["ghp_visible_in_help", "hook_secret_in_help", "dbpassword"] {
        assert!(!help.contains(secret), "{secret} shown in --help");
    }
}

#[sqlx::test(migrations = false)]
async fn migrate_applies_every_migration(pool: PgPool) {
    let out = Command::new(BIN)
        .arg("migrate")
        .env("DATABASE_URL", database_url(&pool).await)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let applied = count(&pool, "SELECT count(*) FROM _sqlx_migrations WHERE success").await;
    assert_eq!(
        applied,
        MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .count() as i64
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM jobs").await, 0);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn jobs_list_and_retry(pool: PgPool) {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (kind, issue_key, status, attempts, max_attempts, last_error)
         VALUES ('process_delivery', '1#2', 'dead', 8, 8, 'GitHub answered 500') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let url = database_url(&pool).await;
    let out = Command::new(BIN)
        .args(["jobs", "list", "--status", "dead"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("GitHub answered 500") && text.contains(&id.to_string()),
        "{text}"
    );

    let out = Command::new(BIN)
        .args(["jobs", "list", "--json"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(line["id"], id);
    assert_eq!(line["status"], "dead");

    let out = Command::new(BIN)
        .args(["jobs", "retry", &id.to_string()])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(out.status.success());
    let status: String = sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(status, "pending");
    let out = Command::new(BIN)
        .args(["jobs", "retry", "424242"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn serve_catches_up_at_start_on_issues_opened_while_it_was_down(pool: PgPool) {
    let github = FakeGitHub::start().await;
    github.add_issue(
        common::REPO,
        41,
        common::REQUESTER.login,
        common::REQUESTER.id,
        Some(&common::form_body("alice", "Lost my phone.")),
        &[common::INTAKE],
    );
    let port = free_port();
    let mut config = tempfile::NamedTempFile::new().unwrap();
    writeln!(config, "[jobs]\npoll_interval_ms = 100").unwrap();
    let mut child = Serve(
        serve_command(&database_url(&pool).await, &github, port, config.path())
            .env("RECOVERY_BOT_REPOS", common::REPO)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Wait for exactly what is asserted: the label and the status comment
    // (the comment is written after the label).
    let started = Instant::now();
    let taken_in = |github: &FakeGitHub| {
        github
            .issue(common::REPO, 41)
            .labels
            .iter()
            .any(|l| l == "needs-verification")
            && github
                .bot_comments(common::REPO, 41)
                .iter()
                .any(|c| c.body.contains("waits for an admin"))
    };
    while !taken_in(&github) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sweep did not take the issue in"
        );
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(github.bot_comments(common::REPO, 41).len(), 1);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve ignored SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn serve_in_shadow_mode_from_the_environment_writes_nothing(pool: PgPool) {
    let github = FakeGitHub::start().await;
    github.add_issue(
        common::REPO,
        42,
        common::REQUESTER.login,
        common::REQUESTER.id,
        Some(&common::form_body("alice", "Lost my phone.")),
        &[common::INTAKE],
    );
    let port = free_port();
    let mut config = tempfile::NamedTempFile::new().unwrap();
    writeln!(config, "[jobs]\npoll_interval_ms = 100").unwrap();
    let log_file = tempfile::NamedTempFile::new().unwrap();
    let mut child = Serve(
        serve_command(&database_url(&pool).await, &github, port, config.path())
            .env("RECOVERY_BOT_DRY_RUN", "1")
            .env("RECOVERY_BOT_REPOS", common::REPO)
            .stderr(log_file.reopen().unwrap())
            .spawn()
            .unwrap(),
    );
    // The sweep at start takes the issue in: decided and stored, with the
    // status comment it would have written.
    let started = Instant::now();
    while count(
        &pool,
        "SELECT count(*) FROM shadow_effects WHERE kind = 'create_comment' AND issue_number = 42",
    )
    .await
        != 1
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sweep did not take the issue in"
        );
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state: String = sqlx::query_scalar("SELECT state FROM requests WHERE issue_number = 42")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "pending");
    assert!(github.writes().is_empty(), "{:#?}", github.writes());
    assert_eq!(github.issue(common::REPO, 42).labels, [common::INTAKE]);
    let logs = std::fs::read_to_string(log_file.path()).unwrap();
    assert!(logs.contains("shadow mode (--dry-run)"), "{logs}");
    assert!(logs.contains("dry run: not written"), "{logs}");
}

/// The binary with only `env` (and PATH) set, run from the repository's
/// root; returns the exit code, stdout and stderr.
fn run_clean(env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    run_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), env, args)
}

/// [`run_clean`], started in `dir`.
fn run_in(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SERVE_ENV: [(&str, &str); 3] = [
    (
        "DATABASE_URL",
        "postgres://bot:dbpassword@127.0.0.1:5432/recovery",
    ),
    ("GITHUB_WEBHOOK_SECRET", "hook_secret_value"),
    ("GITHUB_TOKEN", "ghp_token_value"),
];

#[test]
fn each_subcommand_help_lists_its_own_options_and_version_prints() {
    let (code, help, _) = run_clean(&[], &["check", "--help"]);
    assert_eq!(code, 0);
    assert!(!help.contains("--database-url"), "{help}");
    assert!(!help.contains("--smtp-url"), "{help}");
    assert!(help.contains("--config"), "{help}");
    for line in [
        "0  every body is valid",
        "1  a body is invalid",
        "2  usage or read error",
    ] {
        assert!(help.contains(line), "{help}");
    }
    let (_, help, _) = run_clean(&[], &["serve", "--help"]);
    assert!(
        help.contains("--database-url") && help.contains("--smtp-url"),
        "{help}"
    );
    let (_, help, _) = run_clean(&[], &["migrate", "--help"]);
    assert!(
        help.contains("--database-url") && !help.contains("--github-token"),
        "{help}"
    );
    let (_, help, _) = run_clean(&[], &["labels", "sync", "--help"]);
    assert!(
        help.contains("--github-token") && !help.contains("--database-url"),
        "{help}"
    );
    let (_, help, _) = run_clean(&[], &["config", "check", "--help"]);
    assert!(
        help.contains("GITHUB_WEBHOOK_SECRET") && help.contains("Exit codes"),
        "{help}"
    );
    let (code, version, _) = run_clean(&[], &["--version"]);
    assert_eq!(code, 0);
    assert_eq!(
        version.trim(),
        format!("recovery-bot {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_example_config_passes_config_check_with_secrets_redacted() {
    let (code, out, err) = run_clean(
        &SERVE_ENV,
        &["config", "check", "--config", "recovery-bot.example.toml"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("github_token = \"[redacted]\""), "{out}");
    assert!(
        out.contains("github_webhook_secret = \"[redacted]\""),
        "{out}"
    );
    assert!(
        out.contains("database_url = \"postgres://[redacted]@127.0.0.1:5432/recovery\""),
        "{out}"
    );
    assert!(out.contains("mail_from = \"admin@example.org\""), "{out}");
    for secret in ["dbpassword", "hook_secret_value", "ghp_token_value"] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} shown"
        );
    }
    // Without the credentials serve needs, each is one problem.
    let (code, _, err) = run_clean(
        &[],
        &["config", "check", "--config", "recovery-bot.example.toml"],
    );
    assert_eq!(code, 2);
    // DATABASE_URL has a default; the secret and the credentials do not.
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.contains("GITHUB_TOKEN") && err.contains("GITHUB_WEBHOOK_SECRET"),
        "{err}"
    );
}

#[test]
fn the_example_config_works_from_any_directory_and_makes_nobody_an_admin() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("recovery-bot.example.toml");
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, out, err) = run_in(
        elsewhere.path(),
        &SERVE_ENV,
        &["config", "check", "--config", example.to_str().unwrap()],
    );
    // Its relative `template` is read from the example's own folder.
    assert_eq!(code, 0, "{err}");
    let form = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("issue-templates/account-recovery.yml");
    assert!(
        out.contains(&format!("template = \"{}\"", form.display())),
        "{out}"
    );
    // A copy of the example grants nobody admin rights.
    assert!(out.contains("admins = []"), "{out}");
    assert!(out.contains("admin_teams = []"), "{out}");
    assert!(!out.contains("admin_min_permission ="), "{out}");
}

#[test]
fn a_bad_config_file_is_named_line_by_line() {
    let check = |text: &str| {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(text.as_bytes()).unwrap();
        let path = file.path().to_str().unwrap().to_owned();
        run_clean(&SERVE_ENV, &["config", "check", "--config", &path])
    };
    let (code, _, err) = check("databse_url = \"x\"\n");
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("databse_url") && err.contains(":1:1"), "{err}");
    let (code, _, err) = check("[jobs]\ntimeout_secs = \"2m\"\n");
    assert_eq!(code, 2);
    assert!(err.contains("timeout_secs") || err.contains(":2:"), "{err}");
    let long = "l".repeat(51);
    let (code, _, err) = check(&format!(
        "admin_teams = [\"no-slash\"]\n[labels]\nverified = \"{long}\"\n"
    ));
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 2, "{err}");
    assert!(
        err.contains("[labels] verified") && err.contains("50 characters"),
        "{err}"
    );
    assert!(err.contains("admin_teams"), "{err}");
    let (code, _, err) = check("template = \"/no/such/form.yml\"\n");
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/form.yml"), "{err}");
}

// Multi-threaded: the fake GitHub answers while the test waits on the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_sync_creates_then_leaves_alone_then_repairs() {
    use recovery_bot::recovery::state::Labels;
    let github = FakeGitHub::start().await;
    github.add_repo(common::REPO, "pypi", 1);
    let mut config = tempfile::NamedTempFile::new().unwrap();
    writeln!(config, "[labels]\nincomplete = \"needs fix\"").unwrap();
    let config_path = config.path().to_str().unwrap().to_owned();
    let uri = github.uri();
    let env = [
        ("GITHUB_TOKEN", "ghp_x"),
        ("GITHUB_API_URL", uri.as_str()),
        ("RECOVERY_BOT_CONFIG", config_path.as_str()),
    ];
    let sync = || run_clean(&env, &["labels", "sync", "--repo", common::REPO]);
    let configured = Labels {
        incomplete: "needs fix".into(),
        ..Labels::default()
    };
    let labels = configured.all();
    let names: Vec<&str> = labels.iter().map(|(_, n)| *n).collect();

    let (code, out, err) = sync();
    assert_eq!(code, 0, "{err}");
    for name in &names {
        assert!(out.contains(&format!("created {name}\n")), "{out}");
    }
    let made = github.labels(common::REPO);
    assert_eq!(made.len(), names.len());
    assert!(
        made.iter()
            .all(|l| l.description.as_deref().is_some_and(|d| !d.is_empty()))
    );
    assert!(
        github
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/labels/needs%20fix")),
        "label names are path-encoded"
    );

    let writes = github.writes().len();
    let (code, out, _) = sync();
    assert_eq!(code, 0);
    for name in &names {
        assert!(out.contains(&format!("unchanged {name}\n")), "{out}");
    }
    assert_eq!(github.writes().len(), writes, "a second run wrote");

    github
        .model()
        .repos
        .get_mut(common::REPO)
        .unwrap()
        .labels
        .iter_mut()
        .find(|l| l.name == "verified")
        .unwrap()
        .color = "ffffff".into();
    let (code, out, _) = sync();
    assert_eq!(code, 0);
    assert!(out.contains("updated verified (colour)\n"), "{out}");
    assert_eq!(github.writes().len(), writes + 1);
    let verified = github
        .labels(common::REPO)
        .into_iter()
        .find(|l| l.name == "verified")
        .unwrap();
    assert_ne!(verified.color, "ffffff");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_sync_stops_on_what_github_refuses() {
    let github = FakeGitHub::start().await;
    let uri = github.uri();
    // No such repository: 404 on the first read.
    let env = [("GITHUB_TOKEN", "ghp_x"), ("GITHUB_API_URL", uri.as_str())];
    let (code, _, err) = run_clean(&env, &["labels", "sync", "--repo", "pypi/none"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("pypi/none"), "{err}");
    // A dry run reads the repository too, rather than "would create" every
    // label on a repository that is not there.
    let (code, out, err) = run_clean(
        &env,
        &["labels", "sync", "--repo", "pypi/none", "--dry-run"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(!out.contains("would create"), "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no repository pypi/none"), "{err}");
    assert!(github.writes().is_empty());
}

#[sqlx::test(migrations = false)]
async fn inspection_commands_create_nothing_and_say_to_migrate(pool: PgPool) {
    let url = database_url(&pool).await;
    let inspections: [&[&str]; 5] = [
        &["requests", "list"],
        &["requests", "show", "pypi/support#1"],
        &["jobs", "list"],
        &["jobs", "retry", "1"],
        &["report"],
    ];
    let tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'";
    // A database without the bot's tables.
    for args in inspections {
        let (code, out, err) = run_clean(&[("DATABASE_URL", &url)], args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("has none of recovery-bot's tables")
                && err.contains("run `recovery-bot migrate`"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(count(&pool, tables).await, 0, "an inspection made a table");

    // A database that does not exist is not created.
    let mut missing = url::Url::parse(&url).unwrap();
    missing.set_path("recovery_bot_never_created_by_inspection");
    for args in inspections {
        let (code, _, err) = run_clean(&[("DATABASE_URL", missing.as_str())], args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("no such database") && err.contains("recovery-bot migrate"),
            "{args:?}: {err}"
        );
    }
    let made = count(
        &pool,
        "SELECT count(*) FROM pg_database WHERE datname = 'recovery_bot_never_created_by_inspection'",
    )
    .await;
    assert_eq!(made, 0, "an inspection created the database");

    // A database behind this binary's migrations is named as such.
    MIGRATOR.run(&pool).await.unwrap();
    let last = "UPDATE _sqlx_migrations SET success = $1 \
                WHERE version = (SELECT max(version) FROM _sqlx_migrations)";
    sqlx::query(last).bind(false).execute(&pool).await.unwrap();
    let (code, _, err) = run_clean(&[("DATABASE_URL", &url)], &["requests", "list"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("lacks 1 of this recovery-bot's migrations"),
        "{err}"
    );
    // Once migrated, the same command works.
    sqlx::query(last).bind(true).execute(&pool).await.unwrap();
    let (code, out, err) = run_clean(&[("DATABASE_URL", &url)], &["requests", "list"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0 request(s)"), "{out}");
}

/// The target this machine builds for (`rustc -vV`'s `host:`), from the
/// rustc beside the cargo that builds the tests.
fn host_triple() -> String {
    let rustc = std::path::Path::new(env!("CARGO")).with_file_name("rustc");
    let out = Command::new(rustc).arg("-vV").output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

/// `cargo` in the repository, for this machine's target; its stdout.
fn cargo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO"))
        .args(args)
        .args(["--locked", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `name version` of every package a build or test run compiles here
/// (`cargo tree`, which resolves features as the build does).
fn compiled_packages() -> Vec<(String, String)> {
    let host = host_triple();
    let tree = cargo(&[
        "tree",
        "--edges",
        "normal,build,dev",
        "--prefix",
        "none",
        "--format",
        "{p}",
        "--target",
        &host,
    ]);
    let mut packages: Vec<(String, String)> = tree
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            Some((
                words.next()?.to_owned(),
                words.next()?.trim_start_matches('v').to_owned(),
            ))
        })
        .collect();
    packages.sort();
    packages.dedup();
    packages
}

#[test]
fn rust_version_is_what_the_lockfile_needs() {
    let version = |v: &str| -> Vec<u32> {
        let mut parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
        parts.resize(3, 0);
        parts
    };
    let ours = env!("CARGO_PKG_RUST_VERSION");
    let metadata: serde_json::Value = serde_json::from_str(&cargo(&[
        "metadata",
        "--format-version",
        "1",
        "--filter-platform",
        &host_triple(),
    ]))
    .unwrap();
    let compiled = compiled_packages();
    assert!(compiled.len() > 100, "{compiled:?}");
    // The highest rust-version of the locked packages that are compiled
    // (normal, build and dev dependencies).
    let (needed, by) = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] != "recovery-bot")
        .filter(|p| {
            compiled
                .iter()
                .any(|(n, v)| p["name"] == n.as_str() && p["version"] == v.as_str())
        })
        .filter_map(|p| Some((p["rust_version"].as_str()?, p["name"].as_str().unwrap())))
        .max_by_key(|(v, _)| version(v))
        .unwrap();
    assert_eq!(
        version(ours),
        version(needed),
        "Cargo.toml says rust-version = {ours}; the lockfile needs {needed} ({by})"
    );
}

#[test]
fn nothing_in_the_build_compiles_aws_lc_sys() {
    // The bot's TLS is rustls on ring; aws-lc-sys would be a second
    // provider and a long C build (it came with fantoccini's rustls).
    let compiled = compiled_packages();
    assert!(compiled.iter().any(|(n, _)| n == "ring"), "{compiled:?}");
    let aws: Vec<_> = compiled
        .iter()
        .filter(|(n, _)| n.starts_with("aws-lc"))
        .collect();
    assert!(aws.is_empty(), "compiled: {aws:?}");
}

/// The shipped Prometheus rules and Grafana dashboard (`deploy/`) query only
/// metrics the bot exports, and promtool accepts the rules and passes their
/// unit tests (Debian's `prometheus` package has promtool; scripts/test
/// installs it when missing).
#[test]
fn alerting_rules_and_dashboard_use_exported_metrics_and_pass_promtool() {
    use recovery_bot::observe::*;
    let exported = [
        WEBHOOK_DELIVERIES,
        JOBS,
        JOB_DURATION,
        JOBS_PENDING,
        JOBS_DEAD,
        JOBS_OLDEST_PENDING_AGE,
        GITHUB_REQUESTS,
        GITHUB_RATE_LIMIT_REMAINING,
        REQUESTS,
        OPEN_REQUEST_OLDEST_AGE,
        MAILS,
    ];
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let rules = std::fs::read_to_string(deploy.join("prometheus/recovery-bot.rules.yml")).unwrap();
    let dashboard = std::fs::read_to_string(deploy.join("grafana/recovery-bot.json")).unwrap();
    let metric = regex::Regex::new(r"recovery_bot_[a-z_]+").unwrap();
    let used = |text: &str| -> Vec<String> {
        metric
            .find_iter(text)
            .map(|m| m.as_str().to_owned())
            .collect()
    };
    for name in used(&rules).iter().chain(&used(&dashboard)) {
        // A histogram is queried through its series.
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|b| *b == JOB_DURATION))
            .unwrap_or(name);
        assert!(
            exported.contains(&base),
            "{name} is not a metric the bot exports"
        );
    }
    // What the operator guide says to alert on has a rule.
    for alerted in [
        JOBS_DEAD,
        JOBS_OLDEST_PENDING_AGE,
        GITHUB_RATE_LIMIT_REMAINING,
        OPEN_REQUEST_OLDEST_AGE,
        MAILS,
        WEBHOOK_DELIVERIES,
    ] {
        assert!(
            used(&rules).iter().any(|n| n == alerted),
            "no rule on {alerted}"
        );
    }
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    assert!(dashboard["panels"].as_array().unwrap().len() >= 8);

    let promtool = |args: &[&str]| {
        let out = Command::new("promtool")
            .args(args)
            .current_dir(deploy.join("prometheus"))
            .output()
            .expect("promtool (Debian: apt-get install prometheus)");
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    promtool(&["check", "rules", "recovery-bot.rules.yml"]);
    promtool(&["test", "rules", "recovery-bot.rules.test.yml"]);
}

/// `[indexes.*]`: `config check` prints the tables (and refuses a
/// top-level directory beside them), and `directory show --index KEY` asks
/// that index's directory (relative paths from the config's folder).
#[test]
fn two_indexes_in_config_check_and_directory_show() {
    let dir = tempfile::tempdir().unwrap();
    let account = |address: &str| {
        serde_json::json!([{"username": "alice",
            "emails": [{"address": address, "verified": true, "primary": true}],
            "projects": []}])
        .to_string()
    };
    std::fs::write(dir.path().join("pypi.json"), account("alice@pypi.example")).unwrap();
    std::fs::write(
        dir.path().join("testpypi.json"),
        account("alice@test.example"),
    )
    .unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        "default_index = \"pypi\"\n\
         [indexes.pypi]\nindex_name = \"PyPI\"\ndirectory_url = \"pypi.json\"\n\
         [indexes.testpypi]\nindex_name = \"TestPyPI\"\ndirectory_url = \"testpypi.json\"\n\
         directory_token = \"tok-secret\"\nlabel = \"test pypi issue\"\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let env = [
        SERVE_ENV.as_slice(),
        &[("RECOVERY_BOT_REPOS", "pypi/support")],
    ]
    .concat();
    let (code, out, err) = run_clean(&env, &["config", "check", "--config", config]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("default_index = \"pypi\""), "{out}");
    assert!(out.contains("[indexes.testpypi]"), "{out}");
    assert!(out.contains("label = \"test pypi issue\""), "{out}");
    assert!(!out.contains("tok-secret"), "{out}");
    assert!(!out.contains("account_directory_url"), "{out}");
    // The printed settings are a config that checks again.
    let printed = dir.path().join("printed.toml");
    std::fs::write(&printed, &out).unwrap();
    let (code, _, err) = run_in(
        dir.path(),
        &env,
        &["config", "check", "--config", printed.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");

    let mixed = [
        env.as_slice(),
        &[("ACCOUNT_DIRECTORY_URL", "https://dir.example")],
    ]
    .concat();
    let (code, _, err) = run_clean(&mixed, &["config", "check", "--config", config]);
    assert_eq!(code, 2);
    assert!(
        err.contains("ACCOUNT_DIRECTORY_URL") && err.contains("beside"),
        "{err}"
    );

    let show = |index: &[&str]| {
        let mut args = vec![
            "directory",
            "show",
            "alice",
            "--show-addresses",
            "--config",
            config,
        ];
        args.extend_from_slice(index);
        run_clean(&[], &args)
    };
    let (code, out, err) = show(&["--index", "testpypi"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("alice@test.example"), "{out}");
    let (code, out, _) = show(&[]);
    assert_eq!(code, 0);
    assert!(out.contains("alice@pypi.example"), "{out}");
    let (code, out, err) = show(&["--index", "npm"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("no index \"npm\"") && err.contains("testpypi"),
        "{err}"
    );
}
