//! What intake does with an issue's form: the pure decision taken for
//! `issues.opened`, `issues.labeled` (intake label) and `issues.edited`.

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
    /// `check`'s JSON shape of the values.
    pub fields: serde_json::Value,
    pub problems: Vec<ProblemLine>,
}

/// The problem for a username the account directory does not know.
pub fn account_missing(template: &Template, username: &str) -> ProblemLine {
    let field = form::validate::USERNAME_FIELD;
    ProblemLine {
        field: field.to_owned(),
        label: template
            .field(field)
            .map_or_else(|| field.to_owned(), |f| f.label.clone()),
        message: messages::no_such_account(username),
    }
}

pub fn read_form(template: &Template, rules: &Rules, body: Option<&str>) -> FormReading {
    let response = form::parse(template, body);
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
    FormReading {
        from_form: response.from_form,
        username: validation.username.clone(),
        fields: validation.fields_json(),
        problems,
    }
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
    pub body_hash: String,
    /// Some check has been recorded (sent or passed).
    pub has_checks: bool,
}

/// The form as read now.
#[derive(Debug, Clone)]
pub struct Reading {
    pub username: Option<String>,
    pub valid: bool,
    pub body_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do (a redelivery, an edit that changed nothing, a decided
    /// request).
    Ignore(&'static str),
    /// Store the reading, move to `state`, and show it on the tracker.
    Apply {
        state: State,
        /// The account named changed after checks were recorded: forget them.
        reset_checks: bool,
        /// Audit action.
        action: &'static str,
    },
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
            reset_checks: false,
            action: match trigger {
                Trigger::Labeled => "intake_labeled",
                _ => "intake_opened",
            },
        };
    };
    if existing.body_hash == reading.body_hash {
        return Decision::Ignore(match trigger {
            Trigger::Edited => "the edit did not change the body",
            _ => "the request is already taken in",
        });
    }
    if existing.state.is_final() {
        return Decision::Ignore("the request is already decided");
    }
    let same_account = match (&existing.username, &reading.username) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    };
    let reset_checks = !same_account && existing.has_checks;
    let state = if !reading.valid {
        State::Incomplete
    } else if reset_checks || existing.state == State::Incomplete {
        State::Pending
    } else {
        existing.state
    };
    Decision::Apply {
        state,
        reset_checks,
        action: "form_edited",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(username: &str, valid: bool, hash: &str) -> Reading {
        Reading {
            username: Some(username.into()),
            valid,
            body_hash: hash.into(),
        }
    }

    fn existing(state: State, username: &str, hash: &str, has_checks: bool) -> Existing {
        Existing {
            state,
            username: Some(username.into()),
            body_hash: hash.into(),
            has_checks,
        }
    }

    fn state_of(d: Decision) -> (State, bool) {
        match d {
            Decision::Apply {
                state,
                reset_checks,
                ..
            } => (state, reset_checks),
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
    fn unchanged_bodies_and_decided_requests_are_ignored() {
        let e = existing(State::Pending, "alice", "h", false);
        assert!(matches!(
            decide(Trigger::Edited, Some(&e), &reading("alice", true, "h")),
            Decision::Ignore(_)
        ));
        assert!(matches!(
            decide(Trigger::Opened, Some(&e), &reading("alice", true, "h")),
            Decision::Ignore(_)
        ));
        let done = existing(State::Approved, "alice", "h", true);
        assert!(matches!(
            decide(Trigger::Edited, Some(&done), &reading("bob", true, "h2")),
            Decision::Ignore(_)
        ));
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
        // Without recorded checks there is nothing to reset.
        let e = existing(State::Pending, "alice", "h", false);
        let d = decide(Trigger::Edited, Some(&e), &reading("bob", true, "h2"));
        assert_eq!(state_of(d), (State::Pending, false));
    }
}
