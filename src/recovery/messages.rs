//! Every word the bot writes on the tracker. Text that came from someone
//! else goes through `echo` first.

use std::fmt::Write as _;

use crate::commands::{self, CommandKind, ParseError};
use crate::form::template::FieldKind;
use crate::form::{Problem, ProblemKind, Template};

use super::echo::{self, cell, code, plain};
use super::ownership::{AccountFacts, Evidence};
use super::secrets::SecretKind;
use super::state::{Labels, State};
use super::transitions::{Awaiting, CheckStatus, Reply};

/// Hidden marker that finds the bot's one status comment on an issue.
pub const STATUS_MARKER: &str = "<!-- recovery-bot:status -->";

/// One form problem, already worded, and the label of its field.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ProblemLine {
    /// The template id of the field.
    pub field: String,
    pub label: String,
    pub message: String,
}

/// A recorded check, for the tables.
#[derive(Debug, Clone)]
pub struct CheckLine {
    pub name: String,
    pub status: CheckStatus,
    pub actor: Option<String>,
    pub note: Option<String>,
    pub when: String,
}

/// What the status comment shows.
#[derive(Debug, Clone)]
pub struct StatusView<'a> {
    pub state: State,
    pub awaiting_email: bool,
    /// Waits for the `/verify-repo` branch.
    pub awaiting_repo: bool,
    /// `/approve` waits until then (`YYYY-MM-DD HH:MM UTC`).
    pub waiting_until: Option<String>,
    /// The newest emailed link expired unused.
    pub link_expired: bool,
    pub author: &'a str,
    pub from_form: bool,
    pub problems: &'a [ProblemLine],
    /// The empty form, to paste into an issue that was not made from it.
    pub skeleton: Option<&'a str>,
    pub duplicate_of: Option<u64>,
    /// Open requests opened before this one that no admin has answered
    /// yet, when it was written.
    pub ahead: i64,
    /// The username as read from the form (valid or not; never an address).
    pub username_read: Option<&'a str>,
    /// The username field holds an email address (not repeated here).
    pub username_is_email: bool,
    /// The username changed; shown until an admin's next command.
    pub username_changed: bool,
    /// The account's projects and whose their repositories are.
    pub ownership: Option<&'a Evidence>,
    /// What the account directory said (when it was asked).
    pub account: Option<&'a AccountFacts>,
    /// Secrets pasted in public on the issue, and whether all were redacted.
    pub secrets: &'a [SecretKind],
    pub secrets_redacted: bool,
    pub checks: &'a [CheckLine],
    pub required: &'a [String],
    pub labels: &'a Labels,
}

pub fn status_comment(v: &StatusView<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{STATUS_MARKER}");
    let _ = writeln!(s, "### Account recovery: {}\n", state_title(v.state));
    if v.from_form {
        match (v.username_read, v.username_is_email) {
            (_, true) => {
                let _ = writeln!(
                    s,
                    "**Username read from the form:** none (the field holds an email address, not repeated here).\n"
                );
            }
            (Some(name), false) => {
                let _ = writeln!(s, "**Username read from the form:** {}\n", code(name));
            }
            (None, false) => {
                let _ = writeln!(s, "**Username read from the form:** none.\n");
            }
        }
    }
    match v.state {
        State::Incomplete => {
            if !v.from_form {
                let _ = writeln!(
                    s,
                    "@{}, this issue does not follow the account-recovery form, so it cannot be processed yet. \
                     Please **edit the issue** (the `···` menu at its top right → *Edit*) and replace its text \
                     with the form below, answering under each heading.",
                    v.author
                );
                if let Some(skeleton) = v.skeleton {
                    let _ = writeln!(s, "\n````markdown\n{skeleton}\n````");
                }
            } else {
                let _ = writeln!(
                    s,
                    "@{}, thank you for your request. Before an admin can look at it, please **edit the issue** \
                     (the `···` menu at its top right → *Edit*) and fix the following:\n",
                    v.author
                );
                for p in v.problems {
                    let _ = writeln!(s, "- **{}**: {}", plain(&p.label), p.message);
                }
                let _ = writeln!(
                    s,
                    "\nI check the form again every time the issue is saved; this comment will say when it is complete."
                );
            }
        }
        State::Pending => {
            let _ = writeln!(
                s,
                "Thank you, @{}. Your request is complete and waits for an admin to verify it. \
                 You do not need to do anything now; you will be told here what happens next.",
                v.author
            );
            let _ = writeln!(s, "\nWhen this was written, {}", ahead(v.ahead));
        }
        State::AwaitingUser if v.awaiting_repo => {
            let _ = writeln!(
                s,
                "@{}, instructions were emailed to the address registered on the account: push a branch named \
                 after the token in that email to the source repository of one of the account's projects. \
                 I look for it regularly and say here when I find it.",
                v.author
            );
        }
        State::AwaitingUser if v.awaiting_email => {
            let _ = writeln!(
                s,
                "@{}, a confirmation link was emailed to the address registered on the account. \
                 Open it and press **Confirm**. The link works once and expires.",
                v.author
            );
        }
        State::AwaitingUser => {
            let _ = writeln!(
                s,
                "@{}, an admin asked you a question below. Please answer it in a comment on this issue.",
                v.author
            );
        }
        State::Verified => {
            let _ = writeln!(
                s,
                "Every required check passed. The request waits for an admin's decision."
            );
        }
        State::Approved => {
            let _ = writeln!(s, "This request was approved and is closed.");
        }
        State::Denied => {
            let _ = writeln!(s, "This request was denied and is closed.");
        }
        State::Withdrawn => {
            let _ = writeln!(
                s,
                "@{}, you withdrew this request and it is closed. To continue it, reopen the issue.",
                v.author
            );
        }
        State::NoResponse => {
            let _ = writeln!(
                s,
                "@{}, this request was closed because there was no answer after a reminder. To continue \
                 it, comment on this issue: it reopens where it was.",
                v.author
            );
        }
    }
    if let (Some(until), false) = (&v.waiting_until, v.state.is_closed()) {
        let _ = writeln!(
            s,
            "\n**Waiting period:** without a proof of project ownership, the request can be approved from \
             **{until}** (admins: `/verify-repo` asks for the proof; `/approve --now <reason>` overrides)."
        );
    }
    if v.link_expired && !v.state.is_closed() {
        let _ = writeln!(
            s,
            "\n> [!NOTE]\n> Admins: the last emailed link expired without being used. `/verify-email` sends a new one."
        );
    }
    if v.account.is_some_and(AccountFacts::has_unused_codes) && !v.state.is_closed() {
        let _ = writeln!(
            s,
            "\n> [!IMPORTANT]\n> @{}, the account still has unused recovery codes. If you can find one (they were \
             shown when you set up two-factor authentication, often saved as a file), use it to log in instead: \
             it is much faster than a recovery. If you have truly lost all of them, say so in a comment.",
            v.author
        );
    }
    if !v.secrets.is_empty() {
        let _ = writeln!(
            s,
            "\n> [!CAUTION]\n> Admins: a secret was pasted in public on this issue ({}). The requester was told \
             to revoke it{}. It is never repeated here.",
            secret_names(v.secrets),
            if v.secrets_redacted {
                "; it was replaced with `[redacted]`, but GitHub's edit history still shows it"
            } else {
                ""
            }
        );
    }
    if let Some(n) = v.duplicate_of {
        let _ = writeln!(
            s,
            "\n> [!NOTE]\n> Another open request names the same account: #{n}. An admin will look at both; \
             if you opened both, you can close the newer one."
        );
    }
    if v.username_changed {
        let _ = writeln!(
            s,
            "\n> [!WARNING]\n> The username in this request changed. Every check was reset, every link already \
             emailed was revoked and the ownership evidence was removed. Admins: the verification starts again \
             for the account named now. This note stays until an admin's next command."
        );
    }
    if !v.checks.is_empty() || v.state != State::Incomplete {
        let _ = writeln!(s, "\n{}", checks_table(v.checks, v.required));
    }
    if v.account.is_some() || v.ownership.is_some() {
        let _ = writeln!(s, "\n{}", triage_details(v));
    }
    let _ = writeln!(
        s,
        "\n<sub>State label: `{}`. Admins: comment `/help` for the commands.</sub>",
        v.labels.for_state(v.state)
    );
    echo::fit(s)
}

fn state_title(state: State) -> &'static str {
    match state {
        State::Incomplete => "the form needs a fix",
        State::Pending => "waiting for verification",
        State::AwaitingUser => "waiting for the requester",
        State::Verified => "verified",
        State::Approved => "approved",
        State::Denied => "denied",
        State::Withdrawn => "withdrawn",
        State::NoResponse => "closed for no response",
    }
}

/// How many requests wait ahead of one, as a sentence's end.
fn ahead(n: i64) -> String {
    match n {
        0 => "no request that an admin has not answered yet was ahead of yours.".to_owned(),
        1 => "1 request that no admin has answered yet was ahead of yours.".to_owned(),
        n => format!("{n} requests that no admin has answered yet were ahead of yours."),
    }
}

fn checks_table(checks: &[CheckLine], required: &[String]) -> String {
    let mut s = String::from(
        "| check | required | status | by | when | note |\n|---|---|---|---|---|---|\n",
    );
    let mut names: Vec<&str> = required.iter().map(String::as_str).collect();
    for c in checks {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    for name in names {
        let c = checks.iter().find(|c| c.name == name);
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            cell(name),
            if required.iter().any(|r| r == name) {
                "yes"
            } else {
                "no"
            },
            match c.map(|c| c.status) {
                Some(CheckStatus::Passed) => "✅ passed",
                Some(CheckStatus::Sent) => "📨 sent",
                None => "— not yet",
            },
            c.and_then(|c| c.actor.as_deref())
                .map(plain)
                .unwrap_or_default(),
            c.map(|c| c.when.as_str()).unwrap_or(""),
            c.and_then(|c| c.note.as_deref())
                .map(plain)
                .unwrap_or_default(),
        );
    }
    s
}

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
    let text = match r {
        Reply::Help { kinds, replies } => help(kinds, replies),
        Reply::Status | Reply::RequesterStatus => computed.unwrap_or_default().to_owned(),
        Reply::NotAdmin => format!(
            "@{actor}, only the tracker's admins can run commands here; nothing was changed."
        ),
        Reply::OnlyAdminsDecide => format!(
            "@{actor}, thank you; only the tracker's admins can move a request forward or decide it, so \
             nothing was changed. You may run `/status` (where your request stands), `/withdraw` (withdraw it) \
             and `/help`. I say this once; later admin commands from you get no answer."
        ),
        Reply::OnlyRequester => "`/withdraw` is for the requester; to close someone's request, use \
             `/deny <reason>`. Nothing was changed."
            .to_owned(),
        Reply::Withdrawn => format!(
            "@{requester}, your request is withdrawn and the issue is closed. If you change your mind, \
             reopen the issue and it continues where it was."
        ),
        Reply::Canned { extra, .. } => {
            let mut s = computed.unwrap_or_default().to_owned();
            if let Some(extra) = extra {
                let _ = write!(s, "\n\n{}", echo::paragraph(extra, 4_000));
            }
            s
        }
        Reply::UnknownReply { name, names } => format!(
            "There is no canned reply named {}. The replies are: {}. Nothing was changed.",
            code(name),
            names.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ")
        ),
        Reply::OwnRequest { command } => format!(
            "@{actor}, `{command}` cannot be used on your own request; another admin has to do it. Nothing was changed."
        ),
        Reply::Invalid(e) => parse_error(e),
        Reply::NotInState { command, state, open } => {
            let why = match (state, open) {
                (_, false)
                | (
                    State::Approved | State::Denied | State::Withdrawn | State::NoResponse,
                    _,
                ) => {
                    "the request is closed (use `/reopen` first)".to_owned()
                }
                (State::Incomplete, _) => "the form is not complete yet".to_owned(),
                _ => format!("the request is open and `{state}`"),
            };
            format!("`{command}` cannot be used now: {why}. Nothing was changed.")
        }
        Reply::MissingChecks { missing } => format!(
            "`/approve` needs every required check to pass first. Missing: {}. Nothing was changed.",
            missing.iter().map(|m| code(m)).collect::<Vec<_>>().join(", ")
        ),
        Reply::FormInvalid => "`/approve` cannot be used while the form has problems: the requester has to fix \
             the issue first. Nothing was changed."
            .to_owned(),
        Reply::NoteRequired { check } => format!(
            "`/confirm {check}` records by hand a check that proves ownership, so it needs a note saying how it \
             was checked: `/confirm {check} <note>`. Nothing was changed.",
            check = plain(check)
        ),
        Reply::EmailUnavailable => "`/verify-email` is not available: this bot has no mail server or account \
             directory configured (`SMTP_URL`, `MAIL_FROM`, `ACCOUNT_DIRECTORY_URL`). Nothing was changed."
            .to_owned(),
        Reply::NoSuchAccount => "`/verify-email`: the account directory has no account with the username in this \
             request. Nothing was changed; the requester may need to correct the username."
            .to_owned(),
        Reply::NoAddress => "`/verify-email`: the account's primary email address is not verified (or it has \
             none), so no mail was sent: the link goes to a verified primary address only. Nothing was changed; \
             verify ownership another way and record it with `/confirm email <note>`."
            .to_owned(),
        Reply::EmailConfirmed { verified } => {
            let mut s = "The owner of the account confirmed this request from the link emailed to the \
                 account's registered address."
                .to_owned();
            if *verified {
                s.push_str(" Every required check has passed: the request is now `verified`.");
            }
            s
        }
        Reply::InfoRequested { text } => format!(
            "@{requester}, an admin needs more information:\n\n{}\n\nPlease answer in a comment on this issue.",
            quote(text)
        ),
        Reply::EmailRequested => format!(
            "@{requester}, I have emailed a confirmation link to the address registered on the account. \
             Open it and press **Confirm**. If nothing arrives within an hour, check your spam folder, then say so here."
        ),
        Reply::RepoRequested => format!(
            "@{requester}, I have emailed instructions to the address registered on the account: push a \
             branch named after the token in that email to the source repository of one of the account's \
             projects. Do not post the token here. I look for the branch regularly (and on `/status`) and say \
             here when I find it."
        ),
        Reply::NoRepositories => "`/verify-repo`: none of the account's projects names a source repository on \
             GitHub, so there is nowhere to push the branch. Nothing was changed; use `/verify-email` and the \
             waiting period instead."
            .to_owned(),
        Reply::WaitingPeriod { until } => format!(
            "`/approve` cannot be used yet: without a proof of project ownership the waiting period runs until \
             **{}**. `/verify-repo` asks the owner for the proof; `/approve --now <reason>` overrides the wait \
             (the reason is kept in the audit log). Nothing was changed.",
            utc(until)
        ),
        Reply::ApprovalStarted => {
            "Approved: asking the index to reset the account's two-factor authentication and issue a \
             password reset. The issue closes as soon as the index confirms."
                .to_owned()
        }
        Reply::CheckConfirmed { check, verified } => {
            let mut s = format!("Check {} recorded as passed.", code(check));
            if *verified {
                s.push_str(" Every required check has passed: the request is now `verified`.");
            }
            s
        }
        Reply::Approved { note, by_index } => {
            let mut s = computed.unwrap_or_default().to_owned();
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
        Reply::Denied { reason } => format!(
            "@{requester}, this request was denied and closed.\n\n{}\n\nIf you think this is a mistake, reply here.",
            quote(reason)
        ),
        Reply::Reopened { state } => format!("Reopened; the request is `{state}` again."),
        Reply::Returned { state } => format!(
            "Welcome back, @{requester}: the request is reopened and `{state}` again."
        ),
        Reply::ClosedNoResponse => format!(
            "@{requester}, I am closing this request because there was no answer after the reminder. \
             Nothing is lost: to continue, comment on this issue and it reopens where it was."
        ),
    };
    echo::fit(text)
}

fn quote(text: &str) -> String {
    echo::paragraph(text, 4_000)
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the requester must change, for one form problem.
pub fn problem(p: &Problem, template: &Template) -> String {
    let field = template.field(&p.field);
    match &p.kind {
        ProblemKind::Missing => match field.map(|f| f.kind) {
            Some(FieldKind::Checkboxes) => {
                "this section is missing; tick its box(es) in the form.".to_owned()
            }
            _ if p.field == template.username_field() => {
                "write the username of the account you want to recover (your username, not your email address).".to_owned()
            }
            _ => "this field is empty; please fill it in.".to_owned(),
        },
        ProblemKind::UsernameIsEmail => {
            "a username is not an email address: write the account's username instead \
             (it is shown on the account's profile page). Please remove the email address from this public issue."
                .to_owned()
        }
        ProblemKind::UsernameInvalid { value } => format!(
            "{} is not a valid username: usernames have only letters, digits, `.`, `_` and `-`, \
             and start and end with a letter or digit. Write just the username, for example `my-name`.",
            code(value)
        ),
        ProblemKind::UsernameTooLong { max } => {
            format!("this is longer than any username can be (at most {max} characters); write just the username.")
        }
        ProblemKind::Unticked { option } => {
            // An option that is a sentence already ends with its own stop.
            let stop = if option.trim_end().ends_with(['.', '!', '?']) {
                ""
            } else {
                "."
            };
            format!("tick “{}”{stop}", plain(option))
        }
        ProblemKind::NotAChoice { value } => format!(
            "{} is not one of the choices; pick one from the list.",
            code(value)
        ),
    }
}

/// The empty form, as GitHub renders it, to paste into an issue body.
pub fn form_skeleton(template: &Template) -> String {
    let mut s = String::new();
    for f in &template.fields {
        let _ = writeln!(
            s,
            "### {}
",
            f.label
        );
        match f.kind {
            FieldKind::Checkboxes => {
                for o in &f.options {
                    let _ = writeln!(s, "- [ ] {}", o.label);
                }
                s.push('\n');
            }
            _ => s.push_str("_No response_\n\n"),
        }
    }
    s.trim_end().to_owned()
}

/// A duration in words: `14 days`, `36 hours`, `90 seconds`.
pub fn human(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (n, unit) = match secs {
        0 => (0, "seconds"),
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    match (n, unit) {
        (0, _) => "0 seconds".to_owned(),
        (1, unit) => format!("1 {unit}"),
        (n, unit) => format!("{n} {unit}s"),
    }
}

/// A time as the tracker shows it.
pub fn utc(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
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

/// The one reminder for a request that waits for its requester.
pub fn reminder(requester: &str, state: State, close_after: std::time::Duration) -> String {
    let what = match state {
        State::Incomplete => "the form still needs a fix (see the status comment above)",
        _ => "the request is waiting for you (see the last comments above)",
    };
    format!(
        "@{requester}, a friendly reminder: {what}. Do you still want to recover the account? If there is \
         no answer within {}, I will close this request; you can come back at any time by commenting here.",
        human(close_after)
    )
}

/// For admins: the newest emailed link expired unused.
pub fn link_expired() -> String {
    "The confirmation link emailed for this request expired without being used. Admins: `/verify-email` \
     sends a new one."
        .to_owned()
}

/// The `/verify-repo` branch was found (the token is never repeated).
pub fn branch_found(repository: &str, commit: &str, verified: bool) -> String {
    let short: String = commit.chars().take(12).collect();
    let mut s = format!(
        "The branch named after the emailed token was found in {} (commit {}): check `project-ownership` \
         recorded as passed.",
        code(repository),
        code(&short)
    );
    if verified {
        s.push_str(" Every required check has passed: the request is now `verified`.");
    }
    s
}

/// For admins: an approval waiting for the index was not carried out,
/// because the request changed in the meantime.
pub fn approval_abandoned(admin: &str) -> String {
    format!(
        "The approval by @{admin} was not carried out: the request changed before the index was asked \
         (a new username, a reset check, or a decision). Nothing was reset; look at the request again."
    )
}

/// For admins: the index did not confirm the reset an approval asked for.
pub fn recover_failed(status: Option<u16>, retrying: bool) -> String {
    let why = match status {
        Some(code) => format!("answered HTTP {code}"),
        None => "could not be reached".to_owned(),
    };
    if retrying {
        format!(
            "Admins: the index {why} when asked to reset the account. I keep trying; the issue closes once \
             it confirms."
        )
    } else {
        format!(
            "Admins: the index {why} and refused to reset the account, so the request was **not** approved \
             and the issue stays open. Check the account in the index's admin tool, then `/approve` again \
             or `/deny <reason>`."
        )
    }
}

/// The `/verify-repo` email: subject and plain-text body. The token is on a
/// line of its own, and nowhere else.
pub fn repo_email(m: &VerificationEmail<'_>, repositories: &[String]) -> (String, String) {
    let VerificationEmail {
        index_name,
        username,
        issue_url,
        link: token,
        valid_for,
        contact,
    } = m;
    let valid_for = human(*valid_for);
    let subject = format!("{index_name}: prove you own the projects of your account {username}");
    let repos: String = repositories
        .iter()
        .map(|r| format!("    https://github.com/{r}\n"))
        .collect();
    let body = format!(
        "Hello,\n\n\
         someone asked {index_name} to recover the account \"{username}\", which lists this email address \
         as its primary address, on the support tracker:\n\n    {issue_url}\n\n\
         If that was you, prove that you own the account's projects: push a branch with exactly this name\n\n\
         {token}\n\n\
         to the source repository of one of the account's projects:\n\n{repos}\n\
         For example: git push origin HEAD:refs/heads/{token}\n\n\
         Do not post this name on the tracker. The bot looks for the branch by itself regularly and \
         says so on the issue; you may delete the branch afterwards. The name works only for this request \
         and expires in {valid_for}.\n\n\
         If you did NOT ask for this, do nothing: your account stays as it is. Please tell the admins that \
         the request is not yours: comment on the issue above, or write to {contact}.\n\n\
         This message was sent by the {index_name} support tracker's recovery bot.\n"
    );
    (subject, body)
}

/// What the confirmation email says, and where it points.
pub struct VerificationEmail<'a> {
    pub index_name: &'a str,
    pub username: &'a str,
    /// The issue's web address.
    pub issue_url: &'a str,
    pub link: &'a str,
    /// How long the link (or token) works.
    pub valid_for: std::time::Duration,
    pub contact: &'a str,
}

/// The confirmation email: subject and plain-text body. The link is the only
/// place the token exists.
pub fn verification_email(m: &VerificationEmail<'_>) -> (String, String) {
    let VerificationEmail {
        index_name,
        username,
        issue_url,
        link,
        valid_for,
        contact,
    } = m;
    let valid_for = human(*valid_for);
    let subject = format!("{index_name}: confirm the recovery request for your account {username}");
    let body = format!(
        "Hello,\n\n\
         someone asked {index_name} to recover the account \"{username}\", which lists this email address \
         as its primary address, on the support tracker:\n\n    {issue_url}\n\n\
         If that was you, open this link and press Confirm:\n\n    {link}\n\n\
         The link works once, only for this request and this account, and expires in {valid_for}.\n\n\
         If you did NOT ask for this, do not open the link and do not press Confirm. \
         Your account stays as it is. Please tell the admins that the request is not yours: \
         comment on the issue above, or write to {contact}.\n\n\
         This message was sent by the {index_name} support tracker's recovery bot; replies reach the admins.\n"
    );
    (subject, body)
}

/// What the confirmation page shows.
pub enum VerifyPage<'a> {
    /// The link is good: explain, and offer the Confirm button (a POST).
    Ask {
        index_name: &'a str,
        username: &'a str,
        issue: &'a str,
    },
    Confirmed {
        index_name: &'a str,
        issue: &'a str,
    },
    /// Unknown, used, expired, revoked or no longer waited for: one neutral
    /// answer that reveals nothing.
    NoLongerValid,
    Unavailable,
}

/// The page's only style, inline; `verify::page` allows exactly this in its
/// Content-Security-Policy.
pub const VERIFY_PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;\
padding:0 1rem;line-height:1.5}button{font-size:1.1rem;padding:.6rem 1.6rem;cursor:pointer}";

/// The confirmation page, as HTML; every value is escaped.
pub fn verify_page(page: &VerifyPage<'_>) -> String {
    let e = |s: &str| html_escape::encode_text(s).into_owned();
    let a = |s: &str| html_escape::encode_double_quoted_attribute(s).into_owned();
    let (title, body) = match page {
        VerifyPage::Ask {
            index_name,
            username,
            issue,
        } => (
            format!("{}: confirm your account recovery request", e(index_name)),
            format!(
                "<p>Someone asked {} to recover the account <strong id=\"username\">{}</strong> on the support \
                 tracker (<a href=\"{}\" rel=\"noreferrer\">{}</a>).</p>\n\
                 <p>If that was you, press <strong>Confirm</strong>. If it was not, close this page: \
                 nothing happens unless you press the button, and you can tell the admins on the issue.</p>\n\
                 <form method=\"post\"><button type=\"submit\" id=\"confirm\">Confirm</button></form>",
                e(index_name),
                e(username),
                a(issue),
                e(issue)
            ),
        ),
        VerifyPage::Confirmed { index_name, issue } => (
            format!("{}: confirmed", e(index_name)),
            format!(
                "<p id=\"result\">Thank you: your request is confirmed. The {} admins will continue on \
                 <a href=\"{}\" rel=\"noreferrer\">{}</a>.</p>",
                e(index_name),
                a(issue),
                e(issue)
            ),
        ),
        VerifyPage::NoLongerValid => (
            "Link no longer valid".to_owned(),
            "<p id=\"result\">This link is no longer valid; ask on the issue for a new one.</p>".to_owned(),
        ),
        VerifyPage::Unavailable => (
            "Try again later".to_owned(),
            "<p id=\"result\">The confirmation could not be recorded right now. Please try again in a few minutes.</p>".to_owned(),
        ),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>{VERIFY_PAGE_STYLE}</style></head>\n\
         <body><h1>{title}</h1>\n{body}\n</body></html>\n"
    )
}

/// The form problem of a username the account directory does not know.
pub fn no_such_account(username: &str) -> String {
    format!(
        "there is no account named {}. Check the spelling on your profile page and write the account's username.",
        code(username)
    )
}

/// The triage facts for admins, folded in the status comment: what the
/// account directory said, and the ownership evidence.
/// The most projects listed one per row in the status comment; the rest
/// are counted, so that the comment stays readable and whole (its state
/// footer never cut) for an account with thousands of projects.
const MAX_PROJECT_ROWS: usize = 100;

fn triage_details(v: &StatusView<'_>) -> String {
    let mut s = String::from("<details><summary>Triage facts (for admins)</summary>\n\n");
    if let Some(facts) = v.account {
        s.push_str("- Account: found in the account directory.\n");
        match facts.unused_recovery_codes {
            Some(0) => s.push_str("- Recovery codes: none unused.\n"),
            Some(n) => {
                let _ = writeln!(
                    s,
                    "- Recovery codes: **{n} unused**. The requester was told to use one (`/reply unused-recovery-codes` says it again)."
                );
            }
            None => s.push_str("- Recovery codes: the directory does not say.\n"),
        }
    }
    if let Some(e) = v.ownership {
        if e.rows.is_empty() {
            let _ = writeln!(
                s,
                "- The account has no projects: PyPI's fast path, label {} added (not a failed check).",
                code(&v.labels.fasttrack)
            );
        } else {
            let _ = write!(
                s,
                "\nThe account's projects and their source repositories, compared with the issue's author {} \
                 by GitHub user id.\n\n| project | repository | the author's |\n|---|---|---|\n",
                code(v.author)
            );
            for r in e.rows.iter().take(MAX_PROJECT_ROWS) {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} |",
                    cell(&r.project),
                    r.repository_url
                        .as_deref()
                        .map(cell)
                        .unwrap_or_else(|| "(none)".to_owned()),
                    if r.owned { "✅ yes" } else { "❌ no" }
                );
            }
            if let Some(more) = e
                .rows
                .len()
                .checked_sub(MAX_PROJECT_ROWS)
                .filter(|&n| n > 0)
            {
                let owned = e.rows[MAX_PROJECT_ROWS..]
                    .iter()
                    .filter(|r| r.owned)
                    .count();
                let _ = writeln!(
                    s,
                    "| … and {more} more projects | | {owned} of them the author's |"
                );
            }
            if e.all_owned {
                let _ = write!(
                    s,
                    "\nEvery project's repository belongs to the author: check `project-ownership` recorded as \
                     passed, label {} added.\n",
                    code(&v.labels.fasttrack)
                );
            } else {
                s.push_str(
                    "\nNot every project's repository belongs to the author: ownership needs another check.\n",
                );
            }
        }
    }
    s.push_str("\n</details>");
    s
}

/// The kinds of secret, as words.
fn secret_names(kinds: &[SecretKind]) -> String {
    kinds
        .iter()
        .map(|k| match k {
            SecretKind::RecoveryCode => "a recovery code",
            SecretKind::PypiToken => "an API token",
            SecretKind::GithubToken => "a GitHub token",
            SecretKind::PrivateKey => "a private key",
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where a secret was pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPlace {
    Issue,
    Comment,
}

/// Tells whoever pasted secrets in public what to do now; the secret itself
/// is never repeated.
pub fn secret_warning(
    who: &str,
    kinds: &[SecretKind],
    place: SecretPlace,
    redacted: bool,
    index_name: &str,
) -> String {
    let place = match place {
        SecretPlace::Issue => "the issue",
        SecretPlace::Comment => "your comment",
    };
    let mut s = format!(
        "@{who}, {place} contains {}. This tracker is public: anyone can read it, so treat it as known to \
         others and act now:\n",
        secret_names(kinds)
    );
    for kind in kinds {
        let _ = writeln!(
            s,
            "- {}",
            match kind {
                SecretKind::RecoveryCode => format!(
                    "**Recovery code**: if it is still unused, use it yourself right away to log in to \
                     {index_name}, then generate new recovery codes in your account settings (that replaces \
                     every old one). Once you are logged in you may not need this request at all: say so here."
                ),
                SecretKind::PypiToken => format!(
                    "**API token**: revoke it in your {index_name} account settings (API tokens) and create a \
                     new one if you need it. Until it is revoked, anyone can upload to your projects with it."
                ),
                SecretKind::GithubToken => "**GitHub token**: revoke it now in GitHub's settings \
                     (Developer settings → Personal access tokens, or the app that made it) and make a new one."
                    .to_owned(),
                SecretKind::PrivateKey => "**Private key**: consider it compromised. Make a new key pair, \
                     remove the old public key wherever it is trusted, and stop using the old key."
                    .to_owned(),
            }
        );
    }
    if redacted {
        let _ = write!(
            s,
            "\nI replaced it with `[redacted]` in {place}, but GitHub keeps the edit history, where it can still be \
             read: revoking it is the only fix. Never post codes, tokens or keys here; admins never need them."
        );
    } else {
        let _ = write!(
            s,
            "\nPlease edit {place} to remove it. GitHub keeps the edit history, so revoke it anyway. Never post \
             codes, tokens or keys here; admins never need them."
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
