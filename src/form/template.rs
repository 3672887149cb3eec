//! GitHub issue-form templates (`.github/ISSUE_TEMPLATE/*.yml`): the fields
//! and their labels, which are the headings of a rendered issue body.
//!
//! Every form GitHub accepts is read: a field without an `id` is keyed by its
//! label's slug, as the issue-form parsers key it (`PyPI Username` →
//! `pypi_username`); `markdown` blocks are no fields. The template is checked
//! when it is loaded, and one clear line says what is wrong with it.

use serde::Deserialize;

/// The project's own account-recovery form.
const DEFAULT_TEMPLATE: &str = include_str!("../../issue-templates/account-recovery.yml");

/// The key that names the username field without configuration.
const USERNAME_KEY: &str = "username";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Input,
    Textarea,
    Dropdown,
    Checkboxes,
}

impl FieldKind {
    /// The `type:` of the field in the template.
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Input => "input",
            FieldKind::Textarea => "textarea",
            FieldKind::Dropdown => "dropdown",
            FieldKind::Checkboxes => "checkboxes",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckboxOption {
    pub label: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's key: its `id`, or its label's slug when it has none.
    pub id: String,
    pub label: String,
    pub kind: FieldKind,
    /// `validations.required: true`.
    pub required: bool,
    /// Checkbox options (with their own `required`) or dropdown choices.
    pub options: Vec<CheckboxOption>,
    /// A dropdown with `multiple: true`.
    pub multiple: bool,
    /// A textarea's `render:` language: GitHub puts its value in a code
    /// fence.
    pub render: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub labels: Vec<String>,
    pub fields: Vec<Field>,
    /// The index of the username field in `fields`.
    username: usize,
    /// Each field's heading as compared with a body's headings.
    headings: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("not a GitHub issue form: {0}")]
    Yaml(String),
    #[error(
        "unknown field type `{kind}` ({at}); an issue form has markdown, input, textarea, dropdown and checkboxes"
    )]
    UnknownType { kind: String, at: String },
    #[error("the {kind} field ({at}) has no label")]
    MissingLabel { kind: String, at: String },
    #[error("the {kind} field `{label}` has no options")]
    NoOptions { kind: String, label: String },
    #[error(
        "two fields have the key `{key}` (`{first}` and `{second}`; a field without an id is keyed by its label's slug): give one of them another id"
    )]
    DuplicateKey {
        key: String,
        first: String,
        second: String,
    },
    #[error("two fields have the label `{0}` (labels are the headings of the body)")]
    DuplicateLabel(String),
    #[error(
        "no username field: give the account name's field the id `username`, put \"username\" in its input's label, or set `[form] username_field` to its key"
    )]
    NoUsernameField,
    #[error(
        "`[form] username_field` is `{key}`, but no field of the form has that key (keys: {keys})"
    )]
    UnknownUsernameField { key: String, keys: String },
    #[error(
        "`[form] username_field` is `{configured}`, but the form's username field is `{found}` ({why}): remove the setting or name that field"
    )]
    UsernameFieldConflict {
        configured: String,
        found: String,
        why: &'static str,
    },
    #[error("the username field `{key}` is a {kind} field; it must be an input or a textarea")]
    UsernameFieldNotText { key: String, kind: &'static str },
    #[error("the form has no fields")]
    Empty,
}

#[derive(Deserialize)]
struct RawForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    labels: RawLabels,
    body: Vec<RawElement>,
}

#[derive(Deserialize, Default)]
#[serde(untagged)]
enum RawLabels {
    #[default]
    None,
    List(Vec<String>),
    One(String),
}

#[derive(Deserialize)]
struct RawElement {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    #[serde(default)]
    attributes: RawAttributes,
    #[serde(default)]
    validations: RawValidations,
}

#[derive(Deserialize, Default)]
struct RawAttributes {
    #[serde(default)]
    label: Option<Scalar>,
    #[serde(default)]
    options: Vec<RawOption>,
    #[serde(default)]
    multiple: bool,
    render: Option<Scalar>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawOption {
    Checkbox {
        label: Scalar,
        #[serde(default)]
        required: bool,
    },
    Choice(Scalar),
}

/// A YAML scalar read as the text GitHub shows (`- 1.0` is a choice too).
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Text(s) => s.trim().to_owned(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => format!("{f:?}"),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Deserialize, Default)]
struct RawValidations {
    #[serde(default)]
    required: bool,
}

/// Heading text compared the way GitHub users drift: case, surrounding and
/// repeated white space.
pub fn normalize_label(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The key of a field without an `id`, as the issue-form parsers make it:
/// lower case, each run of characters other than `a-z0-9` one `_`, none at
/// either end (`Is the Thing a Thing?` → `is_the_thing_a_thing`).
pub fn slug(label: &str) -> String {
    let mut key = String::with_capacity(label.len());
    let mut gap = false;
    for c in label.to_lowercase().chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if gap && !key.is_empty() {
                key.push('_');
            }
            gap = false;
            key.push(c);
        } else {
            gap = true;
        }
    }
    key
}

/// The text of an ATX heading line: `### Label ###` → `Label`.
pub(crate) fn heading_text(source: &str) -> String {
    let line = source.lines().next().unwrap_or("").trim();
    let line = line.trim_start_matches('#');
    let line = line.trim_end();
    let without_close = line.trim_end_matches('#');
    // A closing sequence must be preceded by a space; otherwise it is text.
    let line = if without_close.ends_with([' ', '\t']) || without_close.is_empty() {
        without_close
    } else {
        line
    };
    line.trim().to_owned()
}

/// A label as it is compared with a body's headings: the text of the
/// heading `### <label>` GitHub writes for it, normalised.
fn heading_key(label: &str) -> String {
    normalize_label(&heading_text(&format!("### {label}")))
}

impl Template {
    /// Reads a form whose username field needs no configuration (see
    /// [`Template::from_yaml_with`]).
    pub fn from_yaml(text: &str) -> Result<Self, TemplateError> {
        Self::from_yaml_with(text, None)
    }

    /// Reads and checks a form. The username field is the field keyed
    /// `username`; else the first input whose label contains "username" (any
    /// case); else the field keyed `username_field` (`[form]
    /// username_field`). A setting that names no field, or another field
    /// than the first two rules find, is refused.
    pub fn from_yaml_with(text: &str, username_field: Option<&str>) -> Result<Self, TemplateError> {
        let raw: RawForm =
            serde_norway::from_str(text).map_err(|e| TemplateError::Yaml(e.to_string()))?;
        let mut fields: Vec<Field> = Vec::new();
        let mut headings: Vec<String> = Vec::new();
        for (n, el) in raw.body.into_iter().enumerate() {
            let field = read_field(n + 1, el)?;
            let Some(field) = field else { continue };
            if let Some(other) = fields.iter().find(|f| f.id == field.id) {
                return Err(TemplateError::DuplicateKey {
                    key: field.id,
                    first: other.label.clone(),
                    second: field.label,
                });
            }
            let heading = heading_key(&field.label);
            if headings.contains(&heading) {
                return Err(TemplateError::DuplicateLabel(field.label));
            }
            headings.push(heading);
            fields.push(field);
        }
        if fields.is_empty() {
            return Err(TemplateError::Empty);
        }
        let username = username_field_index(&fields, username_field)?;
        Ok(Template {
            name: raw.name,
            labels: match raw.labels {
                RawLabels::None => Vec::new(),
                RawLabels::List(l) => l,
                RawLabels::One(s) => s.split(',').map(|l| l.trim().to_owned()).collect(),
            },
            fields,
            username,
            headings,
        })
    }

    /// The built-in account-recovery form.
    pub fn default_recovery() -> Self {
        Self::from_yaml(DEFAULT_TEMPLATE).expect("the built-in template is valid")
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The key of the field that names the account.
    pub fn username_field(&self) -> &str {
        &self.fields[self.username].id
    }

    /// The index of the field whose label is `heading`, if any.
    pub fn field_index_by_heading(&self, heading: &str) -> Option<usize> {
        let h = normalize_label(heading);
        self.headings.iter().position(|l| *l == h)
    }
}

/// One element of the form's `body`; `None` for a `markdown` block.
fn read_field(n: usize, el: RawElement) -> Result<Option<Field>, TemplateError> {
    let kind = match el.kind.as_str() {
        "markdown" => return Ok(None),
        "input" => FieldKind::Input,
        "textarea" => FieldKind::Textarea,
        "dropdown" => FieldKind::Dropdown,
        "checkboxes" => FieldKind::Checkboxes,
        other => {
            return Err(TemplateError::UnknownType {
                kind: other.to_owned(),
                at: describe(n, el.attributes.label.map(Scalar::text)),
            });
        }
    };
    let label = el.attributes.label.map(Scalar::text).unwrap_or_default();
    if label.is_empty() {
        return Err(TemplateError::MissingLabel {
            kind: el.kind,
            at: describe(n, None),
        });
    }
    let id = match el.id.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => id.to_owned(),
        _ => slug(&label),
    };
    let options: Vec<CheckboxOption> = el
        .attributes
        .options
        .into_iter()
        .map(|o| match o {
            RawOption::Checkbox { label, required } => CheckboxOption {
                label: label.text(),
                required,
            },
            RawOption::Choice(label) => CheckboxOption {
                label: label.text(),
                required: false,
            },
        })
        .collect();
    if matches!(kind, FieldKind::Dropdown | FieldKind::Checkboxes) && options.is_empty() {
        return Err(TemplateError::NoOptions {
            kind: el.kind,
            label,
        });
    }
    Ok(Some(Field {
        id,
        label,
        kind,
        required: el.validations.required,
        options,
        multiple: kind == FieldKind::Dropdown && el.attributes.multiple,
        render: match kind {
            FieldKind::Textarea => el
                .attributes
                .render
                .map(Scalar::text)
                .filter(|r| !r.is_empty()),
            _ => None,
        },
    }))
}

/// Where a body element is, for a message: `body item 3, labelled `X``.
fn describe(n: usize, label: Option<String>) -> String {
    match label.filter(|l| !l.is_empty()) {
        Some(label) => format!("body item {n}, labelled `{label}`"),
        None => format!("body item {n}"),
    }
}

fn username_field_index(
    fields: &[Field],
    configured: Option<&str>,
) -> Result<usize, TemplateError> {
    let configured = configured.map(str::trim).filter(|k| !k.is_empty());
    let found = fields
        .iter()
        .position(|f| f.id == USERNAME_KEY)
        .map(|i| (i, "the field keyed `username`"))
        .or_else(|| {
            fields
                .iter()
                .position(|f| {
                    f.kind == FieldKind::Input && f.label.to_lowercase().contains(USERNAME_KEY)
                })
                .map(|i| (i, "the first input whose label says username"))
        });
    let index = match configured {
        Some(key) => {
            let Some(named) = fields.iter().position(|f| f.id == key) else {
                return Err(TemplateError::UnknownUsernameField {
                    key: key.to_owned(),
                    keys: fields
                        .iter()
                        .map(|f| format!("`{}`", f.id))
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            match found {
                Some((i, why)) if i != named => {
                    return Err(TemplateError::UsernameFieldConflict {
                        configured: key.to_owned(),
                        found: fields[i].id.clone(),
                        why,
                    });
                }
                _ => named,
            }
        }
        None => found.ok_or(TemplateError::NoUsernameField)?.0,
    };
    let field = &fields[index];
    match field.kind {
        FieldKind::Input | FieldKind::Textarea => Ok(index),
        kind => Err(TemplateError::UsernameFieldNotText {
            key: field.id.clone(),
            kind: kind.name(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_template_has_the_five_fields_of_spec() {
        let t = Template::default_recovery();
        let ids: Vec<&str> = t.fields.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "username",
                "reason",
                "recovery-codes",
                "code-of-conduct",
                "acknowledgement"
            ]
        );
        assert_eq!(t.field("username").unwrap().label, "PyPI Username");
        assert_eq!(t.username_field(), "username");
        assert_eq!(t.field("reason").unwrap().kind, FieldKind::Textarea);
        assert!(
            t.fields
                .iter()
                .all(|f| f.required || f.options.iter().all(|o| o.required))
        );
        let coc = t.field("code-of-conduct").unwrap();
        assert_eq!(
            coc.options[0].label,
            "I agree to follow the PSF Code of Conduct"
        );
        assert!(coc.options[0].required);
        assert_eq!(t.labels, ["account-recovery"]);
        assert_eq!(t.field_index_by_heading("  reason FOR   Request "), Some(1));
    }

    #[test]
    fn slugs_as_the_issue_form_parsers_make_them() {
        for (label, key) in [
            ("PyPI Username", "pypi_username"),
            ("Is the Thing a Thing?", "is_the_thing_a_thing"),
            ("  What   happened?! ", "what_happened"),
            ("Checkbox without an id?", "checkbox_without_an_id"),
            ("acknowledgement", "acknowledgement"),
            ("C# / .NET version (1.0)", "c_net_version_1_0"),
            ("Ünïcode label", "n_code_label"),
            ("already_snake__case", "already_snake_case"),
            ("???", ""),
        ] {
            assert_eq!(slug(label), key, "{label}");
        }
    }

    #[test]
    fn fields_without_ids_are_keyed_by_their_label() {
        let yaml = "body:\n  - type: markdown\n    attributes: {value: hi}\n  - type: input\n    attributes: {label: PyPI Username}\n    validations: {required: true}\n  - type: dropdown\n    id: os\n    attributes:\n      label: OS\n      multiple: true\n      options: [\"Linux, or BSD\", macOS, 1.0]\n  - type: textarea\n    attributes: {label: Logs, render: shell}\n  - type: checkboxes\n    attributes:\n      label: Terms\n      options:\n        - label: I agree\n          required: true\n        - label: Newsletter\n";
        let t = Template::from_yaml(yaml).unwrap();
        let keys: Vec<&str> = t.fields.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(keys, ["pypi_username", "os", "logs", "terms"]);
        assert_eq!(t.username_field(), "pypi_username");
        let os = t.field("os").unwrap();
        assert!(os.multiple);
        let choices: Vec<&str> = os.options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(choices, ["Linux, or BSD", "macOS", "1.0"]);
        assert_eq!(t.field("logs").unwrap().render.as_deref(), Some("shell"));
        let terms = t.field("terms").unwrap();
        assert_eq!(
            terms.options.iter().map(|o| o.required).collect::<Vec<_>>(),
            [true, false]
        );
        assert!(t.field("pypi_username").unwrap().required);
    }

    /// The one line a refused template gets.
    fn refusal(yaml: &str, username_field: Option<&str>) -> String {
        Template::from_yaml_with(yaml, username_field)
            .unwrap_err()
            .to_string()
    }

    const USER: &str = "  - type: input\n    id: username\n    attributes: {label: Account}\n";

    #[test]
    fn an_unknown_field_type_is_refused() {
        let yaml = format!("body:\n{USER}  - type: radio\n    attributes: {{label: Pick}}\n");
        assert_eq!(
            refusal(&yaml, None),
            "unknown field type `radio` (body item 2, labelled `Pick`); an issue form has markdown, input, textarea, dropdown and checkboxes"
        );
    }

    #[test]
    fn two_fields_with_one_key_are_refused() {
        // A label's slug against another field's id.
        let yaml = format!(
            "body:\n{USER}  - type: input\n    id: pypi_username\n    attributes: {{label: Old name}}\n  - type: input\n    attributes: {{label: PyPI Username}}\n"
        );
        assert_eq!(
            refusal(&yaml, None),
            "two fields have the key `pypi_username` (`Old name` and `PyPI Username`; a field without an id is keyed by its label's slug): give one of them another id"
        );
        // Two labels with one slug.
        let yaml = format!(
            "body:\n{USER}  - type: input\n    attributes: {{label: Thing?}}\n  - type: textarea\n    attributes: {{label: Thing!}}\n"
        );
        assert!(
            refusal(&yaml, None)
                .starts_with("two fields have the key `thing` (`Thing?` and `Thing!`"),
            "{}",
            refusal(&yaml, None)
        );
        // Two ids.
        let yaml = format!("body:\n{USER}{USER}");
        assert!(refusal(&yaml, None).starts_with("two fields have the key `username`"));
    }

    #[test]
    fn two_fields_with_one_heading_are_refused() {
        let yaml = format!(
            "body:\n{USER}  - type: input\n    id: a\n    attributes: {{label: Name}}\n  - type: input\n    id: b\n    attributes: {{label: \" name \"}}\n"
        );
        assert_eq!(
            refusal(&yaml, None),
            "two fields have the label `name` (labels are the headings of the body)"
        );
    }

    #[test]
    fn a_form_without_a_username_field_is_refused() {
        let yaml = "body:\n  - type: input\n    attributes: {label: Name}\n  - type: textarea\n    attributes: {label: Your username, please}\n";
        assert_eq!(
            refusal(yaml, None),
            "no username field: give the account name's field the id `username`, put \"username\" in its input's label, or set `[form] username_field` to its key"
        );
        // The setting names it.
        let t = Template::from_yaml_with(yaml, Some("name")).unwrap();
        assert_eq!(t.username_field(), "name");
        assert_eq!(
            Template::from_yaml_with(yaml, Some(" ")).unwrap_err(),
            TemplateError::NoUsernameField
        );
    }

    #[test]
    fn a_setting_naming_no_field_or_another_field_is_refused() {
        let yaml = "body:\n  - type: input\n    attributes: {label: Name}\n  - type: input\n    attributes: {label: GitHub Username}\n";
        assert_eq!(
            refusal(yaml, Some("login")),
            "`[form] username_field` is `login`, but no field of the form has that key (keys: `name`, `github_username`)"
        );
        assert_eq!(
            refusal(yaml, Some("name")),
            "`[form] username_field` is `name`, but the form's username field is `github_username` (the first input whose label says username): remove the setting or name that field"
        );
        let t = Template::from_yaml_with(yaml, Some("github_username")).unwrap();
        assert_eq!(t.username_field(), "github_username");
    }

    #[test]
    fn the_username_rules_in_order() {
        // The key `username` wins over an earlier input labelled username.
        let yaml =
            format!("body:\n  - type: input\n    attributes: {{label: GitHub username}}\n{USER}");
        assert_eq!(
            Template::from_yaml(&yaml).unwrap().username_field(),
            "username"
        );
        // The first input whose label says username, any case; a textarea
        // saying it does not count.
        let yaml = "body:\n  - type: textarea\n    attributes: {label: Other USERNAMES}\n  - type: input\n    attributes: {label: PyPI USERNAME}\n  - type: input\n    attributes: {label: Second username}\n";
        assert_eq!(
            Template::from_yaml(yaml).unwrap().username_field(),
            "pypi_username"
        );
        // A label without an id can be keyed `username` itself.
        let yaml = "body:\n  - type: textarea\n    attributes: {label: Username}\n";
        assert_eq!(
            Template::from_yaml(yaml).unwrap().username_field(),
            "username"
        );
    }

    #[test]
    fn a_username_field_that_holds_no_text_is_refused() {
        let yaml = "body:\n  - type: dropdown\n    id: username\n    attributes: {label: Who, options: [a, b]}\n";
        assert_eq!(
            refusal(yaml, None),
            "the username field `username` is a dropdown field; it must be an input or a textarea"
        );
    }

    #[test]
    fn fields_github_would_refuse_are_refused() {
        let yaml = format!("body:\n{USER}  - type: input\n    id: x\n");
        assert_eq!(
            refusal(&yaml, None),
            "the input field (body item 2) has no label"
        );
        let yaml = format!(
            "body:\n{USER}  - type: dropdown\n    attributes: {{label: OS, options: []}}\n"
        );
        assert_eq!(
            refusal(&yaml, None),
            "the dropdown field `OS` has no options"
        );
        let yaml = format!("body:\n{USER}  - type: checkboxes\n    attributes: {{label: Terms}}\n");
        assert_eq!(
            refusal(&yaml, None),
            "the checkboxes field `Terms` has no options"
        );
        assert_eq!(
            refusal(
                "body:\n  - type: markdown\n    attributes: {value: hi}\n",
                None
            ),
            "the form has no fields"
        );
        assert!(refusal("just: text", None).starts_with("not a GitHub issue form: "));
    }

    #[test]
    fn labels_compare_as_github_writes_their_headings() {
        let yaml =
            format!("body:\n{USER}  - type: input\n    attributes: {{label: \"Version #\"}}\n");
        let t = Template::from_yaml(&yaml).unwrap();
        // `### Version #` is the heading `Version`.
        assert_eq!(
            t.field_index_by_heading(&heading_text("### Version #")),
            Some(1)
        );
        assert_eq!(t.field("version").unwrap().label, "Version #");
    }

    #[test]
    fn heading_texts() {
        assert_eq!(heading_text("### PyPI Username"), "PyPI Username");
        assert_eq!(
            heading_text("###   Reason for request  ###"),
            "Reason for request"
        );
        assert_eq!(heading_text("### C#"), "C#");
    }
}
