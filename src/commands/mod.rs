//! Admins' slash-commands, parsed from a comment's text (pure).

mod parser;

pub use parser::{Command, CommandKind, ParseError, help_table, parse_commands, usage};
