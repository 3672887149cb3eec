//! What a decision says: the change to make, the check to record, the
//! issue's close or reopen, and the reply (whose words are in `messages`).

use chrono::{DateTime, Utc};

use crate::commands::{CommandKind, ParseError};

use super::situation::{AccountCheck, Awaiting, CheckStatus};
use super::state::State;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueChange {
    CloseCompleted,
    CloseNotPlanned,
    Reopen,
}

/// What the bot answers (the words are in `messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The commands the asker may run, and (for admins) the canned replies.
    Help {
        kinds: Vec<CommandKind>,
        replies: Vec<String>,
    },
    /// The full answer, for admins.
    Status,
    /// The short plain answer, for the requester.
    RequesterStatus,
    NotAdmin,
    /// Whether the asker is an admin could not be read from GitHub (after
    /// the job's retries): their admin commands are refused, never run.
    PermissionUnchecked,
    /// The requester ran an admin's command (said once per request).
    OnlyAdminsDecide,
    /// An admin ran the requester's `/withdraw` on someone else's request.
    OnlyRequester,
    Withdrawn,
    /// `/reply <name>`: the canned text, with the admin's own words.
    Canned {
        name: String,
        extra: Option<String>,
    },
    UnknownReply {
        name: String,
        names: Vec<String>,
    },
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
    /// `/approve` while the form has problems.
    FormInvalid,
    /// `/confirm` of a check that proves ownership needs a note.
    NoteRequired {
        check: String,
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
    /// `/verify-repo`: the instructions were emailed.
    RepoRequested,
    /// `/verify-repo` on an account with no project on GitHub.
    NoRepositories,
    /// `/approve` while the account directory, asked again, cannot answer
    /// (then: try again later), no longer lists the account, or lists it
    /// without a primary address.
    ApproveAccount {
        account: AccountCheck,
    },
    /// `/approve` before the waiting period ended.
    WaitingPeriod {
        until: DateTime<Utc>,
    },
    /// `/approve` with `index_recover`: the index is asked first.
    ApprovalStarted,
    CheckConfirmed {
        check: String,
        verified: bool,
    },
    /// The approve message (computed), the admin's note, and whether the
    /// index confirmed the reset (else admins are reminded it is theirs).
    Approved {
        note: Option<String>,
        by_index: bool,
    },
    Denied {
        reason: String,
    },
    Reopened {
        state: State,
    },
    /// The requester came back to a request closed for no response.
    Returned {
        state: State,
    },
    /// Closed after the reminder went unanswered.
    ClosedNoResponse,
    /// An admin's commands written before the username, the index or the
    /// form's validity last changed (`recovery::bound`): none was run.
    RequestChanged {
        commands: Vec<CommandKind>,
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
    /// Email the account's registered address a `/verify-repo` token.
    pub send_repo_token: bool,
    /// Ask the index to reset the account; the approval follows its answer.
    pub recover: bool,
    /// Kept in the audit row (a check's note, an override's reason).
    pub note: Option<String>,
    pub reply: Option<Reply>,
    /// False when the command was refused or invalid (😕 instead of 🚀).
    pub ok: bool,
    /// Audit action.
    pub action: &'static str,
}

impl Outcome {
    pub(super) fn refused(action: &'static str, reply: Reply) -> Self {
        Self {
            reply: Some(reply),
            ok: false,
            ..Self::done(action)
        }
    }

    pub(super) fn done(action: &'static str) -> Self {
        Self {
            to: None,
            check: None,
            issue: None,
            send_email: false,
            send_repo_token: false,
            recover: false,
            note: None,
            reply: None,
            ok: true,
            action,
        }
    }
}
