//! Properties: any response GitHub can render from a form parses back to
//! the values it was rendered from, with LF or CRLF line endings. First the
//! built-in form, whatever the reason text holds (its own `###` headings,
//! code fences, task lists, quotes); then random forms with every kind of
//! field, labels with and without ids, and options holding commas.

use proptest::prelude::*;
use recovery_bot::form::{self, FieldValue, ProblemKind, Rules, Template};
use std::collections::BTreeMap;

const OPTIONS: [&str; 3] = [
    "I never generated or have lost access to the recovery codes for my account",
    "I agree to follow the PSF Code of Conduct",
    "I understand that it may take a significant amount of time to process my account recovery request.",
];

fn reason_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9 ,.!?'()-]{1,60}",
        "### [A-Z][a-z]{2,10}( [a-z]{2,8})?".prop_map(|s| s),
        "#{1,6} [a-z]{1,10}",
        Just("```\n### Recovery Codes\n- [X] fenced\n```".to_owned()),
        Just("~~~python\nprint('### Code of Conduct')\n~~~".to_owned()),
        "- \\[[ xX]\\] [a-z ]{1,20}",
        "> [a-z ]{1,20}",
        "C### [a-z]{1,10}",
        Just("<!-- note -->".to_owned()),
        Just(String::new()),
    ]
}

fn reason() -> impl Strategy<Value = String> {
    prop::collection::vec(reason_line(), 1..12).prop_filter_map("non-empty reason", |lines| {
        let r = lines.join("\n");
        let r = r
            .trim_matches(|c: char| c == '\n' || c == ' ' || c == '\t')
            .to_owned();
        (!r.is_empty() && !r.eq_ignore_ascii_case("_no response_")).then_some(r)
    })
}

fn render(username: &str, reason: &str, ticks: [bool; 3]) -> String {
    let mut s =
        format!("### PyPI Username\n\n{username}\n\n### Reason for request\n\n{reason}\n\n");
    for ((label, option), ticked) in ["Recovery Codes", "Code of Conduct", "Acknowledgement"]
        .iter()
        .zip(OPTIONS)
        .zip(ticks)
    {
        s.push_str(&format!(
            "### {label}\n\n- [{}] {option}\n\n",
            if ticked { "X" } else { " " }
        ));
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn rendered_responses_parse_back(
        username in "[A-Za-z0-9]([A-Za-z0-9._-]{0,30}[A-Za-z0-9])?",
        reason in reason(),
        ticks in prop::array::uniform3(any::<bool>()),
        crlf in any::<bool>(),
        backticks in any::<bool>(),
    ) {
        let t = Template::default_recovery();
        let shown = if backticks { format!("`{username}`") } else { username.clone() };
        let mut body = render(&shown, &reason, ticks);
        if crlf {
            body = body.replace('\n', "\r\n");
        }
        let v = form::validate(&t, &form::parse(&t, Some(&body)), &Rules::default());
        prop_assert_eq!(v.fields["username"].text(), Some(username.as_str()));
        prop_assert_eq!(v.fields["reason"].text(), Some(reason.as_str()));
        let ids = ["recovery-codes", "code-of-conduct", "acknowledgement"];
        for ((id, option), ticked) in ids.iter().zip(OPTIONS).zip(ticks) {
            let expected: Vec<String> = if ticked { vec![option.to_owned()] } else { vec![] };
            prop_assert_eq!(v.fields[*id].ticked(), expected.as_slice());
        }
        prop_assert_eq!(v.is_valid(), ticks.iter().all(|t| *t));
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in "(?s).{0,400}") {
        let t = Template::default_recovery();
        let _ = form::validate(&t, &form::parse(&t, Some(&body)), &Rules::default());
    }
}

// Random forms.

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Input,
    Textarea,
    Render(&'static str),
    Dropdown,
    Multiple,
    Checkboxes,
}

#[derive(Debug, Clone)]
struct Spec {
    kind: Kind,
    label: String,
    id: Option<String>,
    /// `validations.required` (not for checkboxes, whose options say it).
    required: bool,
    /// Option labels, and whether a checkbox option is required.
    options: Vec<(String, bool)>,
}

/// How the form names its username field.
#[derive(Debug, Clone, Copy)]
enum UsernameBy {
    /// `id: username`.
    Id,
    /// No id; an input label with "username" in it.
    Label,
    /// Another id, named by `[form] username_field`.
    Setting,
}

#[derive(Debug, Clone)]
struct Form {
    fields: Vec<Spec>,
    username: usize,
    by: UsernameBy,
    /// Body items before which a markdown block goes.
    markdown_before: Vec<usize>,
}

impl Form {
    fn key(&self, i: usize) -> String {
        let f = &self.fields[i];
        f.id.clone()
            .unwrap_or_else(|| form::template::slug(&f.label))
    }

    fn setting(&self) -> Option<String> {
        match self.by {
            UsernameBy::Setting => Some(self.key(self.username)),
            _ => None,
        }
    }

    fn yaml(&self) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap();
        let mut y = String::from("name: \"A random form\"\nbody:\n");
        for (i, f) in self.fields.iter().enumerate() {
            if self.markdown_before.contains(&i) {
                y.push_str("  - type: markdown\n    attributes:\n      value: |\n        Some **text**; no field.\n        ### Not a field\n");
            }
            let kind = match f.kind {
                Kind::Input => "input",
                Kind::Textarea | Kind::Render(_) => "textarea",
                Kind::Dropdown | Kind::Multiple => "dropdown",
                Kind::Checkboxes => "checkboxes",
            };
            y.push_str(&format!("  - type: {kind}\n"));
            if let Some(id) = &f.id {
                y.push_str(&format!("    id: {}\n", q(id)));
            }
            y.push_str(&format!("    attributes:\n      label: {}\n", q(&f.label)));
            if let Kind::Render(lang) = f.kind {
                y.push_str(&format!("      render: {lang}\n"));
            }
            if f.kind == Kind::Multiple {
                y.push_str("      multiple: true\n");
            }
            if !f.options.is_empty() {
                y.push_str("      options:\n");
                for (label, required) in &f.options {
                    if f.kind == Kind::Checkboxes {
                        y.push_str(&format!(
                            "        - label: {}\n          required: {required}\n",
                            q(label)
                        ));
                    } else {
                        y.push_str(&format!("        - {}\n", q(label)));
                    }
                }
            }
            if f.required {
                y.push_str("    validations:\n      required: true\n");
            }
        }
        y
    }
}

fn normalized(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn label() -> impl Strategy<Value = String> {
    "[A-Z][a-zA-Z0-9 ,.?!()/'&%:#*_`-]{0,20}[a-zA-Z0-9?)]"
        .prop_filter("only the username field says username", |l| {
            !l.to_lowercase().contains("username")
        })
}

fn id() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[a-z][a-z0-9_-]{0,8}")
}

fn checkbox_options() -> impl Strategy<Value = Vec<(String, bool)>> {
    prop::collection::vec(
        (
            "[A-Za-z0-9][a-zA-Z0-9 ,.?!()/'&%:-]{0,20}[a-zA-Z0-9.]",
            any::<bool>(),
        ),
        1..4,
    )
    .prop_filter("options are distinct", |options| {
        let mut labels: Vec<String> = options.iter().map(|o| normalized(&o.0)).collect();
        labels.sort();
        labels.dedup();
        labels.len() == options.len()
    })
}

/// Dropdown options of one to three comma-separated parts; no part is
/// shared, so a joined value can be read only one way.
fn dropdown_options() -> impl Strategy<Value = Vec<(String, bool)>> {
    prop::collection::vec(
        prop::collection::vec(
            "[A-Za-z0-9][a-zA-Z0-9 .?!()/'&%:-]{0,10}[a-zA-Z0-9.)]",
            1..4,
        ),
        1..5,
    )
    .prop_filter_map("parts are distinct", |options| {
        let mut parts: Vec<String> = options.iter().flatten().map(|p| normalized(p)).collect();
        let n = parts.len();
        parts.sort();
        parts.dedup();
        let none = parts.iter().any(|p| p == "none");
        (parts.len() == n && !none).then(|| {
            options
                .into_iter()
                .map(|parts| (parts.join(", "), false))
                .collect()
        })
    })
}

fn spec() -> impl Strategy<Value = Spec> {
    let kind = prop_oneof![
        Just(Kind::Input),
        Just(Kind::Textarea),
        prop::sample::select(vec!["shell", "python", "text"]).prop_map(Kind::Render),
        Just(Kind::Dropdown),
        Just(Kind::Multiple),
        Just(Kind::Checkboxes),
    ];
    (kind, label(), id(), any::<bool>()).prop_flat_map(|(kind, label, id, required)| {
        let options = match kind {
            Kind::Checkboxes => checkbox_options().boxed(),
            Kind::Dropdown | Kind::Multiple => dropdown_options().boxed(),
            _ => Just(Vec::new()).boxed(),
        };
        let required = required && kind != Kind::Checkboxes;
        options.prop_map(move |options| Spec {
            kind: kind.clone(),
            label: label.clone(),
            id: id.clone(),
            required,
            options,
        })
    })
}

fn random_form() -> impl Strategy<Value = Form> {
    let by = prop_oneof![
        Just(UsernameBy::Id),
        Just(UsernameBy::Label),
        Just(UsernameBy::Setting)
    ];
    let username_label = prop_oneof![
        label().prop_map(|l| format!("{l} Username")),
        Just("Username".to_owned()),
        Just("PyPI username".to_owned()),
    ];
    (
        prop::collection::vec(spec(), 0..7),
        by,
        username_label,
        label(),
        "[a-z][a-z0-9_-]{0,8}",
        any::<bool>(),
        any::<prop::sample::Index>(),
        prop::collection::vec(0usize..8, 0..3),
    )
        .prop_filter_map(
            "keys and headings are distinct",
            |(
                mut fields,
                by,
                username_label,
                plain_label,
                setting_id,
                required,
                at,
                markdown_before,
            )| {
                let username = Spec {
                    kind: Kind::Input,
                    label: match by {
                        UsernameBy::Label => username_label,
                        _ => plain_label,
                    },
                    id: match by {
                        UsernameBy::Id => Some("username".to_owned()),
                        UsernameBy::Label => None,
                        UsernameBy::Setting => Some(setting_id),
                    },
                    required,
                    options: Vec::new(),
                };
                let at = at.index(fields.len() + 1);
                fields.insert(at, username);
                let form = Form {
                    fields,
                    username: at,
                    by,
                    markdown_before,
                };
                let mut keys: Vec<String> = (0..form.fields.len()).map(|i| form.key(i)).collect();
                let mut headings: Vec<String> =
                    form.fields.iter().map(|f| normalized(&f.label)).collect();
                let n = keys.len();
                let others_say_username = (0..n).any(|i| i != at && keys[i] == "username");
                keys.sort();
                keys.dedup();
                headings.sort();
                headings.dedup();
                let setting_is_username =
                    matches!(by, UsernameBy::Setting) && form.key(at) == "username";
                (keys.len() == n
                    && headings.len() == n
                    && !others_say_username
                    && !setting_is_username)
                    .then_some(form)
            },
        )
}

/// A line of a textarea as people write them.
#[derive(Debug, Clone)]
enum Line {
    Text(String),
    /// Their own `### heading` (never one of the form's labels).
    Heading(String),
    Task(bool, String),
    Quote(String),
    Inline(String),
    /// A closed code fence quoting the heading of the field at this index.
    FencedLabel(usize),
    Comment,
    Blank,
}

/// How a textarea's text may end: a code fence or an HTML comment opened
/// and never closed, then more lines.
#[derive(Debug, Clone)]
enum Unclosed {
    Fence(String),
    Comment,
}

#[derive(Debug, Clone)]
enum Value {
    Text(Option<String>),
    Textarea(Vec<Line>, Option<(Unclosed, Vec<String>)>),
    Render(Vec<String>),
    /// Dropdown: the chosen options (template indices) in the order the body
    /// lists them; an empty one is written `None` or `_No response_`.
    Chosen(Vec<usize>, bool),
    Ticked(Vec<bool>, bool),
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        4 => "[A-Za-z0-9 ,.!?'()-]{1,40}".prop_map(Line::Text),
        1 => "[A-Z][a-z]{2,10}( [a-z]{2,8})?".prop_map(Line::Heading),
        1 => (any::<bool>(), "[a-z ]{1,20}").prop_map(|(x, t)| Line::Task(x, t)),
        1 => "[a-z ]{1,20}".prop_map(Line::Quote),
        1 => "[a-z]{1,10}".prop_map(Line::Inline),
        1 => (0usize..8).prop_map(Line::FencedLabel),
        1 => Just(Line::Comment),
        1 => Just(Line::Blank),
    ]
}

fn unclosed() -> impl Strategy<Value = Option<(Unclosed, Vec<String>)>> {
    prop::option::weighted(
        0.2,
        (
            prop_oneof![
                prop::sample::select(vec!["```", "~~~", "````python", "``` sh"])
                    .prop_map(|f| Unclosed::Fence(f.to_owned())),
                Just(Unclosed::Comment),
            ],
            prop::collection::vec("[A-Za-z0-9 ,.!?'()-]{0,40}", 0..4),
        ),
    )
}

/// A line of code, anything but a fence line.
fn code_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "### [A-Za-z ]{1,20}",
        "  - \\[[ xX]\\] [a-z]{1,10}",
        Just("_No response_".to_owned()),
    ]
    .prop_filter("not a fence", |l| {
        let t = l.trim_start();
        !t.starts_with("```") && !t.starts_with("~~~")
    })
}

fn value(spec: &Spec) -> BoxedStrategy<Value> {
    let n = spec.options.len();
    match spec.kind {
        Kind::Input => prop::option::of("[A-Za-z0-9][A-Za-z0-9 .,:;!?()'/@-]{0,30}")
            .prop_map(Value::Text)
            .boxed(),
        Kind::Textarea => (prop::collection::vec(line(), 0..8), unclosed())
            .prop_map(|(lines, unclosed)| Value::Textarea(lines, unclosed))
            .boxed(),
        Kind::Render(_) => prop::collection::vec(code_line(), 0..6)
            .prop_map(Value::Render)
            .boxed(),
        Kind::Dropdown => (prop::option::of(0..n), any::<bool>())
            .prop_map(|(i, none)| Value::Chosen(i.into_iter().collect(), none))
            .boxed(),
        Kind::Multiple => (
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            prop::collection::vec(any::<bool>(), n),
            any::<bool>(),
        )
            .prop_map(|(order, keep, none)| {
                Value::Chosen(order.into_iter().filter(|i| keep[*i]).collect(), none)
            })
            .boxed(),
        Kind::Checkboxes => (prop::collection::vec(any::<bool>(), n), any::<bool>())
            .prop_map(|(ticks, lower)| Value::Ticked(ticks, lower))
            .boxed(),
    }
}

const NO_RESPONSE: &str = "_No response_";

/// What GitHub writes under a field's heading, and the value that must be
/// read back.
fn render_value(form: &Form, i: usize, value: &Value) -> (String, FieldValue) {
    let spec = &form.fields[i];
    let text = |t: String| {
        let t = t
            .trim_matches(|c: char| c == '\n' || c == ' ' || c == '\t')
            .to_owned();
        if t.is_empty() {
            (NO_RESPONSE.to_owned(), FieldValue::Text(None))
        } else {
            (t.clone(), FieldValue::Text(Some(t)))
        }
    };
    match value {
        Value::Text(t) => text(t.clone().unwrap_or_default()),
        Value::Textarea(lines, unclosed) => {
            let mut out: Vec<String> = lines
                .iter()
                .map(|l| match l {
                    Line::Text(t) => t.clone(),
                    Line::Heading(h) => format!("### {h}"),
                    Line::Task(x, t) => format!("- [{}] {t}", if *x { "x" } else { " " }),
                    Line::Quote(t) => format!("> {t}"),
                    Line::Inline(t) => format!("C### {t}"),
                    Line::FencedLabel(j) => {
                        format!("```\n### {}\n```", form.fields[j % form.fields.len()].label)
                    }
                    Line::Comment => "<!-- a note -->".to_owned(),
                    Line::Blank => String::new(),
                })
                .collect();
            if let Some((how, more)) = unclosed {
                out.push(String::new());
                out.push(match how {
                    Unclosed::Fence(f) => f.clone(),
                    Unclosed::Comment => "<!-- never closed".to_owned(),
                });
                out.extend(more.iter().cloned());
            }
            text(out.join("\n"))
        }
        Value::Render(lines) => {
            let lang = match spec.kind {
                Kind::Render(lang) => lang,
                _ => unreachable!(),
            };
            let code = lines.join("\n");
            let code = code.trim_end();
            let start = code
                .split_inclusive('\n')
                .take_while(|l| l.trim().is_empty())
                .map(str::len)
                .sum::<usize>();
            let code = &code[start..];
            if code.trim().is_empty() {
                (NO_RESPONSE.to_owned(), FieldValue::Text(None))
            } else {
                (
                    format!("```{lang}\n{code}\n```"),
                    FieldValue::Text(Some(code.to_owned())),
                )
            }
        }
        Value::Chosen(order, none) => {
            if order.is_empty() {
                let empty = if *none { "None" } else { NO_RESPONSE };
                return (empty.to_owned(), FieldValue::Options(None));
            }
            let shown: Vec<&str> = order.iter().map(|i| spec.options[*i].0.as_str()).collect();
            let mut sorted = order.clone();
            sorted.sort_unstable();
            let expected = sorted.iter().map(|i| spec.options[*i].0.clone()).collect();
            (shown.join(", "), FieldValue::Options(Some(expected)))
        }
        Value::Ticked(ticks, lower) => {
            let x = if *lower { "x" } else { "X" };
            let lines: Vec<String> = spec
                .options
                .iter()
                .zip(ticks)
                .map(|((label, _), t)| format!("- [{}] {label}", if *t { x } else { " " }))
                .collect();
            let expected = spec
                .options
                .iter()
                .zip(ticks)
                .filter(|(_, t)| **t)
                .map(|((label, _), _)| label.clone())
                .collect();
            (lines.join("\n"), FieldValue::Options(Some(expected)))
        }
    }
}

/// Whether a line is a heading of one of the form's labels.
fn is_label_heading(form: &Form, line: &str) -> bool {
    line.strip_prefix("### ").is_some_and(|h| {
        form.fields
            .iter()
            .any(|f| normalized(&f.label) == normalized(h))
    })
}

/// Bodies that are ambiguous, whoever reads them, are not generated: a
/// top-level `### <label>` typed in a textarea is a field heading; a copy of a
/// label inside a code fence is text only when its field has its own heading
/// in the body; with a block never closed (after which markdown sees
/// every fence the wrong way round) no copy of a label inside a fence; and
/// no fence left open in a textarea that a fence line of a later field
/// closes: that body reads exactly like one fenced block quoting the
/// headings between, which are text (#20 item 10: fail closed).
fn ambiguous(form: &Form, values: &[Value], dropped: Option<usize>) -> bool {
    if closed_by_a_later_field(form, values, dropped) {
        return true;
    }
    let unclosed = values
        .iter()
        .any(|v| matches!(v, Value::Textarea(_, Some(_))));
    let copy_ok = |j: usize| !unclosed && dropped != Some(j);
    values.iter().any(|v| match v {
        Value::Textarea(lines, _) => lines.iter().any(|l| match l {
            Line::Heading(h) => is_label_heading(form, &format!("### {h}")),
            Line::FencedLabel(j) => !copy_ok(j % form.fields.len()),
            _ => false,
        }),
        Value::Render(lines) => lines.iter().any(|l| {
            is_label_heading(form, l)
                && form.fields.iter().enumerate().any(|(j, f)| {
                    l.strip_prefix("### ")
                        .is_some_and(|h| normalized(h) == normalized(&f.label))
                        && !copy_ok(j)
                })
        }),
        _ => false,
    })
}

/// A fence left open in a textarea, and a line in a later field's value
/// (as GitHub writes it) that would close it.
fn closed_by_a_later_field(form: &Form, values: &[Value], dropped: Option<usize>) -> bool {
    values.iter().enumerate().any(|(i, v)| {
        let Value::Textarea(_, Some((Unclosed::Fence(open), _))) = v else {
            return false;
        };
        let fence = open.chars().next().unwrap_or('`');
        let width = open.chars().take_while(|c| *c == fence).count();
        values
            .iter()
            .enumerate()
            .skip(i + 1)
            .filter(|(j, _)| dropped != Some(*j))
            .any(|(j, later)| {
                render_value(form, j, later).0.lines().any(|l| {
                    let l = l.trim();
                    l.chars().count() >= width && l.chars().all(|c| c == fence)
                })
            })
    })
}

/// The problems validation must report, in template order.
fn expected_problems(
    form: &Form,
    read: &BTreeMap<String, FieldValue>,
) -> Vec<(String, ProblemKind)> {
    let mut problems = Vec::new();
    for (i, spec) in form.fields.iter().enumerate() {
        let key = form.key(i);
        let value = &read[&key];
        match spec.kind {
            Kind::Checkboxes => {
                let required = spec.options.iter().filter(|o| o.1);
                if value.is_empty() {
                    if spec.options.iter().any(|o| o.1) {
                        problems.push((key.clone(), ProblemKind::Missing));
                    }
                    continue;
                }
                for (label, _) in required {
                    if !value.ticked().contains(label) {
                        problems.push((
                            key.clone(),
                            ProblemKind::Unticked {
                                option: label.clone(),
                            },
                        ));
                    }
                }
            }
            _ => {
                if spec.required && value.is_empty() {
                    problems.push((key.clone(), ProblemKind::Missing));
                }
            }
        }
    }
    problems
}

/// A form, a value for each field, which section (if any) the body leaves
/// out, CRLF or not, and the username (with backticks or not).
type Case = (
    Form,
    Vec<Value>,
    Option<prop::sample::Index>,
    bool,
    String,
    bool,
);

fn form_and_values() -> impl Strategy<Value = Case> {
    random_form().prop_flat_map(|form| {
        let values: Vec<BoxedStrategy<Value>> = form.fields.iter().map(value).collect();
        (
            Just(form),
            values,
            prop::option::weighted(0.2, any::<prop::sample::Index>()),
            any::<bool>(),
            "[A-Za-z0-9]([A-Za-z0-9._-]{0,20}[A-Za-z0-9])?",
            any::<bool>(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn random_forms_parse_back(
        (form, mut values, dropped, crlf, username, backticks) in form_and_values(),
    ) {
        let yaml = form.yaml();
        let setting = form.setting();
        let t = Template::from_yaml_with(&yaml, setting.as_deref())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let key = form.key(form.username);
        prop_assert_eq!(t.username_field(), key.as_str());

        // The username field holds a name the index takes (or nothing).
        if let Value::Text(Some(_)) = values[form.username] {
            values[form.username] = Value::Text(Some(if backticks {
                format!("`{username}`")
            } else {
                username.clone()
            }));
        }
        let dropped = dropped.map(|d| d.index(form.fields.len()));
        prop_assume!(!ambiguous(&form, &values, dropped));
        let mut body = String::new();
        let mut expected = BTreeMap::new();
        for (i, v) in values.iter().enumerate() {
            let (shown, value) = render_value(&form, i, v);
            if dropped == Some(i) {
                let empty = match v {
                    Value::Text(_) | Value::Textarea(..) | Value::Render(_) => FieldValue::Text(None),
                    _ => FieldValue::Options(None),
                };
                expected.insert(form.key(i), empty);
                continue;
            }
            body.push_str(&format!("### {}\n\n{shown}\n\n", form.fields[i].label));
            expected.insert(form.key(i), value);
        }
        if crlf {
            body = body.replace('\n', "\r\n");
        }
        let response = form::parse(&t, Some(&body));
        prop_assert_eq!(&response.fields, &expected, "\n{}\n---\n{}", yaml, body);
        let missing: Vec<String> = dropped.map(|d| form.key(d)).into_iter().collect();
        prop_assert_eq!(&response.missing, &missing);

        let v = form::validate(&t, &response, &Rules::default());
        let got: Vec<(String, ProblemKind)> =
            v.problems.iter().map(|p| (p.field.clone(), p.kind.clone())).collect();
        prop_assert_eq!(got, expected_problems(&form, &expected), "\n{}\n---\n{}", yaml, body);
        let name = expected[&key].text().map(|_| username.as_str());
        prop_assert_eq!(v.username.as_deref(), name);
        prop_assert_eq!(v.fields[&key].text(), name);
    }
}
