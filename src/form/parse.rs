//! An issue body, as GitHub renders an issue form, read back into the form's
//! fields. GitHub writes each field as `### <label>`, a blank line, and the
//! value (`_No response_` when empty, `- [X] option` for checkboxes).
//!
//! The body is parsed as markdown with pulldown-cmark, and only top-level
//! level-3 ATX headings whose text is a template label (in template order)
//! are field boundaries. So `###` inside code blocks, a user's own
//! `### Details` inside a textarea, headings in quotes or lists and `C###`
//! mid-line all stay part of the value they were typed in.

use std::collections::BTreeMap;
use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use super::template::{FieldKind, Template, normalize_label};

/// A field's value as read from the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Input, textarea or dropdown: `None` when empty or `_No response_`.
    Text(Option<String>),
    /// Checkboxes: the template labels of the ticked options; `None` when
    /// the section is missing or `_No response_`.
    Options(Option<Vec<String>>),
}

impl FieldValue {
    pub fn text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(t) => t.as_deref(),
            FieldValue::Options(_) => None,
        }
    }

    pub fn ticked(&self) -> &[String] {
        match self {
            FieldValue::Options(Some(list)) => list,
            _ => &[],
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, FieldValue::Text(None) | FieldValue::Options(None))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormResponse {
    /// At least one field heading was found: the body came from the form.
    pub from_form: bool,
    /// Every template field by id, in template order of ids.
    pub fields: BTreeMap<String, FieldValue>,
    /// Template field ids with no heading in the body.
    pub missing: Vec<String>,
    /// Top-level `###` headings that are no template label (kept as text).
    pub extra_headings: Vec<String>,
}

const NO_RESPONSE: &str = "_no response_";

/// Reads `body` as a response to `template`. Never fails: what cannot be
/// read is reported as missing or empty.
pub fn parse(template: &Template, body: Option<&str>) -> FormResponse {
    let text = normalize_newlines(body.unwrap_or(""));
    let (boundaries, extra_headings) = field_boundaries(template, &text);

    let mut fields = BTreeMap::new();
    let mut missing = Vec::new();
    for (index, field) in template.fields.iter().enumerate() {
        let found = boundaries.iter().position(|b| b.field == index);
        let raw = found.map(|i| {
            let start = boundaries[i].heading.end;
            let end = boundaries
                .get(i + 1)
                .map_or(text.len(), |next| next.heading.start);
            text.get(start..end).unwrap_or("")
        });
        if raw.is_none() {
            missing.push(field.id.clone());
        }
        let value = match field.kind {
            FieldKind::Checkboxes => FieldValue::Options(raw.and_then(|r| {
                if is_no_response(r) {
                    None
                } else {
                    Some(ticked_options(r, &field.options))
                }
            })),
            FieldKind::Dropdown => FieldValue::Text(raw.and_then(|r| {
                clean_text(r).map(|v| {
                    field
                        .options
                        .iter()
                        .find(|o| normalize_label(&o.label) == normalize_label(&v))
                        .map_or(v, |o| o.label.clone())
                })
            })),
            FieldKind::Input | FieldKind::Textarea => FieldValue::Text(raw.and_then(clean_text)),
        };
        fields.insert(field.id.clone(), value);
    }
    FormResponse {
        from_form: !boundaries.is_empty(),
        fields,
        missing,
        extra_headings,
    }
}

/// CRLF (a browser edit) and lone CR become LF.
fn normalize_newlines(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_owned()
    }
}

struct Boundary {
    field: usize,
    heading: Range<usize>,
}

/// The top-level `###` headings that start fields, in order, and the text
/// of the other top-level `###` headings.
fn field_boundaries(template: &Template, text: &str) -> (Vec<Boundary>, Vec<String>) {
    let mut boundaries: Vec<Boundary> = Vec::new();
    let mut extra = Vec::new();
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H3,
                ..
            }) if depth == 0 => {
                let heading = heading_text(text.get(range.clone()).unwrap_or(""));
                let next_allowed = boundaries.last().map_or(0, |b| b.field + 1);
                match template.field_index_by_heading(&heading) {
                    // A label can only start a field after the fields before
                    // it: a user's own copy of an earlier heading is text.
                    Some(field) if field >= next_allowed => boundaries.push(Boundary {
                        field,
                        heading: range.clone(),
                    }),
                    Some(_) => {}
                    None => extra.push(heading),
                }
                depth += 1;
            }
            Event::Start(_) => depth += 1,
            Event::End(TagEnd::Heading(_)) | Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (boundaries, extra)
}

/// `### Label ###` → `Label`.
fn heading_text(source: &str) -> String {
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

fn is_no_response(raw: &str) -> bool {
    raw.trim().eq_ignore_ascii_case(NO_RESPONSE)
}

fn clean_text(raw: &str) -> Option<String> {
    let v = raw.trim_matches(|c: char| c == '\n' || c == ' ' || c == '\t');
    if v.is_empty() || is_no_response(v) {
        None
    } else {
        Some(v.to_owned())
    }
}

/// The template labels of the ticked options among `- [X] label` lines.
fn ticked_options(raw: &str, options: &[super::template::CheckboxOption]) -> Vec<String> {
    let mut ticked = Vec::new();
    for line in raw.lines() {
        let Some((mark, label)) = checkbox_line(line) else {
            continue;
        };
        if !mark {
            continue;
        }
        let label = normalize_label(label);
        if let Some(o) = options.iter().find(|o| normalize_label(&o.label) == label)
            && !ticked.contains(&o.label)
        {
            ticked.push(o.label.clone());
        }
    }
    ticked
}

/// `- [X] text` → `(true, "text")`; `- [ ]` and the malformed `- []` are
/// not ticked.
fn checkbox_line(line: &str) -> Option<(bool, &str)> {
    let rest = line.trim_start();
    let rest = rest
        .strip_prefix("- ")
        .or_else(|| rest.strip_prefix("* "))?
        .trim_start();
    let rest = rest.strip_prefix('[')?;
    let close = rest.find(']')?;
    let mark = rest.get(..close)?.trim();
    let ticked = mark.eq_ignore_ascii_case("x");
    if !(ticked || mark.is_empty()) {
        return None;
    }
    Some((ticked, rest.get(close + 1..)?.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkbox_lines() {
        assert_eq!(checkbox_line("- [X] a"), Some((true, "a")));
        assert_eq!(checkbox_line("- [x] a"), Some((true, "a")));
        assert_eq!(checkbox_line("- [ ] a"), Some((false, "a")));
        assert_eq!(checkbox_line("- [] a"), Some((false, "a")));
        assert_eq!(checkbox_line("* [X] a"), Some((true, "a")));
        assert_eq!(checkbox_line("- [y] a"), None);
        assert_eq!(checkbox_line("text"), None);
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
