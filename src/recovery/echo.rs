//! Repeating other people's text in the bot's comments, safely: it cannot
//! mention anyone, reference or close issues, break out of its code span, or
//! inject HTML; and no comment outgrows GitHub's 65,536-character limit.

/// GitHub rejects longer comment bodies.
pub const MAX_COMMENT_CHARS: usize = 65_536;

/// Longest piece of someone else's text quoted inline.
const MAX_INLINE_CHARS: usize = 200;

/// U+2060 WORD JOINER: invisible, and breaks `@name` and `#123` apart.
const JOINER: char = '\u{2060}';

fn clip(text: &str, max: usize) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    if trimmed.chars().count() <= max {
        trimmed.to_owned()
    } else {
        let mut s: String = trimmed.chars().take(max).collect();
        s.push('…');
        s
    }
}

/// `text` as an inline code span: nothing inside renders, links or pings.
pub fn code(text: &str) -> String {
    let text = clip(text, MAX_INLINE_CHARS);
    if text.is_empty() {
        return "(empty)".to_owned();
    }
    let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    // A space keeps a leading or trailing backtick from joining the fence.
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `text` as an inline code span inside a markdown table cell: GitHub ends
/// a cell at any unescaped `|`, even inside code, so each is escaped (the
/// table renders it as a plain `|`). The one rule for text in a cell.
pub fn cell(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// `text` as plain prose on one line: HTML escaped, mentions and issue
/// references defused, markdown control characters escaped.
pub fn plain(text: &str) -> String {
    prose(&clip(text, MAX_INLINE_CHARS))
}

/// Multi-line prose (an admin's reason), with the same protections; each
/// line stays a line.
pub fn paragraph(text: &str, max_chars: usize) -> String {
    let clipped: String = text.chars().take(max_chars).collect();
    clipped
        .lines()
        .map(|l| prose(l.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn prose(text: &str) -> String {
    let escaped = html_escape::encode_text(text);
    let mut out = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        match c {
            '@' | '#' => {
                out.push(c);
                out.push(JOINER);
            }
            // Markdown that could open links, images, emphasis or code.
            '[' | ']' | '`' | '*' | '_' | '~' | '|' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Cuts a comment to GitHub's limit, saying so at the end.
pub fn fit(body: String) -> String {
    if body.chars().count() <= MAX_COMMENT_CHARS {
        return body;
    }
    const NOTE: &str = "\n\n… (cut to fit GitHub's comment size limit)";
    let keep = MAX_COMMENT_CHARS - NOTE.chars().count();
    let mut s: String = body.chars().take(keep).collect();
    s.push_str(NOTE);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_cannot_be_broken_out_of() {
        assert_eq!(code("alice"), "`alice`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("``@team``"), "``` ``@team`` ```");
        assert_eq!(code("two\nlines\r\n"), "`two lines`");
        assert_eq!(code("   "), "(empty)");
        assert_eq!(code(&"x".repeat(500)).chars().count(), 200 + 1 + 2);
    }

    #[test]
    fn prose_cannot_ping_link_or_inject() {
        let s =
            plain("@pypi/admins fixes #1 <img src=x onerror=alert(1)> [x](http://evil) ![i](y)");
        assert!(!s.contains("@pypi"), "{s}");
        assert!(!s.contains("#1"), "{s}");
        assert!(!s.contains("<img"), "{s}");
        assert!(s.contains("&lt;img"), "{s}");
        assert!(!s.contains("[x]"), "{s}");
        assert!(s.contains("\\[x\\]"), "{s}");
        assert!(!plain("line\n## heading").contains('\n'));
        let p = paragraph("first @x\nsecond #2", 1000);
        assert_eq!(p.lines().count(), 2);
        assert!(!p.contains("@x") && !p.contains("#2"));
    }

    #[test]
    fn table_cells_cannot_be_ended_early() {
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(cell("plain"), "`plain`");
        // A row of cells keeps its cell count whatever the text holds.
        for hostile in ["x | y | z", "|", "`|`", "a\\|b", "@team | #1"] {
            let row = format!("| {} | {} |", cell(hostile), plain(hostile));
            let unescaped = row
                .char_indices()
                .filter(|&(i, c)| c == '|' && (i == 0 || row.as_bytes()[i - 1] != b'\\'))
                .count();
            assert_eq!(unescaped, 3, "{row}");
        }
    }

    #[test]
    fn comments_fit_githubs_limit() {
        let short = "hello".to_owned();
        assert_eq!(fit(short.clone()), short);
        let long = "é".repeat(70_000);
        let cut = fit(long);
        assert_eq!(cut.chars().count(), MAX_COMMENT_CHARS);
        assert!(cut.ends_with("limit)"));
    }
}
