//! Any comment: the command parser never panics, and every command it finds
//! is on a line that starts with `/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(comment) = std::str::from_utf8(data) else {
        return;
    };
    let found = recovery_bot::commands::parse_commands(comment);
    let slash_lines = comment
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .filter(|l| l.trim_start().starts_with('/'))
        .count();
    assert!(found.len() <= slash_lines);
});
