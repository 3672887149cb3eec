//! Starting `serve` the way a newcomer does: the bot's own database is
//! created when missing, and a start-up failure names what failed, where,
//! and why (the GitHub URL and the cause; the database host and the cause).

use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::Duration;

use sqlx::{Connection, PgConnection};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_recovery-bot");

/// The tests' server, with another database name.
fn url_with_database(db: &str) -> String {
    let mut url = url::Url::parse(&std::env::var("DATABASE_URL").unwrap()).unwrap();
    url.set_path(db);
    url.to_string()
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs `serve` to its end (it fails at start here), killed after 60 s.
async fn serve(database_url: &str, github_url: &str) -> Output {
    let child = Command::new(BIN)
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("GITHUB_API_URL", github_url)
        .env("GITHUB_WEBHOOK_SECRET", "s3cret-webhook")
        .env("GITHUB_TOKEN", "ghp_not_a_real_token")
        .env("RECOVERY_BOT_REPOS", "pypi/support")
        .env("BIND_ADDR", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let waited = tokio::task::spawn_blocking(move || child.wait_with_output());
    match tokio::time::timeout(Duration::from_secs(60), waited).await {
        Ok(out) => out.unwrap().unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            panic!("serve did not stop by itself");
        }
    }
}

async fn drop_database(name: &str) {
    let mut admin = PgConnection::connect(&std::env::var("DATABASE_URL").unwrap())
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn serve_creates_its_database_and_names_an_unreachable_github_and_why() {
    let db = "recovery_bot_startup_creates";
    drop_database(db).await;
    let github = format!("http://127.0.0.1:{}", closed_port());
    let out = serve(&url_with_database(db), &github).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("cannot reach GitHub at {github}"))
            && stderr.contains("Connection refused"),
        "{stderr}"
    );
    assert!(!stderr.contains("ghp_not_a_real_token") && !stderr.contains("s3cret-webhook"));
    // A refused connection is retried, quietly: the log line saying the
    // database was made, then the failure; no client library's own lines,
    // and no colour codes on standard error that is not a terminal.
    assert_short(&stderr);
    assert!(stderr.contains("created the bot's database"), "{stderr}");
    // The database was made, and migrated, before GitHub was asked.
    let mut conn = PgConnection::connect(&url_with_database(db)).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'requests'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(tables, 1);
    conn.close().await.unwrap();
    drop_database(db).await;
}

#[tokio::test]
async fn a_refused_token_and_a_missing_host_are_named() {
    let db = "recovery_bot_startup_refused";
    drop_database(db).await;
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "Bad credentials"})),
        )
        .mount(&github)
        .await;
    let out = serve(&url_with_database(db), &github.uri()).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    // GitHub answered: it is reachable, and said no to the token.
    assert!(
        stderr.contains(&format!(
            "GitHub at {} refused the credentials",
            github.uri()
        )) && stderr.contains("401")
            && stderr.contains("check GITHUB_TOKEN"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot reach GitHub"), "{stderr}");
    assert_short(&stderr);
    let out = serve(&url_with_database(db), "http://no-such-host.invalid").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("dns error"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    drop_database(db).await;
}

/// A start-up failure is short: at most two lines (the failure, and the
/// log line that the database was made), none from octocrab, no colour.
fn assert_short(stderr: &str) {
    assert!(stderr.trim().lines().count() <= 2, "{stderr}");
    assert!(!stderr.contains("octocrab"), "{stderr}");
    assert!(!stderr.contains("retrying"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "colour codes: {stderr:?}");
}

#[tokio::test]
async fn a_server_that_does_not_speak_tls_is_named_as_a_tls_failure() {
    let db = "recovery_bot_startup_tls";
    drop_database(db).await;
    // Plain HTTP behind an https:// URL: the TLS handshake fails.
    let plain = MockServer::start().await;
    let github = plain.uri().replace("http://", "https://");
    let out = serve(&url_with_database(db), &github).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("cannot reach GitHub at {github}: TLS failed")),
        "{stderr}"
    );
    assert_short(&stderr);
    drop_database(db).await;
}

#[tokio::test]
async fn a_database_server_that_is_down_is_named_with_what_to_run() {
    let port = closed_port();
    let out = serve(
        &format!("postgres://postgres:hunter2-password@127.0.0.1:{port}/recovery_bot"),
        "http://127.0.0.1:9",
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "cannot connect to PostgreSQL at 127.0.0.1:{port} (database recovery_bot, user postgres)"
        )) && stderr.contains("connection refused")
            && stderr.contains("pg_ctlcluster"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "no password: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one clear line: {stderr}");
}
