//! Secrets that requesters paste into a public issue: PyPI recovery codes
//! and API tokens, GitHub tokens, and private keys. Found so the bot can
//! warn and replace each with [`REDACTED`]; nothing here hands back a
//! secret's text, only where it sits and what it is (pure).

use std::cmp::Reverse;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum SecretKind {
    RecoveryCode,
    PypiToken,
    GithubToken,
    PrivateKey,
}

impl SecretKind {
    pub const ALL: [SecretKind; 4] = [
        SecretKind::RecoveryCode,
        SecretKind::PypiToken,
        SecretKind::GithubToken,
        SecretKind::PrivateKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::RecoveryCode => "recovery_code",
            SecretKind::PypiToken => "pypi_token",
            SecretKind::GithubToken => "github_token",
            SecretKind::PrivateKey => "private_key",
        }
    }
}

/// Where a secret sits in the text (byte range) and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: SecretKind,
    pub range: Range<usize>,
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("valid regex")
}

// The `regex` crate has no look-around, so a token's "not preceded or
// followed by" rule is kept by taking whole runs of the characters that may
// not touch it, and matching each run in full.

/// A run of what may not touch a GitHub token.
static GITHUB_RUN: LazyLock<Regex> = LazyLock::new(|| regex(r"[A-Za-z0-9_]+"));
static GITHUB_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{50,255})$"));
/// A run of what may not touch a PyPI token or recovery code.
static PYPI_RUN: LazyLock<Regex> = LazyLock::new(|| regex(r"[A-Za-z0-9_-]+"));
/// API tokens are macaroons; TestPyPI's share the prefix.
static PYPI_TOKEN: LazyLock<Regex> = LazyLock::new(|| regex(r"^pypi-AgE[A-Za-z0-9_-]{40,}$"));
static KEY_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----"));

/// PyPI makes recovery codes with `secrets.token_hex(8)`: 16 hex digits.
/// Requiring a digit and a letter spares plain numbers and words.
fn is_recovery_code(run: &str) -> bool {
    run.len() == 16
        && run.bytes().all(|b| b.is_ascii_hexdigit())
        && run.bytes().any(|b| b.is_ascii_digit())
        && run.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Each key block, through its END line or, lacking one, the end of the text.
fn private_keys(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(caps) = KEY_BEGIN.captures_at(text, at) {
        let begin = caps.get(0).expect("a match has group 0");
        let end_line = format!("-----END {}-----", &caps[1]);
        let end = text[begin.end()..]
            .find(&end_line)
            .map_or(text.len(), |i| begin.end() + i + end_line.len());
        found.push(Found {
            kind: SecretKind::PrivateKey,
            range: begin.start()..end,
        });
        at = end;
    }
    found
}

/// What a secret is replaced with where its kind must stay known (a stored
/// delivery, read again by the job that warns about it): `[redacted <kind>]`.
pub fn marker(kind: SecretKind) -> String {
    format!("[redacted {}]", kind.as_str())
}

/// A marker left by `redact_marked`, found again as a secret of its kind.
static MARKER: LazyLock<Regex> =
    LazyLock::new(|| regex(r"\[redacted (recovery_code|pypi_token|github_token|private_key)\]"));

fn marker_kind(name: &str) -> Option<SecretKind> {
    SecretKind::ALL.into_iter().find(|k| k.as_str() == name)
}

/// A markdown heading line (`#` to `######`, then a space).
static HEADING: LazyLock<Regex> = LazyLock::new(|| regex(r"^ {0,3}#{1,6}(?:[ \t]|$)"));

/// The 16-hex-digit runs that stand as the value of a username field of an
/// issue form (the first line that is not blank under a heading that says
/// "username"): a name is never taken for a recovery code, so these are
/// spared wherever they appear in `text` (lower case).
pub fn usernames_in(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_username = false;
    for line in text.lines() {
        if HEADING.is_match(line) {
            in_username = line.to_ascii_lowercase().contains("username");
            continue;
        }
        if in_username && !line.trim().is_empty() {
            in_username = false;
            for run in PYPI_RUN.find_iter(line) {
                if is_recovery_code(run.as_str()) {
                    names.push(run.as_str().to_ascii_lowercase());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Every match of every kind, overlaps and all; a 16-hex run in `spared`
/// (lower case: a username) is no recovery code.
fn candidates(text: &str, spared: &[String]) -> Vec<Found> {
    let mut all = private_keys(text);
    for m in MARKER.captures_iter(text) {
        if let (Some(whole), Some(kind)) =
            (m.get(0), m.get(1).and_then(|k| marker_kind(k.as_str())))
        {
            all.push(Found {
                kind,
                range: whole.range(),
            });
        }
    }
    for run in GITHUB_RUN.find_iter(text) {
        if GITHUB_TOKEN.is_match(run.as_str()) {
            all.push(Found {
                kind: SecretKind::GithubToken,
                range: run.range(),
            });
        }
    }
    for run in PYPI_RUN.find_iter(text) {
        let kind = if PYPI_TOKEN.is_match(run.as_str()) {
            SecretKind::PypiToken
        } else if is_recovery_code(run.as_str())
            && !spared.contains(&run.as_str().to_ascii_lowercase())
        {
            SecretKind::RecoveryCode
        } else {
            continue;
        };
        all.push(Found {
            kind,
            range: run.range(),
        });
    }
    all
}

/// Every secret in `text`, in order, non-overlapping (a longer/earlier match
/// wins; a private key wins over anything overlapping it, so that a token
/// glued to its BEGIN line cannot leave the rest of the key in the clear).
///
/// A username written in the text's own form field (`usernames_in`) is not
/// a recovery code; see `find_sparing` to spare others.
pub fn find(text: &str) -> Vec<Found> {
    find_sparing(text, &usernames_in(text))
}

/// `find`, where the 16-hex runs in `usernames` (any case: the request's
/// username, the usernames in its form) are names, not recovery codes.
pub fn find_sparing(text: &str, usernames: &[String]) -> Vec<Found> {
    let mut spared: Vec<String> = usernames.iter().map(|u| u.to_ascii_lowercase()).collect();
    spared.extend(usernames_in(text));
    let mut candidates = candidates(text, &spared);
    candidates.sort_by_key(|f| {
        (
            f.kind != SecretKind::PrivateKey,
            Reverse(f.range.len()),
            f.range.start,
        )
    });
    let mut kept: Vec<Found> = Vec::new();
    for c in candidates {
        let clear = kept
            .iter()
            .all(|k| c.range.end <= k.range.start || k.range.end <= c.range.start);
        if clear {
            kept.push(c);
        }
    }
    kept.sort_by_key(|f| f.range.start);
    kept
}

/// The kinds found, sorted and deduplicated.
pub fn kinds(text: &str) -> Vec<SecretKind> {
    kinds_sparing(text, &[])
}

/// `kinds`, sparing `usernames` as `find_sparing` does.
pub fn kinds_sparing(text: &str, usernames: &[String]) -> Vec<SecretKind> {
    let mut kinds: Vec<SecretKind> = find_sparing(text, usernames)
        .into_iter()
        .map(|f| f.kind)
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// `text` with each secret replaced by the literal `[redacted]`; None when
/// nothing was found.
pub fn redact(text: &str) -> Option<String> {
    redact_sparing(text, &[])
}

/// `redact`, sparing `usernames` as `find_sparing` does.
pub fn redact_sparing(text: &str, usernames: &[String]) -> Option<String> {
    replace(text, &find_sparing(text, usernames), |_| {
        REDACTED.to_owned()
    })
}

/// `text` with each secret replaced by its kind's `marker`, for text that is
/// stored and read again (a delivery's payload): the secret is gone, and
/// what kind it was is still found. None when nothing was found.
pub fn redact_marked(text: &str, usernames: &[String]) -> Option<String> {
    let found = find_sparing(text, usernames);
    // Markers already there stay as they are.
    if found
        .iter()
        .all(|f| MARKER.is_match(&text[f.range.clone()]))
    {
        return None;
    }
    replace(text, &found, |f| marker(f.kind))
}

fn replace(text: &str, found: &[Found], with: impl Fn(&Found) -> String) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(&text[at..f.range.start]);
        out.push_str(&with(f));
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// A delivery's JSON payload with every secret in its strings (the issue's
/// body and title, a comment, the old text of an edit) replaced by its
/// kind's marker, so that no secret is stored. A 16-hex username written in
/// the issue's form is spared in every string. None when nothing was found
/// (or the payload is not JSON): store it as it came.
pub fn redact_payload(payload: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_str(payload).ok()?;
    let usernames = value
        .pointer("/issue/body")
        .and_then(|b| b.as_str())
        .map(usernames_in)
        .unwrap_or_default();
    if !redact_strings(&mut value, &usernames) {
        return None;
    }
    serde_json::to_string(&value).ok()
}

/// Redacts every string in `value`, keys too; true when one changed.
fn redact_strings(value: &mut serde_json::Value, usernames: &[String]) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => match redact_marked(s, usernames) {
            Some(clean) => {
                *s = clean;
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| redact_strings(v, usernames) | changed),
        Value::Object(map) => {
            let mut changed = false;
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let Some(mut v) = map.remove(&key) else {
                    continue;
                };
                changed |= redact_strings(&mut v, usernames);
                let key = match redact_marked(&key, usernames) {
                    Some(clean) => {
                        changed = true;
                        clean
                    }
                    None => key,
                };
                map.insert(key, v);
            }
            changed
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GHP: &str = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    const GITHUB_PAT: &str = "github_pat_11ABCDEFG0123456789_abcdefghijKLMNOPQRST0123456789abcdefghijKLMNOPQRST012345678";
    const PYPI: &str = "pypi-AgEIcHlwaS5vcmcCJDU1ZjNmNjQ5LTc4YzItNDRiYS05MmE3LWRhZjRlZGU5MjQ1MQACKlszLCJlOTQ0ZTY5Ny0yOTk4LTRlZWMtYjMzMy1hN2RlNmE0ZjM0ZjYiXQAABiD_kX2VQ9o4yLZc3mR7pTq1sW8uH0eNfGjK5aB6dC-IvYx";
    const CODE: &str = "9f86d081884c7d65";
    const OPENSSH_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDfakefakefakefakefakefakefakefakefakefakefakefakeAAAAJhfake
AAAAC3NzaC1lZDI1NTE5AAAAIN9mYWtlZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFr
-----END OPENSSH PRIVATE KEY-----";
    const RSA_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi9f4k0Pq0Vk3k8hGfakefakefake
/9f86d081884c7d65+Zm9vYmFyYmF6cXV4ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtl
ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U=
-----END RSA PRIVATE KEY-----";
    const PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi9
-----END PUBLIC KEY-----
-----BEGIN CERTIFICATE-----
MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJRTES
-----END CERTIFICATE-----";

    /// `text` with one secret around it finds exactly that secret, and
    /// redacts to exactly `before[redacted]after`.
    fn assert_one(secret: &str, kind: SecretKind, before: &str, after: &str) {
        let text = format!("{before}{secret}{after}");
        let start = before.len();
        assert_eq!(
            find(&text),
            vec![Found {
                kind,
                range: start..start + secret.len(),
            }],
            "in {text:?}"
        );
        assert_eq!(kinds(&text), vec![kind]);
        assert_eq!(redact(&text), Some(format!("{before}{REDACTED}{after}")));
    }

    #[test]
    fn kind_names_match_serde() {
        for kind in SecretKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<SecretKind>(&json).unwrap(), kind);
        }
    }

    #[test]
    fn finds_github_classic_tokens() {
        assert_one(GHP, SecretKind::GithubToken, "my token is ", ", sorry");
        for prefix in ["gho_", "ghu_", "ghs_", "ghr_"] {
            let token = GHP.replacen("ghp_", prefix, 1);
            assert_one(&token, SecretKind::GithubToken, "(", ")");
        }
    }

    #[test]
    fn finds_github_fine_grained_token() {
        assert_one(GITHUB_PAT, SecretKind::GithubToken, "GH_TOKEN=", "\nthanks");
    }

    #[test]
    fn finds_pypi_token() {
        assert_one(PYPI, SecretKind::PypiToken, "password = ", "\n");
        assert_one(PYPI, SecretKind::PypiToken, "`", "`");
    }

    #[test]
    fn finds_openssh_private_key() {
        assert_one(OPENSSH_KEY, SecretKind::PrivateKey, "```\n", "\n```\n");
    }

    #[test]
    fn finds_rsa_private_key_and_not_the_code_inside_it() {
        assert!(RSA_KEY.contains(CODE));
        assert_one(RSA_KEY, SecretKind::PrivateKey, "key:\n", "\nbye");
    }

    #[test]
    fn finds_other_private_key_labels() {
        for label in [
            "PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ] {
            let key = format!("-----BEGIN {label}-----\nMIIfake\n-----END {label}-----");
            assert_one(&key, SecretKind::PrivateKey, "", "\n");
        }
    }

    #[test]
    fn private_key_without_end_runs_to_end_of_text() {
        let cut = &RSA_KEY[..RSA_KEY.find("-----END").unwrap()];
        assert_one(cut, SecretKind::PrivateKey, "here:\n", "");
        // An END line of another label does not end it.
        let mislabelled = format!("{cut}-----END PUBLIC KEY-----\ntrailing {GHP}");
        assert_one(&mislabelled, SecretKind::PrivateKey, "", "");
    }

    #[test]
    fn finds_recovery_code_in_sentence_backticks_and_own_line() {
        assert_one(
            CODE,
            SecretKind::RecoveryCode,
            "I used code ",
            " yesterday.",
        );
        assert_one(CODE, SecretKind::RecoveryCode, "code: `", "`");
        assert_one(CODE, SecretKind::RecoveryCode, "codes:\n", "\n");
        assert_one(&CODE.to_uppercase(), SecretKind::RecoveryCode, "", "");
    }

    #[test]
    fn redaction_keeps_surrounding_text_byte_for_byte() {
        let text = format!("  Ünïcødé — tabs\t\r\n{CODE}\r\n**bold** <b>é</b>  ");
        assert_eq!(
            redact(&text).unwrap(),
            "  Ünïcødé — tabs\t\r\n[redacted]\r\n**bold** <b>é</b>  "
        );
    }

    #[test]
    fn several_secrets_in_one_text() {
        let text = format!(
            "codes: {CODE}, a1b2c3d4e5f6a7b8\ntoken {PYPI}\n{RSA_KEY}\nand {GHP} and {GITHUB_PAT}."
        );
        let found = find(&text);
        let kinds_in_order: Vec<SecretKind> = found.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds_in_order,
            [
                SecretKind::RecoveryCode,
                SecretKind::RecoveryCode,
                SecretKind::PypiToken,
                SecretKind::PrivateKey,
                SecretKind::GithubToken,
                SecretKind::GithubToken,
            ]
        );
        assert_eq!(kinds(&text), SecretKind::ALL);
        assert_eq!(
            redact(&text).unwrap(),
            "codes: [redacted], [redacted]\ntoken [redacted]\n[redacted]\nand [redacted] and [redacted]."
        );
    }

    #[test]
    fn token_glued_to_a_private_key_leaves_no_key_text() {
        let text = format!("{PYPI}{RSA_KEY}");
        let kinds_in_order: Vec<SecretKind> = find(&text).iter().map(|f| f.kind).collect();
        assert_eq!(kinds_in_order, [SecretKind::PrivateKey]);
        assert!(!redact(&text).unwrap().contains("MIIE"));
    }

    #[test]
    fn no_false_positives() {
        let long_ghp = format!("{GHP}{}", "x".repeat(252 - 36));
        let glued = [
            format!("x{GHP}"),
            format!("{GHP}_"),
            format!("x{CODE}"),
            format!("{CODE}0"),
            format!("{CODE}-x"),
            format!("x-{CODE}"),
            format!("_{CODE}"),
            format!("x{PYPI}"),
            format!("-{PYPI}"),
        ];
        let plain = [
            "commit 3f786850e387550fdab836ed7e6dc881de23001b fixed it",
            "md5 9e107d9d372bb6826bd81d3542a419d6",
            "pip install pypi-attestations; email pypi-support",
            "ghp_short and github_pat_short",
            "card 1234567890123456",
            "deadbeefdeadbeef",
            "pypi-AgEtooshort",
            PUBLIC_KEY,
            "-----BEGIN private key-----",
        ];
        for text in glued
            .iter()
            .map(String::as_str)
            .chain([long_ghp.as_str()])
            .chain(plain)
        {
            assert_eq!(find(text), [], "in {text:?}");
            assert_eq!(redact(text), None);
        }
    }

    #[test]
    fn a_hex_username_is_not_a_recovery_code() {
        let name = "a1b2c3d4e5f60789";
        let body = format!(
            "### PyPI Username\n\n`{name}`\n\n### Reason for request\n\nI am {name}; my code {CODE}"
        );
        assert_eq!(usernames_in(&body), [name]);
        assert_eq!(kinds(&body), [SecretKind::RecoveryCode]);
        let clean = redact(&body).unwrap();
        assert!(
            clean.contains(&format!("`{name}`")) && !clean.contains(CODE),
            "{clean}"
        );
        // Elsewhere (a comment), spared when the caller names it.
        let comment = format!("Hello {}, your code {CODE}", name.to_uppercase());
        assert_eq!(
            redact_sparing(&comment, &[name.to_owned()]).unwrap(),
            format!("Hello {}, your code {REDACTED}", name.to_uppercase())
        );
        assert_eq!(
            kinds_sparing(&format!("user {name}"), &[name.to_owned()]),
            []
        );
        // A code under another heading, or after the username's line, or
        // after a line that only starts with `#`, is still a code.
        assert_eq!(
            kinds(&format!("### Reason\n\n{name}")),
            [SecretKind::RecoveryCode]
        );
        assert_eq!(
            kinds(&format!("### PyPI Username\n\nbob\n{CODE}")),
            [SecretKind::RecoveryCode]
        );
        assert_eq!(
            kinds(&format!("#username = x\n{CODE}")),
            [SecretKind::RecoveryCode]
        );
    }

    #[test]
    fn marked_redaction_keeps_the_kind() {
        let text = format!("code {CODE} and {GHP}");
        let marked = redact_marked(&text, &[]).unwrap();
        assert_eq!(
            marked,
            "code [redacted recovery_code] and [redacted github_token]"
        );
        assert_eq!(
            kinds(&marked),
            [SecretKind::RecoveryCode, SecretKind::GithubToken]
        );
        assert_eq!(redact_marked(&marked, &[]), None, "already marked");
        assert_eq!(redact(&marked).unwrap(), "code [redacted] and [redacted]");
    }

    #[test]
    fn payloads_are_stored_without_secrets() {
        let payload = serde_json::json!({
            "action": "edited",
            "issue": {"body": "### PyPI Username\n\na1b2c3d4e5f60789\n\n### Reason\n\nold code 9f86d081884c7d65", "title": "x"},
            "comment": {"body": format!("user a1b2c3d4e5f60789 token\n{GHP}\n{RSA_KEY}")},
            "changes": {"body": {"from": format!("{PYPI}")}}
        })
        .to_string();
        let clean = redact_payload(&payload).unwrap();
        for secret in [CODE, GHP, PYPI, "MIIE"] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        let v: serde_json::Value = serde_json::from_str(&clean).unwrap();
        let comment = v["comment"]["body"].as_str().unwrap();
        assert!(
            comment.starts_with(
                "user a1b2c3d4e5f60789 token\n[redacted github_token]\n[redacted private_key]"
            ),
            "{comment}"
        );
        assert_eq!(
            kinds_sparing(comment, &["A1B2C3D4E5F60789".to_owned()]),
            [SecretKind::GithubToken, SecretKind::PrivateKey]
        );
        assert_eq!(v["changes"]["body"]["from"], "[redacted pypi_token]");
        assert!(
            v["issue"]["body"]
                .as_str()
                .unwrap()
                .contains("a1b2c3d4e5f60789")
        );
        assert_eq!(
            redact_payload(r#"{"issue": {"body": "nothing here"}}"#),
            None
        );
        assert_eq!(redact_payload("not json"), None);
    }

    #[test]
    fn redacting_twice_finds_nothing_more() {
        let texts = [
            format!("{CODE}{CODE} {CODE}-{CODE} {CODE}_{CODE}"),
            format!("{GHP}-{CODE}[{PYPI}]{OPENSSH_KEY}{GITHUB_PAT}"),
            format!("{RSA_KEY}{RSA_KEY}\n{}", &OPENSSH_KEY[..60]),
            format!("`{CODE}` and {PUBLIC_KEY} and {GHP}"),
        ];
        for text in &texts {
            let once = redact(text).unwrap_or_else(|| text.clone());
            assert_eq!(find(&once), [], "in {once:?}");
            assert_eq!(redact(&once), None);
        }
    }
}
