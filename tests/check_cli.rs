//! `recovery-bot check`, the built binary: files and standard input, text
//! and JSON, several files, another template, exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_recovery-bot");

fn seed() -> String {
    format!(
        "{}/tests/data/forms/seed-request.md",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn run(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .arg("check")
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_valid_file_as_json() {
    let (code, out, _) = run(&[&seed(), "--format", "json"], None);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["fields"]["username"], "pmeier-lab");
    assert_eq!(
        v["fields"]["code-of-conduct"],
        serde_json::json!(["I agree to follow the PSF Code of Conduct"])
    );
    assert_eq!(v["problems"], serde_json::json!([]));
    assert!(v.get("file").is_none());
}

#[test]
fn an_invalid_body_on_stdin() {
    let body =
        "### PyPI Username\n\nalice@example.com\n\n### Reason for request\n\n_No response_\n";
    let (code, out, _) = run(&["--format", "json"], Some(body));
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["fields"]["reason"], serde_json::Value::Null);
    assert_eq!(v["fields"]["acknowledgement"], serde_json::Value::Null);
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems[0]["field"], "username");
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("not an email address")
    );
    assert_eq!(problems.len(), 5, "{problems:?}");

    let (code, out, _) = run(&["-"], Some(body));
    assert_eq!(code, 1);
    assert!(out.starts_with("invalid (5 problem(s))"), "{out}");
    assert!(
        out.contains("- username: a username is not an email address"),
        "{out}"
    );
}

#[test]
fn several_files_one_line_each_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.md");
    std::fs::write(&bad, "no form here").unwrap();
    let (code, out, _) = run(
        &[&seed(), bad.to_str().unwrap(), &seed(), "--format", "json"],
        None,
    );
    assert_eq!(code, 1);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["file"], seed());
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[1]["file"], bad.to_str().unwrap());
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(lines[2]["valid"], true);
}

#[test]
fn read_and_usage_errors_exit_2() {
    let (code, _, err) = run(&["/no/such/file.md"], None);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/file.md"), "{err}");
    let (code, _, _) = run(&["--format", "yaml"], None);
    assert_eq!(code, 2);
    let (code, _, err) = run(&["--template", "/no/such/template.yml", &seed()], None);
    assert_eq!(code, 2);
    assert!(err.contains("template"), "{err}");
}

#[test]
fn another_template() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("form.yml");
    std::fs::write(
        &template,
        "name: x\nbody:\n  - type: input\n    id: username\n    attributes: {label: Account name}\n    validations: {required: true}\n",
    )
    .unwrap();
    let (code, out, _) = run(
        &["--template", template.to_str().unwrap(), "--format", "json"],
        Some("### Account name\n\n`bob`\n"),
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["fields"], serde_json::json!({"username": "bob"}));
}

/// The seed request with another value in the username field.
fn seed_with_username(value: &str) -> String {
    std::fs::read_to_string(seed())
        .unwrap()
        .replace("`pmeier-lab`", value)
}

#[test]
fn usernames_are_read_exactly() {
    for (typed, read_as) in [
        ("_jbber", "_jbber"),
        ("jbber_", "jbber_"),
        ("`_jbber_`", "_jbber_"),
        ("__init__", "__init__"),
        (
            "https://test.pypi.org/user/jbber/",
            "https://test.pypi.org/user/jbber/",
        ),
    ] {
        let (code, out, _) = run(&["--format", "json"], Some(&seed_with_username(typed)));
        assert_eq!(code, 1, "{typed}: {out}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["valid"], false, "{typed}");
        assert_eq!(v["fields"]["username"], read_as, "{typed}");
        let problems = v["problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{typed}: {problems:?}");
        assert_eq!(problems[0]["field"], "username", "{typed}");
        let message = problems[0]["message"].as_str().unwrap();
        assert!(message.contains(read_as), "{typed}: {message}");
        assert!(
            message.contains("not a valid username"),
            "{typed}: {message}"
        );
    }
    // A profile URL of the index is read as the name in it.
    let body = seed_with_username("`https://pypi.org/user/pmeier-lab/`");
    let (code, out, _) = run(&["--format", "json"], Some(&body));
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["fields"]["username"], "pmeier-lab");
}

#[test]
fn an_email_address_with_more_around_it_is_not_echoed() {
    for typed in ["alice@example.com (old)", "alice@example.com."] {
        let body = seed_with_username(typed);
        let (code, out, _) = run(&["--format", "json"], Some(&body));
        assert_eq!(code, 1, "{typed}: {out}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["valid"], false, "{typed}");
        let problems = v["problems"].as_array().unwrap();
        assert_eq!(problems.len(), 1, "{typed}: {problems:?}");
        assert_eq!(problems[0]["field"], "username", "{typed}");
        let message = problems[0]["message"].as_str().unwrap();
        assert!(
            message.contains("a username is not an email address"),
            "{typed}: {message}"
        );
        let messages = serde_json::to_string(&v["problems"]).unwrap();
        assert!(!messages.contains("alice@"), "{typed}: {messages}");
        assert!(!messages.contains("example.com"), "{typed}: {messages}");

        let (code, out, _) = run(&[], Some(&body));
        assert_eq!(code, 1, "{typed}: {out}");
        assert!(
            out.contains("- username: a username is not an email address"),
            "{typed}: {out}"
        );
        assert!(!out.contains("alice@"), "{typed}: {out}");
    }
}
