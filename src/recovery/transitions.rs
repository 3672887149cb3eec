//! The state machine for admins' commands and the requester's replies: a
//! pure function from (request, actor, command) to what must change and what
//! the bot says. `crate::jobs` stores the change and carries out the effects.

use crate::commands::{Command, ParseError};

use super::state::State;

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
}

impl Awaiting {
    pub fn as_str(self) -> &'static str {
        match self {
            Awaiting::Info => "info",
            Awaiting::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Awaiting::Info),
            "email" => Some(Awaiting::Email),
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountCheck {
    NotLookedUp,
    /// No such account in the directory.
    Missing,
    /// The account has no verified address to write to.
    NoAddress,
    Found,
}

impl Situation {
    fn passed(&self, name: &str) -> bool {
        self.checks
            .iter()
            .any(|(n, s)| n == name && *s == CheckStatus::Passed)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueChange {
    CloseCompleted,
    CloseNotPlanned,
    Reopen,
}

/// What the bot answers (the words are in `messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Help,
    Status,
    NotAdmin,
    OwnRequest {
        command: &'static str,
    },
    Invalid(ParseError),
    NotInState {
        command: &'static str,
        state: State,
        open: bool,
    },
    MissingChecks {
        missing: Vec<String>,
    },
    EmailUnavailable,
    NoSuchAccount,
    NoAddress,
    EmailConfirmed {
        verified: bool,
    },
    InfoRequested {
        text: String,
    },
    EmailRequested,
    CheckConfirmed {
        check: String,
        verified: bool,
    },
    Approved {
        note: Option<String>,
    },
    Denied {
        reason: String,
    },
    Reopened {
        state: State,
    },
}

/// The decision for one command or event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The new state and why it waits, when it changes.
    pub to: Option<(State, Option<Awaiting>)>,
    /// A check to record.
    pub check: Option<(String, CheckStatus, Option<String>)>,
    pub issue: Option<IssueChange>,
    /// Email the account's registered address a confirmation link.
    pub send_email: bool,
    pub reply: Option<Reply>,
    /// False when the command was refused or invalid (😕 instead of 🚀).
    pub ok: bool,
    /// Audit action.
    pub action: &'static str,
}

impl Outcome {
    fn refused(action: &'static str, reply: Reply) -> Self {
        Self {
            to: None,
            check: None,
            issue: None,
            send_email: false,
            reply: Some(reply),
            ok: false,
            action,
        }
    }

    fn done(action: &'static str) -> Self {
        Self {
            to: None,
            check: None,
            issue: None,
            send_email: false,
            reply: None,
            ok: true,
            action,
        }
    }
}

/// Decides what `actor`'s command does to the request.
pub fn command(sit: &Situation, actor: &Actor, cmd: &Result<Command, ParseError>) -> Outcome {
    let cmd = match cmd {
        Ok(cmd) => cmd,
        Err(e) => return Outcome::refused("command_invalid", Reply::Invalid(e.clone())),
    };
    // Anyone may ask for help; everything else is for admins.
    if !actor.is_admin && !matches!(cmd, Command::Help) {
        return Outcome::refused("command_refused", Reply::NotAdmin);
    }
    let own = actor.id == sit.author_id;
    let not_in_state = |command: &'static str| {
        Outcome::refused(
            "command_refused",
            Reply::NotInState {
                command,
                state: sit.state,
                open: sit.issue_open,
            },
        )
    };
    let active = sit.issue_open && !sit.state.is_final();
    match cmd {
        Command::Help => Outcome {
            reply: Some(Reply::Help),
            ..Outcome::done("help")
        },
        Command::Status => Outcome {
            reply: Some(Reply::Status),
            ..Outcome::done("status")
        },
        Command::VerifyEmail => {
            if !active || sit.state == State::Incomplete {
                return not_in_state("/verify-email");
            }
            if own {
                return Outcome::refused(
                    "command_refused",
                    Reply::OwnRequest {
                        command: "/verify-email",
                    },
                );
            }
            if !sit.email_available {
                return Outcome::refused("command_refused", Reply::EmailUnavailable);
            }
            match sit.account {
                AccountCheck::Found => {}
                AccountCheck::Missing => {
                    return Outcome::refused("command_refused", Reply::NoSuchAccount);
                }
                AccountCheck::NoAddress | AccountCheck::NotLookedUp => {
                    return Outcome::refused("command_refused", Reply::NoAddress);
                }
            }
            Outcome {
                to: Some((State::AwaitingUser, Some(Awaiting::Email))),
                check: Some(("email".to_owned(), CheckStatus::Sent, None)),
                send_email: true,
                reply: Some(Reply::EmailRequested),
                ..Outcome::done("verify_email")
            }
        }
        Command::RequestInfo { text } => {
            if !active {
                return not_in_state("/request-info");
            }
            Outcome {
                to: Some((State::AwaitingUser, Some(Awaiting::Info))),
                reply: Some(Reply::InfoRequested { text: text.clone() }),
                ..Outcome::done("request_info")
            }
        }
        Command::Confirm { check, note } => {
            if !active {
                return not_in_state("/confirm");
            }
            if own {
                return Outcome::refused(
                    "command_refused",
                    Reply::OwnRequest {
                        command: "/confirm",
                    },
                );
            }
            let mut after = sit.clone();
            after.checks.retain(|(n, _)| n != check);
            after.checks.push((check.clone(), CheckStatus::Passed));
            let verified = after.missing_checks().is_empty()
                && matches!(sit.state, State::Pending | State::AwaitingUser);
            Outcome {
                to: verified.then_some((State::Verified, None)),
                check: Some((check.clone(), CheckStatus::Passed, note.clone())),
                reply: Some(Reply::CheckConfirmed {
                    check: check.clone(),
                    verified,
                }),
                ..Outcome::done("confirm")
            }
        }
        Command::Approve { note } => {
            if !active || sit.state == State::Incomplete {
                return not_in_state("/approve");
            }
            if own {
                return Outcome::refused(
                    "command_refused",
                    Reply::OwnRequest {
                        command: "/approve",
                    },
                );
            }
            let missing = sit.missing_checks();
            if !missing.is_empty() {
                return Outcome::refused("command_refused", Reply::MissingChecks { missing });
            }
            Outcome {
                to: Some((State::Approved, None)),
                issue: Some(IssueChange::CloseCompleted),
                reply: Some(Reply::Approved { note: note.clone() }),
                ..Outcome::done("approve")
            }
        }
        Command::Deny { reason } => {
            if sit.state.is_final() {
                return not_in_state("/deny");
            }
            Outcome {
                to: Some((State::Denied, None)),
                issue: Some(IssueChange::CloseNotPlanned),
                reply: Some(Reply::Denied {
                    reason: reason.clone(),
                }),
                ..Outcome::done("deny")
            }
        }
        Command::Reopen => {
            if active {
                return not_in_state("/reopen");
            }
            let state = if sit.state.is_final() {
                State::Pending
            } else {
                sit.state
            };
            Outcome {
                to: Some((state, None)),
                issue: (!sit.issue_open).then_some(IssueChange::Reopen),
                reply: Some(Reply::Reopened { state }),
                ..Outcome::done("reopen")
            }
        }
    }
}

/// A check passed without a command (the emailed link, the ownership
/// evidence): record it, and move on when it completes the required checks.
pub fn check_passed(sit: &Situation, check: &str, note: &str, action: &'static str) -> Outcome {
    let mut after = sit.clone();
    after.checks.retain(|(n, _)| n != check);
    after.checks.push((check.to_owned(), CheckStatus::Passed));
    let open = sit.issue_open && matches!(sit.state, State::Pending | State::AwaitingUser);
    let verified = open && after.missing_checks().is_empty();
    let to = if verified {
        Some((State::Verified, None))
    } else if open
        && check == "email"
        && sit.state == State::AwaitingUser
        && sit.awaiting == Some(Awaiting::Email)
    {
        Some((State::Pending, None))
    } else {
        None
    };
    Outcome {
        to,
        check: Some((check.to_owned(), CheckStatus::Passed, Some(note.to_owned()))),
        reply: None,
        ..Outcome::done(action)
    }
}

/// The owner pressed Confirm on the emailed link.
pub fn email_confirmed(sit: &Situation) -> Outcome {
    let outcome = check_passed(
        sit,
        "email",
        "confirmed from the emailed link",
        "email_confirmed",
    );
    let verified = matches!(outcome.to, Some((State::Verified, _)));
    Outcome {
        reply: Some(Reply::EmailConfirmed { verified }),
        ..outcome
    }
}

/// A comment that is not a command: the requester answering `/request-info`
/// moves the request back to pending.
pub fn reply_from(sit: &Situation, commenter_id: u64) -> Option<Outcome> {
    let answers = sit.issue_open
        && sit.state == State::AwaitingUser
        && sit.awaiting == Some(Awaiting::Info)
        && commenter_id == sit.author_id;
    answers.then(|| Outcome {
        to: Some((State::Pending, None)),
        ..Outcome::done("requester_replied")
    })
}
