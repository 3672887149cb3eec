//! GitHub issue-form templates (`.github/ISSUE_TEMPLATE/*.yml`): the fields
//! and their labels, which are the headings of a rendered issue body.

use serde::Deserialize;

/// The project's own account-recovery form.
const DEFAULT_TEMPLATE: &str = include_str!("../../issue-templates/account-recovery.yml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Input,
    Textarea,
    Dropdown,
    Checkboxes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckboxOption {
    pub label: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub id: String,
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    /// Checkbox options (with their own `required`) or dropdown choices.
    pub options: Vec<CheckboxOption>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub labels: Vec<String>,
    pub fields: Vec<Field>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("not a GitHub issue form: {0}")]
    Yaml(String),
    #[error("the {kind} field labelled `{label}` has no id")]
    MissingId { kind: String, label: String },
    #[error("two fields have the id `{0}`")]
    DuplicateId(String),
    #[error("two fields have the label `{0}` (labels are the headings of the body)")]
    DuplicateLabel(String),
    #[error("unknown field type `{0}`")]
    UnknownType(String),
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
    label: String,
    #[serde(default)]
    options: Vec<RawOption>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawOption {
    Checkbox {
        label: String,
        #[serde(default)]
        required: bool,
    },
    Choice(String),
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

impl Template {
    pub fn from_yaml(text: &str) -> Result<Self, TemplateError> {
        let raw: RawForm =
            serde_norway::from_str(text).map_err(|e| TemplateError::Yaml(e.to_string()))?;
        let mut fields: Vec<Field> = Vec::new();
        for el in raw.body {
            let kind = match el.kind.as_str() {
                "markdown" => continue,
                "input" => FieldKind::Input,
                "textarea" => FieldKind::Textarea,
                "dropdown" => FieldKind::Dropdown,
                "checkboxes" => FieldKind::Checkboxes,
                other => return Err(TemplateError::UnknownType(other.to_owned())),
            };
            let label = el.attributes.label.trim().to_owned();
            let id =
                el.id
                    .filter(|i| !i.trim().is_empty())
                    .ok_or_else(|| TemplateError::MissingId {
                        kind: el.kind.clone(),
                        label: label.clone(),
                    })?;
            if fields.iter().any(|f| f.id == id) {
                return Err(TemplateError::DuplicateId(id));
            }
            if fields
                .iter()
                .any(|f| normalize_label(&f.label) == normalize_label(&label))
            {
                return Err(TemplateError::DuplicateLabel(label));
            }
            let options = el
                .attributes
                .options
                .into_iter()
                .map(|o| match o {
                    RawOption::Checkbox { label, required } => CheckboxOption {
                        label: label.trim().to_owned(),
                        required,
                    },
                    RawOption::Choice(label) => CheckboxOption {
                        label: label.trim().to_owned(),
                        required: false,
                    },
                })
                .collect();
            fields.push(Field {
                id,
                label,
                kind,
                required: el.validations.required,
                options,
            });
        }
        if fields.is_empty() {
            return Err(TemplateError::Empty);
        }
        Ok(Template {
            name: raw.name,
            labels: match raw.labels {
                RawLabels::None => Vec::new(),
                RawLabels::List(l) => l,
                RawLabels::One(s) => s.split(',').map(|l| l.trim().to_owned()).collect(),
            },
            fields,
        })
    }

    /// The built-in account-recovery form.
    pub fn default_recovery() -> Self {
        Self::from_yaml(DEFAULT_TEMPLATE).expect("the built-in template is valid")
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The index of the field whose label is `heading`, if any.
    pub fn field_index_by_heading(&self, heading: &str) -> Option<usize> {
        let h = normalize_label(heading);
        self.fields
            .iter()
            .position(|f| normalize_label(&f.label) == h)
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
    fn bad_templates_are_refused_with_a_reason() {
        let no_id = "body:\n  - type: input\n    attributes:\n      label: Name\n";
        assert!(matches!(
            Template::from_yaml(no_id),
            Err(TemplateError::MissingId { .. })
        ));
        let dup = "body:\n  - type: input\n    id: a\n    attributes: {label: Name}\n  - type: input\n    id: b\n    attributes: {label: name}\n";
        assert!(matches!(
            Template::from_yaml(dup),
            Err(TemplateError::DuplicateLabel(_))
        ));
        assert!(matches!(
            Template::from_yaml("just: text"),
            Err(TemplateError::Yaml(_))
        ));
        let dropdown = "body:\n  - type: dropdown\n    id: os\n    attributes:\n      label: OS\n      options: [\"Linux, or BSD\", macOS]\n";
        let t = Template::from_yaml(dropdown).unwrap();
        assert_eq!(t.fields[0].options[0].label, "Linux, or BSD");
    }
}
