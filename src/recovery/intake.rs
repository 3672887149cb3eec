//! What intake does with an issue's form: the pure decision taken for
//! `issues.opened`, `issues.labeled` (intake label) and `issues.edited`.

use crate::ids::IssueNumber;
use chrono::{DateTime, Utc};

use super::messages::{self, ProblemLine};
use super::state::State;
use crate::form::{self, Rules, Template};

/// The form as the tracker needs it: values, the bare username, and the
/// problems worded for the requester.
#[derive(Debug, Clone)]
pub struct FormReading {
    pub from_form: bool,
    /// The valid bare username (None when missing or invalid).
    pub username: Option<String>,
    /// The username as read, valid or not (None when missing, or when the
    /// field holds an email address, which is never repeated).
    pub username_read: Option<String>,
    pub username_is_email: bool,
    /// `check`'s JSON shape of the values.
    pub fields: serde_json::Value,
    pub problems: Vec<ProblemLine>,
    /// The form's `index` field as read: `None` when the form has no such
    /// field, `Some(None)` when it is empty (`recovery::indexes` picks).
    pub index_value: Option<Option<String>>,
}

/// What tells two versions of a body apart (stored with the request).
pub fn body_hash(body: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(body.unwrap_or("").as_bytes()))
}

/// The problem for a username the account directory does not know.
pub fn account_missing(template: &Template, username: &str) -> ProblemLine {
    let field = template.username_field();
    ProblemLine {
        field: field.to_owned(),
        label: template
            .field(field)
            .map_or_else(|| field.to_owned(), |f| f.label.clone()),
        message: messages::no_such_account(username),
    }
}

/// Reads the form; `rules` gives the username rules of the index the
/// form's `index` value picks (see [`FormReading::index_value`]): a pasted
/// profile URL is the picked index's.
pub fn read_form<'r>(
    template: &Template,
    body: Option<&str>,
    rules: impl FnOnce(Option<Option<&str>>) -> &'r Rules,
) -> FormReading {
    let response = form::parse(template, body);
    let index_value = index_value_of(&response);
    let rules = rules(index_value.as_ref().map(|v| v.as_deref()));
    let validation = form::validate(template, &response, rules);
    let problems = validation
        .problems
        .iter()
        .map(|p| ProblemLine {
            field: p.field.clone(),
            label: template
                .field(&p.field)
                .map_or_else(|| p.field.clone(), |f| f.label.clone()),
            message: messages::problem(p, template),
        })
        .collect();
    let username_is_email = validation
        .problems
        .iter()
        .any(|p| p.kind == form::ProblemKind::UsernameIsEmail);
    let mut fields = validation.fields_json();
    if username_is_email {
        // An address typed where the username belongs is not kept.
        fields[template.username_field()] = serde_json::Value::Null;
    }
    FormReading {
        from_form: response.from_form,
        username: validation.username.clone(),
        username_read: validation.username_as_read.clone(),
        username_is_email,
        fields,
        problems,
        index_value,
    }
}

/// The form's `index` value (see [`FormReading::index_value`]).
fn index_value_of(response: &form::FormResponse) -> Option<Option<String>> {
    response
        .fields
        .get(super::indexes::INDEX_FIELD)
        .map(|v| match v {
            form::FieldValue::Text(t) => t.clone(),
            form::FieldValue::Options(o) => o.as_ref().and_then(|o| o.first().cloned()),
        })
}

/// The `index` value of a body, without validating the rest.
pub fn index_value(template: &Template, body: Option<&str>) -> Option<Option<String>> {
    index_value_of(&form::parse(template, body))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Opened,
    Labeled,
    Edited,
}

/// The request as stored before this event.
#[derive(Debug, Clone)]
pub struct Existing {
    pub state: State,
    pub username: Option<String>,
    /// The index the request was for (`[indexes.<key>]`).
    pub index: String,
    pub body_hash: String,
    /// Some check has been recorded (sent or passed).
    pub has_checks: bool,
    /// The issue's `updated_at` of the newest version already read.
    pub seen: Option<DateTime<Utc>>,
}

/// The form as read now, from the issue as of `updated_at`.
#[derive(Debug, Clone)]
pub struct Reading {
    pub username: Option<String>,
    /// The index the form or the issue's label picks now.
    pub index: String,
    pub valid: bool,
    pub body_hash: String,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do (a redelivery, an older version of the issue, an edit
    /// that changed nothing).
    Ignore(&'static str),
    /// Store the reading, move to `state`, and show it on the tracker.
    Apply {
        state: State,
        /// The account named changed: forget the checks and the ownership
        /// evidence, revoke every link, warn the admins.
        username_changed: bool,
        /// Audit action.
        action: &'static str,
    },
}

/// Names compare case-insensitively (PyPI usernames do).
pub fn same_account(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

/// The request this one duplicates: of the other open requests, the
/// earliest (by issue number) for the same account that was opened before
/// it. `open` gives each one's issue number and username. One rule, for the
/// bot and for `triage`.
pub fn duplicate_of<'a>(
    number: IssueNumber,
    username: Option<&str>,
    open: impl IntoIterator<Item = (IssueNumber, Option<&'a str>)>,
) -> Option<IssueNumber> {
    let username = username?;
    open.into_iter()
        .filter(|&(n, u)| n < number && same_account(Some(username), u))
        .map(|(n, _)| n)
        .min()
}

pub fn decide(trigger: Trigger, existing: Option<&Existing>, reading: &Reading) -> Decision {
    let fresh = if reading.valid {
        State::Pending
    } else {
        State::Incomplete
    };
    let Some(existing) = existing else {
        return Decision::Apply {
            state: fresh,
            username_changed: false,
            action: match trigger {
                Trigger::Labeled => "intake_labeled",
                _ => "intake_opened",
            },
        };
    };
    if let (Some(seen), Some(now)) = (existing.seen, reading.updated_at)
        && now < seen
    {
        return Decision::Ignore("an older version of the issue than the one already read");
    }
    let index_changed = existing.index != reading.index;
    if existing.body_hash == reading.body_hash && !index_changed {
        return Decision::Ignore(match trigger {
            Trigger::Edited => "the edit did not change the body or the index",
            _ => "the request is already taken in",
        });
    }
    // Another index is another account, even under the same name.
    let username_changed = (index_changed
        || !same_account(existing.username.as_deref(), reading.username.as_deref()))
        && (existing.username.is_some() || existing.has_checks);
    // A decided or withdrawn request keeps its state; the new reading
    // counts if it is reopened.
    let state = if existing.state.is_closed() {
        existing.state
    } else if !reading.valid {
        State::Incomplete
    } else if username_changed || existing.state == State::Incomplete {
        State::Pending
    } else {
        existing.state
    };
    Decision::Apply {
        state,
        username_changed,
        action: "form_edited",
    }
}

/// A request marked removed comes back only for its own issue: GitHub's
/// answer for `repo#number` names that very issue, in that repository (a
/// transferred issue answers from its new repository, maybe under another
/// number; an answer without its URL proves nothing).
pub fn still_here(
    repo: &str,
    number: IssueNumber,
    answered: IssueNumber,
    html_url: Option<&str>,
) -> bool {
    let here = format!("/{repo}/issues/{number}").to_ascii_lowercase();
    answered == number && html_url.is_some_and(|url| url.to_ascii_lowercase().ends_with(&here))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issue_is_still_here_only_under_its_own_url() {
        let n = IssueNumber::try_from(7u64).unwrap();
        let url = "https://github.com/PyPI/Support/issues/7";
        assert!(still_here("pypi/support", n, n, Some(url)));
        let moved = "https://github.com/pypi/other/issues/7";
        assert!(!still_here("pypi/support", n, n, Some(moved)));
        let other = IssueNumber::try_from(70u64).unwrap();
        assert!(!still_here("pypi/support", n, other, Some(url)));
        assert!(!still_here("pypi/support", n, n, None));
        assert!(!still_here(
            "pypi/support",
            n,
            n,
            Some("https://github.com/pypi/support/issues/17")
        ));
    }

    fn reading(username: &str, valid: bool, hash: &str) -> Reading {
        Reading {
            username: Some(username.into()),
            index: "pypi".into(),
            valid,
            body_hash: hash.into(),
            updated_at: None,
        }
    }

    fn existing(state: State, username: &str, hash: &str, has_checks: bool) -> Existing {
        Existing {
            state,
            username: Some(username.into()),
            index: "pypi".into(),
            body_hash: hash.into(),
            has_checks,
            seen: None,
        }
    }

    fn state_of(d: Decision) -> (State, bool) {
        match d {
            Decision::Apply {
                state,
                username_changed,
                ..
            } => (state, username_changed),
            Decision::Ignore(why) => panic!("ignored: {why}"),
        }
    }

    #[test]
    fn a_new_request_is_pending_or_incomplete() {
        let d = decide(Trigger::Opened, None, &reading("alice", true, "h"));
        assert_eq!(state_of(d), (State::Pending, false));
        let d = decide(Trigger::Labeled, None, &reading("alice", false, "h"));
        assert_eq!(state_of(d), (State::Incomplete, false));
    }

    #[test]
    fn unchanged_bodies_are_ignored_and_decided_requests_keep_their_decision() {
        let e = existing(State::Pending, "alice", "h", false);
        assert!(matches!(
            decide(Trigger::Edited, Some(&e), &reading("alice", true, "h")),
            Decision::Ignore(_)
        ));
        assert!(matches!(
            decide(Trigger::Opened, Some(&e), &reading("alice", true, "h")),
            Decision::Ignore(_)
        ));
        // A decided request keeps its decision, but the new reading is kept.
        let done = existing(State::Approved, "alice", "h", true);
        assert_eq!(
            state_of(decide(
                Trigger::Edited,
                Some(&done),
                &reading("bob", false, "h2")
            )),
            (State::Approved, true)
        );
    }

    #[test]
    fn fixing_the_form_moves_incomplete_to_pending() {
        let e = existing(State::Incomplete, "alice", "h", false);
        let d = decide(Trigger::Edited, Some(&e), &reading("alice", true, "h2"));
        assert_eq!(state_of(d), (State::Pending, false));
    }

    #[test]
    fn breaking_the_form_moves_back_to_incomplete() {
        let e = existing(State::AwaitingUser, "alice", "h", true);
        let d = decide(Trigger::Edited, Some(&e), &reading("alice", false, "h2"));
        assert_eq!(state_of(d), (State::Incomplete, false));
    }

    #[test]
    fn other_edits_keep_the_state() {
        let e = existing(State::Verified, "alice", "h", true);
        let d = decide(Trigger::Edited, Some(&e), &reading("ALICE", true, "h2"));
        assert_eq!(state_of(d), (State::Verified, false));
    }

    #[test]
    fn a_new_username_after_checks_resets_them() {
        let e = existing(State::Verified, "alice", "h", true);
        let d = decide(Trigger::Edited, Some(&e), &reading("mallory", true, "h2"));
        assert_eq!(state_of(d), (State::Pending, true));
        // Whether or not a check had passed: the links sent are void.
        let e = existing(State::AwaitingUser, "alice", "h", false);
        let d = decide(Trigger::Edited, Some(&e), &reading("bob", true, "h2"));
        assert_eq!(state_of(d), (State::Pending, true));
        // A name given for the first time is not a change.
        let mut e = existing(State::Incomplete, "x", "h", false);
        e.username = None;
        let d = decide(Trigger::Edited, Some(&e), &reading("bob", true, "h2"));
        assert_eq!(state_of(d), (State::Pending, false));
    }

    #[test]
    fn another_index_is_another_account_even_under_the_same_name() {
        // The label moved the request to TestPyPI: same body, same name.
        let e = existing(State::Verified, "alice", "h", true);
        let mut moved = reading("alice", true, "h");
        moved.index = "testpypi".into();
        let d = decide(Trigger::Edited, Some(&e), &moved);
        assert_eq!(state_of(d), (State::Pending, true));
        // The dropdown edited along with the body: the same.
        let e = existing(State::AwaitingUser, "alice", "h", false);
        moved.body_hash = "h2".into();
        assert_eq!(
            state_of(decide(Trigger::Edited, Some(&e), &moved)),
            (State::Pending, true)
        );
        // No name yet: nothing to reset, but the index is taken.
        let mut e = existing(State::Incomplete, "x", "h", false);
        e.username = None;
        let mut r = reading("bob", false, "h");
        r.index = "testpypi".into();
        assert_eq!(
            state_of(decide(Trigger::Edited, Some(&e), &r)),
            (State::Incomplete, false)
        );
    }

    #[test]
    fn an_older_version_of_the_issue_never_overrides_a_newer_one() {
        let t = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        let mut e = existing(State::Pending, "alice", "h2", false);
        e.seen = t("2026-12-01T10:00:05Z");
        let mut older = reading("mallory", true, "h1");
        older.updated_at = t("2026-12-01T10:00:01Z");
        assert!(matches!(
            decide(Trigger::Edited, Some(&e), &older),
            Decision::Ignore(_)
        ));
        let mut newer = reading("bob", true, "h3");
        newer.updated_at = t("2026-12-01T10:00:09Z");
        assert_eq!(
            state_of(decide(Trigger::Edited, Some(&e), &newer)),
            (State::Pending, true)
        );
    }
    #[test]
    fn a_duplicate_is_the_earliest_earlier_request_for_the_same_account() {
        let n = IssueNumber::from;
        let open = [
            (n(12), Some("Alice")),
            (n(7), Some("bob")),
            (n(9), Some("alice")),
            (n(30), Some("alice")),
            (n(3), None),
        ];
        let dup = |at: u32, u| super::duplicate_of(n(at), u, open.iter().copied()).map(u64::from);
        assert_eq!(dup(20, Some("ALICE")), Some(9));
        assert_eq!(dup(9, Some("alice")), None, "the first one is no duplicate");
        assert_eq!(dup(12, Some("alice")), Some(9));
        assert_eq!(dup(8, Some("bob")), Some(7));
        assert_eq!(dup(40, None), None);
        assert_eq!(dup(40, Some("carol")), None);
    }
}
