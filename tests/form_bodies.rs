//! The issue-form parser and validation on bodies as GitHub renders them,
//! and on the ways people and browsers change them.

use recovery_bot::form::{self, FieldValue, ProblemKind, Rules, Template};

const CODES: &str = "I never generated or have lost access to the recovery codes for my account";
const COC: &str = "I agree to follow the PSF Code of Conduct";
const ACK: &str = "I understand that it may take a significant amount of time to process my account recovery request.";

/// A body as GitHub renders the default form.
fn render(username: &str, reason: &str, ticks: [&str; 3]) -> String {
    format!(
        "### PyPI Username\n\n{username}\n\n### Reason for request\n\n{reason}\n\n### Recovery Codes\n\n- [{}] {CODES}\n\n### Code of Conduct\n\n- [{}] {COC}\n\n### Acknowledgement\n\n- [{}] {ACK}",
        ticks[0], ticks[1], ticks[2]
    )
}

fn ok(username: &str, reason: &str) -> String {
    render(username, reason, ["X", "X", "X"])
}

struct Expect {
    username: Option<&'static str>,
    reason: Option<&'static str>,
    problems: Vec<(&'static str, ProblemKind)>,
    from_form: bool,
}

fn valid(username: &'static str, reason: &'static str) -> Expect {
    Expect {
        username: Some(username),
        reason: Some(reason),
        problems: vec![],
        from_form: true,
    }
}

fn check(name: &str, body: Option<&str>, e: Expect) {
    let t = Template::default_recovery();
    let response = form::parse(&t, body);
    let v = form::validate(&t, &response, &Rules::default());
    assert_eq!(response.from_form, e.from_form, "{name}: from_form");
    assert_eq!(v.fields["username"].text(), e.username, "{name}: username");
    if let Some(reason) = e.reason {
        assert_eq!(v.fields["reason"].text(), Some(reason), "{name}: reason");
    }
    let got: Vec<(&str, ProblemKind)> = v
        .problems
        .iter()
        .map(|p| (p.field.as_str(), p.kind.clone()))
        .collect();
    assert_eq!(got, e.problems, "{name}: problems");
}

fn missing(field: &'static str) -> (&'static str, ProblemKind) {
    (field, ProblemKind::Missing)
}

fn all_missing() -> Vec<(&'static str, ProblemKind)> {
    [
        "username",
        "reason",
        "recovery-codes",
        "code-of-conduct",
        "acknowledgement",
    ]
    .into_iter()
    .map(missing)
    .collect()
}

#[test]
fn table() {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/forms/seed-request.md"
    ))
    .unwrap();
    let long_reason = "a".repeat(65_000);
    let long_body = ok("alice", &long_reason);
    let crlf = ok("alice", "line one\nline two").replace('\n', "\r\n");
    let lone_cr = ok("alice", "one").replace('\n', "\r");
    let cases: Vec<(&str, Option<String>, Expect)> = vec![
        (
            "seed request",
            Some(seed.clone()),
            Expect {
                reason: None,
                ..valid("pmeier-lab", "")
            },
        ),
        (
            "plain valid",
            Some(ok("alice", "Lost my phone.")),
            valid("alice", "Lost my phone."),
        ),
        (
            "null body",
            None,
            Expect {
                username: None,
                reason: None,
                problems: all_missing(),
                from_form: false,
            },
        ),
        (
            "empty body",
            Some(String::new()),
            Expect {
                username: None,
                reason: None,
                problems: all_missing(),
                from_form: false,
            },
        ),
        (
            "not from the form",
            Some("Please help, I lost my 2FA. My username is alice.".into()),
            Expect {
                username: None,
                reason: None,
                problems: all_missing(),
                from_form: false,
            },
        ),
        ("crlf", Some(crlf), valid("alice", "line one\nline two")),
        ("lone cr", Some(lone_cr), valid("alice", "one")),
        (
            "single newline after heading",
            Some(ok("alice", "x").replace("### PyPI Username\n\n", "### PyPI Username\n")),
            valid("alice", "x"),
        ),
        (
            "no response username",
            Some(ok("_No response_", "x")),
            Expect {
                username: None,
                problems: vec![missing("username")],
                ..valid("", "x")
            },
        ),
        (
            "no response any case",
            Some(ok("_no Response_", "x")),
            Expect {
                username: None,
                problems: vec![missing("username")],
                ..valid("", "x")
            },
        ),
        (
            "None typed by a user stays None",
            Some(ok("alice", "None")),
            valid("alice", "None"),
        ),
        (
            "lowercase x",
            Some(render("alice", "r", ["x", "x", "x"])),
            valid("alice", "r"),
        ),
        (
            "unticked box",
            Some(render("alice", "r", [" ", "X", "X"])),
            Expect {
                problems: vec![(
                    "recovery-codes",
                    ProblemKind::Unticked {
                        option: CODES.into(),
                    },
                )],
                ..valid("alice", "r")
            },
        ),
        (
            "malformed []",
            Some(render("alice", "r", ["X", "", "X"])),
            Expect {
                problems: vec![(
                    "code-of-conduct",
                    ProblemKind::Unticked { option: COC.into() },
                )],
                ..valid("alice", "r")
            },
        ),
        (
            "task list in the reason stays text",
            Some(ok("alice", "- [x] tried reset\n- [ ] asked a friend")),
            valid("alice", "- [x] tried reset\n- [ ] asked a friend"),
        ),
        (
            "own ### heading in reason",
            Some(ok("alice", "Intro\n\n### Details\n\nMore text")),
            valid("alice", "Intro\n\n### Details\n\nMore text"),
        ),
        (
            "### in backtick fence",
            Some(ok("alice", "```\n### Recovery Codes\n```")),
            valid("alice", "```\n### Recovery Codes\n```"),
        ),
        (
            "### in tilde fence",
            Some(ok("alice", "~~~\n### Code of Conduct\n- [ ] x\n~~~")),
            valid("alice", "~~~\n### Code of Conduct\n- [ ] x\n~~~"),
        ),
        (
            "### in indented code",
            Some(ok("alice", "see:\n\n    ### Acknowledgement")),
            valid("alice", "see:\n\n    ### Acknowledgement"),
        ),
        (
            "C### mid-line",
            Some(ok("alice", "I write C### daily")),
            valid("alice", "I write C### daily"),
        ),
        (
            "#### and ## in user text",
            Some(ok("alice", "#### small\n\n## big")),
            valid("alice", "#### small\n\n## big"),
        ),
        (
            "earlier label repeated in reason stays text",
            Some(ok("alice", "### PyPI Username\n\nold-name")),
            valid("alice", "### PyPI Username\n\nold-name"),
        ),
        (
            "heading in a quote stays text",
            Some(ok("alice", "> ### Recovery Codes\n> quoted")),
            valid("alice", "> ### Recovery Codes\n> quoted"),
        ),
        (
            "headings in other case",
            Some(
                ok("alice", "r")
                    .replace("### Reason for request", "### Reason for Request")
                    .replace("### Acknowledgement", "### acknowledgement"),
            ),
            valid("alice", "r"),
        ),
        (
            "headings with spaces",
            Some(ok("alice", "r").replace("### PyPI Username", "###   PyPI  Username   ")),
            valid("alice", "r"),
        ),
        (
            "older form without a field",
            Some(ok("alice", "r").replace(&format!("### Acknowledgement\n\n- [X] {ACK}"), "")),
            Expect {
                problems: vec![missing("acknowledgement")],
                ..valid("alice", "r")
            },
        ),
        (
            "extra heading the template lacks",
            Some(format!(
                "{}\n\n### Extra Field\n\nsomething",
                ok("alice", "r")
            )),
            valid("alice", "r"),
        ),
        (
            "username in backticks",
            Some(ok("`alice`", "r")),
            valid("alice", "r"),
        ),
        (
            "username in double backticks and spaces",
            Some(ok("  `` alice ``  ", "r")),
            valid("alice", "r"),
        ),
        (
            "username quoted",
            Some(ok("\"alice\"", "r")),
            valid("alice", "r"),
        ),
        (
            "profile url",
            Some(ok("https://pypi.org/user/alice/", "r")),
            valid("alice", "r"),
        ),
        (
            "profile url in backticks",
            Some(ok("`https://pypi.org/user/alice`", "r")),
            valid("alice", "r"),
        ),
        (
            "email as username",
            Some(ok("alice@example.com", "r")),
            Expect {
                username: Some("alice@example.com"),
                problems: vec![("username", ProblemKind::UsernameIsEmail)],
                ..valid("", "r")
            },
        ),
        (
            "username with a space",
            Some(ok("alice smith", "r")),
            Expect {
                username: Some("alice smith"),
                problems: vec![(
                    "username",
                    ProblemKind::UsernameInvalid {
                        value: "alice smith".into(),
                    },
                )],
                ..valid("", "r")
            },
        ),
        (
            "username ending in a dot",
            Some(ok("alice.", "r")),
            Expect {
                username: Some("alice."),
                problems: vec![(
                    "username",
                    ProblemKind::UsernameInvalid {
                        value: "alice.".into(),
                    },
                )],
                ..valid("", "r")
            },
        ),
        (
            "username too long",
            Some(ok(&"a".repeat(51), "r")),
            Expect {
                username: Some(Box::leak("a".repeat(51).into_boxed_str())),
                problems: vec![("username", ProblemKind::UsernameTooLong { max: 50 })],
                ..valid("", "r")
            },
        ),
        (
            "fifty characters is fine",
            Some(ok(&"a".repeat(50), "r")),
            valid(Box::leak("a".repeat(50).into_boxed_str()), "r"),
        ),
        (
            "dots dashes underscores",
            Some(ok("a.b-c_d", "r")),
            valid("a.b-c_d", "r"),
        ),
        (
            "html comment in value",
            Some(ok("alice", "<!-- hidden -->\nvisible")),
            valid("alice", "<!-- hidden -->\nvisible"),
        ),
        (
            "image link in value",
            Some(ok("alice", "![screenshot](https://example.com/x.png)")),
            valid("alice", "![screenshot](https://example.com/x.png)"),
        ),
        (
            "empty reason",
            Some(ok("alice", "_No response_")),
            Expect {
                reason: None,
                problems: vec![missing("reason")],
                ..valid("alice", "")
            },
        ),
        (
            "very long body",
            Some(long_body),
            Expect {
                reason: None,
                ..valid("alice", "")
            },
        ),
        (
            "nothing ticked",
            Some(render("alice", "r", [" ", " ", " "])),
            Expect {
                problems: vec![
                    (
                        "recovery-codes",
                        ProblemKind::Unticked {
                            option: CODES.into(),
                        },
                    ),
                    (
                        "code-of-conduct",
                        ProblemKind::Unticked { option: COC.into() },
                    ),
                    (
                        "acknowledgement",
                        ProblemKind::Unticked { option: ACK.into() },
                    ),
                ],
                ..valid("alice", "r")
            },
        ),
        (
            "checkbox section no response",
            Some(ok("alice", "r").replace(&format!("- [X] {COC}"), "_No response_")),
            Expect {
                problems: vec![missing("code-of-conduct")],
                ..valid("alice", "r")
            },
        ),
        (
            "everything empty",
            Some(render("_No response_", "_No response_", [" ", " ", " "])),
            Expect {
                username: None,
                reason: None,
                problems: vec![
                    missing("username"),
                    missing("reason"),
                    (
                        "recovery-codes",
                        ProblemKind::Unticked {
                            option: CODES.into(),
                        },
                    ),
                    (
                        "code-of-conduct",
                        ProblemKind::Unticked { option: COC.into() },
                    ),
                    (
                        "acknowledgement",
                        ProblemKind::Unticked { option: ACK.into() },
                    ),
                ],
                from_form: true,
            },
        ),
        (
            "trailing whitespace around value",
            Some(ok("alice   \n\n\n", "  r  ")),
            valid("alice", "r"),
        ),
        (
            "at-sign prefix",
            Some(ok("@alice", "r")),
            Expect {
                username: Some("@alice"),
                problems: vec![(
                    "username",
                    ProblemKind::UsernameInvalid {
                        value: "@alice".into(),
                    },
                )],
                ..valid("", "r")
            },
        ),
        (
            "unicode username",
            Some(ok("ålice", "r")),
            Expect {
                username: Some("ålice"),
                problems: vec![(
                    "username",
                    ProblemKind::UsernameInvalid {
                        value: "ålice".into(),
                    },
                )],
                ..valid("", "r")
            },
        ),
    ];
    assert!(cases.len() >= 40, "{} cases", cases.len());
    for (name, body, expect) in cases {
        check(name, body.as_deref(), expect);
    }
}

#[test]
fn checkbox_values_are_the_template_labels() {
    let t = Template::default_recovery();
    let body = ok("alice", "r").replace(CODES, &CODES.to_uppercase());
    let r = form::parse(&t, Some(&body));
    assert_eq!(
        r.fields["recovery-codes"],
        FieldValue::Options(Some(vec![CODES.to_owned()]))
    );
    let body = render("alice", "r", [" ", "X", "X"]);
    let r = form::parse(&t, Some(&body));
    assert_eq!(
        r.fields["recovery-codes"],
        FieldValue::Options(Some(vec![]))
    );
}

#[test]
fn missing_and_extra_headings_are_reported() {
    let t = Template::default_recovery();
    let body = "### PyPI Username\n\nalice\n\n### Details\n\nx\n\n### Something else\n\ny";
    let r = form::parse(&t, Some(body));
    assert_eq!(
        r.missing,
        [
            "reason",
            "recovery-codes",
            "code-of-conduct",
            "acknowledgement"
        ]
    );
    assert_eq!(r.extra_headings, ["Details", "Something else"]);
    // The extra headings stay in the value they were typed in.
    assert_eq!(
        r.fields["username"].text(),
        Some("alice\n\n### Details\n\nx\n\n### Something else\n\ny")
    );
}

#[test]
fn another_trackers_template_and_rule() {
    let yaml = r#"
name: Recover
body:
  - type: input
    id: username
    attributes: { label: Account }
    validations: { required: true }
  - type: dropdown
    id: lost
    attributes:
      label: What was lost
      options: ["Phone, and codes", "Security key"]
    validations: { required: true }
"#;
    let t = Template::from_yaml(yaml).unwrap();
    let rules = Rules::new("^[a-z]+$", 8, "https://pypi.org/user/").unwrap();
    let body = "### account\n\nbob\n\n### What was lost\n\nPhone, and codes";
    let v = form::validate(&t, &form::parse(&t, Some(body)), &rules);
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_eq!(v.fields["lost"].text(), Some("Phone, and codes"));
    let body = "### Account\n\nBob\n\n### What was lost\n\nA dog";
    let v = form::validate(&t, &form::parse(&t, Some(body)), &rules);
    assert_eq!(v.problems.len(), 2, "{:?}", v.problems);
    assert!(Rules::new("(", 3, "https://pypi.org/user/").is_err());
}
