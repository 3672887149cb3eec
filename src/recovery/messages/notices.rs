//! Comments the bot writes on its own, not in answer to a command:
//! reminders, found branches, the index's answers, pasted secrets.

use std::fmt::Write as _;

use crate::recovery::echo::{self, code};
use crate::recovery::secrets::SecretKind;
use crate::recovery::state::State;

use super::words::{human, secret_names};

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

/// For admins: the `/verify-repo` branch is there but does not count,
/// because GitHub does not show it was created after the token was mailed
/// (`created`: who created it and when, when GitHub shows that).
pub fn branch_not_counted(repository: &str, created: Option<(&str, &str)>) -> String {
    let why = match created {
        Some((login, when)) => format!(
            "GitHub's activity shows it was created by {} at {when}, before the token was emailed",
            code(login)
        ),
        None => "GitHub's activity does not show who created it or when".to_owned(),
    };
    format!(
        "Admins: a branch named after the emailed token is in {}, but {why}. It was not counted: \
         `project-ownership` is not recorded. Look at the repository before you `/confirm project-ownership` \
         by hand, or start a new round with `/verify-repo`.",
        code(repository)
    )
}

/// For admins: an approval waiting for the index was not carried out,
/// because the request changed in the meantime.
pub fn approval_abandoned(admin: &str) -> String {
    format!(
        "The approval by @{admin} was not carried out: the request changed before the index was asked \
         (a new username, a reset check, or a decision). Nothing was reset; look at the request again."
    )
}

/// Why a round's mail did not leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotMailed {
    /// The account's verified primary address is no longer the one the
    /// round was asked for (or there is none).
    AddressChanged,
    /// The mail server refused the mail, or could not be reached, on every
    /// attempt.
    MailFailed,
}

/// For admins: a round's email was not sent, so its link does not work.
/// Never names the address.
pub fn not_mailed(why: NotMailed) -> String {
    let what = match why {
        NotMailed::AddressChanged => {
            "the account's registered address changed (or is no longer verified) since the round was asked for"
        }
        NotMailed::MailFailed => "the mail server did not take it, however often I tried",
    };
    format!(
        "Admins: the email for the last verification round was **not** sent: {what}. Its link or token \
         does not work. Look at the account, then start the round again (`/verify-email` or \
         `/verify-repo`)."
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use insta::assert_snapshot;

    use super::*;

    #[test]
    fn reminders() {
        let week = Duration::from_secs(7 * 86_400);
        assert_snapshot!(
            "reminder_incomplete",
            reminder("octocat", State::Incomplete, week)
        );
        assert_snapshot!(
            "reminder_awaiting_user",
            reminder(
                "octocat",
                State::AwaitingUser,
                Duration::from_secs(36 * 3_600)
            )
        );
    }

    #[test]
    fn branch_not_counted_notices() {
        assert_snapshot!(
            "branch_not_counted_before_mail",
            branch_not_counted("alice/demo", Some(("octocat", "2026-12-01 09:30 UTC")))
        );
        assert_snapshot!(
            "branch_not_counted_unseen",
            branch_not_counted("alice/demo", None)
        );
    }

    #[test]
    fn link_expired_notice() {
        assert_snapshot!(link_expired());
    }

    #[test]
    fn branch_found_notices() {
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_snapshot!(
            "branch_found",
            branch_found("alice/alice-tools", commit, false)
        );
        assert_snapshot!(
            "branch_found_verified",
            branch_found("alice/alice-tools", commit, true)
        );
    }

    #[test]
    fn approval_abandoned_notice() {
        assert_snapshot!(approval_abandoned("admin-ann"));
    }

    #[test]
    fn not_mailed_notices() {
        assert_snapshot!(
            "not_mailed_address_changed",
            not_mailed(NotMailed::AddressChanged)
        );
        assert_snapshot!("not_mailed_mail_failed", not_mailed(NotMailed::MailFailed));
    }

    #[test]
    fn recover_failed_notices() {
        assert_snapshot!(
            "recover_failed_status_retrying",
            recover_failed(Some(503), true)
        );
        assert_snapshot!(
            "recover_failed_unreachable_retrying",
            recover_failed(None, true)
        );
        assert_snapshot!(
            "recover_failed_status_refused",
            recover_failed(Some(409), false)
        );
    }

    #[test]
    fn secret_warnings() {
        assert_snapshot!(
            "secret_warning_issue_redacted_every_kind",
            secret_warning(
                "octocat",
                &SecretKind::ALL,
                SecretPlace::Issue,
                true,
                "PyPI"
            )
        );
        assert_snapshot!(
            "secret_warning_comment_not_redacted",
            secret_warning(
                "octocat",
                &[SecretKind::PypiToken],
                SecretPlace::Comment,
                false,
                "TestPyPI"
            )
        );
    }
}
