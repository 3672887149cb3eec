//! The bot's replies to commands, and the canned replies it ships.

use std::fmt::Write as _;

use crate::commands::{self, CommandKind, ParseError};
use crate::recovery::echo::{self, code, plain};
use crate::recovery::state::State;
use crate::recovery::transitions::{AccountCheck, Reply};

use super::words::{quote, utc};

/// The commands the asker may run, and the canned replies' names.
pub fn help(kinds: &[CommandKind], replies: &[String]) -> String {
    let mut s = format!(
        "The commands you may run here (each at the start of a line; several per comment run in order; \
         an argument may go on over the following lines, up to the next command):\n\n{}",
        commands::help_table_of(kinds)
    );
    if !replies.is_empty() {
        let _ = write!(
            s,
            "\nCanned replies for `/reply <name>`: {}.",
            replies
                .iter()
                .map(|n| code(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

fn parse_error(e: &ParseError) -> String {
    match e {
        ParseError::Unknown { name } => format!(
            "I don't know the command {}. Comment `/help` for the list.",
            code(&format!("/{name}"))
        ),
        ParseError::MissingArgument { command, argument } => {
            format!("`{command}` needs {argument}. Comment `/help` for the syntax.")
        }
        ParseError::UnexpectedArgument { command } => {
            format!("`{command}` takes no argument. Comment `/help` for the syntax.")
        }
        ParseError::InvalidCheckName { name } => format!(
            "{} is not a check name: use lowercase letters, digits, `-` and `_`, such as `project-ownership`.",
            code(name)
        ),
    }
}

/// The words of a reply. `computed` is the text the job made for it: the
/// `/status` answers and a canned reply's filled-in text.
pub fn reply(r: &Reply, requester: &str, actor: &str, computed: Option<&str>) -> String {
    let computed = computed.unwrap_or_default();
    let text = match r {
        Reply::Help { kinds, replies } => help(kinds, replies),
        Reply::Status | Reply::RequesterStatus => computed.to_owned(),
        Reply::NotAdmin => format!(
            "@{actor}, only the tracker's admins can run commands here; nothing was changed."
        ),
        Reply::PermissionUnchecked => permission_unchecked(actor),
        Reply::OnlyAdminsDecide => only_admins_decide(actor),
        Reply::OnlyRequester => ONLY_REQUESTER.to_owned(),
        Reply::Withdrawn => withdrawn(requester),
        Reply::Canned { extra, .. } => canned(computed, extra.as_deref()),
        Reply::UnknownReply { name, names } => unknown_reply(name, names),
        Reply::OwnRequest { command } => own_request(actor, command),
        Reply::Invalid(e) => parse_error(e),
        Reply::NotInState {
            command,
            state,
            open,
        } => not_in_state(command, *state, *open),
        Reply::MissingChecks { missing } => missing_checks(missing),
        Reply::FormInvalid => FORM_INVALID.to_owned(),
        Reply::NoteRequired { check } => note_required(check),
        Reply::EmailUnavailable => EMAIL_UNAVAILABLE.to_owned(),
        Reply::NoSuchAccount => NO_SUCH_ACCOUNT.to_owned(),
        Reply::NoAddress => NO_ADDRESS.to_owned(),
        Reply::EmailConfirmed { verified } => email_confirmed(*verified),
        Reply::InfoRequested { text } => info_requested(requester, text),
        Reply::EmailRequested => email_requested(requester),
        Reply::RepoRequested => repo_requested(requester),
        Reply::NoRepositories => NO_REPOSITORIES.to_owned(),
        Reply::WaitingPeriod { until } => waiting_period(until),
        Reply::ApproveAccount { account } => approve_account(*account).to_owned(),
        Reply::ApprovalStarted => APPROVAL_STARTED.to_owned(),
        Reply::CheckConfirmed { check, verified } => check_confirmed(check, *verified),
        Reply::Approved { note, by_index } => approved(computed, note.as_deref(), *by_index),
        Reply::Denied { reason } => denied(requester, reason),
        Reply::Reopened { state } => format!("Reopened; the request is `{state}` again."),
        Reply::Returned { state } => {
            format!("Welcome back, @{requester}: the request is reopened and `{state}` again.")
        }
        Reply::ClosedNoResponse => closed_no_response(requester),
        Reply::RequestChanged { commands } => request_changed(actor, commands),
    };
    echo::fit(text)
}

/// Said when every required check has passed with this step.
const NOW_VERIFIED: &str = " Every required check has passed: the request is now `verified`.";

const ONLY_REQUESTER: &str = "`/withdraw` is for the requester; to close someone's request, use \
     `/deny <reason>`. Nothing was changed.";

const FORM_INVALID: &str = "`/approve` cannot be used while the form has problems: the requester has to fix \
     the issue first. Nothing was changed.";

const EMAIL_UNAVAILABLE: &str = "`/verify-email` is not available: this bot has no mail server or account \
     directory configured (`SMTP_URL`, `MAIL_FROM`, `ACCOUNT_DIRECTORY_URL`). Nothing was changed.";

const NO_SUCH_ACCOUNT: &str = "`/verify-email`: the account directory has no account with the username in this \
     request. Nothing was changed; the requester may need to correct the username.";

// Neutral words: whether the account's addresses are verified is not published.
const NO_ADDRESS: &str = "`/verify-email`: no mail was sent: an admin must look at this account before any \
     proof is sent (`recovery-bot requests show` gives the reason). Nothing was changed; verify ownership \
     another way and record it with `/confirm email <note>`.";

const NO_REPOSITORIES: &str = "`/verify-repo`: none of the account's projects names a source repository on \
     GitHub, so there is nowhere to push the branch. Nothing was changed; use `/verify-email` and the \
     waiting period instead.";

const APPROVAL_STARTED: &str = "Approved: asking the index to reset the account's two-factor authentication and issue a \
             password reset. The issue closes as soon as the index confirms.";

fn permission_unchecked(actor: &str) -> String {
    format!(
        "@{actor}, I could not check permission: GitHub did not tell me whether you are one of this \
         tracker's admins, so your commands were not run and nothing was changed. Please try again in a \
         few minutes."
    )
}

fn only_admins_decide(actor: &str) -> String {
    format!(
        "@{actor}, thank you; only the tracker's admins can move a request forward or decide it, so \
         nothing was changed. You may run `/status` (where your request stands), `/withdraw` (withdraw it) \
         and `/help`. I say this once; later admin commands from you get no answer."
    )
}

fn own_request(actor: &str, command: &str) -> String {
    format!(
        "@{actor}, `{command}` cannot be used on your own request; another admin has to do it. Nothing was changed."
    )
}

fn not_in_state(command: &str, state: State, open: bool) -> String {
    let why = match (state, open) {
        (_, false)
        | (State::Approved | State::Denied | State::Withdrawn | State::NoResponse, _) => {
            "the request is closed (use `/reopen` first)".to_owned()
        }
        (State::Incomplete, _) => "the form is not complete yet".to_owned(),
        _ => format!("the request is open and `{state}`"),
    };
    format!("`{command}` cannot be used now: {why}. Nothing was changed.")
}

fn unknown_reply(name: &str, names: &[String]) -> String {
    format!(
        "There is no canned reply named {}. The replies are: {}. Nothing was changed.",
        code(name),
        names.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ")
    )
}

fn missing_checks(missing: &[String]) -> String {
    format!(
        "`/approve` needs every required check to pass first. Missing: {}. Nothing was changed.",
        missing
            .iter()
            .map(|m| code(m))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn note_required(check: &str) -> String {
    format!(
        "`/confirm {check}` records by hand a check that proves ownership, so it needs a note saying how it \
         was checked: `/confirm {check} <note>`. Nothing was changed.",
        check = plain(check)
    )
}

/// `/approve` refused by what the account directory said when asked again.
fn approve_account(account: AccountCheck) -> &'static str {
    match account {
        AccountCheck::Missing => {
            "`/approve` cannot be used: the account directory no longer has an account with the \
             username in this request. Nothing was changed."
        }
        AccountCheck::NoAddress => {
            "`/approve` cannot be used: the account directory lists no primary email address for this \
             account, so a password reset would reach nobody. Nothing was changed; an admin must look at \
             this account first."
        }
        // Neutral words: that an account is frozen is not published.
        AccountCheck::Frozen => {
            "`/approve` cannot be used: an admin must look at this account before it is recovered. \
             Nothing was changed."
        }
        AccountCheck::Unavailable | AccountCheck::NotLookedUp | AccountCheck::Found => {
            "`/approve` cannot be used right now: the account directory could not be asked whether the \
             account may still be recovered. Nothing was changed; try `/approve` again later."
        }
    }
}

fn request_changed(actor: &str, commands: &[CommandKind]) -> String {
    let mut names: Vec<String> = Vec::new();
    for kind in commands {
        let name = format!("`/{}`", kind.name());
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let names = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    };
    format!(
        "@{actor}, the request changed after this comment was written (its username, its index or whether \
         its form is valid), so {names} did not run. Nothing was changed. Please look at the request again \
         and repeat the command if it still applies."
    )
}

fn waiting_period(until: &chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "`/approve` cannot be used yet: without a proof of project ownership the waiting period runs until \
         **{}**. `/verify-repo` asks the owner for the proof; `/approve --now <reason>` overrides the wait \
         (the reason is kept in the audit log). Nothing was changed.",
        utc(until)
    )
}

fn withdrawn(requester: &str) -> String {
    format!(
        "@{requester}, your request is withdrawn and the issue is closed. If you change your mind, \
         reopen the issue and it continues where it was."
    )
}

/// A canned reply's filled-in text, with the admin's own words after it.
fn canned(computed: &str, extra: Option<&str>) -> String {
    let mut s = computed.to_owned();
    if let Some(extra) = extra {
        let _ = write!(s, "\n\n{}", echo::paragraph(extra, 4_000));
    }
    s
}

fn email_confirmed(verified: bool) -> String {
    let mut s = "The owner of the account confirmed this request from the link emailed to the \
         account's registered address."
        .to_owned();
    if verified {
        s.push_str(NOW_VERIFIED);
    }
    s
}

fn check_confirmed(check: &str, verified: bool) -> String {
    let mut s = format!("Check {} recorded as passed.", code(check));
    if verified {
        s.push_str(NOW_VERIFIED);
    }
    s
}

fn info_requested(requester: &str, text: &str) -> String {
    format!(
        "@{requester}, an admin needs more information:\n\n{}\n\nPlease answer in a comment on this issue.",
        quote(text)
    )
}

fn email_requested(requester: &str) -> String {
    format!(
        "@{requester}, I have emailed a confirmation link to the address registered on the account. \
         Open it and press **Confirm**. If nothing arrives within an hour, check your spam folder, then say so here."
    )
}

fn repo_requested(requester: &str) -> String {
    format!(
        "@{requester}, I have emailed instructions to the address registered on the account: push a \
         branch named after the token in that email to the source repository of one of the account's \
         projects. Do not post the token here. I look for the branch regularly (and on `/status`) and say \
         here when I find it."
    )
}

/// The approve message (filled in), the admin's note, and, when the index
/// did not do the reset, the reminder that admins must.
fn approved(computed: &str, note: Option<&str>, by_index: bool) -> String {
    let mut s = computed.to_owned();
    if let Some(note) = note {
        let _ = write!(s, "\n\n{}", quote(note));
    }
    if !by_index {
        let _ = write!(
            s,
            "\n\n<sub>Admins: this bot does not reset accounts itself; resetting two-factor \
             authentication and issuing the password reset in the index's admin tool is yours to do, \
             if it is not done yet.</sub>"
        );
    }
    s
}

fn denied(requester: &str, reason: &str) -> String {
    format!(
        "@{requester}, this request was denied and closed.\n\n{}\n\nIf you think this is a mistake, reply here.",
        quote(reason)
    )
}

fn closed_no_response(requester: &str) -> String {
    format!(
        "@{requester}, I am closing this request because there was no answer after the reminder. \
         Nothing is lost: to continue, comment on this issue and it reopens where it was."
    )
}

/// What `/approve` tells the requester by default, as PyPI's admins write
/// it (placeholders as in canned replies).
pub const DEFAULT_APPROVE_MESSAGE: &str = "{requester}, the verification was successful! Your two-factor \
authentication has been reset and a password reset has been issued for {username}.\n\n\
What to do next:\n\
1. Open the password reset email from {index} and set a new password.\n\
2. Log in and set up two-factor authentication again.\n\
3. Save the new recovery codes somewhere safe (not on this tracker): they let you back in if you lose \
your device again.";

/// The replies shipped with the bot: name, markdown text (placeholders as
/// in `replies::PLACEHOLDERS`) and the state to move to. The config's
/// `[replies.<name>]` add to them or replace one.
pub fn default_replies() -> [(&'static str, &'static str, Option<State>); 5] {
    [
        (
            "unused-recovery-codes",
            "{requester}, the account {username} still has unused recovery codes. A recovery code lets you \
             log in without your two-factor device, and is much faster than a recovery:\n\n\
             1. Look for the codes you saved when you set up two-factor authentication (often a downloaded \
             file, a password manager entry, or a printout).\n\
             2. Log in with your password and, when asked for a code, choose to use a recovery code.\n\
             3. Then set up two-factor authentication again and save the new recovery codes.\n\n\
             If you have truly lost every code, reply here and say so, and we will continue the recovery.",
            Some(State::AwaitingUser),
        ),
        (
            "lost-email",
            "{requester}, we can only confirm an account through the email address registered on it. If you no \
             longer have access to that address, we cannot verify you here. Please write to {contact} from the \
             email address you want on the account, name the account {username} and link this issue ({issue}); \
             the admins will tell you what proof they need. Do not post email addresses on this public issue.",
            Some(State::AwaitingUser),
        ),
        (
            "username-lookup",
            "{requester}, there is no {index} account named {username}. Usernames are not email addresses and \
             are not always the name you publish under: check the username shown on your profile page, or in \
             an email {index} sent you. Then edit the issue (the `···` menu → Edit) and correct the username; \
             I check the form again on every save.",
            None,
        ),
        (
            "duplicate",
            "{requester}, this is a duplicate of {duplicate_of}, an earlier request for the same account, so \
             I am closing this one. The recovery continues there; please follow up on that issue.",
            Some(State::Denied),
        ),
        (
            "not-account-recovery",
            "{requester}, thank you for writing. This form is only for recovering access to an {index} account \
             (a lost two-factor device, lost recovery codes). Your request is about something else, so I am \
             closing it here; please open an issue of the right kind on this tracker, or write to {contact}.",
            Some(State::Denied),
        ),
    ]
}

/// One comment's answer: the replies to each of its commands, in order.
pub fn combined(replies: &[String], skipped: usize) -> String {
    let mut s = replies.join("\n\n---\n\n");
    if skipped > 0 {
        let _ = write!(
            s,
            "\n\n---\n\nOnly the first {} commands of a comment are run; the {skipped} after them were ignored.",
            replies.len()
        );
    }
    echo::fit(s)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use insta::assert_snapshot;

    use super::*;
    use crate::recovery::replies::{Placeholders, render};

    const REQUESTER: &str = "octocat";
    const ADMIN: &str = "admin-ann";

    fn placeholders() -> Placeholders<'static> {
        Placeholders {
            requester: REQUESTER,
            admin: ADMIN,
            username: Some("alice"),
            issue: 42.into(),
            duplicate_of: Some(17),
            index: "PyPI",
            contact: "the index's support address",
        }
    }

    /// Every kind of reply to a command, one snapshot each; `computed`
    /// stands for the text the job makes (a `/status` answer, a canned
    /// reply or the approve message, filled in).
    #[test]
    fn every_reply_kind() {
        let until = chrono::Utc.with_ymd_and_hms(2026, 12, 8, 9, 30, 0).unwrap();
        let approve = render(DEFAULT_APPROVE_MESSAGE, &placeholders());
        let canned = render(default_replies()[0].1, &placeholders());
        let cases: Vec<(&str, Reply, Option<&str>)> = vec![
            (
                "help_admin",
                Reply::Help {
                    kinds: CommandKind::ALL.to_vec(),
                    replies: vec!["duplicate".to_owned(), "lost-email".to_owned()],
                },
                None,
            ),
            (
                "help_requester",
                Reply::Help {
                    kinds: vec![
                        CommandKind::Status,
                        CommandKind::Help,
                        CommandKind::Withdraw,
                    ],
                    replies: Vec::new(),
                },
                None,
            ),
            ("status", Reply::Status, Some("(the /status answer)")),
            (
                "requester_status",
                Reply::RequesterStatus,
                Some("(the requester's /status answer)"),
            ),
            ("not_admin", Reply::NotAdmin, None),
            ("permission_unchecked", Reply::PermissionUnchecked, None),
            ("only_admins_decide", Reply::OnlyAdminsDecide, None),
            ("only_requester", Reply::OnlyRequester, None),
            ("withdrawn", Reply::Withdrawn, None),
            (
                "canned",
                Reply::Canned {
                    name: "unused-recovery-codes".to_owned(),
                    extra: None,
                },
                Some(&canned),
            ),
            (
                "canned_with_extra",
                Reply::Canned {
                    name: "unused-recovery-codes".to_owned(),
                    // The admin's words: mentions defused, markup escaped.
                    extra: Some("Also, @someone: see #1 <script>x</script>".to_owned()),
                },
                Some(&canned),
            ),
            (
                "unknown_reply",
                Reply::UnknownReply {
                    name: "dupe`s".to_owned(),
                    names: vec!["duplicate".to_owned(), "lost-email".to_owned()],
                },
                None,
            ),
            (
                "own_request",
                Reply::OwnRequest {
                    command: "/approve",
                },
                None,
            ),
            (
                "invalid_unknown",
                Reply::Invalid(ParseError::Unknown {
                    name: "aprove".to_owned(),
                }),
                None,
            ),
            (
                "invalid_missing_argument",
                Reply::Invalid(ParseError::MissingArgument {
                    command: "/deny",
                    argument: "a reason",
                }),
                None,
            ),
            (
                "invalid_unexpected_argument",
                Reply::Invalid(ParseError::UnexpectedArgument {
                    command: "/verify-email",
                }),
                None,
            ),
            (
                "invalid_check_name",
                Reply::Invalid(ParseError::InvalidCheckName {
                    name: "Email!".to_owned(),
                }),
                None,
            ),
            (
                "not_in_state_closed",
                Reply::NotInState {
                    command: "/approve",
                    state: State::Denied,
                    open: false,
                },
                None,
            ),
            (
                "not_in_state_incomplete",
                Reply::NotInState {
                    command: "/verify-email",
                    state: State::Incomplete,
                    open: true,
                },
                None,
            ),
            (
                "not_in_state_open",
                Reply::NotInState {
                    command: "/reopen",
                    state: State::Pending,
                    open: true,
                },
                None,
            ),
            (
                "missing_checks",
                Reply::MissingChecks {
                    missing: vec!["email".to_owned(), "project-ownership".to_owned()],
                },
                None,
            ),
            ("form_invalid", Reply::FormInvalid, None),
            (
                "note_required",
                Reply::NoteRequired {
                    check: "project-ownership".to_owned(),
                },
                None,
            ),
            ("email_unavailable", Reply::EmailUnavailable, None),
            ("no_such_account", Reply::NoSuchAccount, None),
            ("no_address", Reply::NoAddress, None),
            (
                "email_confirmed",
                Reply::EmailConfirmed { verified: false },
                None,
            ),
            (
                "email_confirmed_verified",
                Reply::EmailConfirmed { verified: true },
                None,
            ),
            (
                "info_requested",
                Reply::InfoRequested {
                    text: "Which projects did you publish?\n\nAnd @you, since when?".to_owned(),
                },
                None,
            ),
            ("email_requested", Reply::EmailRequested, None),
            ("repo_requested", Reply::RepoRequested, None),
            ("no_repositories", Reply::NoRepositories, None),
            ("waiting_period", Reply::WaitingPeriod { until }, None),
            (
                "approve_directory_unavailable",
                Reply::ApproveAccount {
                    account: AccountCheck::Unavailable,
                },
                None,
            ),
            (
                "approve_account_missing",
                Reply::ApproveAccount {
                    account: AccountCheck::Missing,
                },
                None,
            ),
            (
                "approve_account_held",
                Reply::ApproveAccount {
                    account: AccountCheck::Frozen,
                },
                None,
            ),
            (
                "approve_no_primary_address",
                Reply::ApproveAccount {
                    account: AccountCheck::NoAddress,
                },
                None,
            ),
            ("approval_started", Reply::ApprovalStarted, None),
            (
                "check_confirmed",
                Reply::CheckConfirmed {
                    check: "project-ownership".to_owned(),
                    verified: false,
                },
                None,
            ),
            (
                "check_confirmed_verified",
                Reply::CheckConfirmed {
                    check: "email".to_owned(),
                    verified: true,
                },
                None,
            ),
            (
                "approved",
                Reply::Approved {
                    note: None,
                    by_index: true,
                },
                Some(&approve),
            ),
            (
                "approved_by_hand_with_note",
                Reply::Approved {
                    note: Some("Checked the release signatures.".to_owned()),
                    by_index: false,
                },
                Some(&approve),
            ),
            (
                "denied",
                Reply::Denied {
                    reason: "The account belongs to someone else.\nSee <the thread> @there."
                        .to_owned(),
                },
                None,
            ),
            (
                "reopened",
                Reply::Reopened {
                    state: State::Pending,
                },
                None,
            ),
            (
                "returned",
                Reply::Returned {
                    state: State::AwaitingUser,
                },
                None,
            ),
            ("closed_no_response", Reply::ClosedNoResponse, None),
            (
                "request_changed",
                Reply::RequestChanged {
                    commands: vec![CommandKind::Approve, CommandKind::VerifyEmail],
                },
                None,
            ),
        ];
        for (name, r, computed) in cases {
            // The one reply whose asker is the requester.
            let actor = if r == Reply::OnlyAdminsDecide {
                REQUESTER
            } else {
                ADMIN
            };
            assert_snapshot!(
                format!("reply_{name}"),
                reply(&r, REQUESTER, actor, computed)
            );
        }
    }

    #[test]
    fn help_lists_commands_and_canned_replies() {
        assert_snapshot!(help(
            &[CommandKind::Approve, CommandKind::Reply],
            &["duplicate".to_owned(), "odd|name".to_owned()]
        ));
    }

    /// The shipped canned replies, filled in as a job fills them.
    #[test]
    fn default_replies_filled_in() {
        for (name, text, state) in default_replies() {
            let state = state.map_or("none".to_owned(), |s| s.to_string());
            assert_snapshot!(
                format!("default_reply_{name}"),
                format!("state: {state}\n\n{}", render(text, &placeholders()))
            );
        }
    }

    #[test]
    fn default_approve_message_filled_in() {
        assert_snapshot!(render(DEFAULT_APPROVE_MESSAGE, &placeholders()));
    }

    #[test]
    fn combined_replies() {
        let replies = ["First answer.".to_owned(), "Second answer.".to_owned()];
        assert_snapshot!("combined", combined(&replies, 0));
        assert_snapshot!("combined_with_skipped", combined(&replies, 3));
    }
}
