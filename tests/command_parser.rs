//! The comment command parser on its own: what is a command, what is not,
//! arguments, errors, order.

use proptest::prelude::*;
use recovery_bot::commands::{Command, CommandKind, ParseError, help_table, parse_commands, usage};

fn one(comment: &str) -> Result<Command, ParseError> {
    let mut all = parse_commands(comment);
    assert_eq!(all.len(), 1, "{comment:?} gave {all:?}");
    all.remove(0)
}

fn none(comment: &str) {
    assert_eq!(parse_commands(comment), vec![], "{comment:?}");
}

fn unknown(name: &str) -> Result<Command, ParseError> {
    Err(ParseError::Unknown { name: name.into() })
}

#[test]
fn every_command_with_its_arguments() {
    assert_eq!(one("/verify-email"), Ok(Command::VerifyEmail));
    assert_eq!(
        one("/request-info Which projects?"),
        Ok(Command::RequestInfo {
            text: "Which projects?".into()
        })
    );
    assert_eq!(
        one("/confirm email"),
        Ok(Command::Confirm {
            check: "email".into(),
            note: None
        })
    );
    assert_eq!(
        one("/confirm project-ownership  all three repos  "),
        Ok(Command::Confirm {
            check: "project-ownership".into(),
            note: Some("all three repos".into())
        })
    );
    assert_eq!(
        one("/approve"),
        Ok(Command::Approve {
            note: None,
            now: false
        })
    );
    assert_eq!(
        one("/approve welcome back"),
        Ok(Command::Approve {
            note: Some("welcome back".into()),
            now: false
        })
    );
    assert_eq!(
        one("/approve --now the owner called us\nfrom the number on file"),
        Ok(Command::Approve {
            note: Some("the owner called us\nfrom the number on file".into()),
            now: true
        })
    );
    assert_eq!(
        one("/approve --now"),
        Err(ParseError::MissingArgument {
            command: "/approve --now",
            argument: "a reason (kept in the audit log)"
        })
    );
    // `--nowhere` is a note, not the flag.
    assert_eq!(
        one("/approve --nowhere"),
        Ok(Command::Approve {
            note: Some("--nowhere".into()),
            now: false
        })
    );
    assert_eq!(one("/verify-repo"), Ok(Command::VerifyRepo));
    assert_eq!(
        one("/deny not the owner"),
        Ok(Command::Deny {
            reason: "not the owner".into()
        })
    );
    assert_eq!(one("/reopen"), Ok(Command::Reopen));
    assert_eq!(one("/status"), Ok(Command::Status));
    assert_eq!(one("/help"), Ok(Command::Help));
}

#[test]
fn argument_errors() {
    assert_eq!(
        one("/deny"),
        Err(ParseError::MissingArgument {
            command: "/deny",
            argument: "a reason"
        })
    );
    assert_eq!(
        one("/deny   "),
        Err(ParseError::MissingArgument {
            command: "/deny",
            argument: "a reason"
        })
    );
    assert!(matches!(
        one("/request-info"),
        Err(ParseError::MissingArgument {
            command: "/request-info",
            ..
        })
    ));
    assert!(matches!(
        one("/confirm"),
        Err(ParseError::MissingArgument {
            command: "/confirm",
            ..
        })
    ));
    assert_eq!(
        one("/confirm Email"),
        Err(ParseError::InvalidCheckName {
            name: "Email".into()
        })
    );
    assert_eq!(
        one("/confirm -x"),
        Err(ParseError::InvalidCheckName { name: "-x".into() })
    );
    assert_eq!(
        one("/confirm e.mail"),
        Err(ParseError::InvalidCheckName {
            name: "e.mail".into()
        })
    );
    assert_eq!(
        one("/status now"),
        Err(ParseError::UnexpectedArgument { command: "/status" })
    );
    assert_eq!(
        one("/verify-email please"),
        Err(ParseError::UnexpectedArgument {
            command: "/verify-email"
        })
    );
    assert_eq!(
        one("/help me"),
        Err(ParseError::UnexpectedArgument { command: "/help" })
    );
    assert_eq!(
        one("/reopen it"),
        Err(ParseError::UnexpectedArgument { command: "/reopen" })
    );
}

#[test]
fn names_are_exact() {
    assert_eq!(one("/approved"), unknown("approved"));
    assert_eq!(one("/APPROVE"), unknown("APPROVE"));
    assert_eq!(one("/Approve"), unknown("Approve"));
    assert_eq!(one("/verify"), unknown("verify"));
    assert_eq!(one("/verify-emails"), unknown("verify-emails"));
    assert_eq!(one("/verify_email"), unknown("verify_email"));
    assert_eq!(one("/lgtm"), unknown("lgtm"));
}

#[test]
fn not_commands() {
    none("");
    none("/");
    none("/ approve");
    none("//approve");
    none("please /approve");
    none("Thanks! /approve");
    none("/usr/bin/env python");
    none("/approve/now");
    none("`/approve`");
    none("see `/approve` here");
    none("```\n/approve\n```");
    none("```rust\n/approve\n```");
    none("~~~\n/approve\n~~~");
    none("text\n\n    /approve");
    none("> /approve");
    none(">> /approve");
    none("> quoted line\n/approve");
    none("<!-- /approve -->");
    none("<!--\n/approve\n-->");
    none("<details>\n/approve\n</details>");
    none("- /approve");
    none("1. /approve");
    none("**/approve**");
}

#[test]
fn commands_among_text_and_in_order() {
    assert_eq!(
        parse_commands("Thanks for the details.\n\n/confirm email phone call\n/approve\n"),
        vec![
            Ok(Command::Confirm {
                check: "email".into(),
                note: Some("phone call".into())
            }),
            Ok(Command::Approve {
                note: None,
                now: false
            })
        ]
    );
    assert_eq!(
        parse_commands("> /deny quoted\n\n/approve\n```\n/deny code\n```\n/status"),
        // The lines after a command are its argument, code and all.
        vec![
            Ok(Command::Approve {
                note: Some("```\n/deny code\n```".into()),
                now: false
            }),
            Ok(Command::Status)
        ]
    );
    assert_eq!(
        parse_commands("/approve\r\n/status\r\n"),
        vec![
            Ok(Command::Approve {
                note: None,
                now: false
            }),
            Ok(Command::Status)
        ]
    );
    assert_eq!(parse_commands("   /status"), vec![Ok(Command::Status)]);
    assert_eq!(parse_commands("/status   "), vec![Ok(Command::Status)]);
    assert_eq!(parse_commands("/status\t"), vec![Ok(Command::Status)]);
    assert_eq!(
        parse_commands("héllo ✓\n/deny ünïcode réason ✓"),
        vec![Ok(Command::Deny {
            reason: "ünïcode réason ✓".into()
        })]
    );
    assert_eq!(
        parse_commands("/frob\n/help"),
        vec![unknown("frob"), Ok(Command::Help)]
    );
    assert_eq!(
        parse_commands("- item\n\n/status"),
        vec![Ok(Command::Status)]
    );
}

#[test]
fn help_covers_every_command() {
    let table = help_table();
    for kind in CommandKind::ALL {
        let (syntax, text) = usage(kind);
        assert!(syntax.starts_with(&format!("/{}", kind.name())), "{syntax}");
        assert!(table.contains(syntax) && table.contains(text));
        // Each syntax line parses back to its own command (with a sample argument where one is needed).
        let sample = match kind {
            CommandKind::RequestInfo | CommandKind::Deny => format!("/{} text", kind.name()),
            CommandKind::Confirm => format!("/{} email", kind.name()),
            CommandKind::Reply => format!("/{} duplicate", kind.name()),
            _ => format!("/{}", kind.name()),
        };
        assert_eq!(one(&sample).map(|c| c.kind()), Ok(kind));
    }
}

#[test]
fn arguments_run_over_the_following_lines_up_to_the_next_command() {
    assert_eq!(
        parse_commands("/request-info Hi,\n\nwhich projects are yours?\n\n- one\n- two\n/status\n"),
        vec![
            Ok(Command::RequestInfo {
                text: "Hi,\n\nwhich projects are yours?\n\n- one\n- two".into()
            }),
            Ok(Command::Status)
        ]
    );
    // A reason may start on the next line.
    assert_eq!(
        parse_commands("/deny\nNot the owner:\nthe projects belong to someone else."),
        vec![Ok(Command::Deny {
            reason: "Not the owner:\nthe projects belong to someone else.".into()
        })]
    );
    // A command without an argument ignores the admin's words after it.
    assert_eq!(
        parse_commands("/verify-email\n\nThanks, mail is on its way."),
        vec![Ok(Command::VerifyEmail)]
    );
    assert_eq!(
        parse_commands("/reply duplicate see also\nthe other one\n/withdraw"),
        vec![
            Ok(Command::Reply {
                name: "duplicate".into(),
                extra: Some("see also\nthe other one".into())
            }),
            Ok(Command::Withdraw)
        ]
    );
    assert_eq!(
        parse_commands("/reply"),
        vec![Err(ParseError::MissingArgument {
            command: "/reply",
            argument: "the name of a canned reply"
        })]
    );
}

proptest! {
    #[test]
    fn arbitrary_comments_never_panic(comment in "(?s).{0,300}") {
        let _ = parse_commands(&comment);
    }

    #[test]
    fn a_command_line_anywhere_among_plain_lines_is_found(
        before in prop::collection::vec("[a-z ,.]{0,30}", 0..4),
        after in prop::collection::vec("[a-z ,.]{0,30}", 0..4),
    ) {
        let text = [before.join("\n"), "/status".to_owned(), after.join("\n")].join("\n\n");
        prop_assert_eq!(parse_commands(&text), vec![Ok(Command::Status)]);
    }
}
