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
    assert_eq!(v.fields["lost"].ticked(), ["Phone, and codes"]);
    let body = "### Account\n\nBob\n\n### What was lost\n\nA dog";
    let v = form::validate(&t, &form::parse(&t, Some(body)), &rules);
    assert_eq!(v.problems.len(), 2, "{:?}", v.problems);
    assert!(Rules::new("(", 3, "https://pypi.org/user/").is_err());
}

// Any issue form: pypi/support's own, and one with every kind of field
// (fixtures in tests/data/forms/, described in its README).

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/data/forms/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn text(s: &str) -> FieldValue {
    FieldValue::Text(Some(s.to_owned()))
}

fn chosen(list: &[&str]) -> FieldValue {
    FieldValue::Options(Some(list.iter().map(|s| (*s).to_owned()).collect()))
}

const EMPTY_TEXT: FieldValue = FieldValue::Text(None);
const EMPTY_LIST: FieldValue = FieldValue::Options(None);

/// The values as read, before validation, by key.
fn values(t: &Template, body: &str) -> Vec<(String, FieldValue)> {
    form::parse(t, Some(body)).fields.into_iter().collect()
}

fn expect(pairs: &[(&str, FieldValue)]) -> Vec<(String, FieldValue)> {
    let mut v: Vec<(String, FieldValue)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn problems(t: &Template, body: &str) -> Vec<(String, ProblemKind)> {
    let v = form::validate(t, &form::parse(t, Some(body)), &Rules::default());
    v.problems.into_iter().map(|p| (p.field, p.kind)).collect()
}

fn pypi_support() -> Template {
    Template::from_yaml(&fixture("pypi-support-account-recovery.yml")).unwrap()
}

const PYPI_ACK: &str = "I understand that it may take a significant amount of time to process my account recovery request.";

#[test]
fn pypi_supports_form_loads_with_no_settings() {
    let t = pypi_support();
    let keys: Vec<&str> = t.fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        keys,
        [
            "pypi_username",
            "reason_for_request",
            "code_of_conduct",
            "acknowledgement"
        ]
    );
    assert_eq!(t.username_field(), "pypi_username");
    assert_eq!(t.labels, ["account-recovery"]);
    assert_eq!(t.name, "Account Recovery");
    assert!(t.field("pypi_username").unwrap().required);
    assert!(t.field("acknowledgement").unwrap().options[0].required);
}

#[test]
fn pypi_supports_bodies() {
    let t = pypi_support();
    let body = fixture("pypi-support-valid.md");
    assert_eq!(
        values(&t, &body),
        expect(&[
            ("pypi_username", text("`pmeier-lab`")),
            (
                "reason_for_request",
                text(
                    "Hello,\n\nI lost access to the 2FA authentication app. I still have access to the email address registered on my PyPI account.\n\n- [x] tried my old recovery codes\n- [ ] found the backup phone\n\n### What I tried\n\nLogging in with a recovery code says \"Invalid recovery code.\""
                )
            ),
            (
                "code_of_conduct",
                chosen(&["I agree to follow the PSF Code of Conduct"])
            ),
            ("acknowledgement", chosen(&[PYPI_ACK])),
        ])
    );
    assert_eq!(problems(&t, &body), []);
    let r = form::parse(&t, Some(&body));
    assert_eq!(r.extra_headings, ["What I tried"]);
    assert!(r.missing.is_empty());
    let v = form::validate(&t, &r, &Rules::default());
    assert_eq!(v.username.as_deref(), Some("pmeier-lab"));

    let body = fixture("pypi-support-no-response.md");
    assert_eq!(
        values(&t, &body),
        expect(&[
            ("pypi_username", EMPTY_TEXT),
            (
                "reason_for_request",
                text("Lost my phone, and the codes were on it.")
            ),
            (
                "code_of_conduct",
                chosen(&["I agree to follow the PSF Code of Conduct"])
            ),
            ("acknowledgement", chosen(&[])),
        ])
    );
    assert_eq!(
        problems(&t, &body),
        [
            ("pypi_username".to_owned(), ProblemKind::Missing),
            (
                "acknowledgement".to_owned(),
                ProblemKind::Unticked {
                    option: PYPI_ACK.to_owned()
                }
            ),
        ]
    );

    let body = fixture("pypi-support-crlf.md");
    assert!(body.contains("\r\n"), "the fixture keeps its CRLF");
    let v = form::validate(&t, &form::parse(&t, Some(&body)), &Rules::default());
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_eq!(v.username.as_deref(), Some("jane.doe"));
    assert_eq!(
        v.fields["reason_for_request"].text(),
        Some(
            "My phone was stolen. The log from the login page:\n\n```\n### Code of Conduct\nError: invalid TOTP code\n```"
        )
    );
}

#[test]
fn the_built_in_forms_requests_read_with_pypi_supports_form() {
    // The Recovery Codes section is no field of pypi/support's form: its
    // heading stays text in the reason, and nothing is missing.
    let t = pypi_support();
    let v = form::validate(
        &t,
        &form::parse(&t, Some(&fixture("seed-request.md"))),
        &Rules::default(),
    );
    assert!(v.is_valid(), "{:?}", v.problems);
    assert!(
        v.fields["reason_for_request"]
            .text()
            .unwrap()
            .ends_with("### Recovery Codes\n\n- [X] I never generated or have lost access to the recovery codes for my account")
    );
}

fn every_field() -> Template {
    Template::from_yaml(&fixture("every-field.yml")).unwrap()
}

#[test]
fn every_kind_of_field() {
    let t = every_field();
    let keys: Vec<(&str, form::FieldKind, bool)> = t
        .fields
        .iter()
        .map(|f| (f.id.as_str(), f.kind, f.required))
        .collect();
    use form::FieldKind::*;
    assert_eq!(
        keys,
        [
            ("username", Input, true),
            ("contact_optional", Input, false),
            ("what-happened", Textarea, true),
            ("shell_output", Textarea, false),
            ("version", Dropdown, true),
            ("operating_systems", Dropdown, false),
            ("is_the_thing_a_thing", Checkboxes, false),
        ]
    );
    assert_eq!(t.labels, ["test", "another label"]);

    let body = fixture("every-field-full.md");
    assert_eq!(
        values(&t, &body),
        expect(&[
            ("username", text("`alice`")),
            ("contact_optional", text("alice on Matrix")),
            (
                "what-happened",
                text("It broke.\n\n### My own heading\n\n- [x] tried turning it off and on")
            ),
            (
                "shell_output",
                text("$ thing --version\n### not a heading\nthing 2.0")
            ),
            ("version", chosen(&["2.0"])),
            (
                "operating_systems",
                chosen(&["Linux, or another Unix", "Windows"])
            ),
            (
                "is_the_thing_a_thing",
                chosen(&["I agree to the terms", "Send me the newsletter"])
            ),
        ])
    );
    assert_eq!(problems(&t, &body), []);

    let body = fixture("every-field-empty.md");
    assert_eq!(
        values(&t, &body),
        expect(&[
            ("username", text("alice")),
            ("contact_optional", EMPTY_TEXT),
            ("what-happened", text("Nothing else to say.")),
            ("shell_output", EMPTY_TEXT),
            ("version", chosen(&["1.0"])),
            ("operating_systems", EMPTY_LIST),
            ("is_the_thing_a_thing", chosen(&["I agree to the terms"])),
        ])
    );
    assert_eq!(problems(&t, &body), []);

    let body = fixture("every-field-invalid-crlf.md");
    assert!(body.contains("\r\n"), "the fixture keeps its CRLF");
    assert_eq!(
        values(&t, &body),
        expect(&[
            ("username", EMPTY_TEXT),
            ("contact_optional", EMPTY_TEXT),
            ("what-happened", EMPTY_TEXT),
            ("shell_output", text("$ thing")),
            ("version", text("3.0")),
            ("operating_systems", text("macOS, Plan 9")),
            ("is_the_thing_a_thing", chosen(&["Send me the newsletter"])),
        ])
    );
    assert_eq!(
        problems(&t, &body),
        [
            ("username".to_owned(), ProblemKind::Missing),
            ("what-happened".to_owned(), ProblemKind::Missing),
            (
                "version".to_owned(),
                ProblemKind::NotAChoice {
                    value: "3.0".into()
                }
            ),
            (
                "operating_systems".to_owned(),
                ProblemKind::NotAChoice {
                    value: "macOS, Plan 9".into()
                }
            ),
            (
                "is_the_thing_a_thing".to_owned(),
                ProblemKind::Unticked {
                    option: "I agree to the terms".into()
                }
            ),
        ]
    );
}

/// The every-field body with one section's value replaced.
fn every_field_with(label: &str, value: &str) -> String {
    let body = fixture("every-field-full.md");
    let start = body.find(&format!("### {label}\n\n")).unwrap() + label.len() + 6;
    let end = body[start..]
        .find("\n\n### ")
        .map_or(body.len(), |e| start + e);
    format!("{}{value}{}", &body[..start], &body[end..])
}

#[test]
fn dropdown_values() {
    let t = every_field();
    let read = |label: &str, value: &str, key: &str| {
        form::parse(&t, Some(&every_field_with(label, value))).fields[key].clone()
    };
    let os = |value: &str| read("Operating systems", value, "operating_systems");
    // Chosen options in template order, whatever order the body has.
    assert_eq!(
        os("Windows, macOS, Linux, or another Unix"),
        chosen(&["Linux, or another Unix", "macOS", "Windows"])
    );
    assert_eq!(
        os("Linux, or another Unix"),
        chosen(&["Linux, or another Unix"])
    );
    assert_eq!(os("windows"), chosen(&["Windows"]));
    assert_eq!(os("None"), EMPTY_LIST);
    assert_eq!(os("_No response_"), EMPTY_LIST);
    // An option's own comma never splits it into pieces that are no options.
    assert_eq!(os("Linux"), text("Linux"));
    assert_eq!(
        os("or another Unix, Windows"),
        text("or another Unix, Windows")
    );
    // A missing section is empty too.
    let body =
        every_field_with("Operating systems", "x").replace("### Operating systems\n\nx\n\n", "");
    let r = form::parse(&t, Some(&body));
    assert_eq!(r.fields["operating_systems"], EMPTY_LIST);
    assert_eq!(r.missing, ["operating_systems"]);

    let version = |value: &str| read("Version", value, "version");
    assert_eq!(version("2.0"), chosen(&["2.0"]));
    assert_eq!(version("None of these"), chosen(&["None of these"]));
    assert_eq!(version("None"), EMPTY_LIST);
    // A single dropdown takes one option.
    assert_eq!(version("1.0, 2.0"), text("1.0, 2.0"));
    let v = form::validate(
        &t,
        &form::parse(&t, Some(&every_field_with("Version", "None"))),
        &Rules::default(),
    );
    assert_eq!(
        v.problems
            .iter()
            .map(|p| (p.field.as_str(), p.kind.clone()))
            .collect::<Vec<_>>(),
        [("version", ProblemKind::Missing)]
    );
}

#[test]
fn a_dropdown_can_have_none_as_an_option() {
    let yaml = "body:\n  - type: input\n    id: username\n    attributes: {label: Username}\n  - type: dropdown\n    id: extra\n    attributes: {label: Extras, options: [None, Some]}\n";
    let t = Template::from_yaml(yaml).unwrap();
    let r = form::parse(&t, Some("### Username\n\nbob\n\n### Extras\n\nNone"));
    assert_eq!(r.fields["extra"], chosen(&["None"]));
    let r = form::parse(
        &t,
        Some("### Username\n\nbob\n\n### Extras\n\n_No response_"),
    );
    assert_eq!(r.fields["extra"], EMPTY_LIST);
}

#[test]
fn render_values_are_the_text_inside_the_fence() {
    let t = every_field();
    let shell = |value: &str| {
        form::parse(&t, Some(&every_field_with("Shell output", value))).fields["shell_output"]
            .clone()
    };
    assert_eq!(shell("```shell\n$ ls\na  b\n```"), text("$ ls\na  b"));
    // The requester's own fence inside: GitHub still adds one around it.
    assert_eq!(
        shell("```shell\n$ cat x.md\n```\ninner\n```\n```"),
        text("$ cat x.md\n```\ninner\n```")
    );
    assert_eq!(
        shell("```shell\n$ cat x.md\n```\nafter\n```"),
        text("$ cat x.md\n```\nafter")
    );
    assert_eq!(shell("```shell\n    indented\n\n```"), text("    indented"));
    assert_eq!(shell("```shell\n```"), EMPTY_TEXT);
    assert_eq!(shell("_No response_"), EMPTY_TEXT);
    // An edit that took the fence away.
    assert_eq!(shell("$ ls"), text("$ ls"));
    // The fields after it are still read, though its last fence opens a
    // block that markdown never sees closed.
    let body = every_field_with("Shell output", "```shell\n$ cat x.md\n```\nafter\n```");
    let r = form::parse(&t, Some(&body));
    assert_eq!(r.fields["version"], chosen(&["2.0"]));
    assert!(r.missing.is_empty(), "{:?}", r.missing);
}

#[test]
fn a_block_the_requester_never_closed_hides_no_field() {
    let t = Template::default_recovery();
    for opened in [
        "```",
        "~~~~ text",
        "<!-- note to self",
        "<pre>",
        "```python\nprint('### Code of Conduct')",
    ] {
        let reason = format!("My log:\n\n{opened}\nTraceback (most recent call last):");
        let body = ok("alice", &reason);
        let r = form::parse(&t, Some(&body));
        assert!(r.missing.is_empty(), "{opened}: {:?}", r.missing);
        let v = form::validate(&t, &r, &Rules::default());
        assert!(v.is_valid(), "{opened}: {:?}", v.problems);
        assert_eq!(v.fields["reason"].text(), Some(reason.as_str()), "{opened}");
    }
    // Two never closed, in two fields: the second closes the first, and
    // that reads exactly like one fenced block holding copies of the
    // sections between, so those are asked again rather than read from a
    // code block (fail closed).
    let body =
        ok("alice", "```\nlog").replace(&format!("- [X] {COC}"), &format!("- [X] {COC}\n\n```"));
    let r = form::parse(&t, Some(&body));
    assert_eq!(r.missing, ["recovery-codes", "code-of-conduct"]);
    let reason = r.fields["reason"].text().unwrap();
    assert!(
        reason.starts_with("```\nlog\n\n### Recovery Codes"),
        "{reason}"
    );
    assert!(reason.ends_with("```"), "{reason}");
    assert_eq!(
        r.fields["acknowledgement"],
        FieldValue::Options(Some(vec![ACK.to_owned()]))
    );
}

#[test]
fn a_copy_of_a_later_heading_stays_text() {
    let t = Template::default_recovery();
    // Top level, in the reason, with the real sections after it.
    for reason in [
        "My old request:\n\n### Code of Conduct\n\n- [X] I agree to follow the PSF Code of Conduct",
        "### Acknowledgement\n\nI know.",
        "```\n### Recovery Codes\n```",
    ] {
        let r = form::parse(&t, Some(&ok("alice", reason)));
        assert!(r.missing.is_empty(), "{reason}: {:?}", r.missing);
        assert_eq!(r.fields["reason"].text(), Some(reason));
    }
}

/// Issue #20 item 10: a fenced copy of a section is text even when the real
/// section is missing, so a required checkbox is never ticked from inside a
/// code block, and the value keeps its closing fence.
#[test]
fn a_fenced_heading_never_starts_or_ends_a_section() {
    let t = Template::default_recovery();
    let after_reason =
        format!("### Code of Conduct\n\n- [X] {COC}\n\n### Acknowledgement\n\n- [X] {ACK}");
    for (open, indent, close) in [
        ("```", "", "```"),
        ("```text", "", "```"),
        ("~~~", "", "~~~"),
        ("~~~ markdown", "", "~~~~"),
        ("````", "", "````"),
        ("  ```", "  ", "   ```"),
        ("- ```", "  ", "  ```"),
        ("1. ~~~", "   ", "   ~~~"),
    ] {
        // The real Recovery Codes section is missing; the reason holds a
        // copy of it, ticked, inside a fence.
        let reason = format!(
            "Pasted from my old request:\n\n{open}\n{indent}### Recovery Codes\n\n{indent}- [X] {CODES}\n{close}"
        );
        let body = format!(
            "### PyPI Username\n\nalice\n\n### Reason for request\n\n{reason}\n\n{after_reason}"
        );
        let r = form::parse(&t, Some(&body));
        assert_eq!(r.missing, ["recovery-codes"], "{open}");
        assert_eq!(r.fields["reason"].text(), Some(reason.as_str()), "{open}");
        let v = form::validate(&t, &r, &Rules::default());
        assert!(!v.is_valid(), "{open}");
        assert!(
            v.problems
                .iter()
                .any(|p| p.field == "recovery-codes" && p.kind == ProblemKind::Missing),
            "{open}: {:?}",
            v.problems
        );
    }
    // A fenced copy of a later section at the end of the body: the value
    // keeps its closing fence and the fenced section is not read.
    let reason = "```\n### Recovery Codes\n- [X] x\n```";
    let body = format!(
        "### PyPI Username\n\nalice\n\n### Reason for request\n\n{reason}\n\n### Code of Conduct\n\n- [X] {COC}"
    );
    let r = form::parse(&t, Some(&body));
    assert_eq!(r.fields["reason"].text(), Some(reason));
    assert_eq!(r.missing, ["recovery-codes", "acknowledgement"]);
    // The whole form pasted inside a fence (a blank issue) is no form.
    let body = format!("```\n{}\n```", ok("victim", "mine"));
    let r = form::parse(&t, Some(&body));
    assert!(!r.from_form);
    assert_eq!(r.missing.len(), 5, "{:?}", r.missing);
    // The username section missing, a fenced copy of it in another field.
    let body = format!(
        "### Reason for request\n\n~~~\n### PyPI Username\n\nvictim\n~~~\n\n### Recovery Codes\n\n- [X] {CODES}\n\n{after_reason}"
    );
    let v = form::validate(&t, &form::parse(&t, Some(&body)), &Rules::default());
    assert_eq!(v.fields["username"].text(), None);
    assert_eq!(v.problems[0].field, "username");
    // The value ends with a fence: it stays, with the fields after it.
    let reason = "My log:\n\n```\nError: invalid TOTP code\n```";
    let v = form::validate(
        &t,
        &form::parse(&t, Some(&ok("alice", reason))),
        &Rules::default(),
    );
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_eq!(v.fields["reason"].text(), Some(reason));
}

#[test]
fn checkboxes_without_an_id_and_other_peer_cases() {
    let yaml = "body:\n  - type: input\n    attributes: {label: GitHub username}\n  - type: checkboxes\n    attributes:\n      label: Checkbox without an id?\n      options:\n        - label: IDs are great\n        - label: IDs are bad\n        - label: Another item\n";
    let t = Template::from_yaml(yaml).unwrap();
    assert_eq!(t.username_field(), "github_username");
    let body = "### GitHub username\n\nme\n\n### Checkbox without an id?\n\n- [x] Another item\n- [] IDs are great\n- [X] IDs are bad\n";
    let r = form::parse(&t, Some(body));
    assert_eq!(
        r.fields["checkbox_without_an_id"],
        chosen(&["IDs are bad", "Another item"])
    );
    let body = "### GitHub username\n\nme\n\n### Checkbox without an id?\n\n- [ ] IDs are great\n- [ ] IDs are bad\n- [ ] Another item\n";
    let v = form::validate(&t, &form::parse(&t, Some(body)), &Rules::default());
    assert_eq!(v.fields["checkbox_without_an_id"], chosen(&[]));
    assert!(v.is_valid());
}

#[test]
fn a_configured_username_field() {
    let yaml = "body:\n  - type: input\n    id: account\n    attributes: {label: Account}\n    validations: {required: true}\n  - type: input\n    attributes: {label: Email}\n";
    assert_eq!(
        Template::from_yaml(yaml).unwrap_err(),
        form::TemplateError::NoUsernameField
    );
    let t = Template::from_yaml_with(yaml, Some("account")).unwrap();
    assert_eq!(t.username_field(), "account");
    let body = "### Account\n\n`https://pypi.org/user/bob/`\n\n### Email\n\nbob@example.com";
    let v = form::validate(&t, &form::parse(&t, Some(body)), &Rules::default());
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_eq!(v.username.as_deref(), Some("bob"));
    // Only the username field is read as a name.
    assert_eq!(v.fields["email"].text(), Some("bob@example.com"));
    let body = "### Account\n\nbob@example.com\n\n### Email\n\nx";
    let v = form::validate(&t, &form::parse(&t, Some(body)), &Rules::default());
    assert_eq!(v.problems[0].field, "account");
    assert_eq!(v.problems[0].kind, ProblemKind::UsernameIsEmail);
}
