//! The state machine for admins' commands and the requester's replies: a
//! pure function from (request, actor, command) to what must change and what
//! the bot says. `crate::jobs` stores the change and carries out the effects.

use crate::commands::{Command, CommandKind, ParseError, Who};

use super::replies::Replies;
use super::state::State;

pub use super::outcome::{IssueChange, Outcome, Reply};
pub use super::situation::{
    AccountCheck, Actor, Awaiting, CheckStatus, EMAIL_CHECK, OWNERSHIP_CHECK, Situation,
};

/// Decides what `actor`'s command does to the request.
pub fn command(
    sit: &Situation,
    actor: &Actor,
    cmd: &Result<Command, ParseError>,
    replies: &Replies,
) -> Outcome {
    let cmd = match cmd {
        Ok(cmd) => cmd,
        Err(e) => return Outcome::refused("command_invalid", Reply::Invalid(e.clone())),
    };
    let ask = Ask {
        sit,
        actor,
        own: actor.id == sit.author_id,
        active: sit.issue_open && !sit.state.is_closed(),
    };
    if let Some(refused) = ask.not_allowed(cmd.kind()) {
        return refused;
    }
    match cmd {
        Command::Help => help(&ask, replies),
        Command::Status => Outcome {
            reply: Some(if actor.is_admin {
                Reply::Status
            } else {
                Reply::RequesterStatus
            }),
            ..Outcome::done("status")
        },
        Command::Withdraw => withdraw(&ask),
        Command::Reply { name, extra } => canned_reply(&ask, name, extra, replies),
        Command::VerifyEmail => verify_email(&ask),
        Command::VerifyRepo => verify_repo(&ask),
        Command::RequestInfo { text } => request_info(&ask, text),
        Command::Confirm { check, note } => confirm(&ask, check, note),
        Command::Approve { note, now } => approve(&ask, note, *now),
        Command::Deny { reason } => deny(&ask, reason),
        Command::Reopen => reopen(&ask),
    }
}

/// A comment's commands, in order.
pub type Commands<'c> = Vec<&'c Result<Command, ParseError>>;

/// Which of a comment's commands its author runs, and which are refused
/// with one answer for them all: an admin runs every one (a command that is
/// the requester's alone then gets its own answer from `command`); anyone
/// else runs what is theirs (`/help`, and the requester's `/status` and
/// `/withdraw`). The rule itself is `CommandKind::allowed`.
pub fn by_permission<'c>(
    commands: &'c [Result<Command, ParseError>],
    actor: &Actor,
    is_requester: bool,
) -> (Commands<'c>, Commands<'c>) {
    commands.iter().partition(|c| {
        actor.is_admin
            || c.as_ref()
                .is_ok_and(|c| c.kind().allowed(false, is_requester))
    })
}

/// A command and who gave it, on the request as it is: what every
/// command's rule reads.
struct Ask<'a> {
    sit: &'a Situation,
    actor: &'a Actor,
    /// The actor is the requester.
    own: bool,
    /// The issue is open and the request not closed.
    active: bool,
}

impl Ask<'_> {
    /// The refusal for a command this actor may not run at all.
    fn not_allowed(&self, kind: CommandKind) -> Option<Outcome> {
        if kind.allowed(self.actor.is_admin, self.own) {
            return None;
        }
        let reply = if self.own {
            Reply::OnlyAdminsDecide
        } else if self.actor.is_admin && kind.who() == Who::Requester {
            Reply::OnlyRequester
        } else {
            Reply::NotAdmin
        };
        Some(Outcome::refused("command_refused", reply))
    }

    /// The refusal for a command the request's state does not allow.
    fn not_in_state(&self, command: &'static str) -> Outcome {
        Outcome::refused(
            "command_refused",
            Reply::NotInState {
                command,
                state: self.sit.state,
                open: self.sit.issue_open,
            },
        )
    }

    /// The refusal for an admin acting on their own request.
    fn own_request(&self, command: &'static str) -> Outcome {
        Outcome::refused("command_refused", Reply::OwnRequest { command })
    }
}

fn help(ask: &Ask<'_>, replies: &Replies) -> Outcome {
    let is_admin = ask.actor.is_admin;
    Outcome {
        reply: Some(Reply::Help {
            kinds: CommandKind::ALL
                .into_iter()
                .filter(|k| k.allowed(is_admin, ask.own))
                .collect(),
            replies: if is_admin {
                replies.names().into_iter().map(str::to_owned).collect()
            } else {
                Vec::new()
            },
        }),
        ..Outcome::done("help")
    }
}

fn withdraw(ask: &Ask<'_>) -> Outcome {
    if !ask.active {
        return ask.not_in_state("/withdraw");
    }
    Outcome {
        to: Some((State::Withdrawn, ask.sit.awaiting)),
        issue: Some(IssueChange::CloseNotPlanned),
        reply: Some(Reply::Withdrawn),
        ..Outcome::done("withdraw")
    }
}

/// `/reply <name>`: the canned reply, and the state it moves to.
fn canned_reply(ask: &Ask<'_>, name: &str, extra: &Option<String>, replies: &Replies) -> Outcome {
    let sit = ask.sit;
    let Some(canned) = replies.get(name) else {
        return Outcome::refused(
            "command_invalid",
            Reply::UnknownReply {
                name: name.to_owned(),
                names: replies.names().into_iter().map(str::to_owned).collect(),
            },
        );
    };
    let reply = Reply::Canned {
        name: name.to_ascii_lowercase(),
        extra: extra.clone(),
    };
    let (to, issue) = match canned.state {
        None => (None, None),
        Some(State::Denied) if sit.state.is_closed() => return ask.not_in_state("/reply"),
        Some(State::Denied) => (
            Some((State::Denied, None)),
            Some(IssueChange::CloseNotPlanned),
        ),
        Some(_) if !ask.active => return ask.not_in_state("/reply"),
        Some(State::AwaitingUser) => (Some((State::AwaitingUser, Some(Awaiting::Info))), None),
        Some(other) => (Some((sit.settle(other), None)), None),
    };
    Outcome {
        to,
        issue,
        reply: Some(reply),
        ..Outcome::done("reply")
    }
}

/// Why a round (`/verify-email`, `/verify-repo`) cannot start, if it cannot.
fn round_refused(ask: &Ask<'_>, command: &'static str) -> Option<Outcome> {
    let sit = ask.sit;
    if !ask.active || sit.state == State::Incomplete || !sit.form_valid {
        return Some(ask.not_in_state(command));
    }
    if ask.own {
        return Some(ask.own_request(command));
    }
    if !sit.email_available {
        return Some(Outcome::refused("command_refused", Reply::EmailUnavailable));
    }
    match sit.account {
        AccountCheck::Found => None,
        AccountCheck::Missing => Some(Outcome::refused("command_refused", Reply::NoSuchAccount)),
        // A round's directory error fails the job, which is retried: an
        // unavailable directory is not seen here, and never taken as found.
        AccountCheck::NoAddress
        | AccountCheck::NotLookedUp
        | AccountCheck::Unavailable
        | AccountCheck::Frozen => Some(Outcome::refused("command_refused", Reply::NoAddress)),
    }
}

fn verify_email(ask: &Ask<'_>) -> Outcome {
    if let Some(refused) = round_refused(ask, "/verify-email") {
        return refused;
    }
    Outcome {
        to: Some((State::AwaitingUser, Some(Awaiting::Email))),
        check: Some((EMAIL_CHECK.to_owned(), CheckStatus::Sent, None)),
        send_email: true,
        reply: Some(Reply::EmailRequested),
        ..Outcome::done("verify_email")
    }
}

fn verify_repo(ask: &Ask<'_>) -> Outcome {
    if let Some(refused) = round_refused(ask, "/verify-repo") {
        return refused;
    }
    if ask.sit.account_repos == 0 {
        return Outcome::refused("command_refused", Reply::NoRepositories);
    }
    Outcome {
        to: Some((State::AwaitingUser, Some(Awaiting::Repo))),
        check: Some((OWNERSHIP_CHECK.to_owned(), CheckStatus::Sent, None)),
        send_repo_token: true,
        reply: Some(Reply::RepoRequested),
        ..Outcome::done("verify_repo")
    }
}

fn request_info(ask: &Ask<'_>, text: &str) -> Outcome {
    if !ask.active {
        return ask.not_in_state("/request-info");
    }
    Outcome {
        to: Some((State::AwaitingUser, Some(Awaiting::Info))),
        reply: Some(Reply::InfoRequested {
            text: text.to_owned(),
        }),
        ..Outcome::done("request_info")
    }
}

/// `/confirm <check> [note]`: a check passed out of band.
fn confirm(ask: &Ask<'_>, check: &str, note: &Option<String>) -> Outcome {
    let sit = ask.sit;
    if !ask.active {
        return ask.not_in_state("/confirm");
    }
    if ask.own {
        return ask.own_request("/confirm");
    }
    if sit.note_required(check) && note.is_none() {
        return Outcome::refused(
            "command_refused",
            Reply::NoteRequired {
                check: check.to_owned(),
            },
        );
    }
    let mut after = sit.clone();
    after.checks.retain(|(n, _)| n != check);
    after.checks.push((check.to_owned(), CheckStatus::Passed));
    let verified = after.missing_checks().is_empty()
        && matches!(sit.state, State::Pending | State::AwaitingUser)
        && sit.settle(State::Verified) == State::Verified;
    Outcome {
        to: verified.then_some((State::Verified, None)),
        check: Some((check.to_owned(), CheckStatus::Passed, note.clone())),
        reply: Some(Reply::CheckConfirmed {
            check: check.to_owned(),
            verified,
        }),
        ..Outcome::done("confirm")
    }
}

/// Why `/approve` cannot be used now, if it cannot (every refusal is
/// `command_refused`); else whether the waiting period is still running
/// (and so `--now` overrides it).
fn approve_refused(ask: &Ask<'_>, now: bool) -> Result<bool, Reply> {
    let sit = ask.sit;
    if !ask.active || sit.state == State::Incomplete {
        return Err(Reply::NotInState {
            command: "/approve",
            state: sit.state,
            open: sit.issue_open,
        });
    }
    if ask.own {
        return Err(Reply::OwnRequest {
            command: "/approve",
        });
    }
    if !sit.form_valid {
        return Err(Reply::FormInvalid);
    }
    let missing = sit.missing_checks();
    if !missing.is_empty() {
        return Err(Reply::MissingChecks { missing });
    }
    // The directory was asked again for this command (when there is one):
    // a reset goes only to an account it still lists, not frozen, with a
    // primary address; an answer it could not give refuses (fail closed).
    if let AccountCheck::Missing
    | AccountCheck::NoAddress
    | AccountCheck::Frozen
    | AccountCheck::Unavailable = sit.account
    {
        return Err(Reply::ApproveAccount {
            account: sit.account,
        });
    }
    let waiting = sit.waiting_until.filter(|until| *until > sit.now);
    if let (Some(until), false) = (waiting, now) {
        return Err(Reply::WaitingPeriod { until });
    }
    Ok(waiting.is_some())
}

fn approve(ask: &Ask<'_>, note: &Option<String>, now: bool) -> Outcome {
    let waiting = match approve_refused(ask, now) {
        Ok(waiting) => waiting,
        Err(reply) => return Outcome::refused("command_refused", reply),
    };
    let index_recover = ask.sit.index_recover;
    // An override is audited with its reason.
    let action = match (now && waiting, index_recover) {
        (true, true) => "approve_requested_now",
        (false, true) => "approve_requested",
        (true, false) => "approve_now",
        (false, false) => "approve",
    };
    if index_recover {
        // The tracker says done only once the index is.
        return Outcome {
            recover: true,
            note: note.clone(),
            reply: Some(Reply::ApprovalStarted),
            ..Outcome::done(action)
        };
    }
    Outcome {
        to: Some((State::Approved, None)),
        issue: Some(IssueChange::CloseCompleted),
        note: note.clone(),
        reply: Some(Reply::Approved {
            note: note.clone(),
            by_index: false,
        }),
        ..Outcome::done(action)
    }
}

fn deny(ask: &Ask<'_>, reason: &str) -> Outcome {
    if ask.sit.state.is_closed() {
        return ask.not_in_state("/deny");
    }
    Outcome {
        to: Some((State::Denied, None)),
        issue: Some(IssueChange::CloseNotPlanned),
        reply: Some(Reply::Denied {
            reason: reason.to_owned(),
        }),
        ..Outcome::done("deny")
    }
}

fn reopen(ask: &Ask<'_>) -> Outcome {
    let sit = ask.sit;
    if ask.active {
        return ask.not_in_state("/reopen");
    }
    let state = sit.reopened_state();
    let awaiting = sit.awaiting.filter(|_| state == State::AwaitingUser);
    Outcome {
        to: Some((state, awaiting)),
        issue: (!sit.issue_open).then_some(IssueChange::Reopen),
        reply: Some(Reply::Reopened { state }),
        ..Outcome::done("reopen")
    }
}

/// A check passed without a command (the emailed link, the ownership
/// evidence): record it, and move on when it completes the required checks.
pub fn check_passed(sit: &Situation, check: &str, note: &str, action: &'static str) -> Outcome {
    let mut after = sit.clone();
    after.checks.retain(|(n, _)| n != check);
    after.checks.push((check.to_owned(), CheckStatus::Passed));
    let open = sit.issue_open && matches!(sit.state, State::Pending | State::AwaitingUser);
    let verified =
        open && after.missing_checks().is_empty() && sit.settle(State::Verified) == State::Verified;
    // The proof the request waited for came: it waits for an admin again.
    let proves = match sit.awaiting {
        Some(Awaiting::Email) => Some(EMAIL_CHECK),
        Some(Awaiting::Repo) => Some(OWNERSHIP_CHECK),
        _ => None,
    };
    let to = if verified {
        Some((State::Verified, None))
    } else if open && sit.state == State::AwaitingUser && proves == Some(check) {
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

/// The index confirmed the reset that an admin's `/approve` asked for:
/// approve and close, if the request may still be approved. `approve`
/// is the admin's command as it was given.
pub fn recovered(sit: &Situation, admin: &Actor, approve: &Command) -> Outcome {
    let decided = command(
        &Situation {
            index_recover: false,
            ..sit.clone()
        },
        admin,
        &Ok(approve.clone()),
        &Replies::default(),
    );
    match decided.reply {
        Some(Reply::Approved { note, .. }) => Outcome {
            reply: Some(Reply::Approved {
                note,
                by_index: true,
            }),
            action: "approved_by_index",
            ..decided
        },
        _ => Outcome {
            action: "recover_no_longer_approvable",
            ..decided
        },
    }
}

/// A reminder went unanswered for `close_after`: close as not planned,
/// remembering the state to come back to.
pub fn no_response(sit: &Situation) -> Outcome {
    Outcome {
        to: Some((State::NoResponse, sit.awaiting)),
        issue: Some(IssueChange::CloseNotPlanned),
        reply: Some(Reply::ClosedNoResponse),
        ..Outcome::done("closed_no_response")
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
    // Back after being closed for no response: the comment reopens it, as
    // an answer when it was waiting for one.
    if sit.state == State::NoResponse && commenter_id == sit.author_id {
        let state = match sit.state_before {
            Some(State::AwaitingUser) => sit.settle(State::Pending),
            _ => sit.reopened_state(),
        };
        let awaiting = sit.awaiting.filter(|_| state == State::AwaitingUser);
        return Some(Outcome {
            to: Some((state, awaiting)),
            issue: (!sit.issue_open).then_some(IssueChange::Reopen),
            reply: Some(Reply::Returned { state }),
            ..Outcome::done("requester_returned")
        });
    }
    let answers = sit.issue_open
        && sit.state == State::AwaitingUser
        && sit.awaiting == Some(Awaiting::Info)
        && commenter_id == sit.author_id;
    answers.then(|| Outcome {
        to: Some((sit.settle(State::Pending), None)),
        ..Outcome::done("requester_replied")
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    const AUTHOR: u64 = 1;

    fn sit(state: State, open: bool, checks: &[&str]) -> Situation {
        Situation {
            state,
            issue_open: open,
            author_id: AUTHOR,
            awaiting: (state == State::AwaitingUser).then_some(Awaiting::Info),
            checks: checks
                .iter()
                .map(|c| (c.to_string(), CheckStatus::Passed))
                .collect(),
            required: vec!["email".into()],
            email_available: true,
            account: AccountCheck::Found,
            form_valid: state != State::Incomplete,
            state_before: None,
            now: Utc::now(),
            waiting_until: None,
            account_repos: 1,
            index_recover: false,
            checks_reset: false,
        }
    }

    fn admin() -> Actor {
        Actor {
            id: 2,
            login: "admin".into(),
            is_admin: true,
        }
    }

    fn run(s: &Situation, actor: &Actor, cmd: Command) -> Outcome {
        command(s, actor, &Ok(cmd), &Replies::default())
    }

    fn approve() -> Command {
        Command::Approve {
            note: None,
            now: false,
        }
    }

    fn confirm(check: &str) -> Command {
        Command::Confirm {
            check: check.into(),
            note: Some("seen on a call".into()),
        }
    }

    #[test]
    fn non_admins_change_nothing_whatever_the_state() {
        let stranger = Actor {
            id: 3,
            login: "x".into(),
            is_admin: false,
        };
        let requester = Actor {
            id: AUTHOR,
            login: "r".into(),
            is_admin: false,
        };
        for state in State::ALL {
            for (actor, refusal) in [
                (&stranger, Reply::NotAdmin),
                (&requester, Reply::OnlyAdminsDecide),
            ] {
                for cmd in [
                    approve(),
                    confirm("email"),
                    Command::VerifyEmail,
                    Command::Reopen,
                    Command::Deny { reason: "r".into() },
                    Command::RequestInfo { text: "t".into() },
                    Command::Reply {
                        name: "duplicate".into(),
                        extra: None,
                    },
                ] {
                    let o = run(&sit(state, true, &[]), actor, cmd);
                    assert!(
                        !o.ok
                            && o.to.is_none()
                            && o.check.is_none()
                            && o.issue.is_none()
                            && !o.send_email
                    );
                    assert_eq!(o.reply, Some(refusal.clone()));
                }
                assert!(
                    run(&sit(state, true, &[]), actor, Command::Help).ok,
                    "anyone may ask for help"
                );
            }
            let o = run(&sit(state, true, &[]), &stranger, Command::Status);
            assert_eq!(o.reply, Some(Reply::NotAdmin));
            let o = run(&sit(state, true, &[]), &stranger, Command::Withdraw);
            assert!(!o.ok && o.to.is_none() && o.issue.is_none());
            let o = run(&sit(state, true, &[]), &requester, Command::Status);
            assert_eq!(o.reply, Some(Reply::RequesterStatus));
        }
    }

    #[test]
    fn help_lists_what_the_asker_may_run() {
        let requester = Actor {
            id: AUTHOR,
            login: "r".into(),
            is_admin: false,
        };
        let replies = Replies::new(&Default::default()).unwrap();
        let help = |actor: &Actor| match command(
            &sit(State::Pending, true, &[]),
            actor,
            &Ok(Command::Help),
            &replies,
        )
        .reply
        {
            Some(Reply::Help { kinds, replies }) => (kinds, replies),
            other => panic!("{other:?}"),
        };
        let (kinds, names) = help(&requester);
        assert_eq!(
            kinds,
            [
                CommandKind::Status,
                CommandKind::Withdraw,
                CommandKind::Help
            ]
        );
        assert!(names.is_empty());
        let (kinds, names) = help(&admin());
        assert!(kinds.contains(&CommandKind::Approve) && !kinds.contains(&CommandKind::Withdraw));
        assert!(names.contains(&"duplicate".to_owned()));
    }

    #[test]
    fn the_requester_withdraws_and_a_reopen_returns_to_the_state_before() {
        let requester = Actor {
            id: AUTHOR,
            login: "r".into(),
            is_admin: false,
        };
        let o = run(
            &sit(State::AwaitingUser, true, &[]),
            &requester,
            Command::Withdraw,
        );
        assert_eq!(o.to, Some((State::Withdrawn, Some(Awaiting::Info))));
        assert_eq!(o.issue, Some(IssueChange::CloseNotPlanned));
        // Only the requester: an admin is pointed to /deny.
        let o = run(&sit(State::Pending, true, &[]), &admin(), Command::Withdraw);
        assert_eq!(o.reply, Some(Reply::OnlyRequester));
        // Not twice, and not once decided.
        for state in [State::Withdrawn, State::Approved, State::Denied] {
            assert!(!run(&sit(state, false, &[]), &requester, Command::Withdraw).ok);
        }
        let withdrawn = Situation {
            state_before: Some(State::Verified),
            ..sit(State::Withdrawn, false, &["email"])
        };
        assert_eq!(withdrawn.reopened_state(), State::Verified);
        let o = run(&withdrawn, &admin(), Command::Reopen);
        assert_eq!(
            (o.to, o.issue),
            (Some((State::Verified, None)), Some(IssueChange::Reopen))
        );
        // An emailed link died with the close: back to pending, not waiting for it.
        let mut email = Situation {
            state_before: Some(State::AwaitingUser),
            ..sit(State::Withdrawn, false, &[])
        };
        email.awaiting = Some(Awaiting::Email);
        assert_eq!(email.reopened_state(), State::Pending);
        // A withdrawn request is not denied on top.
        assert!(!run(&withdrawn, &admin(), Command::Deny { reason: "x".into() }).ok);
    }

    #[test]
    fn canned_replies_do_what_their_state_does() {
        let replies = Replies::new(&Default::default()).unwrap();
        let reply = |s: &Situation, name: &str| {
            command(
                s,
                &admin(),
                &Ok(Command::Reply {
                    name: name.into(),
                    extra: None,
                }),
                &replies,
            )
        };
        let o = reply(&sit(State::Pending, true, &[]), "duplicate");
        assert_eq!(
            (o.to, o.issue),
            (
                Some((State::Denied, None)),
                Some(IssueChange::CloseNotPlanned)
            )
        );
        let o = reply(&sit(State::Pending, true, &[]), "unused-recovery-codes");
        assert_eq!(o.to, Some((State::AwaitingUser, Some(Awaiting::Info))));
        // A reply without a state only posts its text, even on a closed request.
        let o = reply(&sit(State::Denied, false, &[]), "username-lookup");
        assert!(o.ok && o.to.is_none() && o.issue.is_none());
        // A reply that would move a closed request is refused.
        assert!(!reply(&sit(State::Denied, false, &[]), "duplicate").ok);
        let o = reply(&sit(State::Pending, true, &[]), "no-such-reply");
        assert!(matches!(o.reply, Some(Reply::UnknownReply { .. })) && !o.ok);
    }

    #[test]
    fn approve_needs_the_required_checks_an_open_valid_request_and_another_admin() {
        let ok = run(&sit(State::Verified, true, &["email"]), &admin(), approve());
        assert_eq!(ok.to, Some((State::Approved, None)));
        assert_eq!(ok.issue, Some(IssueChange::CloseCompleted));
        let missing = run(&sit(State::Pending, true, &[]), &admin(), approve());
        assert_eq!(
            missing.reply,
            Some(Reply::MissingChecks {
                missing: vec!["email".into()]
            })
        );
        for state in [State::Incomplete, State::Approved, State::Denied] {
            let o = run(&sit(state, true, &["email"]), &admin(), approve());
            assert!(!o.ok && o.to.is_none(), "{state}");
        }
        let closed = run(
            &sit(State::Verified, false, &["email"]),
            &admin(),
            approve(),
        );
        assert!(!closed.ok);
        let own = Actor {
            id: AUTHOR,
            ..admin()
        };
        let o = run(&sit(State::Verified, true, &["email"]), &own, approve());
        assert_eq!(
            o.reply,
            Some(Reply::OwnRequest {
                command: "/approve"
            })
        );
        // The directory, asked again, must still list the account with a
        // primary address; an answer it could not give refuses.
        for account in [
            AccountCheck::Unavailable,
            AccountCheck::Missing,
            AccountCheck::NoAddress,
            AccountCheck::Frozen,
        ] {
            let mut s = sit(State::Verified, true, &["email"]);
            s.account = account;
            let o = run(&s, &admin(), approve());
            assert!(!o.ok && o.to.is_none() && o.issue.is_none() && !o.recover);
            assert_eq!(o.reply, Some(Reply::ApproveAccount { account }));
        }
    }

    #[test]
    fn a_reopen_after_a_reset_of_the_checks_is_pending_and_reads_the_form_now() {
        // Verified before the close, the checks reset while closed.
        let reset = Situation {
            state_before: Some(State::Verified),
            checks_reset: true,
            ..sit(State::Withdrawn, false, &[])
        };
        assert_eq!(reset.reopened_state(), State::Pending);
        let o = run(&reset, &admin(), Command::Reopen);
        assert_eq!(o.to, Some((State::Pending, None)));
        // A required check no longer passes: not verified either.
        let unchecked = Situation {
            state_before: Some(State::Verified),
            ..sit(State::Withdrawn, false, &[])
        };
        assert_eq!(unchecked.reopened_state(), State::Pending);
        // Waiting for the requester's answer, but the account changed.
        let asked = Situation {
            state_before: Some(State::AwaitingUser),
            checks_reset: true,
            ..sit(State::Withdrawn, false, &[])
        };
        assert_eq!(asked.reopened_state(), State::Pending);
        // Withdrawn while invalid, fixed while closed: pending.
        let fixed = Situation {
            state_before: Some(State::Incomplete),
            form_valid: true,
            ..sit(State::Withdrawn, false, &[])
        };
        assert_eq!(fixed.reopened_state(), State::Pending);
        let broken = Situation {
            form_valid: false,
            ..fixed.clone()
        };
        assert_eq!(broken.reopened_state(), State::Incomplete);
    }

    #[test]
    fn confirm_moves_to_verified_only_when_the_last_required_check_passes() {
        let o = run(&sit(State::Pending, true, &[]), &admin(), confirm("email"));
        assert_eq!(o.to, Some((State::Verified, None)));
        let o = run(
            &sit(State::Pending, true, &[]),
            &admin(),
            confirm("project-ownership"),
        );
        assert_eq!(o.to, None);
        assert_eq!(
            o.check,
            Some((
                "project-ownership".into(),
                CheckStatus::Passed,
                Some("seen on a call".into())
            ))
        );
        let o = run(
            &sit(State::Incomplete, true, &[]),
            &admin(),
            confirm("email"),
        );
        assert_eq!(o.to, None, "an incomplete form is not verified");
    }

    #[test]
    fn verify_email_needs_an_account_with_an_address() {
        let o = run(
            &sit(State::Pending, true, &[]),
            &admin(),
            Command::VerifyEmail,
        );
        assert!(o.send_email);
        assert_eq!(o.to, Some((State::AwaitingUser, Some(Awaiting::Email))));
        assert_eq!(o.check, Some(("email".into(), CheckStatus::Sent, None)));
        let mut s = sit(State::Pending, true, &[]);
        s.account = AccountCheck::Missing;
        assert_eq!(
            run(&s, &admin(), Command::VerifyEmail).reply,
            Some(Reply::NoSuchAccount)
        );
        s.account = AccountCheck::NoAddress;
        assert_eq!(
            run(&s, &admin(), Command::VerifyEmail).reply,
            Some(Reply::NoAddress)
        );
        s.email_available = false;
        assert_eq!(
            run(&s, &admin(), Command::VerifyEmail).reply,
            Some(Reply::EmailUnavailable)
        );
    }

    #[test]
    fn deny_reopen_and_the_requesters_reply() {
        let o = run(
            &sit(State::Pending, true, &[]),
            &admin(),
            Command::Deny {
                reason: "no".into(),
            },
        );
        assert_eq!(
            (o.to, o.issue),
            (
                Some((State::Denied, None)),
                Some(IssueChange::CloseNotPlanned)
            )
        );
        assert!(
            !run(
                &sit(State::Denied, false, &[]),
                &admin(),
                Command::Deny {
                    reason: "no".into()
                }
            )
            .ok
        );
        let o = run(&sit(State::Denied, false, &[]), &admin(), Command::Reopen);
        assert_eq!(
            (o.to, o.issue),
            (Some((State::Pending, None)), Some(IssueChange::Reopen))
        );
        // Closed by hand while pending: reopened as it was.
        let o = run(
            &sit(State::AwaitingUser, false, &[]),
            &admin(),
            Command::Reopen,
        );
        assert_eq!(o.to, Some((State::AwaitingUser, Some(Awaiting::Info))));
        assert!(!run(&sit(State::Pending, true, &[]), &admin(), Command::Reopen).ok);

        let waiting = sit(State::AwaitingUser, true, &[]);
        assert_eq!(
            reply_from(&waiting, AUTHOR).and_then(|o| o.to),
            Some((State::Pending, None))
        );
        assert!(reply_from(&waiting, 99).is_none());
        let mut email = waiting.clone();
        email.awaiting = Some(Awaiting::Email);
        assert!(
            reply_from(&email, AUTHOR).is_none(),
            "the emailed link, not a comment, answers /verify-email"
        );
    }

    #[test]
    fn the_emailed_link() {
        let mut s = sit(State::AwaitingUser, true, &[]);
        s.awaiting = Some(Awaiting::Email);
        assert_eq!(email_confirmed(&s).to, Some((State::Verified, None)));
        s.required = vec!["email".into(), "project-ownership".into()];
        assert_eq!(email_confirmed(&s).to, Some((State::Pending, None)));
        let closed = sit(State::Denied, false, &[]);
        assert_eq!(email_confirmed(&closed).to, None);
    }

    #[test]
    fn no_transition_moves_an_invalid_form_out_of_incomplete() {
        let invalid = |state: State| Situation {
            form_valid: false,
            ..sit(state, true, &["email"])
        };
        // /reopen and a reopen by hand of a decided request.
        let closed = Situation {
            issue_open: false,
            ..invalid(State::Denied)
        };
        assert_eq!(closed.reopened_state(), State::Incomplete);
        let o = run(&closed, &admin(), Command::Reopen);
        assert_eq!(o.to, Some((State::Incomplete, None)));
        let valid_closed = sit(State::Approved, false, &["email"]);
        assert_eq!(valid_closed.reopened_state(), State::Pending);
        // The requester's reply.
        let waiting = invalid(State::AwaitingUser);
        assert_eq!(
            reply_from(&waiting, AUTHOR).and_then(|o| o.to),
            Some((State::Incomplete, None))
        );
        // /confirm records the check, but the request is not verified.
        let o = run(&invalid(State::AwaitingUser), &admin(), confirm("email"));
        assert!(o.ok && o.to.is_none(), "{o:?}");
        // /approve is refused.
        let o = run(&invalid(State::Verified), &admin(), approve());
        assert_eq!(o.reply, Some(Reply::FormInvalid));
        assert!(!o.ok && o.to.is_none() && o.issue.is_none());
        // A check passed by the link or the evidence does not verify it either.
        let mut s = invalid(State::AwaitingUser);
        s.checks.clear();
        s.awaiting = Some(Awaiting::Email);
        assert_ne!(email_confirmed(&s).to, Some((State::Verified, None)));
    }

    #[test]
    fn confirming_a_check_that_proves_ownership_needs_a_note() {
        let bare = |check: &str| Command::Confirm {
            check: check.into(),
            note: None,
        };
        let s = sit(State::Pending, true, &[]);
        let o = run(&s, &admin(), bare("email"));
        assert_eq!(
            o.reply,
            Some(Reply::NoteRequired {
                check: "email".into()
            })
        );
        assert!(!o.ok && o.check.is_none());
        // project-ownership needs one whether or not it is required.
        assert_eq!(s.required, ["email"]);
        let o = run(&s, &admin(), bare("project-ownership"));
        assert_eq!(
            o.reply,
            Some(Reply::NoteRequired {
                check: "project-ownership".into()
            })
        );
        assert!(!o.ok && o.check.is_none());
        let mut s2 = s.clone();
        s2.required = vec!["email".into(), "second-look".into()];
        assert!(!run(&s2, &admin(), bare("second-look")).ok);
        // A check no rule needs may be recorded without one.
        assert!(run(&s, &admin(), bare("extra-review")).ok);
    }

    #[test]
    fn the_waiting_period_holds_approve_back_unless_overridden() {
        let mut s = sit(State::Verified, true, &["email"]);
        let until = s.now + chrono::Duration::days(3);
        s.waiting_until = Some(until);
        let o = run(&s, &admin(), approve());
        assert_eq!(o.reply, Some(Reply::WaitingPeriod { until }));
        assert!(!o.ok && o.to.is_none() && o.issue.is_none());
        let now = Command::Approve {
            note: Some("the owner called from the number on file".into()),
            now: true,
        };
        let o = run(&s, &admin(), now.clone());
        assert_eq!(o.to, Some((State::Approved, None)));
        assert_eq!(o.action, "approve_now");
        assert_eq!(
            o.note.as_deref(),
            Some("the owner called from the number on file")
        );
        // Once it ended, a plain /approve goes through.
        s.waiting_until = Some(s.now - chrono::Duration::seconds(1));
        assert_eq!(run(&s, &admin(), approve()).action, "approve");
    }

    #[test]
    fn with_index_recover_approve_asks_the_index_first() {
        let mut s = sit(State::Verified, true, &["email"]);
        s.index_recover = true;
        let o = run(&s, &admin(), approve());
        assert!(o.ok && o.recover && o.to.is_none() && o.issue.is_none());
        assert_eq!(o.reply, Some(Reply::ApprovalStarted));
        // The index's answer approves and closes, if it still may.
        let o = recovered(&s, &admin(), &approve());
        assert_eq!(o.to, Some((State::Approved, None)));
        assert_eq!(o.issue, Some(IssueChange::CloseCompleted));
        assert_eq!(
            o.reply,
            Some(Reply::Approved {
                note: None,
                by_index: true
            })
        );
        let denied = sit(State::Denied, false, &["email"]);
        let o = recovered(&denied, &admin(), &approve());
        assert!(!o.ok && o.to.is_none());
    }

    #[test]
    fn verify_repo_needs_a_project_on_github_and_waits_for_the_branch() {
        let o = run(
            &sit(State::Pending, true, &[]),
            &admin(),
            Command::VerifyRepo,
        );
        assert!(o.send_repo_token && !o.send_email);
        assert_eq!(o.to, Some((State::AwaitingUser, Some(Awaiting::Repo))));
        assert_eq!(
            o.check,
            Some((OWNERSHIP_CHECK.into(), CheckStatus::Sent, None))
        );
        let mut none = sit(State::Pending, true, &[]);
        none.account_repos = 0;
        assert_eq!(
            run(&none, &admin(), Command::VerifyRepo).reply,
            Some(Reply::NoRepositories)
        );
        // The branch found: back to pending, or verified when it was the last.
        let mut waiting = sit(State::AwaitingUser, true, &["email"]);
        waiting.awaiting = Some(Awaiting::Repo);
        waiting.required = vec!["email".into(), OWNERSHIP_CHECK.into()];
        let o = check_passed(&waiting, OWNERSHIP_CHECK, "branch", "repo_branch_found");
        assert_eq!(o.to, Some((State::Verified, None)));
        waiting.checks.clear();
        let o = check_passed(&waiting, OWNERSHIP_CHECK, "branch", "repo_branch_found");
        assert_eq!(o.to, Some((State::Pending, None)));
    }

    #[test]
    fn no_response_closes_and_the_requesters_comment_reopens() {
        let waiting = sit(State::AwaitingUser, true, &[]);
        let o = no_response(&waiting);
        assert_eq!(o.to, Some((State::NoResponse, Some(Awaiting::Info))));
        assert_eq!(o.issue, Some(IssueChange::CloseNotPlanned));
        let closed = Situation {
            state_before: Some(State::AwaitingUser),
            ..sit(State::NoResponse, false, &[])
        };
        // Their comment is the answer: pending.
        let o = reply_from(&closed, AUTHOR).unwrap();
        assert_eq!(
            (o.to, o.issue),
            (Some((State::Pending, None)), Some(IssueChange::Reopen))
        );
        assert!(reply_from(&closed, 99).is_none(), "only the requester");
        let incomplete = Situation {
            state_before: Some(State::Incomplete),
            form_valid: false,
            ..sit(State::NoResponse, false, &[])
        };
        assert_eq!(
            reply_from(&incomplete, AUTHOR).unwrap().to,
            Some((State::Incomplete, None))
        );
        // Reopened by hand: the state before.
        assert_eq!(closed.reopened_state(), State::AwaitingUser);
    }
    #[test]
    fn who_runs_which_commands_is_decided_in_one_place() {
        let commands =
            crate::commands::parse_commands("/help\n/status\n/approve\n/withdraw\n/nope");
        let someone = |is_admin| Actor {
            id: 7,
            login: "x".into(),
            is_admin,
        };
        let kinds = |v: &Commands<'_>| -> Vec<Option<CommandKind>> {
            v.iter()
                .map(|c| c.as_ref().ok().map(|c| c.kind()))
                .collect()
        };
        use CommandKind::{Approve, Help, Status, Withdraw};
        let (run, refused) = by_permission(&commands, &someone(true), false);
        assert_eq!(
            kinds(&run),
            [
                Some(Help),
                Some(Status),
                Some(Approve),
                Some(Withdraw),
                None
            ]
        );
        assert!(refused.is_empty());
        let (run, refused) = by_permission(&commands, &someone(false), true);
        assert_eq!(kinds(&run), [Some(Help), Some(Status), Some(Withdraw)]);
        assert_eq!(kinds(&refused), [Some(Approve), None]);
        let (run, refused) = by_permission(&commands, &someone(false), false);
        assert_eq!(kinds(&run), [Some(Help)]);
        assert_eq!(kinds(&refused).len(), 4);
    }
}
