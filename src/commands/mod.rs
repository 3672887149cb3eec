//! Admins' slash-commands, parsed from a comment's text (pure).

mod parser;

pub use parser::{
    Command, CommandKind, ParseError, Who, help_table, help_table_of, parse_commands, usage,
};
