//! What the bot does to the world, as values (pure). A job decides, then
//! stores its decision together with these effects in one transaction; an
//! executor runs them after the commit, each at most once and retried on its
//! own (an outbox). Shadow mode is an executor that records them instead.

use serde::{Deserialize, Serialize};

/// A reaction on a comment: 👀 on receipt, 🚀 done, 😕 failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reaction {
    Eyes,
    Rocket,
    Confused,
}

/// Where a secret was pasted, to be replaced with `[redacted]` in the text
/// as it is when the effect runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "in")]
pub enum RedactIn {
    Body,
    Comment { comment_id: u64 },
}

/// One effect on one issue (or, for a round's mail, on its owner's inbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "effect")]
pub enum Effect {
    /// Add `add` (GitHub answers with every label the issue carries now),
    /// then remove those of `remove` that are on it.
    Labels {
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// The one status comment of `request_id`: edited in place when it is
    /// known or found by its marker, else created. `may_exist` is false for
    /// a request stored for the first time (no need to look for it).
    StatusComment {
        request_id: i64,
        body: String,
        may_exist: bool,
    },
    /// A reply, posted once: a retry looks for `marker` first.
    Reply {
        marker: String,
        body: String,
    },
    /// Close (`completed` / `not_planned`) or reopen the issue.
    IssueState {
        open: bool,
        reason: Option<String>,
    },
    React {
        comment_id: u64,
        reaction: Reaction,
    },
    /// Replace secrets with `[redacted]` in the text as it is then, sparing
    /// `spare` (the request's username, which may look like a code).
    Redact {
        place: RedactIn,
        #[serde(default)]
        spare: Vec<String>,
    },
    /// Mail round `token_id` (a confirmation link, or a `/verify-repo`
    /// branch name) to the address it is bound to, unless it was mailed or
    /// revoked since.
    Mail {
        token_id: i64,
    },
}

impl Effect {
    /// The effect's name, as shadow mode records it and `requests show`
    /// prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            Effect::Labels { .. } => "labels",
            Effect::StatusComment { .. } => "status_comment",
            Effect::Reply { .. } => "create_comment",
            Effect::IssueState { .. } => "set_issue_state",
            Effect::React { .. } => "react",
            Effect::Redact {
                place: RedactIn::Body,
                ..
            } => "set_issue_body",
            Effect::Redact {
                place: RedactIn::Comment { .. },
                ..
            } => "update_comment",
            Effect::Mail { .. } => "mail",
        }
    }
}

#[cfg(test)]
impl Effect {
    fn kind_tag(&self) -> &'static str {
        match self {
            Effect::Labels { .. } => "labels",
            Effect::StatusComment { .. } => "status_comment",
            Effect::Reply { .. } => "reply",
            Effect::IssueState { .. } => "issue_state",
            Effect::React { .. } => "react",
            Effect::Redact { .. } => "redact",
            Effect::Mail { .. } => "mail",
        }
    }
}

/// The marker that names a job's one reply: a retry finds it on the issue.
pub fn reply_marker(key: &str) -> String {
    format!("<!-- recovery-bot:reply {key} -->")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_round_trip_through_json() {
        let all = [
            Effect::Labels {
                add: vec!["needs-fix".into()],
                remove: vec!["verified".into()],
            },
            Effect::StatusComment {
                request_id: 7,
                body: "b".into(),
                may_exist: false,
            },
            Effect::Reply {
                marker: reply_marker("d-1"),
                body: "hi".into(),
            },
            Effect::IssueState {
                open: false,
                reason: Some("completed".into()),
            },
            Effect::React {
                comment_id: 9,
                reaction: Reaction::Rocket,
            },
            Effect::Redact {
                place: RedactIn::Comment { comment_id: 3 },
                spare: vec!["a1b2c3d4e5f60789".into()],
            },
            Effect::Redact {
                place: RedactIn::Body,
                spare: Vec::new(),
            },
            Effect::Mail { token_id: 4 },
        ];
        for e in all {
            let json = serde_json::to_value(&e).unwrap();
            assert_eq!(json["effect"].as_str(), Some(e.kind_tag()), "{json}");
            let back: Effect = serde_json::from_value(json).unwrap();
            assert_eq!(back, e);
        }
    }

    #[test]
    fn an_unknown_effect_is_an_error_not_a_default() {
        let bad = serde_json::json!({ "effect": "approve_everything" });
        assert!(serde_json::from_value::<Effect>(bad).is_err());
    }
}
