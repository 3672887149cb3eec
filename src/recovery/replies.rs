//! Canned replies (`/reply <name>`): the shipped defaults (worded in
//! `messages`) plus the config's `[replies.<name>]` tables, checked once at
//! start, and their placeholders filled in (pure).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use anyhow::{Context, bail};

use crate::ids::IssueNumber;
use regex::Regex;
use serde::Deserialize;

use super::echo::code;
use super::messages;
use super::state::State;

/// One `[replies.<name>]` table as written in the config file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReplyConfig {
    pub text: String,
    /// A state to move the request to: `incomplete`, `pending`,
    /// `awaiting_user` or `denied` (which closes the issue as not planned).
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedReply {
    pub text: String,
    pub state: Option<State>,
}

/// The states a canned reply may move a request to. A reply never
/// approves (approval needs its checks) and never verifies or withdraws
/// (the checks' and the requester's), so none of those is a reply's.
pub const REPLY_STATES: [State; 4] = [
    State::Incomplete,
    State::Pending,
    State::AwaitingUser,
    State::Denied,
];

/// The placeholders a reply's text may use.
pub const PLACEHOLDERS: [&str; 7] = [
    "requester",
    "admin",
    "username",
    "issue",
    "duplicate_of",
    "index",
    "contact",
];

/// Longest text of one reply, in characters.
const MAX_TEXT_CHARS: usize = 20_000;

static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([a-z_]+)\}").expect("valid regex"));

/// Every canned reply, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replies(BTreeMap<String, CannedReply>);

impl Replies {
    /// The defaults, with the configured replies added (one with a
    /// default's name replaces it). Errors name the reply and what is wrong.
    pub fn new(configured: &BTreeMap<String, ReplyConfig>) -> anyhow::Result<Self> {
        let mut all = BTreeMap::new();
        for (name, text, state) in messages::default_replies() {
            all.insert(
                name.to_owned(),
                CannedReply {
                    text: text.to_owned(),
                    state,
                },
            );
        }
        for (name, config) in configured {
            let reply = checked(name, config).with_context(|| format!("[replies.{name}]"))?;
            all.insert(name.clone(), reply);
        }
        Ok(Self(all))
    }

    pub fn get(&self, name: &str) -> Option<&CannedReply> {
        self.0.get(&name.to_ascii_lowercase())
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

fn checked(name: &str, config: &ReplyConfig) -> anyhow::Result<CannedReply> {
    let name_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        bail!("a reply's name has only lowercase letters, digits, `-` and `_`");
    }
    if config.text.trim().is_empty() {
        bail!("`text` is empty");
    }
    if config.text.chars().count() > MAX_TEXT_CHARS {
        bail!("`text` is longer than {MAX_TEXT_CHARS} characters");
    }
    for found in PLACEHOLDER.captures_iter(&config.text) {
        let key = &found[1];
        if !PLACEHOLDERS.contains(&key) {
            bail!(
                "unknown placeholder {{{key}}}; the placeholders are {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let state = match config.state.as_deref() {
        None => None,
        Some(s) => match State::parse(s).filter(|s| REPLY_STATES.contains(s)) {
            Some(state) => Some(state),
            None => bail!(
                "`state = \"{s}\"`: a reply may move a request to {}",
                REPLY_STATES
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    };
    Ok(CannedReply {
        text: config.text.clone(),
        state,
    })
}

/// The values the placeholders stand for.
#[derive(Debug, Clone)]
pub struct Placeholders<'a> {
    pub requester: &'a str,
    pub admin: &'a str,
    pub username: Option<&'a str>,
    pub issue: IssueNumber,
    pub duplicate_of: Option<i64>,
    pub index: &'a str,
    pub contact: &'a str,
}

/// `text` with its placeholders filled in; the username (the requester's
/// text) is a code span, logins are GitHub's own and cannot hold markup.
pub fn render(text: &str, p: &Placeholders<'_>) -> String {
    PLACEHOLDER
        .replace_all(text, |c: &regex::Captures<'_>| match &c[1] {
            "requester" => format!("@{}", p.requester),
            "admin" => format!("@{}", p.admin),
            "username" => p
                .username
                .map(code)
                .unwrap_or_else(|| "the account".to_owned()),
            "issue" => format!("#{}", p.issue),
            "duplicate_of" => p
                .duplicate_of
                .map(|n| format!("#{n}"))
                .unwrap_or_else(|| "the earlier request".to_owned()),
            // The operator's own words from the config.
            "index" => p.index.to_owned(),
            "contact" => p.contact.to_owned(),
            _ => c[0].to_owned(),
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str, state: Option<&str>) -> BTreeMap<String, ReplyConfig> {
        BTreeMap::from([(
            "custom".to_owned(),
            ReplyConfig {
                text: text.to_owned(),
                state: state.map(str::to_owned),
            },
        )])
    }

    #[test]
    fn configured_replies_add_to_the_defaults_and_may_replace_one() {
        let defaults = Replies::new(&BTreeMap::new()).unwrap();
        assert!(defaults.names().contains(&"unused-recovery-codes"));
        let more = Replies::new(&config("Hi {requester}", Some("awaiting_user"))).unwrap();
        assert_eq!(more.names().len(), defaults.names().len() + 1);
        assert_eq!(more.get("Custom").unwrap().state, Some(State::AwaitingUser));
        let replaced = Replies::new(&BTreeMap::from([(
            "duplicate".to_owned(),
            ReplyConfig {
                text: "ours".into(),
                state: None,
            },
        )]))
        .unwrap();
        assert_eq!(replaced.get("duplicate").unwrap().text, "ours");
        assert_eq!(replaced.names().len(), defaults.names().len());
    }

    #[test]
    fn bad_replies_are_refused_with_their_name() {
        for (text, state) in [
            ("", None),
            ("Hi {requestor}", None),
            ("ok", Some("approved")),
            ("ok", Some("withdrawn")),
            ("ok", Some("closed")),
        ] {
            let err = format!("{:#}", Replies::new(&config(text, state)).unwrap_err());
            assert!(err.contains("[replies.custom]"), "{err}");
        }
        let bad_name = BTreeMap::from([(
            "Two Words".to_owned(),
            ReplyConfig {
                text: "x".into(),
                state: None,
            },
        )]);
        assert!(Replies::new(&bad_name).is_err());
    }

    #[test]
    fn placeholders_are_filled_and_user_values_escaped() {
        let p = Placeholders {
            requester: "alice",
            admin: "root",
            username: Some("`x` @everyone"),
            issue: 7.into(),
            duplicate_of: Some(3),
            index: "PyPI",
            contact: "admin@pypi.org",
        };
        let out = render(
            "{requester} {admin} {username} {issue} {duplicate_of} {index} {unknown}",
            &p,
        );
        assert!(out.starts_with("@alice @root ``"), "{out}");
        assert!(out.ends_with(" #7 #3 PyPI {unknown}"), "{out}");
        let none = Placeholders {
            username: None,
            duplicate_of: None,
            ..p
        };
        assert_eq!(
            render("{username}, {duplicate_of}", &none),
            "the account, the earlier request"
        );
    }

    #[test]
    fn every_default_is_valid() {
        for (name, text, state) in messages::default_replies() {
            let c = ReplyConfig {
                text: text.to_owned(),
                state: state.map(|s| s.as_str().to_owned()),
            };
            checked(name, &c).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
