//! The answers to `/status`: the full one for admins, the short one for
//! the requester.

use std::fmt::Write as _;

use crate::recovery::echo::{self, cell, plain};
use crate::recovery::state::State;
use crate::recovery::transitions::Awaiting;

use super::status_comment::CheckLine;
use super::words::{ahead, checks_table};

/// One row of history for `/status`.
#[derive(Debug, Clone)]
pub struct HistoryLine {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

pub fn status_reply(
    state: State,
    checks: &[CheckLine],
    required: &[String],
    history: &[HistoryLine],
) -> String {
    let mut s = format!(
        "**State:** `{}`\n\n**Checks**\n\n{}\n**History**\n\n",
        state,
        checks_table(checks, required)
    );
    s.push_str("| when | who | what | from | to |\n|---|---|---|---|---|\n");
    for h in history {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            h.when,
            plain(&h.actor),
            cell(&h.action),
            h.from.as_deref().unwrap_or(""),
            h.to.as_deref().unwrap_or("")
        );
    }
    echo::fit(s)
}

/// Where a request stands and what comes next, for its requester's own
/// `/status`: short and plain.
pub fn requester_status(
    state: State,
    awaiting: Option<Awaiting>,
    open: bool,
    ahead_count: i64,
) -> String {
    let (now, next) = match state {
        State::Incomplete => (
            "the form needs a fix",
            "edit the issue to fix what the status comment lists; I check it again on every save.",
        ),
        State::Pending => (
            "complete, waiting for an admin",
            "nothing for now: an admin will verify it and say here what they need.",
        ),
        State::AwaitingUser if awaiting == Some(Awaiting::Repo) => (
            "waiting for you to push the branch named in the email",
            "push a branch named after the token in the email sent to the account's address to the source \
             repository of one of its projects; I say here when I find it. Never post the token here.",
        ),
        State::AwaitingUser if awaiting == Some(Awaiting::Email) => (
            "waiting for you to confirm the emailed link",
            "open the link sent to the account's email address and press Confirm; if it never came or \
             expired, say so here.",
        ),
        State::AwaitingUser => (
            "waiting for your answer",
            "answer the admin's question in a comment on this issue.",
        ),
        State::Verified => (
            "verified, waiting for an admin's decision",
            "nothing for now: an admin will decide soon.",
        ),
        State::Approved => (
            "approved and closed",
            "follow the instructions in the approval comment.",
        ),
        State::Denied => (
            "denied and closed",
            "if you think this is a mistake, reply here.",
        ),
        State::Withdrawn => (
            "withdrawn by you, and closed",
            "to continue it, reopen the issue.",
        ),
        State::NoResponse => (
            "closed because there was no answer after a reminder",
            "comment here to continue it: it reopens where it was.",
        ),
    };
    let mut s = format!("Your request is **{now}**. What happens next: {next}");
    if open && !state.is_closed() {
        let _ = write!(s, "\n\nRight now, {}", ahead(ahead_count));
    }
    s
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::recovery::transitions::CheckStatus;

    #[test]
    fn admin_status_answer() {
        let checks = [CheckLine {
            name: "email".to_owned(),
            status: CheckStatus::Passed,
            actor: Some("admin-ann".to_owned()),
            note: Some("confirmed from the emailed link".to_owned()),
            when: "2026-12-01 10:00 UTC".to_owned(),
        }];
        let required = ["email".to_owned(), "project-ownership".to_owned()];
        let history = [
            HistoryLine {
                when: "2026-12-01 09:00 UTC".to_owned(),
                actor: "recovery-bot[bot]".to_owned(),
                action: "intake".to_owned(),
                from: None,
                to: Some("pending".to_owned()),
            },
            HistoryLine {
                when: "2026-12-01 09:30 UTC".to_owned(),
                actor: "admin-ann".to_owned(),
                action: "verify_email".to_owned(),
                from: Some("pending".to_owned()),
                to: Some("awaiting_user".to_owned()),
            },
            HistoryLine {
                when: "2026-12-01 10:00 UTC".to_owned(),
                actor: "octocat".to_owned(),
                action: "email_confirmed".to_owned(),
                from: Some("awaiting_user".to_owned()),
                to: Some("pending".to_owned()),
            },
        ];
        assert_snapshot!(status_reply(State::Pending, &checks, &required, &history));
    }

    /// The requester's short answer in every state (and why it waits).
    #[test]
    fn requester_status_in_every_state() {
        let cases = [
            ("incomplete", State::Incomplete, None, 0),
            ("pending", State::Pending, None, 2),
            (
                "awaiting_repo",
                State::AwaitingUser,
                Some(Awaiting::Repo),
                0,
            ),
            (
                "awaiting_email",
                State::AwaitingUser,
                Some(Awaiting::Email),
                1,
            ),
            (
                "awaiting_info",
                State::AwaitingUser,
                Some(Awaiting::Info),
                0,
            ),
            ("verified", State::Verified, None, 0),
            ("approved", State::Approved, None, 0),
            ("denied", State::Denied, None, 0),
            ("withdrawn", State::Withdrawn, None, 0),
            ("no_response", State::NoResponse, None, 0),
        ];
        for (name, state, awaiting, ahead) in cases {
            let open = !state.is_closed();
            assert_snapshot!(
                format!("requester_status_{name}"),
                requester_status(state, awaiting, open, ahead)
            );
        }
    }
}
