//! What a request stores beside its state when it moves (or stays): the
//! reason it waits, where a reopen returns to, whether the reminder clock
//! starts again and which of its links stop working. Each of these rules is
//! written here once; the store writes what a [`Move`] says.

use super::rounds::{Revocation, ended_by};
use super::situation::Awaiting;
use super::state::State;

/// A request's state as stored, before a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Before {
    pub state: State,
    pub awaiting: Option<Awaiting>,
    pub state_before: Option<State>,
}

/// One move of a request, decided in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub from: State,
    pub to: State,
    /// Why the request waits for its requester, when `to` keeps one.
    pub awaiting: Option<Awaiting>,
    /// Where a reopen returns to.
    pub state_before: Option<State>,
    /// A new state starts the reminder clock again: the time of the change
    /// is now and the reminder is cleared.
    pub restarts_clock: bool,
    /// The links this move ends, if any.
    pub ends_rounds: Option<Revocation>,
}

impl Move {
    /// A move decided by a command, a close, a reopen or a timer, to `to`
    /// waiting for `awaiting`, the issue then open or not. Withdrawing, or
    /// closing for no response, remembers the state to return to.
    pub fn to(before: Before, to: State, awaiting: Option<Awaiting>, issue_open: bool) -> Self {
        let state_before = if to.keeps_state_before() && !before.state.keeps_state_before() {
            Some(before.state)
        } else {
            before.state_before
        };
        Self {
            from: before.state,
            to,
            awaiting: awaiting.filter(|_| to.keeps_awaiting()),
            state_before,
            restarts_clock: to != before.state,
            ends_rounds: ended_by(to, issue_open),
        }
    }

    /// A new reading of the form leading to `to`: the reason the request
    /// waits stays where `to` keeps one; a new username ends the request's
    /// rounds (whether or not a check had passed).
    pub fn form_read(before: Before, to: State, issue_open: bool, username_changed: bool) -> Self {
        let m = Self::to(before, to, before.awaiting, issue_open);
        Self {
            state_before: before.state_before,
            ends_rounds: if username_changed {
                Some(Revocation::UsernameChanged)
            } else {
                m.ends_rounds
            },
            ..m
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn before(state: State, awaiting: Option<Awaiting>) -> Before {
        Before {
            state,
            awaiting,
            state_before: None,
        }
    }

    #[test]
    fn the_awaiting_reason_stays_only_where_the_request_waits_for_its_requester() {
        let b = before(State::AwaitingUser, Some(Awaiting::Email));
        for (to, kept) in [
            (State::AwaitingUser, true),
            (State::Withdrawn, true),
            (State::NoResponse, true),
            (State::Incomplete, false),
            (State::Pending, false),
            (State::Verified, false),
        ] {
            let m = Move::form_read(b, to, true, false);
            assert_eq!(m.awaiting.is_some(), kept, "{to}");
            let m = Move::to(b, to, Some(Awaiting::Info), true);
            assert_eq!(m.awaiting.is_some(), kept, "{to}");
        }
    }

    #[test]
    fn withdrawing_remembers_where_to_return_once() {
        let m = Move::to(before(State::Verified, None), State::Withdrawn, None, false);
        assert_eq!(m.state_before, Some(State::Verified));
        assert_eq!(m.ends_rounds, Some(Revocation::Closed));
        let withdrawn = Before {
            state: State::Withdrawn,
            awaiting: None,
            state_before: Some(State::Verified),
        };
        let m = Move::to(withdrawn, State::NoResponse, None, false);
        assert_eq!(
            m.state_before,
            Some(State::Verified),
            "not the withdrawn state"
        );
        // A form edit while closed keeps it too.
        let m = Move::form_read(withdrawn, State::Withdrawn, false, true);
        assert_eq!(m.state_before, Some(State::Verified));
    }

    #[test]
    fn a_new_state_restarts_the_clock_and_the_same_one_does_not() {
        let b = before(State::Pending, None);
        assert!(Move::to(b, State::AwaitingUser, None, true).restarts_clock);
        assert!(!Move::form_read(b, State::Pending, true, false).restarts_clock);
    }

    #[test]
    fn a_new_username_ends_the_rounds_even_when_nothing_else_moves() {
        let b = before(State::AwaitingUser, Some(Awaiting::Email));
        let m = Move::form_read(b, State::AwaitingUser, true, true);
        assert_eq!(m.ends_rounds, Some(Revocation::UsernameChanged));
        assert_eq!(
            Move::form_read(b, State::AwaitingUser, true, false).ends_rounds,
            None
        );
        assert_eq!(
            Move::to(b, State::Approved, None, false).ends_rounds,
            Some(Revocation::Decided)
        );
    }
}
