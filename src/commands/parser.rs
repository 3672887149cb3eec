//! A command is a line of the comment's text that starts with `/name`,
//! outside code (fenced, indented, inline), block quotes and HTML (comments
//! and blocks). The comment is parsed as markdown with pulldown-cmark to
//! find what to skip; the rest is read line by line. A command's argument is
//! the rest of its line and every following line up to the next command line
//! (or the end), so a question or a reason may span paragraphs.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    VerifyEmail,
    /// Email the owner a token to push as a branch to a project's
    /// repository.
    VerifyRepo,
    RequestInfo {
        text: String,
    },
    Confirm {
        check: String,
        note: Option<String>,
    },
    Approve {
        note: Option<String>,
        /// `--now`: skip the waiting period (the note is the reason).
        now: bool,
    },
    Deny {
        reason: String,
    },
    Reopen,
    Status,
    Help,
    /// A canned reply from the config, with the admin's own words after it.
    Reply {
        name: String,
        extra: Option<String>,
    },
    Withdraw,
}

/// The commands without their arguments, for help and dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    VerifyEmail,
    VerifyRepo,
    RequestInfo,
    Confirm,
    Approve,
    Deny,
    Reopen,
    Status,
    Help,
    Reply,
    Withdraw,
}

/// Who may run a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Anyone,
    /// The person who opened the request (admin or not).
    Requester,
    Admins,
    /// Admins get the full answer, the requester a short plain one.
    AdminsAndRequester,
}

impl CommandKind {
    pub const ALL: [CommandKind; 11] = [
        CommandKind::VerifyEmail,
        CommandKind::VerifyRepo,
        CommandKind::RequestInfo,
        CommandKind::Confirm,
        CommandKind::Approve,
        CommandKind::Deny,
        CommandKind::Reopen,
        CommandKind::Reply,
        CommandKind::Status,
        CommandKind::Withdraw,
        CommandKind::Help,
    ];

    pub fn who(self) -> Who {
        match self {
            CommandKind::Help => Who::Anyone,
            CommandKind::Withdraw => Who::Requester,
            CommandKind::Status => Who::AdminsAndRequester,
            CommandKind::VerifyEmail
            | CommandKind::VerifyRepo
            | CommandKind::RequestInfo
            | CommandKind::Confirm
            | CommandKind::Approve
            | CommandKind::Deny
            | CommandKind::Reopen
            | CommandKind::Reply => Who::Admins,
        }
    }

    /// Whether someone who is (or is not) an admin, and is (or is not) the
    /// requester, may run it.
    pub fn allowed(self, is_admin: bool, is_requester: bool) -> bool {
        match self.who() {
            Who::Anyone => true,
            Who::Requester => is_requester,
            Who::Admins => is_admin,
            Who::AdminsAndRequester => is_admin || is_requester,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CommandKind::VerifyEmail => "verify-email",
            CommandKind::VerifyRepo => "verify-repo",
            CommandKind::RequestInfo => "request-info",
            CommandKind::Confirm => "confirm",
            CommandKind::Approve => "approve",
            CommandKind::Deny => "deny",
            CommandKind::Reopen => "reopen",
            CommandKind::Status => "status",
            CommandKind::Help => "help",
            CommandKind::Reply => "reply",
            CommandKind::Withdraw => "withdraw",
        }
    }
}

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::VerifyEmail => CommandKind::VerifyEmail,
            Command::VerifyRepo => CommandKind::VerifyRepo,
            Command::RequestInfo { .. } => CommandKind::RequestInfo,
            Command::Confirm { .. } => CommandKind::Confirm,
            Command::Approve { .. } => CommandKind::Approve,
            Command::Deny { .. } => CommandKind::Deny,
            Command::Reopen => CommandKind::Reopen,
            Command::Status => CommandKind::Status,
            Command::Help => CommandKind::Help,
            Command::Reply { .. } => CommandKind::Reply,
            Command::Withdraw => CommandKind::Withdraw,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

/// Syntax and one line of help for each command. An exhaustive match: a
/// new command cannot ship without its help.
pub fn usage(kind: CommandKind) -> (&'static str, &'static str) {
    match kind {
        CommandKind::VerifyEmail => (
            "/verify-email",
            "email a confirmation link to the account's registered address",
        ),
        CommandKind::VerifyRepo => (
            "/verify-repo",
            "email the owner a token to push as a branch to one of the account's project repositories",
        ),
        CommandKind::RequestInfo => (
            "/request-info <text>",
            "ask the requester something; waits for their reply",
        ),
        CommandKind::Confirm => (
            "/confirm <check> [note]",
            "record that a check passed out of band (e.g. `project-ownership`)",
        ),
        CommandKind::Approve => (
            "/approve [note]",
            "approve and close as completed, once every required check passed \
             (`/approve --now <reason>` skips the waiting period)",
        ),
        CommandKind::Deny => ("/deny <reason>", "deny and close as not planned"),
        CommandKind::Reopen => ("/reopen", "reopen a closed request: back to pending"),
        CommandKind::Status => (
            "/status",
            "show the checks and the history (the requester: where the request stands)",
        ),
        CommandKind::Help => ("/help", "list the commands you may run"),
        CommandKind::Reply => (
            "/reply <name> [more]",
            "post the canned reply `<name>` from the config, with your own words after it",
        ),
        CommandKind::Withdraw => (
            "/withdraw",
            "the requester only: withdraw the request and close the issue",
        ),
    }
}

/// A markdown table of every command.
pub fn help_table() -> String {
    help_table_of(&CommandKind::ALL)
}

/// A markdown table of the given commands.
pub fn help_table_of(kinds: &[CommandKind]) -> String {
    let mut s = String::from("| command | what it does |\n|---|---|\n");
    for &kind in kinds {
        let (syntax, help) = usage(kind);
        s.push_str(&format!("| `{syntax}` | {help} |\n"));
    }
    s
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("unknown command /{name}")]
    Unknown { name: String },
    #[error("{command} needs {argument}")]
    MissingArgument {
        command: &'static str,
        argument: &'static str,
    },
    #[error("{command} takes no argument")]
    UnexpectedArgument { command: &'static str },
    #[error("invalid check name {name:?}")]
    InvalidCheckName { name: String },
}

/// Every command in `comment`, in order.
pub fn parse_commands(comment: &str) -> Vec<Result<Command, ParseError>> {
    let text = comment.replace("\r\n", "\n").replace('\r', "\n");
    let skip = ignored_ranges(&text);
    // Each command line: its name, the rest of its line, and where the
    // following lines (its argument's continuation) start.
    let mut found: Vec<(&str, &str, usize, usize)> = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let start = offset;
        offset += line.len() + 1;
        let trimmed = line.trim_start_matches([' ', '\t']);
        let at = start + (line.len() - trimmed.len());
        if !trimmed.starts_with('/') || skip.iter().any(|r| r.contains(&at)) {
            continue;
        }
        if let Some((name, rest)) = command_line(&trimmed[1..]) {
            found.push((name, rest, start, offset.min(text.len())));
        }
    }
    let mut out = Vec::with_capacity(found.len());
    for (i, &(name, rest, _, after)) in found.iter().enumerate() {
        let end = found.get(i + 1).map_or(text.len(), |next| next.2);
        let following = text.get(after..end.max(after)).unwrap_or("");
        out.push(parse_command(name, rest, following));
    }
    out
}

/// Code, quotes and HTML: where a `/` does not start a command.
fn ignored_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    for (event, range) in Parser::new_ext(text, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_) | Tag::BlockQuote(_) | Tag::HtmlBlock)
            | Event::Code(_)
            | Event::Html(_)
            | Event::InlineHtml(_) => ranges.push(range),
            _ => {}
        }
    }
    ranges
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// `rest` is the line after its `/`: the command's name and the rest of
/// its line. `None`: not a command at all (`/usr/bin`, `/ text`).
fn command_line(rest: &str) -> Option<(&str, &str)> {
    let name_len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    let (name, after) = rest.split_at(name_len);
    if name.is_empty() || !after.is_empty() && !after.starts_with(char::is_whitespace) {
        return None;
    }
    Some((name, after))
}

/// One command from its name, the rest of its line and the lines that
/// follow it. Commands without an argument only look at their own line: the
/// lines after it are the admin's own words.
fn parse_command(name: &str, line: &str, following: &str) -> Result<Command, ParseError> {
    let whole = format!("{line}\n{following}");
    let arg = Some(whole.trim().to_owned()).filter(|a| !a.is_empty());
    let no_arg = |command: &'static str, cmd: Command| {
        if line.trim().is_empty() {
            Ok(cmd)
        } else {
            Err(ParseError::UnexpectedArgument { command })
        }
    };
    match name {
        "verify-email" => no_arg("/verify-email", Command::VerifyEmail),
        "verify-repo" => no_arg("/verify-repo", Command::VerifyRepo),
        "reopen" => no_arg("/reopen", Command::Reopen),
        "status" => no_arg("/status", Command::Status),
        "help" => no_arg("/help", Command::Help),
        "withdraw" => no_arg("/withdraw", Command::Withdraw),
        "request-info" => {
            arg.map(|text| Command::RequestInfo { text })
                .ok_or(ParseError::MissingArgument {
                    command: "/request-info",
                    argument: "the question to ask",
                })
        }
        "deny" => arg
            .map(|reason| Command::Deny { reason })
            .ok_or(ParseError::MissingArgument {
                command: "/deny",
                argument: "a reason",
            }),
        "approve" => approve(line, following),
        "confirm" => confirm(arg.as_deref()),
        "reply" => reply(line, following),
        other => Err(ParseError::Unknown {
            name: other.to_owned(),
        }),
    }
}

/// `/approve [note]`, or `/approve --now <reason>` to skip the waiting
/// period: the reason is required and kept in the audit log.
fn approve(line: &str, following: &str) -> Result<Command, ParseError> {
    let trimmed = line.trim_start();
    let (now, rest) = match trimmed.strip_prefix("--now") {
        Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => (true, rest),
        _ => (false, line),
    };
    let note = format!("{rest}\n{following}");
    let note = Some(note.trim().to_owned()).filter(|n| !n.is_empty());
    if now && note.is_none() {
        return Err(ParseError::MissingArgument {
            command: "/approve --now",
            argument: "a reason (kept in the audit log)",
        });
    }
    Ok(Command::Approve { note, now })
}

/// `/reply <name> [more]`: the name is the first word of the command's own
/// line; everything after it is the admin's addition.
fn reply(line: &str, following: &str) -> Result<Command, ParseError> {
    let line = line.trim_start();
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    if name.is_empty() {
        return Err(ParseError::MissingArgument {
            command: "/reply",
            argument: "the name of a canned reply",
        });
    }
    let extra = format!("{rest}\n{following}");
    Ok(Command::Reply {
        name: name.to_owned(),
        extra: Some(extra.trim().to_owned()).filter(|e| !e.is_empty()),
    })
}

fn confirm(arg: Option<&str>) -> Result<Command, ParseError> {
    let arg = arg.ok_or(ParseError::MissingArgument {
        command: "/confirm",
        argument: "a check name",
    })?;
    let (check, note) = match arg.split_once(char::is_whitespace) {
        Some((c, n)) => (c, Some(n.trim().to_owned()).filter(|n| !n.is_empty())),
        None => (arg, None),
    };
    let valid = check.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && check
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        return Err(ParseError::InvalidCheckName {
            name: check.to_owned(),
        });
    }
    Ok(Command::Confirm {
        check: check.to_owned(),
        note,
    })
}
