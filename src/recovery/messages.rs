//! Every word the bot writes on the tracker. Text that came from someone
//! else goes through `echo` first.

use std::fmt::Write as _;

use crate::commands::{self, ParseError};
use crate::form::template::FieldKind;
use crate::form::{Problem, ProblemKind, Template};

use super::echo::{self, cell, code, plain};
use super::ownership::Evidence;
use super::state::{Labels, State};
use super::transitions::{CheckStatus, Reply};

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
    pub author: &'a str,
    pub from_form: bool,
    pub problems: &'a [ProblemLine],
    /// The empty form, to paste into an issue that was not made from it.
    pub skeleton: Option<&'a str>,
    pub duplicate_of: Option<u64>,
    /// Undecided requests opened before this one, when it was written.
    pub ahead: i64,
    /// The username as read from the form (valid or not; never an address).
    pub username_read: Option<&'a str>,
    /// The username field holds an email address (not repeated here).
    pub username_is_email: bool,
    /// The username changed; shown until an admin's next command.
    pub username_changed: bool,
    /// The account's projects and whose their repositories are.
    pub ownership: Option<&'a Evidence>,
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
            let ahead = match v.ahead {
                0 => "no other request was".to_owned(),
                1 => "1 request was".to_owned(),
                n => format!("{n} requests were"),
            };
            let _ = writeln!(s, "\nWhen this was written, {ahead} ahead of yours.");
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
    if let Some(e) = v.ownership {
        let _ = writeln!(
            s,
            "\n{}",
            ownership_details(e, v.author, &v.labels.fasttrack)
        );
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

pub fn help() -> String {
    format!(
        "Commands (admins only, except `/help`; one per line, several per comment run in order):\n\n{}",
        commands::help_table()
    )
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

/// The words of a reply. `status` is the rendered `/status` answer.
pub fn reply(r: &Reply, requester: &str, actor: &str, status: Option<&str>) -> String {
    let text = match r {
        Reply::Help => help(),
        Reply::Status => status.unwrap_or_default().to_owned(),
        Reply::NotAdmin => format!(
            "@{actor}, only the tracker's admins can run commands here; nothing was changed."
        ),
        Reply::OwnRequest { command } => format!(
            "@{actor}, `{command}` cannot be used on your own request; another admin has to do it. Nothing was changed."
        ),
        Reply::Invalid(e) => parse_error(e),
        Reply::NotInState { command, state, open } => {
            let why = match (state, open) {
                (_, false) | (State::Approved | State::Denied, _) => {
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
        Reply::CheckConfirmed { check, verified } => {
            let mut s = format!("Check {} recorded as passed.", code(check));
            if *verified {
                s.push_str(" Every required check has passed: the request is now `verified`.");
            }
            s
        }
        Reply::Approved { note } => {
            let mut s = format!(
                "@{requester}, the verification was successful and your request is approved."
            );
            if let Some(note) = note {
                let _ = write!(s, "\n\n{}", quote(note));
            }
            s
        }
        Reply::Denied { reason } => format!(
            "@{requester}, this request was denied and closed.\n\n{}\n\nIf you think this is a mistake, reply here.",
            quote(reason)
        ),
        Reply::Reopened { state } => format!("Reopened; the request is `{state}` again."),
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

/// What the confirmation email says, and where it points.
pub struct VerificationEmail<'a> {
    pub index_name: &'a str,
    pub username: &'a str,
    /// The issue's web address.
    pub issue_url: &'a str,
    pub link: &'a str,
    pub hours: u64,
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
        hours,
        contact,
    } = m;
    let subject = format!("{index_name}: confirm the recovery request for your account {username}");
    let body = format!(
        "Hello,\n\n\
         someone asked {index_name} to recover the account \"{username}\", which lists this email address \
         as its primary address, on the support tracker:\n\n    {issue_url}\n\n\
         If that was you, open this link and press Confirm:\n\n    {link}\n\n\
         The link works once, only for this request and this account, and expires in {hours} hours.\n\n\
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

/// The ownership evidence, for admins, folded in the status comment.
fn ownership_details(e: &Evidence, author: &str, fasttrack: &str) -> String {
    let mut s = format!(
        "<details><summary>Ownership evidence (for admins)</summary>\n\n\
         The account's projects and their source repositories, compared with the issue's author {} \
         by GitHub user id.\n\n| project | repository | the author's |\n|---|---|---|\n",
        code(author)
    );
    for r in &e.rows {
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
    if e.rows.is_empty() {
        let _ = write!(
            s,
            "| (no projects) | | |\n\nThe account has no projects: PyPI's fast path, label {} added.",
            code(fasttrack)
        );
    } else if e.all_owned {
        let _ = write!(
            s,
            "\nEvery project's repository belongs to the author: check `project-ownership` recorded as passed, \
             label {} added.",
            code(fasttrack)
        );
    } else {
        s.push_str("\nNot every project's repository belongs to the author: ownership needs another check.");
    }
    s.push_str("\n\n</details>");
    s
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
