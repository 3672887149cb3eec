//! The username field, read exactly. The tracker asks people to wrap the name
//! in backticks; people also add quotes and spaces, or paste their profile URL.
//! Only those are removed: surrounding whitespace, backticks and quotes, and a
//! profile URL of the configured index (`[form] profile_url_prefix`). Nothing
//! else is touched, so one name is never turned into another: `_jbber`,
//! `**frank**` and `@carol` are read as typed (and then fail the index's
//! rule). Names are kept as typed (case included); they compare
//! case-insensitively elsewhere.

use email_address::{EmailAddress, Options};

/// The profile URL prefix of PyPI, the default index.
pub const DEFAULT_PROFILE_URL_PREFIX: &str = "https://pypi.org/user/";

/// What the username field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Username {
    /// The name as read (not yet checked against the index's rule).
    Name(String),
    /// The value contains an email address; it holds the value as read and
    /// must never be echoed.
    Email(String),
}

/// What surrounds a name and is never part of one: backticks and quotes.
const WRAPPERS: &[char] = &['`', '"', '\'', '“', '”', '‘', '’', '«', '»'];

/// Reads the username field. `profile_url_prefix` is the index's profile URL
/// up to the name, such as `https://pypi.org/user/`.
pub fn read(raw: &str, profile_url_prefix: &str) -> Username {
    let s = peel(raw);
    // An `@` past the first character: an address, or near enough to one
    // (`alice@example.com。`, `alice@@example.com`) that it is never
    // repeated. No index's usernames contain one.
    if contains_email(raw) || s.char_indices().any(|(i, c)| c == '@' && i > 0) {
        return Username::Email(s.to_owned());
    }
    if let Some(name) = from_profile_url(s, profile_url_prefix) {
        return Username::Name(name.to_owned());
    }
    Username::Name(s.to_owned())
}

/// Peels surrounding whitespace, backticks and quotes, repeatedly
/// (`` ` "alice" ` `` → `alice`).
fn peel(raw: &str) -> &str {
    raw.trim_matches(|c: char| WRAPPERS.contains(&c) || c.is_whitespace())
}

/// Whether an email address appears anywhere in the value: `alice@example.com`,
/// `mailto:a@b.io`, `alice@example.com (old)`, `alice@example.com.`,
/// `Alice <alice@example.com>`.
fn contains_email(s: &str) -> bool {
    if !s.contains('@') {
        return false;
    }
    s.split(|c: char| c.is_whitespace() || TOKEN_SEPARATORS.contains(&c))
        .filter(|t| t.contains('@'))
        .any(|token| {
            candidates(token).any(is_email)
                // Also the pieces of a token such as `email:alice@example.com`
                // or `https://host/alice@example.com`.
                || token
                    .split(PIECE_SEPARATORS)
                    .filter(|p| p.contains('@'))
                    .any(|piece| candidates(piece).any(is_email))
        })
}

/// What ends a token that may be an email address.
const TOKEN_SEPARATORS: &[char] = &[
    '<', '>', '(', ')', '[', ']', ',', ';', '"', '\'', '`', '“', '”', '‘', '’', '«', '»',
];

/// What splits a token further into pieces that may be one.
const PIECE_SEPARATORS: &[char] = &[':', '/', '\\', '=', '|', '{', '}', '*', '?', '!'];

/// The punctuation around an address (`alice@example.com.`).
const PUNCTUATION: &[char] = &[
    '.', ':', '!', '?', '*', '_', '~', '-', '+', '=', '/', '\\', '|',
];

/// A token as it is, without a `mailto:` prefix, and without the punctuation
/// around it (`alice@example.com.`, `**alice@example.com**`).
fn candidates(token: &str) -> impl Iterator<Item = &str> {
    let bare = strip_prefix_ignore_case(token, "mailto:").unwrap_or(token);
    let trimmed = bare.trim_matches(PUNCTUATION);
    [token, bare, trimmed].into_iter()
}

fn is_email(candidate: &str) -> bool {
    candidate.contains('@')
        && EmailAddress::parse_with_options(candidate, Options::default().without_display_text())
            .is_ok()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The configured profile URL prefix, split up: host (lower case, without
/// `www.`) and the path up to the name, ending in `/`.
struct Prefix {
    host: String,
    path: String,
}

impl Prefix {
    fn parse(prefix: &str) -> Option<Prefix> {
        let rest = strip_scheme(prefix.trim());
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        if host.is_empty() {
            return None;
        }
        let host = host.to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host).to_owned();
        let mut path = path.to_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        Some(Prefix { host, path })
    }
}

/// Strips `https://` or `http://` (any case), when there is one.
fn strip_scheme(s: &str) -> &str {
    strip_prefix_ignore_case(s, "https://")
        .or_else(|| strip_prefix_ignore_case(s, "http://"))
        .unwrap_or(s)
}

/// The name in a profile URL of the configured index: the prefix (with
/// `https://`, `http://` or no scheme, with or without `www.`), exactly one
/// path segment, optionally a `/`, optionally `?query` or `#fragment`.
/// Anything else (another host, more segments) is not a profile URL.
fn from_profile_url<'a>(s: &'a str, profile_url_prefix: &str) -> Option<&'a str> {
    let prefix = Prefix::parse(profile_url_prefix)?;
    if s.contains(char::is_whitespace) {
        return None;
    }
    let rest = strip_scheme(s);
    let slash = rest.find('/')?;
    let (host, path) = rest.split_at(slash);
    let host = host.to_ascii_lowercase();
    if host.strip_prefix("www.").unwrap_or(&host) != prefix.host {
        return None;
    }
    let tail = path.strip_prefix(prefix.path.as_str())?;
    let end = tail.find(['/', '?', '#']).unwrap_or(tail.len());
    let (name, after) = tail.split_at(end);
    if name.is_empty() {
        return None;
    }
    let after = after.strip_prefix('/').unwrap_or(after);
    if after.is_empty() || after.starts_with(['?', '#']) {
        Some(name)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Username {
        Username::Name(s.to_owned())
    }

    fn pypi(raw: &str) -> Username {
        read(raw, DEFAULT_PROFILE_URL_PREFIX)
    }

    #[test]
    fn backticks_quotes_and_spaces_are_peeled() {
        assert_eq!(pypi("`alice`"), name("alice"));
        assert_eq!(pypi("  ``Alice_B``  "), name("Alice_B"));
        assert_eq!(pypi("\"bob\""), name("bob"));
        assert_eq!(pypi("'bob'"), name("bob"));
        assert_eq!(pypi("“bob”"), name("bob"));
        assert_eq!(pypi("‘bob’"), name("bob"));
        assert_eq!(pypi("«bob»"), name("bob"));
        assert_eq!(pypi("` \"alice\" `"), name("alice"));
        assert_eq!(pypi(" \t`'“alice”'`\n"), name("alice"));
        assert_eq!(pypi("None"), name("None"));
        assert_eq!(pypi("a.b-c_d"), name("a.b-c_d"));
    }

    #[test]
    fn nothing_else_is_removed() {
        for typed in [
            "_jbber",
            "jbber_",
            "__init__",
            "**frank**",
            "*jbber*",
            "@carol",
            "<dave>",
            "~erin~",
            "jbber.",
            "-jbber-",
        ] {
            assert_eq!(pypi(typed), name(typed), "{typed}");
        }
        assert_eq!(pypi("`_jbber_`"), name("_jbber_"));
        assert_eq!(pypi("` __init__ `"), name("__init__"));
        assert_eq!(pypi("\"**frank**\""), name("**frank**"));
        assert_eq!(pypi("alice smith"), name("alice smith"));
    }

    #[test]
    fn a_profile_url_of_the_index_gives_the_name() {
        for url in [
            "https://pypi.org/user/jbber/",
            "https://pypi.org/user/jbber",
            "http://pypi.org/user/jbber/",
            "pypi.org/user/jbber",
            "pypi.org/user/jbber/",
            "www.pypi.org/user/jbber",
            "https://www.pypi.org/user/jbber/",
            "HTTPS://PyPI.org/user/jbber",
            "`https://pypi.org/user/jbber`",
            "https://pypi.org/user/jbber/?tab=projects",
            "https://pypi.org/user/jbber?tab=projects",
            "https://pypi.org/user/jbber#projects",
            "https://pypi.org/user/jbber/#projects",
        ] {
            assert_eq!(pypi(url), name("jbber"), "{url}");
        }
        // The name in the URL is read exactly too.
        assert_eq!(pypi("https://pypi.org/user/_jbber/"), name("_jbber"));
        assert_eq!(pypi("https://pypi.org/user/Jbber"), name("Jbber"));
    }

    #[test]
    fn other_urls_are_read_as_typed() {
        for url in [
            "https://test.pypi.org/user/jbber/",
            "test.pypi.org/user/jbber",
            "https://pypi.org.evil.example/user/jbber",
            "https://evil.example/pypi.org/user/jbber",
            "https://pypi.org/user/jbber/projects",
            "https://pypi.org/user/jbber//",
            "https://pypi.org/user/",
            "https://pypi.org/user//jbber",
            "https://pypi.org/users/jbber",
            "https://pypi.org/project/jbber/",
            "https://github.com/user/jbber",
            "ftp://pypi.org/user/jbber",
            "<https://pypi.org/user/jbber/>",
            "https://pypi.org/user/jbber extra",
        ] {
            assert_eq!(pypi(url), name(url), "{url}");
        }
        assert_eq!(
            pypi("`https://test.pypi.org/user/jbber/`"),
            name("https://test.pypi.org/user/jbber/")
        );
    }

    #[test]
    fn a_custom_prefix_strips_its_own_urls_only() {
        let test = |raw| read(raw, "https://test.pypi.org/user/");
        assert_eq!(test("https://test.pypi.org/user/jbber/"), name("jbber"));
        assert_eq!(test("test.pypi.org/user/jbber"), name("jbber"));
        assert_eq!(test("http://www.test.pypi.org/user/jbber"), name("jbber"));
        assert_eq!(
            test("https://pypi.org/user/jbber/"),
            name("https://pypi.org/user/jbber/")
        );
        // Without a trailing `/`, with another path.
        let other = |raw| read(raw, "https://Index.Example/~");
        assert_eq!(other("https://index.example/~/bob"), name("bob"));
        assert_eq!(
            other("https://index.example/user/bob"),
            name("https://index.example/user/bob")
        );
        let accounts = |raw| read(raw, "index.example/accounts");
        assert_eq!(accounts("https://index.example/accounts/bob/"), name("bob"));
    }

    #[test]
    fn email_addresses_are_recognised() {
        for (raw, read_as) in [
            ("alice@example.com", "alice@example.com"),
            ("`alice@example.com`", "alice@example.com"),
            ("mailto:a@b.io", "mailto:a@b.io"),
            ("MAILTO:a@b.io", "MAILTO:a@b.io"),
            ("alice@example.com (old)", "alice@example.com (old)"),
            ("alice@example.com.", "alice@example.com."),
            ("<alice@example.com>", "<alice@example.com>"),
            ("Alice <alice@example.com>", "Alice <alice@example.com>"),
            ("alice (alice@example.com)", "alice (alice@example.com)"),
            ("alice, alice@example.com;", "alice, alice@example.com;"),
            ("email:alice@example.com", "email:alice@example.com"),
            ("**alice@example.com**", "**alice@example.com**"),
            ("\"alice@example.com\"", "alice@example.com"),
            (
                "https://pypi.org/user/alice@example.com",
                "https://pypi.org/user/alice@example.com",
            ),
        ] {
            assert_eq!(pypi(raw), Username::Email(read_as.into()), "{raw}");
        }
    }

    #[test]
    fn a_leading_at_sign_alone_is_not_an_email_address() {
        assert_eq!(pypi("@carol"), name("@carol"));
        assert_eq!(pypi("@"), name("@"));
        // Past the first character, an `@` is never repeated.
        assert_eq!(pypi("carol@"), Username::Email("carol@".into()));
        assert_eq!(pypi("a@@b"), Username::Email("a@@b".into()));
        // The crate takes a domain without a dot; it is not echoed either.
        assert_eq!(pypi("alice@home"), Username::Email("alice@home".into()));
    }

    #[test]
    fn near_addresses_are_never_echoed_as_names() {
        for near in [
            "alice@example.com。",
            "alice@example.com…",
            "alice@example.com&",
            "alice.@docomo.ne.jp",
            "a..b@x.jp",
            "alice@@example.com",
            "alice@example..com",
            "alice @example.com",
            "ca@rol",
        ] {
            assert!(
                matches!(read(near, DEFAULT_PROFILE_URL_PREFIX), Username::Email(_)),
                "{near}"
            );
        }
        assert_eq!(
            read("@carol", DEFAULT_PROFILE_URL_PREFIX),
            Username::Name("@carol".into())
        );
    }
}
