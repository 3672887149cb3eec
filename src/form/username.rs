//! The username field read as the bare account name. The tracker asks people
//! to wrap it in backticks; people also add quotes, spaces, an `@`, or paste
//! their profile URL. Names are kept as typed (case included); they compare
//! case-insensitively elsewhere.

/// What the username field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Username {
    Name(String),
    /// An email address was given instead of a username.
    Email(String),
}

const WRAPPERS: &[char] = &[
    '`', '"', '\'', '“', '”', '‘', '’', '«', '»', '<', '>', '*', '_',
];

pub fn read(raw: &str) -> Username {
    let mut s = raw.trim();
    // Peel wrappers (`name`, "name", **name**) and white space, repeatedly.
    loop {
        let peeled = s.trim_matches(|c: char| WRAPPERS.contains(&c) || c.is_whitespace());
        if peeled == s {
            break;
        }
        s = peeled;
    }
    if let Some(name) = from_url(s) {
        return Username::Name(name);
    }
    if is_email(s) {
        return Username::Email(s.to_owned());
    }
    Username::Name(s.strip_prefix('@').unwrap_or(s).to_owned())
}

fn is_email(s: &str) -> bool {
    let s = s.strip_prefix("mailto:").unwrap_or(s);
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !local.contains(char::is_whitespace)
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains(['@', ' '])
        }
        None => false,
    }
}

/// `https://pypi.org/user/<name>/` (any host, with or without scheme) →
/// `<name>`.
fn from_url(s: &str) -> Option<String> {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let (host, path) = rest.split_once('/')?;
    if !host.contains('.') || host.contains(char::is_whitespace) {
        return None;
    }
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match segments.as_slice() {
        ["user", name, ..] => Some((*name).to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Username {
        Username::Name(s.to_owned())
    }

    #[test]
    fn wrappers_and_urls_give_the_bare_name() {
        assert_eq!(read("`alice`"), name("alice"));
        assert_eq!(read("  ``Alice_B``  "), name("Alice_B"));
        assert_eq!(read("\"bob\""), name("bob"));
        assert_eq!(read("“bob”"), name("bob"));
        assert_eq!(read("@carol"), name("carol"));
        assert_eq!(read("https://pypi.org/user/dave/"), name("dave"));
        assert_eq!(read("`https://pypi.org/user/dave`"), name("dave"));
        assert_eq!(read("pypi.org/user/erin/?tab=projects"), name("erin"));
        assert_eq!(read("**frank**"), name("frank"));
        assert_eq!(read("None"), name("None"));
    }

    #[test]
    fn email_addresses_are_recognised() {
        assert_eq!(
            read("alice@example.com"),
            Username::Email("alice@example.com".into())
        );
        assert_eq!(
            read("`alice@example.com`"),
            Username::Email("alice@example.com".into())
        );
        assert_eq!(
            read("mailto:a@b.io"),
            Username::Email("mailto:a@b.io".into())
        );
        assert_eq!(read("alice@home"), name("alice@home"));
    }
}
