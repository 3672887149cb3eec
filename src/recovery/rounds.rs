//! Whether an emailed link may still confirm its round (pure). A link proves
//! one thing: that whoever reads the mailbox of the account named when the
//! link was sent (still its verified primary address) agrees to this
//! request. It confirms only while the request
//! still waits for that very round; any other case gets one neutral answer.

use super::state::State;
use super::transitions::{Awaiting, CheckStatus};

/// What the link and its request look like now.
#[derive(Debug, Clone)]
pub struct LinkFacts<'a> {
    pub token_id: i64,
    pub used: bool,
    pub revoked: bool,
    pub expired: bool,
    /// The newest mailed link of the request for this check.
    pub latest_round: Option<i64>,
    /// The username the link was sent for.
    pub sent_for: Option<&'a str>,
    /// The username the request names now.
    pub username_now: Option<&'a str>,
    /// The request is for the index the link was sent for (another index
    /// is another account, whatever the name).
    pub same_index: bool,
    pub state: State,
    pub awaiting: Option<Awaiting>,
    pub in_open_set: bool,
    pub form_valid: bool,
    /// The `email` check as recorded now.
    pub email_check: Option<CheckStatus>,
    /// The account's verified primary address now is the one the link
    /// went to.
    pub same_address: bool,
}

/// Why a link cannot confirm (for the log and the audit, never the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Used,
    Revoked,
    Expired,
    Superseded,
    UsernameChanged,
    AddressChanged,
    NotWaiting,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Used => "used",
            Refusal::Revoked => "revoked",
            Refusal::Expired => "expired",
            Refusal::Superseded => "superseded",
            Refusal::UsernameChanged => "username_changed",
            Refusal::AddressChanged => "address_changed",
            Refusal::NotWaiting => "not_waiting",
        }
    }
}

/// The link's own state: a used, revoked or expired link never confirms,
/// whatever its request or its account says (so the page asks nothing
/// more of anyone for it).
pub fn spent(used: bool, revoked: bool, expired: bool) -> Result<(), Refusal> {
    if used {
        return Err(Refusal::Used);
    }
    if revoked {
        return Err(Refusal::Revoked);
    }
    if expired {
        return Err(Refusal::Expired);
    }
    Ok(())
}

/// `Ok` when pressing Confirm may record the check.
pub fn verdict(f: &LinkFacts<'_>) -> Result<(), Refusal> {
    spent(f.used, f.revoked, f.expired)?;
    if f.latest_round != Some(f.token_id) {
        return Err(Refusal::Superseded);
    }
    let same_name = match (f.sent_for, f.username_now) {
        (Some(a), Some(b)) => f.same_index && a.eq_ignore_ascii_case(b),
        _ => false,
    };
    if !same_name {
        return Err(Refusal::UsernameChanged);
    }
    if !f.same_address {
        return Err(Refusal::AddressChanged);
    }
    let waiting = f.in_open_set
        && f.form_valid
        && f.state == State::AwaitingUser
        && f.awaiting == Some(Awaiting::Email)
        && f.email_check == Some(CheckStatus::Sent);
    if !waiting {
        return Err(Refusal::NotWaiting);
    }
    Ok(())
}

/// Why a request's links stop working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    UsernameChanged,
    Superseded,
    RecordedByHand,
    Decided,
    Closed,
    Removed,
    ChecksReset,
    /// The account's address changed before the round's mail left.
    AddressChanged,
    /// The mail server never took the round's mail.
    MailFailed,
}

impl Revocation {
    pub fn as_str(self) -> &'static str {
        match self {
            Revocation::UsernameChanged => "username_changed",
            Revocation::Superseded => "superseded",
            Revocation::RecordedByHand => "recorded_by_hand",
            Revocation::Decided => "decided",
            Revocation::Closed => "closed",
            Revocation::Removed => "removed",
            Revocation::ChecksReset => "checks_reset",
            Revocation::AddressChanged => "address_changed",
            Revocation::MailFailed => "mail_failed",
        }
    }
}

/// Which live links a change of state ends (the rest end where they are
/// decided: a newer round, a username or index edit, `/confirm email`, a
/// reset of the checks). A decision ends every round; so does closing the
/// issue (withdrawn, no response).
pub fn ended_by(to: State, issue_open: bool) -> Option<Revocation> {
    if to.is_final() {
        Some(Revocation::Decided)
    } else if !issue_open {
        Some(Revocation::Closed)
    } else {
        None
    }
}

/// Which live links a check's new status ends: `email` recorded as passed
/// ends every other link of the request (the one that passed it is used
/// already; by hand, `/confirm email`, none is needed any more).
pub fn ended_by_check(name: &str, status: CheckStatus) -> Option<Revocation> {
    (name == super::transitions::EMAIL_CHECK && status == CheckStatus::Passed)
        .then_some(Revocation::RecordedByHand)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> LinkFacts<'static> {
        LinkFacts {
            token_id: 7,
            used: false,
            revoked: false,
            expired: false,
            latest_round: Some(7),
            sent_for: Some("alice"),
            username_now: Some("Alice"),
            same_index: true,
            state: State::AwaitingUser,
            awaiting: Some(Awaiting::Email),
            in_open_set: true,
            form_valid: true,
            email_check: Some(CheckStatus::Sent),
            same_address: true,
        }
    }

    #[test]
    fn only_email_passed_ends_the_other_links() {
        use super::super::transitions::{EMAIL_CHECK, OWNERSHIP_CHECK};
        assert_eq!(
            ended_by_check(EMAIL_CHECK, CheckStatus::Passed),
            Some(Revocation::RecordedByHand)
        );
        assert_eq!(ended_by_check(EMAIL_CHECK, CheckStatus::Sent), None);
        assert_eq!(ended_by_check(OWNERSHIP_CHECK, CheckStatus::Passed), None);
    }

    #[test]
    fn a_link_confirms_only_its_own_waiting_round() {
        assert_eq!(verdict(&good()), Ok(()));
        let cases: Vec<(LinkFacts<'static>, Refusal)> = vec![
            (
                LinkFacts {
                    used: true,
                    ..good()
                },
                Refusal::Used,
            ),
            (
                LinkFacts {
                    revoked: true,
                    ..good()
                },
                Refusal::Revoked,
            ),
            (
                LinkFacts {
                    expired: true,
                    ..good()
                },
                Refusal::Expired,
            ),
            (
                LinkFacts {
                    latest_round: Some(8),
                    ..good()
                },
                Refusal::Superseded,
            ),
            (
                LinkFacts {
                    username_now: Some("bob"),
                    ..good()
                },
                Refusal::UsernameChanged,
            ),
            (
                LinkFacts {
                    username_now: None,
                    ..good()
                },
                Refusal::UsernameChanged,
            ),
            (
                LinkFacts {
                    sent_for: None,
                    ..good()
                },
                Refusal::UsernameChanged,
            ),
            (
                LinkFacts {
                    same_address: false,
                    ..good()
                },
                Refusal::AddressChanged,
            ),
            (
                LinkFacts {
                    state: State::Pending,
                    ..good()
                },
                Refusal::NotWaiting,
            ),
            (
                LinkFacts {
                    awaiting: Some(Awaiting::Info),
                    ..good()
                },
                Refusal::NotWaiting,
            ),
            (
                LinkFacts {
                    in_open_set: false,
                    ..good()
                },
                Refusal::NotWaiting,
            ),
            (
                LinkFacts {
                    form_valid: false,
                    ..good()
                },
                Refusal::NotWaiting,
            ),
            (
                LinkFacts {
                    email_check: Some(CheckStatus::Passed),
                    ..good()
                },
                Refusal::NotWaiting,
            ),
            (
                LinkFacts {
                    email_check: None,
                    ..good()
                },
                Refusal::NotWaiting,
            ),
        ];
        for (facts, why) in cases {
            assert_eq!(verdict(&facts), Err(why), "{facts:?}");
        }
    }

    #[test]
    fn decisions_and_closes_end_every_round() {
        assert_eq!(ended_by(State::Approved, false), Some(Revocation::Decided));
        assert_eq!(ended_by(State::Denied, false), Some(Revocation::Decided));
        assert_eq!(ended_by(State::Withdrawn, false), Some(Revocation::Closed));
        assert_eq!(ended_by(State::NoResponse, false), Some(Revocation::Closed));
        assert_eq!(ended_by(State::AwaitingUser, true), None);
        assert_eq!(ended_by(State::Pending, true), None);
    }
}
