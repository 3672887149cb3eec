//! Pieces shared by several surfaces: times, durations, tables, quotes.

use std::fmt::Write as _;

use crate::recovery::echo::{self, cell, plain};
use crate::recovery::secrets::SecretKind;
use crate::recovery::transitions::CheckStatus;

use super::status_comment::CheckLine;

/// How many requests wait ahead of one, as a sentence's end.
pub(super) fn ahead(n: i64) -> String {
    match n {
        0 => "no request that an admin has not answered yet was ahead of yours.".to_owned(),
        1 => "1 request that no admin has answered yet was ahead of yours.".to_owned(),
        n => format!("{n} requests that no admin has answered yet were ahead of yours."),
    }
}

pub(super) fn checks_table(checks: &[CheckLine], required: &[String]) -> String {
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

pub(super) fn quote(text: &str) -> String {
    echo::paragraph(text, 4_000)
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
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

/// The kinds of secret, as words.
pub(super) fn secret_names(kinds: &[SecretKind]) -> String {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone as _;
    use insta::assert_snapshot;

    use super::*;

    #[test]
    fn durations_in_words() {
        let words: Vec<String> = [0, 1, 90, 60, 120, 3_600, 36 * 3_600, 86_400, 14 * 86_400]
            .into_iter()
            .map(|s| format!("{s} s: {}", human(Duration::from_secs(s))))
            .collect();
        assert_snapshot!(words.join("\n"));
    }

    #[test]
    fn times_as_the_tracker_shows_them() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 8, 9, 5, 59).unwrap();
        assert_snapshot!(utc(&at));
    }
}
