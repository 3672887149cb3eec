//! The request as a decision sees it: its state, its checks, why it waits,
//! and who acts on it.

use chrono::{DateTime, Utc};

use super::state::State;

/// The check that an emailed link proves (and that `/confirm` may record by
/// hand only with a note).
pub const EMAIL_CHECK: &str = "email";

/// The check that `/verify-repo`'s branch proves (and the ownership
/// evidence, when every project's repository is the requester's).
pub const OWNERSHIP_CHECK: &str = "project-ownership";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckStatus {
    Sent,
    Passed,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Sent => "sent",
            CheckStatus::Passed => "passed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sent" => Some(CheckStatus::Sent),
            "passed" => Some(CheckStatus::Passed),
            _ => None,
        }
    }
}

/// Why a request waits for its requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaiting {
    /// `/request-info`: the requester's reply moves it back to pending.
    Info,
    /// `/verify-email`: the emailed link moves it on.
    Email,
    /// `/verify-repo`: the token-named branch moves it on.
    Repo,
}

impl Awaiting {
    pub fn as_str(self) -> &'static str {
        match self {
            Awaiting::Info => "info",
            Awaiting::Email => "email",
            Awaiting::Repo => "repo",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Awaiting::Info),
            "email" => Some(Awaiting::Email),
            "repo" => Some(Awaiting::Repo),
            _ => None,
        }
    }
}

/// The request as the decision sees it.
#[derive(Debug, Clone)]
pub struct Situation {
    pub state: State,
    pub issue_open: bool,
    pub author_id: u64,
    pub awaiting: Option<Awaiting>,
    /// Recorded checks: name and status.
    pub checks: Vec<(String, CheckStatus)>,
    /// Checks that must pass before `/approve`.
    pub required: Vec<String>,
    /// Mail and the account directory are configured.
    pub email_available: bool,
    /// What the account directory said about the requested account (looked
    /// up only for `/verify-email`).
    pub account: AccountCheck,
    /// The form was read and has no problem: only then may the request be
    /// pending, verified or approved.
    pub form_valid: bool,
    /// The state before the request was withdrawn or closed for no
    /// response: where a reopen returns.
    pub state_before: Option<State>,
    pub now: DateTime<Utc>,
    /// `/approve` waits until then (`timers::waiting_ends`).
    pub waiting_until: Option<DateTime<Utc>>,
    /// The account's projects' GitHub repositories (looked up only for
    /// `/verify-repo`).
    pub account_repos: usize,
    /// `/approve` resets the account through the index before closing.
    pub index_recover: bool,
    /// The username (or index) changed since the request was last seen by
    /// an admin: its checks were reset and its rounds ended.
    pub checks_reset: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountCheck {
    NotLookedUp,
    /// No such account in the directory.
    Missing,
    /// The account has no verified address to write to.
    NoAddress,
    Found,
    /// The index froze the account: it is never recovered.
    Frozen,
    /// The directory could not answer (unreachable, 5xx, malformed): ask
    /// again later; never taken as found.
    Unavailable,
}

impl Situation {
    fn passed(&self, name: &str) -> bool {
        self.checks
            .iter()
            .any(|(n, s)| n == name && *s == CheckStatus::Passed)
    }

    /// `target`, unless the form is invalid: then the request stays
    /// incomplete. Every transition goes through here.
    pub fn settle(&self, target: State) -> State {
        match target {
            State::Pending | State::Verified | State::Approved if !self.form_valid => {
                State::Incomplete
            }
            other => other,
        }
    }

    /// The state a closed request returns to when it is reopened (by
    /// `/reopen` or by hand): the one it had, except that a decided request
    /// is pending again. The form is read as it is now: incomplete whenever
    /// it is invalid, and an incomplete request whose form was fixed while
    /// closed is pending. Verified only while every required check still
    /// passes (a reset of the checks while closed leaves it pending).
    pub fn reopened_state(&self) -> State {
        let back = match self.state {
            s if s.keeps_state_before() => self
                .state_before
                .filter(|s| !s.is_closed())
                .unwrap_or(State::Pending),
            s if s.is_final() => State::Pending,
            s => s,
        };
        // The close revoked every emailed link and token: nothing to wait
        // for. A reset of the checks voids what the request waited for.
        let back = match (back, self.awaiting) {
            (State::AwaitingUser, Some(Awaiting::Email | Awaiting::Repo)) => State::Pending,
            (State::AwaitingUser, _) if self.checks_reset => State::Pending,
            (State::Verified, _) if self.checks_reset || !self.missing_checks().is_empty() => {
                State::Pending
            }
            (State::Incomplete, _) if self.form_valid => State::Pending,
            (s, _) => s,
        };
        self.settle(back)
    }

    /// Whether `/confirm <check>` must say how it was checked: the checks
    /// that prove the account is the requester's (`email`,
    /// `project-ownership`) and every required one.
    pub fn note_required(&self, check: &str) -> bool {
        check == EMAIL_CHECK || check == OWNERSHIP_CHECK || self.required.iter().any(|r| r == check)
    }

    pub fn missing_checks(&self) -> Vec<String> {
        self.required
            .iter()
            .filter(|c| !self.passed(c))
            .cloned()
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub id: u64,
    pub login: String,
    pub is_admin: bool,
}
