//! Where the bot works and who decides there: the trackers it serves
//! (`RECOVERY_BOT_REPOS`) and the configured admin logins
//! (`RECOVERY_BOT_ADMINS`), each a login that may carry its GitHub user id.

use std::fmt;
use std::str::FromStr;

/// The repositories the bot serves as trackers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Trackers {
    /// Not set: `serve` refuses to start, and no delivery is taken.
    #[default]
    Unset,
    /// `*`: every repository the credentials reach. No repository role or
    /// team makes an admin there: only the configured logins do.
    Every,
    /// The allow-list, `owner/name` each.
    Listed(Vec<String>),
}

impl Trackers {
    /// From the setting's entries: none leaves it unset, `*` alone is every
    /// repository, anything else must be `owner/name` each. Errors: one
    /// line per bad entry.
    pub fn parse(entries: Vec<String>) -> Result<Self, Vec<String>> {
        if entries.is_empty() {
            return Ok(Self::Unset);
        }
        if entries.iter().any(|e| e == "*") {
            return if entries.len() == 1 {
                Ok(Self::Every)
            } else {
                Err(vec![
                    "RECOVERY_BOT_REPOS: `*` (every repository) stands alone, without repository names"
                        .to_owned(),
                ])
            };
        }
        let bad: Vec<String> = entries
            .iter()
            .filter(|r| !is_two_part(r))
            .map(|r| format!("RECOVERY_BOT_REPOS: `{r}` is not of the form owner/name"))
            .collect();
        if bad.is_empty() {
            Ok(Self::Listed(entries))
        } else {
            Err(bad)
        }
    }

    /// Whether deliveries from `full_name` (`owner/name`) are handled.
    pub fn serves(&self, full_name: &str) -> bool {
        match self {
            Self::Unset => false,
            Self::Every => true,
            Self::Listed(_) => self.lists(full_name),
        }
    }

    /// Whether `full_name` is on the allow-list by name: only there does a
    /// repository role or a team make someone an admin.
    pub fn lists(&self, full_name: &str) -> bool {
        self.named()
            .iter()
            .any(|r| r.eq_ignore_ascii_case(full_name))
    }

    /// The repositories named (none when unset or `*`).
    pub fn named(&self) -> &[String] {
        match self {
            Self::Listed(list) => list,
            Self::Unset | Self::Every => &[],
        }
    }

    /// The setting as written: `*`, or the names.
    pub fn entries(&self) -> Vec<String> {
        match self {
            Self::Every => vec!["*".to_owned()],
            _ => self.named().to_vec(),
        }
    }
}

/// `a/b`: two non-empty parts (a repository's `owner/name`, a team's
/// `org/team`).
pub(super) fn is_two_part(s: &str) -> bool {
    matches!(s.split_once('/'), Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('/'))
}

/// A configured admin: a GitHub login, and the user id it is pinned to when
/// the setting gives one (`alice:12345`). A login without an id is pinned
/// to the id it resolves to the first time (kept in the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminLogin {
    pub login: String,
    pub id: Option<u64>,
}

impl FromStr for AdminLogin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (login, id) = match s.split_once(':') {
            Some((login, id)) => (login, Some(id)),
            None => (s, None),
        };
        let login_ok = !login.is_empty()
            && login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        let id = match id.map(str::parse::<u64>) {
            None => None,
            Some(Ok(id)) if id > 0 => Some(id),
            Some(_) => {
                return Err(format!(
                    "RECOVERY_BOT_ADMINS: in `{s}` the id after `:` must be a GitHub user id (a positive number)"
                ));
            }
        };
        if !login_ok {
            return Err(format!(
                "RECOVERY_BOT_ADMINS: `{s}` is not a GitHub login (or login:id)"
            ));
        }
        Ok(Self {
            login: login.to_owned(),
            id,
        })
    }
}

impl fmt::Display for AdminLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.id {
            Some(id) => write!(f, "{}:{id}", self.login),
            None => f.write_str(&self.login),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn trackers_are_unset_every_or_listed() {
        assert_eq!(Trackers::parse(vec![]), Ok(Trackers::Unset));
        assert!(!Trackers::Unset.serves("pypi/support"));
        let every = Trackers::parse(list(&["*"])).unwrap();
        assert!(every.serves("any/repo") && !every.lists("any/repo"));
        assert_eq!(every.entries(), ["*"]);
        let listed = Trackers::parse(list(&["pypi/support"])).unwrap();
        assert!(listed.serves("PyPI/Support") && listed.lists("pypi/support"));
        assert!(!listed.serves("pypi/other") && !listed.lists("pypi/other"));
        for bad in [&["*", "pypi/support"][..], &["pypi"], &["a/b/c"], &["/b"]] {
            assert!(Trackers::parse(list(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_admin_login_may_carry_its_id() {
        let a: AdminLogin = "alice:12345".parse().unwrap();
        assert_eq!((a.login.as_str(), a.id), ("alice", Some(12345)));
        assert_eq!(a.to_string(), "alice:12345");
        let b: AdminLogin = "Bob-2".parse().unwrap();
        assert_eq!((b.login.as_str(), b.id), ("Bob-2", None));
        assert_eq!(b.to_string(), "Bob-2");
        for bad in [
            "", ":1", "alice:", "alice:x", "alice:0", "al ice", "@alice", "org/team",
        ] {
            assert!(bad.parse::<AdminLogin>().is_err(), "{bad}");
        }
    }
}
