//! Checking a form response: required fields, the username rule, required
//! options ticked. Each problem names its field; its words are written in
//! `recovery::messages`.

use regex::Regex;
use serde_json::{Map, Value};

use super::parse::{FieldValue, FormResponse};
use super::template::{Field, FieldKind, Template};
use super::username::{self, DEFAULT_PROFILE_URL_PREFIX, Username};

/// PyPI's rule: ASCII letters and digits, `.`, `_`, `-`, starting and
/// ending with a letter or digit.
pub const PYPI_USERNAME_PATTERN: &str = r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$";
pub const PYPI_USERNAME_MAX_LEN: usize = 50;

#[derive(Debug, Clone)]
pub struct Rules {
    pub username_pattern: Regex,
    pub username_max_len: usize,
    /// The index's profile URL up to the name; a pasted profile URL with
    /// this prefix is read as the name in it.
    pub profile_url_prefix: String,
    /// `[form] username_field`: the key of the username field of a form
    /// that has no field keyed `username` and no input labelled with it;
    /// used when a template is loaded ([`Template::from_yaml_with`]).
    pub username_field: Option<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            username_pattern: Regex::new(PYPI_USERNAME_PATTERN).expect("valid pattern"),
            username_max_len: PYPI_USERNAME_MAX_LEN,
            profile_url_prefix: DEFAULT_PROFILE_URL_PREFIX.to_owned(),
            username_field: None,
        }
    }
}

impl Rules {
    pub fn new(
        pattern: &str,
        max_len: usize,
        profile_url_prefix: &str,
    ) -> Result<Self, regex::Error> {
        Ok(Self {
            username_pattern: Regex::new(pattern)?,
            username_max_len: max_len,
            profile_url_prefix: profile_url_prefix.to_owned(),
            username_field: None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// A required field is missing or empty.
    Missing,
    /// An email address where the username belongs.
    UsernameIsEmail,
    /// The username breaks the index's rule.
    UsernameInvalid {
        value: String,
    },
    UsernameTooLong {
        max: usize,
    },
    /// A required checkbox option is not ticked.
    Unticked {
        option: String,
    },
    /// A dropdown value that is not one of the choices.
    NotAChoice {
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The template id of the field.
    pub field: String,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// The field values, the username read as the bare name.
    pub fields: std::collections::BTreeMap<String, FieldValue>,
    /// The bare username, when one was given, is not an email address and
    /// keeps the index's rule.
    pub username: Option<String>,
    /// The username as read (peeled of backticks, quotes, spaces and a
    /// profile URL), valid or not; `None` when missing or empty, or when it
    /// is an email address (never echoed).
    pub username_as_read: Option<String>,
    pub problems: Vec<Problem>,
}

impl Validation {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// `check`'s JSON shape of the fields: text or null, list or null.
    pub fn fields_json(&self) -> Value {
        let map: Map<String, Value> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null)))
            .collect();
        Value::Object(map)
    }
}

pub fn validate(template: &Template, response: &FormResponse, rules: &Rules) -> Validation {
    let mut fields = response.fields.clone();
    let mut problems = Vec::new();
    let mut bare_username = None;
    let mut username_as_read = None;
    let username_field = template.username_field();
    for field in &template.fields {
        let value = fields
            .get(&field.id)
            .cloned()
            .unwrap_or(FieldValue::Text(None));
        let problem = |kind| Problem {
            field: field.id.clone(),
            kind,
        };
        match field.kind {
            FieldKind::Checkboxes => {
                problems.extend(checkbox_problems(field, &value).into_iter().map(problem));
            }
            FieldKind::Dropdown => match &value {
                FieldValue::Text(Some(text)) => problems.push(problem(ProblemKind::NotAChoice {
                    value: text.clone(),
                })),
                _ if field.required && value.ticked().is_empty() => {
                    problems.push(problem(ProblemKind::Missing))
                }
                _ => {}
            },
            FieldKind::Input | FieldKind::Textarea => {
                let Some(text) = value.text() else {
                    if field.required {
                        problems.push(problem(ProblemKind::Missing));
                    }
                    continue;
                };
                if field.id != username_field {
                    continue;
                }
                let (name, kind) = read_username(text, rules);
                if let Some(name) = name {
                    if kind.is_none() {
                        bare_username = Some(name.clone());
                    }
                    username_as_read = Some(name.clone());
                    fields.insert(field.id.clone(), FieldValue::Text(Some(name)));
                }
                problems.extend(kind.map(problem));
            }
        }
    }
    Validation {
        fields,
        username: bare_username,
        username_as_read,
        problems,
    }
}

/// The problems of a checkboxes field: missing, or each required option
/// left unticked.
fn checkbox_problems(field: &Field, value: &FieldValue) -> Vec<ProblemKind> {
    let required: Vec<_> = field.options.iter().filter(|o| o.required).collect();
    if value.is_empty() && (field.required || !required.is_empty()) {
        return vec![ProblemKind::Missing];
    }
    let mut kinds = Vec::new();
    for o in &required {
        if !value.ticked().contains(&o.label) {
            kinds.push(ProblemKind::Unticked {
                option: o.label.clone(),
            });
        }
    }
    if field.required && required.is_empty() && value.ticked().is_empty() {
        kinds.push(ProblemKind::Missing);
    }
    kinds
}

/// The username field's text: the bare name as read (`None` for an email
/// address or nothing), and its problem if it has one.
fn read_username(text: &str, rules: &Rules) -> (Option<String>, Option<ProblemKind>) {
    match username::read(text, &rules.profile_url_prefix) {
        Username::Email(_) => (None, Some(ProblemKind::UsernameIsEmail)),
        Username::Name(name) if name.is_empty() => (None, Some(ProblemKind::Missing)),
        Username::Name(name) => {
            let kind = if name.chars().count() > rules.username_max_len {
                Some(ProblemKind::UsernameTooLong {
                    max: rules.username_max_len,
                })
            } else if !rules.username_pattern.is_match(&name) {
                Some(ProblemKind::UsernameInvalid {
                    value: name.clone(),
                })
            } else {
                None
            };
            (Some(name), kind)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::parse;

    fn read(value: &str, rules: &Rules) -> Validation {
        let t = Template::default_recovery();
        let body = format!("### PyPI Username\n\n{value}\n\n### Reason for request\n\nr\n");
        validate(&t, &parse(&t, Some(&body)), rules)
    }

    #[test]
    fn the_username_as_read_is_kept_valid_or_not() {
        let rules = Rules::default();
        let v = read("`alice`", &rules);
        assert_eq!(v.username.as_deref(), Some("alice"));
        assert_eq!(v.username_as_read.as_deref(), Some("alice"));

        let v = read("`_jbber_`", &rules);
        assert_eq!(v.username, None);
        assert_eq!(v.username_as_read.as_deref(), Some("_jbber_"));
        assert!(v.problems.iter().any(|p| p.kind
            == ProblemKind::UsernameInvalid {
                value: "_jbber_".into()
            }));

        let v = read(&"a".repeat(51), &rules);
        assert_eq!(v.username, None);
        assert_eq!(v.username_as_read, Some("a".repeat(51)));

        for value in ["alice@example.com (old)", "_No response_", "``"] {
            let v = read(value, &rules);
            assert_eq!(v.username, None, "{value}");
            assert_eq!(v.username_as_read, None, "{value}");
        }
    }

    #[test]
    fn the_profile_url_prefix_comes_from_the_rules() {
        let url = "https://test.pypi.org/user/jbber/";
        let v = read(url, &Rules::default());
        assert_eq!(v.username, None);
        assert_eq!(v.username_as_read.as_deref(), Some(url));

        let rules = Rules::new(
            PYPI_USERNAME_PATTERN,
            PYPI_USERNAME_MAX_LEN,
            "https://test.pypi.org/user/",
        )
        .unwrap();
        assert_eq!(rules.profile_url_prefix, "https://test.pypi.org/user/");
        let v = read(url, &rules);
        assert_eq!(v.username.as_deref(), Some("jbber"));
        assert_eq!(v.username_as_read.as_deref(), Some("jbber"));
        assert_eq!(
            Rules::default().profile_url_prefix,
            "https://pypi.org/user/"
        );
    }

    #[test]
    fn dropdowns_and_required_checkboxes() {
        let yaml = "body:\n  - type: input\n    id: username\n    attributes: {label: Username}\n  - type: dropdown\n    id: os\n    attributes: {label: OS, options: [Linux, macOS]}\n    validations: {required: true}\n  - type: checkboxes\n    id: pick\n    attributes: {label: Pick, options: [{label: a}, {label: b}]}\n    validations: {required: true}\n";
        let t = Template::from_yaml(yaml).unwrap();
        let check = |body: &str| -> Vec<(String, ProblemKind)> {
            validate(&t, &parse(&t, Some(body)), &Rules::default())
                .problems
                .into_iter()
                .map(|p| (p.field, p.kind))
                .collect()
        };
        let ok = "### Username\n\nbob\n\n### OS\n\nmacOS\n\n### Pick\n\n- [ ] a\n- [X] b";
        assert_eq!(check(ok), []);
        assert_eq!(
            check(&ok.replace("macOS", "BeOS")),
            [(
                "os".to_owned(),
                ProblemKind::NotAChoice {
                    value: "BeOS".into()
                }
            )]
        );
        assert_eq!(
            check(&ok.replace("macOS", "None").replace("[X]", "[ ]")),
            [
                ("os".to_owned(), ProblemKind::Missing),
                ("pick".to_owned(), ProblemKind::Missing)
            ]
        );
    }
}
