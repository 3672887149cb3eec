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
    run_with_config(None, args, stdin)
}

/// `check` with `RECOVERY_BOT_CONFIG` set to `config`, or unset.
fn run_with_config(
    config: Option<&std::path::Path>,
    args: &[&str],
    stdin: Option<&str>,
) -> (i32, String, String) {
    let mut command = Command::new(BIN);
    match config {
        Some(path) => command.env("RECOVERY_BOT_CONFIG", path),
        None => command.env_remove("RECOVERY_BOT_CONFIG"),
    };
    let mut child = command
        .arg("check")
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    // A child that stops before reading its input (a usage error) closes
    // the pipe: its exit code and output, asserted below, say why.
    if let Err(e) = input.write_all(stdin.unwrap_or("").as_bytes()) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
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

fn forms(name: &str) -> String {
    format!("{}/tests/data/forms/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `check --template <form> --format json <body>`: exit code and the JSON.
fn check_json(form: &str, body: &str) -> (i32, serde_json::Value) {
    let (code, out, err) = run(
        &["--template", &forms(form), "--format", "json", &forms(body)],
        None,
    );
    assert!(err.is_empty(), "{body}: {err}");
    (code, serde_json::from_str(out.trim()).unwrap())
}

const PYPI_FORM: &str = "pypi-support-account-recovery.yml";
const COC: &str = "I agree to follow the PSF Code of Conduct";
const ACK: &str = "I understand that it may take a significant amount of time to process my account recovery request.";

#[test]
fn pypi_supports_own_form_with_no_settings() {
    let (code, v) = check_json(PYPI_FORM, "pypi-support-valid.md");
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v,
        serde_json::json!({
            "valid": true,
            "fields": {
                "pypi_username": "pmeier-lab",
                "reason_for_request": "Hello,\n\nI lost access to the 2FA authentication app. I still have access to the email address registered on my PyPI account.\n\n- [x] tried my old recovery codes\n- [ ] found the backup phone\n\n### What I tried\n\nLogging in with a recovery code says \"Invalid recovery code.\"",
                "code_of_conduct": [COC],
                "acknowledgement": [ACK],
            },
            "problems": [],
        })
    );

    let (code, v) = check_json(PYPI_FORM, "pypi-support-no-response.md");
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        v,
        serde_json::json!({
            "valid": false,
            "fields": {
                "pypi_username": null,
                "reason_for_request": "Lost my phone, and the codes were on it.",
                "code_of_conduct": [COC],
                "acknowledgement": [],
            },
            "problems": [
                {"field": "pypi_username", "message": "write the username of the account you want to recover (your username, not your email address)."},
                {"field": "acknowledgement", "message": format!("tick “{ACK}”")},
            ],
        })
    );

    let (code, v) = check_json(PYPI_FORM, "pypi-support-crlf.md");
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v,
        serde_json::json!({
            "valid": true,
            "fields": {
                "pypi_username": "jane.doe",
                "reason_for_request": "My phone was stolen. The log from the login page:\n\n```\n### Code of Conduct\nError: invalid TOTP code\n```",
                "code_of_conduct": [COC],
                "acknowledgement": [ACK],
            },
            "problems": [],
        })
    );
}

#[test]
fn a_form_with_every_kind_of_field() {
    let (code, v) = check_json("every-field.yml", "every-field-full.md");
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v,
        serde_json::json!({
            "valid": true,
            "fields": {
                "username": "alice",
                "contact_optional": "alice on Matrix",
                "what-happened": "It broke.\n\n### My own heading\n\n- [x] tried turning it off and on",
                "shell_output": "$ thing --version\n### not a heading\nthing 2.0",
                "version": ["2.0"],
                "operating_systems": ["Linux, or another Unix", "Windows"],
                "is_the_thing_a_thing": ["I agree to the terms", "Send me the newsletter"],
            },
            "problems": [],
        })
    );

    let (code, v) = check_json("every-field.yml", "every-field-empty.md");
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v,
        serde_json::json!({
            "valid": true,
            "fields": {
                "username": "alice",
                "contact_optional": null,
                "what-happened": "Nothing else to say.",
                "shell_output": null,
                "version": ["1.0"],
                "operating_systems": null,
                "is_the_thing_a_thing": ["I agree to the terms"],
            },
            "problems": [],
        })
    );

    let (code, v) = check_json("every-field.yml", "every-field-invalid-crlf.md");
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        v,
        serde_json::json!({
            "valid": false,
            "fields": {
                "username": null,
                "contact_optional": null,
                "what-happened": null,
                "shell_output": "$ thing",
                "version": "3.0",
                "operating_systems": "macOS, Plan 9",
                "is_the_thing_a_thing": ["Send me the newsletter"],
            },
            "problems": [
                {"field": "username", "message": "write the username of the account you want to recover (your username, not your email address)."},
                {"field": "what-happened", "message": "this field is empty; please fill it in."},
                {"field": "version", "message": "`3.0` is not one of the choices; pick one from the list."},
                {"field": "operating_systems", "message": "`macOS, Plan 9` is not one of the choices; pick one from the list."},
                {"field": "is_the_thing_a_thing", "message": "tick “I agree to the terms”."},
            ],
        })
    );
}

#[test]
fn several_bodies_of_another_form() {
    let (code, out, _) = run(
        &[
            "--template",
            &forms(PYPI_FORM),
            "--format",
            "json",
            &forms("pypi-support-valid.md"),
            &forms("pypi-support-no-response.md"),
            &forms("pypi-support-crlf.md"),
        ],
        None,
    );
    assert_eq!(code, 1, "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(&str, bool)> = lines
        .iter()
        .map(|l| (l["file"].as_str().unwrap(), l["valid"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (forms("pypi-support-valid.md").as_str(), true),
            (forms("pypi-support-no-response.md").as_str(), false),
            (forms("pypi-support-crlf.md").as_str(), true),
        ]
    );
}

#[test]
fn a_refused_form_gets_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (yaml, line) in [
        (
            "body:\n  - type: input\n    id: username\n    attributes: {label: Name}\n  - type: radio\n    attributes: {label: Pick one}\n",
            "unknown field type `radio` (body item 2, labelled `Pick one`); an issue form has markdown, input, textarea, dropdown and checkboxes",
        ),
        (
            "body:\n  - type: input\n    attributes: {label: PyPI Username}\n  - type: input\n    attributes: {label: \"PyPI username?\"}\n",
            "two fields have the key `pypi_username` (`PyPI Username` and `PyPI username?`; a field without an id is keyed by its label's slug): give one of them another id",
        ),
        (
            "body:\n  - type: input\n    attributes: {label: Account}\n",
            "no username field: give the account name's field the id `username`, put \"username\" in its input's label, or set `[form] username_field` to its key",
        ),
    ] {
        let path = dir.path().join("form.yml");
        std::fs::write(&path, yaml).unwrap();
        let (code, out, err) = run(&["--template", path.to_str().unwrap(), &seed()], None);
        assert_eq!(code, 2, "{line}");
        assert!(out.is_empty(), "{out}");
        assert_eq!(
            err,
            format!("recovery-bot check: template {}: {line}\n", path.display())
        );
    }
}

#[test]
fn the_username_field_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("form.yml");
    std::fs::write(
        &template,
        "body:\n  - type: input\n    id: account\n    attributes: {label: Account}\n    validations: {required: true}\n",
    )
    .unwrap();
    let config = dir.path().join("bot.toml");
    std::fs::write(&config, "[form]\nusername_field = \"account\"\n").unwrap();
    let args = ["--template", template.to_str().unwrap(), "--format", "json"];
    let (code, out, err) = run_with_config(Some(&config), &args, Some("### Account\n\n`bob`\n"));
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["fields"], serde_json::json!({"account": "bob"}));

    let (code, v) = {
        let (code, out, _) = run_with_config(
            Some(&config),
            &args,
            Some("### Account\n\nbob@example.com\n"),
        );
        (
            code,
            serde_json::from_str::<serde_json::Value>(out.trim()).unwrap(),
        )
    };
    assert_eq!(code, 1);
    assert_eq!(v["problems"][0]["field"], "account");
    assert!(
        v["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("a username is not an email address")
    );

    // Without the setting the form is refused.
    let (code, _, err) = run(&args, Some("### Account\n\nbob\n"));
    assert_eq!(code, 2);
    assert!(err.contains("no username field"), "{err}");
}
