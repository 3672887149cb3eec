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

/// Every match of every kind, overlaps and all.
fn candidates(text: &str) -> Vec<Found> {
    let mut all = private_keys(text);
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
        } else if is_recovery_code(run.as_str()) {
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
pub fn find(text: &str) -> Vec<Found> {
    let mut candidates = candidates(text);
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
    let mut kinds: Vec<SecretKind> = find(text).into_iter().map(|f| f.kind).collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// `text` with each secret replaced by the literal `[redacted]`; None when
/// nothing was found.
pub fn redact(text: &str) -> Option<String> {
    let found = find(text);
    if found.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in &found {
        out.push_str(&text[at..f.range.start]);
        out.push_str(REDACTED);
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    Some(out)
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
