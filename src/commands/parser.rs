//! A command is a line of the comment's text that starts with `/name`,
//! outside code (fenced, indented, inline), block quotes and HTML (comments
//! and blocks). The comment is parsed as markdown with pulldown-cmark to
//! find what to skip; the rest is read line by line.

use std::ops::Range;

use pulldown_cmark::{Event, Options, Parser, Tag};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    VerifyEmail,
    RequestInfo { text: String },
    Confirm { check: String, note: Option<String> },
    Approve { note: Option<String> },
    Deny { reason: String },
    Reopen,
    Status,
    Help,
}

/// The commands without their arguments, for help and dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    VerifyEmail,
    RequestInfo,
    Confirm,
    Approve,
    Deny,
    Reopen,
    Status,
    Help,
}

impl CommandKind {
    pub const ALL: [CommandKind; 8] = [
        CommandKind::VerifyEmail,
        CommandKind::RequestInfo,
        CommandKind::Confirm,
        CommandKind::Approve,
        CommandKind::Deny,
        CommandKind::Reopen,
        CommandKind::Status,
        CommandKind::Help,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CommandKind::VerifyEmail => "verify-email",
            CommandKind::RequestInfo => "request-info",
            CommandKind::Confirm => "confirm",
            CommandKind::Approve => "approve",
            CommandKind::Deny => "deny",
            CommandKind::Reopen => "reopen",
            CommandKind::Status => "status",
            CommandKind::Help => "help",
        }
    }
}

impl Command {
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::VerifyEmail => CommandKind::VerifyEmail,
            Command::RequestInfo { .. } => CommandKind::RequestInfo,
            Command::Confirm { .. } => CommandKind::Confirm,
            Command::Approve { .. } => CommandKind::Approve,
            Command::Deny { .. } => CommandKind::Deny,
            Command::Reopen => CommandKind::Reopen,
            Command::Status => CommandKind::Status,
            Command::Help => CommandKind::Help,
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
            "approve and close as completed, once every required check passed",
        ),
        CommandKind::Deny => ("/deny <reason>", "deny and close as not planned"),
        CommandKind::Reopen => ("/reopen", "reopen a closed request: back to pending"),
        CommandKind::Status => ("/status", "show the checks and the history"),
        CommandKind::Help => ("/help", "list the commands"),
    }
}

/// A markdown table of every command.
pub fn help_table() -> String {
    let mut s = String::from("| command | what it does |\n|---|---|\n");
    for kind in CommandKind::ALL {
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
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let start = offset;
        offset += line.len() + 1;
        let trimmed = line.trim_start_matches([' ', '\t']);
        let at = start + (line.len() - trimmed.len());
        if !trimmed.starts_with('/') || skip.iter().any(|r| r.contains(&at)) {
            continue;
        }
        if let Some(parsed) = parse_line(&trimmed[1..]) {
            out.push(parsed);
        }
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

/// `rest` is the line after its `/`. `None`: not a command at all.
fn parse_line(rest: &str) -> Option<Result<Command, ParseError>> {
    let name_len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    let (name, after) = rest.split_at(name_len);
    if name.is_empty() || !after.is_empty() && !after.starts_with(char::is_whitespace) {
        return None;
    }
    let arg = after.trim();
    let arg = (!arg.is_empty()).then(|| arg.to_owned());
    let no_arg = |command: &'static str, cmd: Command| match &arg {
        Some(_) => Err(ParseError::UnexpectedArgument { command }),
        None => Ok(cmd),
    };
    Some(match name {
        "verify-email" => no_arg("/verify-email", Command::VerifyEmail),
        "reopen" => no_arg("/reopen", Command::Reopen),
        "status" => no_arg("/status", Command::Status),
        "help" => no_arg("/help", Command::Help),
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
        "approve" => Ok(Command::Approve { note: arg }),
        "confirm" => confirm(arg.as_deref()),
        other => Err(ParseError::Unknown {
            name: other.to_owned(),
        }),
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
