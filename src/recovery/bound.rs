//! Commands bound to the request as the admin saw it (pure): an admin's
//! command written before the username, the index or the form's validity
//! last changed is refused, however late its job runs (a retry, a revived
//! dead job), so that no decision is taken on a request nobody looked at.

use chrono::{DateTime, Utc};

use crate::commands::{Command, ParseError, Who};

use super::transitions::{Actor, Commands, Outcome, Reply};

/// Whether a comment written at `written` was written after the request
/// last changed (`changed`, the issue's `updated_at` of that edit). GitHub
/// gives both in whole seconds, so a comment of the same second as the edit
/// may be from before it: it did not see the change. A comment without a
/// time did not either.
pub fn saw_request(written: Option<DateTime<Utc>>, changed: Option<DateTime<Utc>>) -> bool {
    match (written, changed) {
        (_, None) => true,
        (Some(written), Some(changed)) => written > changed,
        (None, Some(_)) => false,
    }
}

/// Whether an edit changed what admins decide on: the username (or the
/// index), or whether the form is valid. Such an edit's `updated_at` binds
/// every admin's command written before it.
pub fn edit_binds(username_changed: bool, valid_before: bool, valid_now: bool) -> bool {
    username_changed || valid_before != valid_now
}

/// Whether the command acts on what the admin saw: every admin's command
/// but `/status` and `/help` (and the requester's own `/withdraw`). A line
/// that does not parse changes nothing.
fn acts_on_request(command: &Result<Command, ParseError>) -> bool {
    command
        .as_ref()
        .is_ok_and(|c| c.kind().who() == Who::Admins)
}

/// Splits the commands an actor runs into those that still run and those
/// refused because the request changed since the comment was written
/// (`saw` is [`saw_request`]). Only an admin's commands are bound: anyone
/// else's are refused by their own rule.
pub fn split<'c>(commands: Commands<'c>, actor: &Actor, saw: bool) -> (Commands<'c>, Commands<'c>) {
    if saw || !actor.is_admin {
        return (commands, Vec::new());
    }
    commands.into_iter().partition(|c| !acts_on_request(c))
}

/// The one answer for the commands [`split`] refused, if any: nothing
/// changes, and the admin is asked to look at the request again.
pub fn refusal(stale: &Commands<'_>) -> Option<Outcome> {
    let commands: Vec<_> = stale
        .iter()
        .filter_map(|c| c.as_ref().ok().map(Command::kind))
        .collect();
    (!commands.is_empty())
        .then(|| Outcome::refused("command_stale", Reply::RequestChanged { commands }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::parse_commands;

    fn at(secs: i64) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0)
    }

    fn admin(is_admin: bool) -> Actor {
        Actor {
            id: 7,
            login: "someone".to_owned(),
            is_admin,
        }
    }

    #[test]
    fn a_comment_sees_the_request_only_when_written_after_its_last_change() {
        assert!(saw_request(at(0), None));
        assert!(saw_request(None, None));
        assert!(saw_request(at(1), at(0)));
        assert!(!saw_request(at(0), at(0)), "the same second is not after");
        assert!(!saw_request(at(0), at(1)));
        assert!(!saw_request(None, at(0)));
    }

    #[test]
    fn a_new_username_or_a_change_of_validity_binds_earlier_commands() {
        assert!(edit_binds(true, true, true));
        assert!(edit_binds(false, true, false));
        assert!(edit_binds(false, false, true));
        assert!(!edit_binds(false, true, true));
        assert!(!edit_binds(false, false, false));
    }

    #[test]
    fn only_an_admins_commands_on_the_request_are_refused() {
        let parsed = parse_commands(
            "/status\n/approve\n/help\n/verify-email\n/withdraw\n/confirm\n/deny no",
        );
        let all: Commands<'_> = parsed.iter().collect();
        let (run, refused) = split(all.clone(), &admin(true), false);
        let names = |c: &Commands<'_>| {
            c.iter()
                .map(|c| c.as_ref().map_or("invalid", |c| c.kind().name()))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&run), ["status", "help", "withdraw", "invalid"]);
        assert_eq!(names(&refused), ["approve", "verify-email", "deny"]);
        let outcome = refusal(&refused).unwrap();
        assert!(!outcome.ok && outcome.to.is_none() && outcome.check.is_none());
        assert!(!outcome.send_email && !outcome.recover && outcome.issue.is_none());
        assert_eq!(outcome.action, "command_stale");
        assert!(refusal(&Vec::new()).is_none());
        // A comment that saw the request, and anyone else's, all run.
        assert_eq!(split(all.clone(), &admin(true), true).0.len(), 7);
        assert_eq!(split(all, &admin(false), false).1.len(), 0);
    }
}
