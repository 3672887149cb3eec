//! `recovery-bot triage`, the built binary, against the fake GitHub: a
//! backlog of 250 open intake issues (three pages), JSON and text, zero
//! write calls, the account directory's facts, a GitHub App's installation,
//! and the errors that end it with exit 2.

mod common;

use std::process::Stdio;

use common::{FakeGitHub, INTAKE, REPO, form_body};
use recovery_bot::form::Template;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BIN: &str = env!("CARGO_BIN_EXE_recovery-bot");
const EMAIL: &str = "someone.private@example.com";

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with only `env` set (no database, no config file).
async fn run(env: &[(&str, &str)], args: &[&str]) -> Output {
    let out = tokio::process::Command::new(BIN)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `triage` with a token against `github`.
async fn triage(github: &str, extra_env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut env = vec![
        ("GITHUB_TOKEN", "ghp_test_token"),
        ("GITHUB_API_URL", github),
    ];
    env.extend_from_slice(extra_env);
    let mut all = vec!["triage"];
    all.extend_from_slice(args);
    run(&env, &all).await
}

/// The problems `check` shows for `body`: triage shows them the same way.
async fn check_problems(body: &str) -> Value {
    let mut child = tokio::process::Command::new(BIN)
        .env_clear()
        .args(["check", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(body.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["problems"].clone()
}

/// `triage --repo REPO --format json` with the config file `config`: its
/// lines, once it exited 0.
async fn triage_with_config(github: &str, config: &std::path::Path) -> Vec<Value> {
    let out = triage(
        github,
        &[("RECOVERY_BOT_CONFIG", config.to_str().unwrap())],
        &["--repo", REPO, "--format", "json"],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    lines(&out.stdout)
}

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn by_number(rows: &[Value], n: u64) -> &Value {
    rows.iter()
        .find(|r| r["number"] == n)
        .unwrap_or_else(|| panic!("no row for #{n}"))
}

fn one_line_error(out: &Output) -> &str {
    assert_eq!(
        out.code, 2,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", out.stdout);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert!(out.stderr.starts_with("recovery-bot"), "{}", out.stderr);
    out.stderr.trim_end()
}

/// The body of each special issue of the backlog; every other one is a
/// valid request for `user-<n>`.
fn special_body(n: u64) -> Option<Option<String>> {
    Some(match n {
        2 => Some(form_body(EMAIL, "I lost my phone")),
        3 => Some(form_body("carol", "_No response_")),
        4 => None,
        5 => Some(form_body("DupName", "I lost my phone")),
        6 => Some(form_body("_jbber", "typed it so")),
        7 => Some(form_body("`dupname`", "asking again")),
        _ => return None,
    })
}

/// 252 issues: 250 open intake issues, plus #50 (not an intake issue) and
/// #60 (closed), which triage must not list.
fn backlog(fake: &FakeGitHub) {
    for n in 1..=252u64 {
        let login = format!("user{n}");
        let body = special_body(n)
            .unwrap_or_else(|| Some(form_body(&format!("user-{n}"), "I lost my phone")));
        let labels: &[&str] = if n == 50 { &["bug"] } else { &[INTAKE] };
        fake.add_issue(REPO, n, &login, 10_000 + n, body.as_deref(), labels);
    }
    fake.update_issue(REPO, 60, |i| i.state = "closed".into());
}

#[tokio::test]
async fn a_backlog_of_250_issues_in_three_pages_with_no_write() {
    let fake = FakeGitHub::start().await;
    backlog(&fake);
    let out = triage(&fake.uri(), &[], &["--repo", REPO, "--format", "json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "triage: read 100 issues (page 1)\n\
         triage: read 200 issues (page 2)\n\
         triage: read 250 issues (page 3)\n"
    );

    // Nothing written, three reads: one per page.
    assert!(fake.writes().is_empty(), "{:#?}", fake.writes());
    let requests = fake.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/repos/pypi/support/issues"; 3]);
    println!(
        "triage: {} GitHub calls for 250 issues = {:.3} calls per issue",
        requests.len(),
        requests.len() as f64 / 250.0
    );

    // One line per open intake issue, by number.
    let rows = lines(&out.stdout);
    assert_eq!(rows.len(), 250);
    let numbers: Vec<u64> = rows.iter().map(|r| r["number"].as_u64().unwrap()).collect();
    let want: Vec<u64> = (1..=252).filter(|n| *n != 50 && *n != 60).collect();
    assert_eq!(numbers, want);

    // Exactly, key order included.
    let text: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        text[0],
        r#"{"number":1,"author":"user1","username":"user-1","valid":true,"problems":[],"duplicate_of":null,"from_form":true,"directory":null}"#
    );
    assert_eq!(
        text[4],
        r#"{"number":5,"author":"user5","username":"DupName","valid":true,"problems":[],"duplicate_of":null,"from_form":true,"directory":null}"#
    );
    // The same account, in backticks and another case: a duplicate of #5.
    assert_eq!(
        text[6],
        r#"{"number":7,"author":"user7","username":"dupname","valid":true,"problems":[],"duplicate_of":5,"from_form":true,"directory":null}"#
    );
    // Invalid ones: the problems exactly as `check` shows them.
    for (n, username) in [(2, Value::Null), (3, json!("carol")), (6, json!("_jbber"))] {
        let body = special_body(n).unwrap().unwrap();
        let problems = check_problems(&body).await;
        assert!(!problems.as_array().unwrap().is_empty(), "#{n}");
        assert_eq!(
            *by_number(&rows, n),
            json!({
                "number": n, "author": format!("user{n}"), "username": username,
                "valid": false, "problems": problems, "duplicate_of": null,
                "from_form": true, "directory": null,
            }),
            "#{n}"
        );
    }
    // An email address typed as the username is never repeated; the
    // message says why the username is missing.
    assert!(!out.stdout.contains("example.com"), "{}", out.stdout);
    assert!(
        by_number(&rows, 2)["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not an email address")
    );
    // No body at all: not from the form, invalid, nothing read.
    let none = by_number(&rows, 4);
    assert_eq!(none["from_form"], false);
    assert_eq!(none["valid"], false);
    assert_eq!(none["username"], Value::Null);
    assert!(!none["problems"].as_array().unwrap().is_empty());
    // Every other one is a valid, distinct request.
    assert_eq!(rows.iter().filter(|r| r["valid"] == true).count(), 246);
    assert_eq!(
        rows.iter().filter(|r| !r["duplicate_of"].is_null()).count(),
        1
    );
}

#[tokio::test]
async fn the_text_table() {
    let fake = FakeGitHub::start().await;
    backlog(&fake);
    let out = triage(&fake.uri(), &[], &["--repo", REPO]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(fake.writes().is_empty());
    let text: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(text.len(), 1 + 250 + 1, "{}", out.stdout);
    assert!(
        text[0].starts_with("ISSUE  AUTHOR   USERNAME  VALID  DUPLICATE OF  PROBLEMS"),
        "{}",
        text[0]
    );
    let row = |n: u64| {
        text.iter()
            .find(|l| l.starts_with(&format!("#{n} ")))
            .unwrap_or_else(|| panic!("no row for #{n}"))
    };
    assert!(
        row(1)
            .split_whitespace()
            .eq(["#1", "user1", "user-1", "yes", "-", "-"])
    );
    assert!(
        row(7)
            .split_whitespace()
            .eq(["#7", "user7", "dupname", "yes", "#5", "-"])
    );
    let email = row(2);
    assert!(
        email.starts_with("#2     user2    -         no   "),
        "{email}"
    );
    assert!(
        email.contains("username: a username is not an email address"),
        "{email}"
    );
    // Long problem lists are cut.
    assert!(email.ends_with('…'), "{email}");
    assert!(!out.stdout.contains("example.com"));
    assert_eq!(
        text[251],
        "250 issue(s): 246 valid, 4 invalid, 1 duplicate(s)"
    );
}

#[tokio::test]
async fn one_page_has_no_progress_line() {
    let fake = FakeGitHub::start().await;
    fake.add_issue(
        REPO,
        1,
        "user1",
        1,
        Some(&form_body("alice", "lost")),
        &[INTAKE],
    );
    let out = triage(&fake.uri(), &[], &["--repo", REPO, "--format", "json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert_eq!(out.stdout.lines().count(), 1);
    // No intake issue at all: no line, still exit 0.
    let out = triage(&fake.uri(), &[], &["--repo", "pypi/empty"]).await;
    assert_eq!(out.code, 2, "an unknown repository is an error");
    fake.add_issue("pypi/quiet", 1, "user1", 1, Some("hello"), &["bug"]);
    let out = triage(
        &fake.uri(),
        &[],
        &["--repo", "pypi/quiet", "--format", "json"],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(fake.writes().is_empty());
}

#[tokio::test]
async fn api_errors_end_with_exit_2_and_one_line() {
    let fake = FakeGitHub::start().await;
    backlog(&fake);

    let out = triage(&fake.uri(), &[], &["--repo", "pypi/nope"]).await;
    let line = one_line_error(&out);
    assert!(line.contains("pypi/nope") && line.contains("404"), "{line}");
    assert!(line.contains("no such repository"), "{line}");

    // GitHub fails every attempt: the client's retries are spent.
    let before = fake.requests().len();
    fake.fail_next("GET", "/issues", 500, &[], 3);
    let line = one_line_error(&triage(&fake.uri(), &[], &["--repo", REPO]).await).to_owned();
    assert!(
        line.contains("reading the open issues of pypi/support"),
        "{line}"
    );
    assert!(line.contains("500"), "{line}");
    assert_eq!(
        fake.requests().len() - before,
        3,
        "one call and two retries"
    );

    // A failure that is retried away is not an error.
    fake.fail_next("GET", "/issues", 503, &[], 1);
    let out = triage(&fake.uri(), &[], &["--repo", REPO, "--format", "json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 250);
    assert!(fake.writes().is_empty());
}

#[tokio::test]
async fn usage_and_config_errors_end_with_exit_2() {
    let fake = FakeGitHub::start().await;
    // No credentials.
    let out = run(
        &[("GITHUB_API_URL", &fake.uri())],
        &["triage", "--repo", REPO],
    )
    .await;
    let line = one_line_error(&out);
    assert!(line.contains("GITHUB_TOKEN"), "{line}");
    // Not owner/name.
    for bad in ["pypi", "pypi/support/issues", "a b/c"] {
        let line = one_line_error(&triage(&fake.uri(), &[], &["--repo", bad]).await).to_owned();
        assert!(line.contains("OWNER/NAME"), "{line}");
    }
    // No --repo, an unknown format: clap's own usage errors.
    assert_eq!(triage(&fake.uri(), &[], &[]).await.code, 2);
    assert_eq!(
        triage(&fake.uri(), &[], &["--repo", REPO, "--format", "xml"])
            .await
            .code,
        2
    );
    // A template that cannot be read.
    let line = one_line_error(
        &triage(
            &fake.uri(),
            &[],
            &["--repo", REPO, "--template", "/nonexistent/form.yml"],
        )
        .await,
    )
    .to_owned();
    assert!(line.contains("/nonexistent/form.yml"), "{line}");
    // A config file that does not parse.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(&config, "no_such_setting = 1\n").unwrap();
    let out = triage(
        &fake.uri(),
        &[("RECOVERY_BOT_CONFIG", config.to_str().unwrap())],
        &["--repo", REPO],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        fake.requests().is_empty(),
        "no call before the settings hold"
    );
}

#[tokio::test]
async fn the_config_and_template_flag_choose_the_form() {
    let fake = FakeGitHub::start().await;
    // A form like pypi/support's: the username field is `login`.
    let dir = tempfile::tempdir().unwrap();
    let form = dir.path().join("form.yml");
    std::fs::write(
        &form,
        "name: Recovery\ndescription: x\nbody:\n  - type: input\n    id: username\n    attributes:\n      label: Login\n    validations:\n      required: true\n",
    )
    .unwrap();
    fake.add_issue(REPO, 1, "user1", 1, Some("### Login\n\nalice"), &[INTAKE]);
    let out = triage(
        &fake.uri(),
        &[],
        &[
            "--repo",
            REPO,
            "--format",
            "json",
            "--template",
            form.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = lines(&out.stdout);
    assert_eq!(rows[0]["username"], "alice");
    assert_eq!(rows[0]["valid"], true, "{}", out.stdout);
    // The config's own intake label.
    let config = dir.path().join("bot.toml");
    std::fs::write(&config, "[labels]\nintake = \"lost-2fa\"\n").unwrap();
    fake.add_issue(
        REPO,
        2,
        "user2",
        2,
        Some(&form_body("bob", "lost")),
        &["lost-2fa"],
    );
    let rows = triage_with_config(&fake.uri(), &config).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["number"], 2);
    assert!(fake.writes().is_empty());
}

/// An issue as GitHub lists it.
fn raw_issue(n: u64, body: &str) -> Value {
    json!({
        "number": n, "body": body, "state": "open",
        "user": {"login": format!("user{n}"), "id": n, "type": "User"},
        "labels": [{"name": INTAKE}],
    })
}

#[tokio::test]
async fn a_failure_on_a_later_page_prints_nothing_but_the_progress() {
    let github = MockServer::start().await;
    let page: Vec<Value> = (1..=100)
        .map(|n| raw_issue(n, &form_body(&format!("user-{n}"), "lost")))
        .collect();
    Mock::given(method("GET"))
        .and(path("/repos/acme/tracker/issues"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&github)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/tracker/issues"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(502).set_body_string("<html>\n<h1>Bad gateway</h1>\n</html>"),
        )
        .mount(&github)
        .await;
    let out = triage(
        &github.uri(),
        &[],
        &["--repo", "acme/tracker", "--format", "json"],
    )
    .await;
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let err: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(err.len(), 2, "{}", out.stderr);
    assert_eq!(err[0], "triage: read 100 issues (page 1)");
    assert!(
        err[1].starts_with("recovery-bot triage: reading the open issues of acme/tracker"),
        "{}",
        err[1]
    );
    assert!(err[1].contains("502"), "{}", err[1]);
    let calls = github.received_requests().await.unwrap();
    assert_eq!(calls.len(), 1 + 3, "page 1, then page 2 tried three times");
    let query = calls[0].url.query().unwrap_or("");
    for want in [
        "state=open",
        "labels=account-recovery",
        "per_page=100",
        "sort=created",
        "direction=asc",
    ] {
        assert!(query.contains(want), "{query}");
    }
}

async fn directory() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/alice"))
        .and(header("authorization", "Bearer dir-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "username": "alice",
            "emails": [{"address": "alice.private@example.net", "verified": true, "primary": true}],
            "projects": [
                {"name": "alice-tools", "repository_url": "https://github.com/user1/alice-tools"},
                {"name": "alice-docs", "repository_url": null}
            ],
            "recovery_codes": {"generated": true, "unused": 3}
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/noprojects"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "username": "noprojects",
            "emails": [{"address": "np@example.net", "verified": true, "primary": true}],
            "projects": []
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/broken"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    // Anything else: 404, no such account (wiremock's answer when nothing
    // matches).
    server
}

#[tokio::test]
async fn the_account_directory_facts() {
    let fake = FakeGitHub::start().await;
    let dir = directory().await;
    let bodies = [
        (1, form_body("alice", "lost")),
        (2, form_body("ghost", "lost")),
        (3, form_body("ALICE", "again")),
        (4, form_body(EMAIL, "lost")),
        (5, form_body("noprojects", "lost")),
        (6, form_body("_jbber", "lost")),
    ];
    for (n, body) in &bodies {
        fake.add_issue(REPO, *n, &format!("user{n}"), *n, Some(body), &[INTAKE]);
    }
    let env = [
        ("ACCOUNT_DIRECTORY_URL", dir.uri()),
        ("ACCOUNT_DIRECTORY_TOKEN", "dir-token".to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = triage(&fake.uri(), &env, &["--repo", REPO, "--format", "json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(fake.writes().is_empty());
    let rows = lines(&out.stdout);
    assert_eq!(rows.len(), 6);
    assert_eq!(
        out.stdout.lines().next().unwrap(),
        r#"{"number":1,"author":"user1","username":"alice","valid":true,"problems":[],"duplicate_of":null,"from_form":true,"directory":{"exists":true,"projects":2}}"#
    );
    // An unknown account is a problem, worded as intake words it.
    let missing =
        recovery_bot::recovery::intake::account_missing(&Template::default_recovery(), "ghost");
    assert_eq!(
        rows[1],
        json!({
            "number": 2, "author": "user2", "username": "ghost", "valid": false,
            "problems": [{"field": missing.field, "message": missing.message}],
            "duplicate_of": null, "from_form": true,
            "directory": {"exists": false, "projects": null},
        })
    );
    assert_eq!(rows[2]["duplicate_of"], 1);
    assert_eq!(rows[2]["directory"], json!({"exists": true, "projects": 2}));
    // No valid username, no look-up.
    assert_eq!(rows[3]["directory"], Value::Null);
    assert_eq!(rows[4]["directory"], json!({"exists": true, "projects": 0}));
    assert_eq!(rows[4]["valid"], true);
    assert_eq!(rows[5]["directory"], Value::Null);
    assert!(!out.stdout.contains("example.net") && !out.stdout.contains("example.com"));

    // One look-up per account, whatever the case it is written in.
    let mut looked_up: Vec<String> = dir
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_lowercase())
        .collect();
    looked_up.sort();
    assert_eq!(looked_up, ["/alice", "/ghost", "/noprojects"]);

    // The table gains the directory's columns.
    let out = triage(&fake.uri(), &env, &["--repo", REPO]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text: Vec<&str> = out.stdout.lines().collect();
    assert!(
        text[0].split_whitespace().eq([
            "ISSUE",
            "AUTHOR",
            "USERNAME",
            "VALID",
            "DUPLICATE",
            "OF",
            "ACCOUNT",
            "PROJECTS",
            "PROBLEMS"
        ]),
        "{}",
        text[0]
    );
    assert!(
        text[1]
            .split_whitespace()
            .eq(["#1", "user1", "alice", "yes", "-", "found", "2", "-"]),
        "{}",
        text[1]
    );
    let ghost: Vec<&str> = text[2].split_whitespace().collect();
    assert_eq!(
        ghost[..7],
        ["#2", "user2", "ghost", "no", "-", "missing", "-"],
        "{}",
        text[2]
    );
    assert!(
        text[2].contains("  username: there is no account named"),
        "{}",
        text[2]
    );
    assert_eq!(text[7], "6 issue(s): 3 valid, 3 invalid, 1 duplicate(s)");

    // The directory failing is an error, not a missing account.
    fake.add_issue(
        REPO,
        7,
        "user7",
        7,
        Some(&form_body("broken", "lost")),
        &[INTAKE],
    );
    let line = one_line_error(&triage(&fake.uri(), &env, &["--repo", REPO]).await).to_owned();
    assert!(line.contains("`broken`") && line.contains("500"), "{line}");
}

#[tokio::test]
async fn as_a_github_app_it_finds_the_installation() {
    let github = MockServer::start().await;
    let jwt = || wiremock::matchers::header_regex("authorization", "^Bearer ey");
    Mock::given(method("GET"))
        .and(path("/repos/acme/tracker/installation"))
        .and(jwt())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 77})))
        .mount(&github)
        .await;
    Mock::given(method("POST"))
        .and(path("/app/installations/77/access_tokens"))
        .and(jwt())
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "token": "ghs_installation_token",
            "expires_at": "2099-01-01T00:00:00Z",
            "permissions": {"issues": "write", "metadata": "read"},
            "repository_selection": "all",
        })))
        .mount(&github)
        .await;
    let issue = raw_issue;
    let mut pull = issue(2, "a pull request");
    pull["pull_request"] = json!({"url": "https://api.github.com/repos/acme/tracker/pulls/2"});
    Mock::given(method("GET"))
        .and(path("/repos/acme/tracker/issues"))
        .and(header("authorization", "Bearer ghs_installation_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            issue(1, &form_body("alice", "lost")),
            pull,
            issue(3, &form_body("bob", "lost")),
        ])))
        .mount(&github)
        .await;
    let key = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/test-app-key.pem");
    let env = [
        ("GITHUB_API_URL", github.uri()),
        ("GITHUB_APP_ID", "12345".to_owned()),
        ("GITHUB_APP_PRIVATE_KEY_FILE", key.to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run(
        &env,
        &["triage", "--repo", "acme/tracker", "--format", "json"],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows = lines(&out.stdout);
    let numbers: Vec<&Value> = rows.iter().map(|r| &r["number"]).collect();
    assert_eq!(numbers, [1, 3], "pull requests are not requests");
    let calls: Vec<String> = github
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect();
    assert_eq!(
        calls,
        [
            "GET /repos/acme/tracker/installation",
            "POST /app/installations/77/access_tokens",
            "GET /repos/acme/tracker/issues",
        ],
        "the only POST mints the installation's token"
    );

    // Not installed there.
    let out = run(&env, &["triage", "--repo", "acme/elsewhere"]).await;
    let line = one_line_error(&out);
    assert!(line.contains("not installed on acme/elsewhere"), "{line}");
}

/// With two indexes, triage reads each issue's index (its label here),
/// judges duplicates per index and asks each index's own directory.
#[tokio::test]
async fn two_indexes_each_judged_on_its_own() {
    let fake = FakeGitHub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let accounts = |names: &[&str]| {
        let list: Vec<Value> = names
            .iter()
            .map(|n| serde_json::json!({"username": n, "emails": [], "projects": []}))
            .collect();
        Value::Array(list).to_string()
    };
    std::fs::write(dir.path().join("pypi.json"), accounts(&["alice"])).unwrap();
    std::fs::write(dir.path().join("test.json"), accounts(&["alice", "carol"])).unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        "default_index = \"pypi\"\n\
         [indexes.pypi]\nindex_name = \"PyPI\"\ndirectory_url = \"pypi.json\"\n\
         [indexes.testpypi]\nindex_name = \"TestPyPI\"\ndirectory_url = \"test.json\"\nlabel = \"test pypi issue\"\n",
    )
    .unwrap();
    let test = "test pypi issue";
    for (n, name, labels) in [
        (1, "alice", vec![INTAKE]),
        (2, "alice", vec![INTAKE, test]),
        (3, "alice", vec![INTAKE]),
        (4, "carol", vec![INTAKE]),
        (5, "carol", vec![INTAKE, test]),
    ] {
        let body = form_body(name, "lost");
        fake.add_issue(REPO, n, &format!("u{n}"), n, Some(&body), &labels);
    }
    let rows = triage_with_config(&fake.uri(), &config).await;
    let at = |n| by_number(&rows, n);
    assert_eq!(at(1)["index"], "pypi");
    assert_eq!(at(2)["index"], "testpypi");
    assert_eq!(at(2)["duplicate_of"], Value::Null, "{rows:?}");
    assert_eq!(at(3)["duplicate_of"], 1);
    // carol is on TestPyPI only.
    assert_eq!(at(4)["valid"], false, "{rows:?}");
    assert_eq!(at(5)["valid"], true, "{rows:?}");
    assert!(fake.writes().is_empty());
}
