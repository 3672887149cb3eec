//! An issue body, as GitHub renders an issue form, read back into the form's
//! fields. GitHub writes each field as `### <label>`, a blank line, and the
//! value: `_No response_` when empty, `None` for a dropdown with no choice,
//! the chosen options joined by `, ` for a dropdown, `- [X] option` lines for
//! checkboxes, and a code fence around a textarea with `render:`.
//!
//! Field boundaries are `### <label>` lines of template labels, in template
//! order, and the body is parsed as markdown with pulldown-cmark to tell
//! which of them are top-level headings: those are preferred. So `###` inside
//! code blocks, a user's own `### Details` or copy of a later label inside a
//! textarea, headings in quotes or lists and `C###` mid-line all stay part of
//! the value they were typed in; and a code fence or HTML comment a user
//! opened and never closed, which hides every later heading from markdown,
//! hides no field (see `field_boundaries`).

use std::collections::BTreeMap;
use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag};
use serde::Serialize;

use super::template::{CheckboxOption, Field, FieldKind, Template, heading_text, normalize_label};

/// A field's value as read from the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Input or textarea (for a textarea with `render:`, the text inside
    /// GitHub's code fence): `None` when empty or `_No response_`. Also a
    /// dropdown's value when it is none of the dropdown's options (which
    /// validation reports).
    Text(Option<String>),
    /// Checkboxes: the template labels of the ticked options; dropdown: the
    /// chosen options; both in template order. `None` when the section is
    /// missing, `_No response_`, or (dropdown) `None`.
    Options(Option<Vec<String>>),
}

impl FieldValue {
    pub fn text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(t) => t.as_deref(),
            FieldValue::Options(_) => None,
        }
    }

    /// The ticked (checkboxes) or chosen (dropdown) options.
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
    /// Every template field by key.
    pub fields: BTreeMap<String, FieldValue>,
    /// Template field keys with no heading in the body.
    pub missing: Vec<String>,
    /// Top-level `###` headings that are no template label (kept as text).
    pub extra_headings: Vec<String>,
}

const NO_RESPONSE: &str = "_no response_";

/// What GitHub writes for a dropdown with no choice.
const NO_CHOICE: &str = "none";

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
        fields.insert(field.id.clone(), value(field, raw));
    }
    FormResponse {
        from_form: !boundaries.is_empty(),
        fields,
        missing,
        extra_headings,
    }
}

/// One field's value from the text under its heading (`None`: no heading).
fn value(field: &Field, raw: Option<&str>) -> FieldValue {
    match field.kind {
        FieldKind::Checkboxes => FieldValue::Options(raw.and_then(|r| {
            if is_no_response(r) {
                None
            } else {
                Some(ticked_options(r, &field.options))
            }
        })),
        FieldKind::Dropdown => match raw.and_then(clean_text) {
            None => FieldValue::Options(None),
            Some(v) => match chosen_options(&v, field) {
                Some(chosen) => FieldValue::Options(Some(chosen)),
                None if v.eq_ignore_ascii_case(NO_CHOICE) => FieldValue::Options(None),
                None => FieldValue::Text(Some(v)),
            },
        },
        FieldKind::Textarea if field.render.is_some() => {
            FieldValue::Text(raw.and_then(clean_text).and_then(unfence))
        }
        FieldKind::Input | FieldKind::Textarea => FieldValue::Text(raw.and_then(clean_text)),
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

/// A line `### <label>` of a template field, wherever it stands.
struct Candidate {
    field: usize,
    line: Range<usize>,
    /// A top-level heading of the markdown (not inside a code block, an
    /// HTML block, a quote or a list).
    top: bool,
}

/// The headings that start fields, in order, and the text of the top-level
/// `###` headings that are no template label.
///
/// GitHub writes one heading per field, in template order. Of every
/// `### <label>` line, the ones taken are those that read the most fields
/// in template order; among as many, the most top-level headings; then the
/// earliest. So a heading inside a code fence or a user's copy of a label
/// stays text, unless the field has no other heading; and a fence or HTML
/// comment a user opened and never closed hides no field after it.
fn field_boundaries(template: &Template, text: &str) -> (Vec<Boundary>, Vec<String>) {
    let (top_lines, extra) = top_level_headings(template, text);
    let fenced = fenced_blocks(text);
    let mut candidates = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        if fenced.iter().any(|block| block.contains(&at)) {
            continue;
        }
        let Some(heading) = atx3(line) else { continue };
        if let Some(field) = template.field_index_by_heading(&heading_text(heading)) {
            candidates.push(Candidate {
                field,
                line: at..offset,
                top: top_lines.binary_search(&at).is_ok(),
            });
        }
    }
    let chosen = best_chain(&candidates, template.fields.len());
    let boundaries = chosen
        .into_iter()
        .map(|c| Boundary {
            field: candidates[c].field,
            heading: candidates[c].line.clone(),
        })
        .collect();
    (boundaries, extra)
}

/// The closed fenced blocks of `text` (from the opening fence line to the end
/// of the closing one): a heading inside one is never a field's heading,
/// whether or not the field has another, so a fenced copy of a section never
/// starts or ends one. A fence is a line of at least three backticks (info
/// string allowed, without backticks) or tildes, at most three spaces in,
/// also after a quote or list marker; it is closed by a later line of only
/// the same character, at least as many. A fence never closed is kept as
/// text and hides nothing (GitHub's own rendering would let it run to the
/// end and hide every later field); an opening fence that a fence in a later
/// field closes hides the headings between them: the two read alike, and
/// fields read as missing are asked again, never taken from a code block.
fn fenced_blocks(text: &str) -> Vec<Range<usize>> {
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        lines.push((offset, line, closing_fence(line)));
        offset += line.len();
    }
    // widest[k][j]: the widest closing fence of `FENCES[k]` at line j or
    // later, so that a fence never closed costs no scan (linear in all).
    const FENCES: [char; 2] = ['`', '~'];
    let mut widest = [vec![0usize; lines.len() + 1], vec![0usize; lines.len() + 1]];
    for j in (0..lines.len()).rev() {
        for (k, fence) in FENCES.iter().enumerate() {
            let here = match lines[j].2 {
                Some((c, w)) if c == *fence => w,
                _ => 0,
            };
            widest[k][j] = widest[k][j + 1].max(here);
        }
    }
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (start, line, _) = lines[i];
        let Some((fence, width)) = opening_fence(line) else {
            i += 1;
            continue;
        };
        let k = usize::from(fence == '~');
        if widest[k][i + 1] < width {
            i += 1;
            continue;
        }
        let close = (i + 1..lines.len())
            .find(|&j| matches!(lines[j].2, Some((c, w)) if c == fence && w >= width));
        match close {
            Some(j) => {
                let (at, closing, _) = lines[j];
                blocks.push(start..at + closing.len());
                i = j + 1;
            }
            None => i += 1,
        }
    }
    blocks
}

/// An opening code fence: its character and width.
fn opening_fence(line: &str) -> Option<(char, usize)> {
    let line = line.trim_end_matches(['\n', '\r']);
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return None;
    }
    let rest = strip_container_markers(rest);
    let fence = rest.chars().next()?;
    if !matches!(fence, '`' | '~') {
        return None;
    }
    let width = rest.chars().take_while(|c| *c == fence).count();
    let info = &rest[width..];
    (width >= 3 && !(fence == '`' && info.contains('`'))).then_some((fence, width))
}

/// Block quote markers and list markers (`>`, `-`, `*`, `+`, `1.`, `1)`)
/// before a fence, with their spaces.
fn strip_container_markers(mut rest: &str) -> &str {
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let digits = trimmed.len()
            - trimmed
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let after = if let Some(r) = trimmed.strip_prefix('>') {
            r
        } else if let Some(r) = trimmed
            .strip_prefix(['-', '*', '+'])
            .filter(|r| r.starts_with([' ', '\t']))
        {
            r
        } else if (1..=9).contains(&digits)
            && let Some(r) = trimmed[digits..]
                .strip_prefix(['.', ')'])
                .filter(|r| r.starts_with([' ', '\t']))
        {
            r
        } else {
            return trimmed;
        };
        rest = after;
    }
}

/// A line that can close a fence: only backticks or only tildes (after any
/// quote or list marker): the character and how many.
fn closing_fence(line: &str) -> Option<(char, usize)> {
    let rest = strip_container_markers(line.trim_end_matches(['\n', '\r']));
    let rest = rest.trim_end_matches([' ', '\t']);
    let fence = rest.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let width = rest.chars().count();
    (width >= 3 && rest.chars().all(|c| c == fence)).then_some((fence, width))
}

/// `### text` (at most three spaces before it) → the heading from `###` on.
fn atx3(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches(' ');
    if line.len() - rest.len() > 3 {
        return None;
    }
    let after = rest.strip_prefix("###")?;
    (after.is_empty() || after.starts_with([' ', '\t', '\n'])).then_some(rest)
}

/// The line starts of the top-level level-3 headings (sorted), and the text
/// of those that are no template label.
fn top_level_headings(template: &Template, text: &str) -> (Vec<usize>, Vec<String>) {
    let mut lines = Vec::new();
    let mut extra = Vec::new();
    let mut depth = 0usize;
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H3,
                ..
            }) if depth == 0 => {
                let heading = heading_text(text.get(range.clone()).unwrap_or(""));
                if template.field_index_by_heading(&heading).is_none() {
                    extra.push(heading);
                }
                let line_start = text
                    .get(..range.start)
                    .and_then(|t| t.rfind('\n'))
                    .map_or(0, |i| i + 1);
                lines.push(line_start);
                depth += 1;
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (lines, extra)
}

/// The candidates to take, in order: a chain of strictly increasing fields
/// with the most fields, then the most top-level headings, then the
/// earliest. Linear in candidates times fields.
fn best_chain(candidates: &[Candidate], fields: usize) -> Vec<usize> {
    type Score = (usize, usize);
    // best[f]: the best chain whose last heading is one of field f's.
    let mut best: Vec<Option<(Score, usize)>> = vec![None; fields];
    let mut previous: Vec<Option<usize>> = vec![None; candidates.len()];
    for (c, candidate) in candidates.iter().enumerate() {
        let mut base: (Score, Option<usize>) = ((0, 0), None);
        for (score, last) in best[..candidate.field].iter().flatten() {
            if *score > base.0 || *score == base.0 && base.1.is_some_and(|b| *last < b) {
                base = (*score, Some(*last));
            }
        }
        let score = (base.0.0 + 1, base.0.1 + usize::from(candidate.top));
        previous[c] = base.1;
        if best[candidate.field].is_none_or(|(s, _)| score > s) {
            best[candidate.field] = Some((score, c));
        }
    }
    let mut end: Option<(Score, usize)> = None;
    for (score, last) in best.iter().flatten() {
        if end.is_none_or(|(s, e)| *score > s || *score == s && *last < e) {
            end = Some((*score, *last));
        }
    }
    let mut chain = Vec::new();
    let mut at = end.map(|(_, c)| c);
    while let Some(c) = at {
        chain.push(c);
        at = previous[c];
    }
    chain.reverse();
    chain
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

/// The text inside the one code fence GitHub puts around a `render:`
/// textarea; a value without that fence (an edited body) is kept as it is.
/// Blank lines at either end are dropped; the first line keeps its indent.
fn unfence(value: String) -> Option<String> {
    let Some((open, rest)) = value.split_once('\n') else {
        return Some(value);
    };
    let fence = open.chars().next().unwrap_or(' ');
    let width = open.chars().take_while(|c| *c == fence).count();
    if !matches!(fence, '`' | '~') || width < 3 {
        return Some(value);
    }
    let (inner, close) = rest.rsplit_once('\n').unwrap_or(("", rest));
    let close = close.trim();
    if close.len() < width || !close.chars().all(|c| c == fence) {
        return Some(value);
    }
    let mut inner = inner.trim_end();
    while let Some((line, rest)) = inner.split_once('\n') {
        if !line.trim().is_empty() {
            break;
        }
        inner = rest;
    }
    (!inner.trim().is_empty()).then(|| inner.to_owned())
}

/// A dropdown's value as its options, in template order: one option, or
/// (`multiple`) options joined by `, `, matched against the option list so
/// that an option holding a comma stays one. `None` when the value is not
/// made of options.
fn chosen_options(value: &str, field: &Field) -> Option<Vec<String>> {
    let v = normalize_label(value);
    let options: Vec<String> = field
        .options
        .iter()
        .map(|o| normalize_label(&o.label))
        .collect();
    let mut chosen: Vec<usize> = match options.iter().position(|o| *o == v) {
        Some(i) => vec![i],
        None if field.multiple => split_options(&v, &options)?,
        None => return None,
    };
    chosen.sort_unstable();
    chosen.dedup();
    Some(
        chosen
            .into_iter()
            .map(|i| field.options[i].label.clone())
            .collect(),
    )
}

/// `v` as options joined by `, `: the option indices, or `None`. Each
/// position after a separator is reached once, so this is linear in the
/// value's length times the number of options.
fn split_options(v: &str, options: &[String]) -> Option<Vec<usize>> {
    const SEPARATOR: &str = ", ";
    let n = v.len();
    // came_from[p]: the option that ends just before position p (p == n, or
    // p follows a separator) and where that option started.
    let mut came_from: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    let mut reached = vec![false; n + 1];
    reached[0] = true;
    for p in 0..n {
        if !reached[p] {
            continue;
        }
        let rest = &v[p..];
        for (i, o) in options.iter().enumerate() {
            if o.is_empty() || !rest.starts_with(o.as_str()) {
                continue;
            }
            let end = p + o.len();
            let next = if end == n {
                n
            } else if v[end..].starts_with(SEPARATOR) {
                end + SEPARATOR.len()
            } else {
                continue;
            };
            if next < n && reached[next] || next == n && came_from[n].is_some() {
                continue;
            }
            reached[next] = next < n;
            came_from[next] = Some((p, i));
        }
    }
    let mut chosen = Vec::new();
    let mut at = n;
    while let Some((start, option)) = came_from[at] {
        chosen.push(option);
        if start == 0 {
            return Some(chosen);
        }
        at = start;
    }
    None
}

/// The template labels of the ticked options among `- [X] label` lines.
fn ticked_options(raw: &str, options: &[CheckboxOption]) -> Vec<String> {
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
    // In template order, whatever order the lines came in.
    ticked.sort_by_key(|t| options.iter().position(|o| o.label == *t));
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
    fn fences_are_taken_off_render_values() {
        let un = |s: &str| unfence(s.to_owned());
        assert_eq!(
            un("```shell\n$ pip install x\n```").as_deref(),
            Some("$ pip install x")
        );
        assert_eq!(
            un("```\n\n  indented\nmore  \n\n```").as_deref(),
            Some("  indented\nmore")
        );
        assert_eq!(
            un("````text\n```\ninner fence\n```\n````").as_deref(),
            Some("```\ninner fence\n```")
        );
        assert_eq!(un("~~~sh\nx\n~~~").as_deref(), Some("x"));
        assert_eq!(un("```shell\n```"), None);
        assert_eq!(un("```shell\n\n```"), None);
        // No fence, or not closed: the value as it is.
        assert_eq!(un("plain text").as_deref(), Some("plain text"));
        assert_eq!(un("```shell\nx").as_deref(), Some("```shell\nx"));
        assert_eq!(un("``\nx\n``").as_deref(), Some("``\nx\n``"));
    }

    #[test]
    fn fenced_blocks_pair_like_markdown() {
        fn blocks(t: &str) -> Vec<&str> {
            fenced_blocks(t).into_iter().map(|r| &t[r]).collect()
        }
        assert_eq!(blocks("a\n```\nx\n```\nb"), ["```\nx\n```\n"]);
        assert_eq!(blocks("~~~ sh\nx\n```\n~~~~\n"), ["~~~ sh\nx\n```\n~~~~\n"]);
        // A closing fence takes no info string and at least the width.
        assert_eq!(blocks("````\n```\n```x\n````"), ["````\n```\n```x\n````"]);
        // Never closed: no block, and the fences after it still pair.
        assert_eq!(blocks("````\nx\n```\ny\n```"), ["```\ny\n```"]);
        assert_eq!(blocks("~~~\nx"), Vec::<&str>::new());
        // In a list item, indented inside.
        assert_eq!(blocks("- ```\n  x\n  ```\n"), ["- ```\n  x\n  ```\n"]);
        // Four spaces in is indented code, not a fence.
        assert_eq!(blocks("    ```\nx\n```"), Vec::<&str>::new());
    }

    fn dropdown(options: &[&str], multiple: bool) -> Field {
        Field {
            id: "d".into(),
            label: "D".into(),
            kind: FieldKind::Dropdown,
            required: false,
            options: options
                .iter()
                .map(|o| CheckboxOption {
                    label: (*o).to_owned(),
                    required: false,
                })
                .collect(),
            multiple,
            render: None,
        }
    }

    #[test]
    fn dropdown_values_are_matched_against_the_options() {
        let f = dropdown(&["Linux, or BSD", "macOS", "Windows", "Linux"], true);
        let chosen = |v: &str| chosen_options(v, &f);
        assert_eq!(chosen("macOS"), Some(vec!["macOS".to_owned()]));
        assert_eq!(
            chosen("Windows, Linux, or BSD"),
            Some(vec!["Linux, or BSD".to_owned(), "Windows".to_owned()])
        );
        assert_eq!(
            chosen("linux, MACOS"),
            Some(vec!["macOS".to_owned(), "Linux".to_owned()])
        );
        assert_eq!(
            chosen("Linux, or BSD, Linux"),
            Some(vec!["Linux, or BSD".to_owned(), "Linux".to_owned()])
        );
        assert_eq!(chosen("macOS, macOS"), Some(vec!["macOS".to_owned()]));
        assert_eq!(chosen("or BSD"), None);
        assert_eq!(chosen("macOS,"), None);
        assert_eq!(chosen("macOS, "), None);
        assert_eq!(chosen("macOS,Windows"), None);
        assert_eq!(chosen("Plan 9"), None);
        // A single dropdown takes one option only.
        let f = dropdown(&["a", "b"], false);
        assert_eq!(chosen_options("a", &f), Some(vec!["a".to_owned()]));
        assert_eq!(chosen_options("a, b", &f), None);
    }

    #[test]
    fn splitting_a_long_value_stays_cheap() {
        let f = dropdown(&["alpha", "beta, gamma", "beta"], true);
        let v = vec!["alpha, beta, gamma"; 10_000].join(", ");
        assert_eq!(
            chosen_options(&v, &f),
            Some(vec!["alpha".to_owned(), "beta, gamma".to_owned()])
        );
        let v = format!("{v}, gamma");
        assert_eq!(chosen_options(&v, &f), None);
    }
}
