//! Time that moves by itself (pure): when a request waiting for its
//! requester is reminded and when it is closed for no response, and when
//! the waiting period of an approval without a proof of ownership ends.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::ownership::Projects;
use super::state::State;

/// Time that moves by itself (durations like `14d`, `36h`, `90s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// A request waiting for its requester gets one reminder after this
    /// long without their activity; zero: no reminders.
    pub remind_after: Duration,
    /// A reminded request is closed as no_response after this long more.
    pub close_after: Duration,
    /// With no project-ownership proof, `/approve` waits this long after
    /// the email check passed.
    pub waiting_period: Duration,
    /// How often a `/verify-repo` branch is looked for.
    pub repo_check_interval: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        const DAY: u64 = 24 * 3600;
        Self {
            remind_after: Duration::from_secs(14 * DAY),
            close_after: Duration::from_secs(7 * DAY),
            waiting_period: Duration::from_secs(7 * DAY),
            repo_check_interval: Duration::from_secs(3600),
        }
    }
}

/// What a request's clock says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Nothing,
    /// One reminder, as a new comment (so the requester is notified).
    Remind,
    /// The reminder went unanswered: close as no_response.
    Close,
}

/// The facts a request's clock runs on.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub state: State,
    pub open: bool,
    pub state_changed_at: DateTime<Utc>,
    /// The requester's last edit or comment.
    pub requester_active_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
}

/// States in which a request waits for its requester: the only ones that
/// are reminded and closed for no response.
pub fn waits_for_requester(state: State) -> bool {
    matches!(state, State::Incomplete | State::AwaitingUser)
}

fn after(at: DateTime<Utc>, d: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Reminders count from the requester's last activity or the last state
/// change, whichever is later; the close counts from the reminder.
pub fn due(c: &Clock, t: &Timers, now: DateTime<Utc>) -> Due {
    if !c.open || !waits_for_requester(c.state) || t.remind_after.is_zero() {
        return Due::Nothing;
    }
    let last = c
        .requester_active_at
        .map_or(c.state_changed_at, |a| a.max(c.state_changed_at));
    match c.reminded_at {
        // A reminder older than the last activity was answered.
        Some(at) if at >= last => {
            if after(at, t.close_after) <= now {
                Due::Close
            } else {
                Due::Nothing
            }
        }
        _ if after(last, t.remind_after) <= now => Due::Remind,
        _ => Due::Nothing,
    }
}

/// Whether a `/verify-repo` branch is due for a look: `interval` after the
/// last look, or after the token was mailed when there was none since.
pub fn branch_look_due(
    mailed_at: DateTime<Utc>,
    last_look: Option<DateTime<Utc>>,
    interval: std::time::Duration,
    now: DateTime<Utc>,
) -> bool {
    let since = last_look.map_or(mailed_at, |l| l.max(mailed_at));
    after(since, interval) <= now
}

/// `/status` looks for a `/verify-repo` branch at most this often per
/// request, however many `/status` lines and comments ask.
pub const STATUS_LOOK_EVERY: Duration = Duration::from_secs(60);

/// Whether `/status` may look for the branch now: no look in the last
/// [`STATUS_LOOK_EVERY`] (by `/status` or the periodic look-up).
pub fn status_look_due(last_look: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_look.is_none_or(|l| after(l, STATUS_LOOK_EVERY) <= now)
}

/// Someone who is neither an admin nor the requester is answered (a reply,
/// a reaction) at most once per request in this long.
pub const OUTSIDER_QUIET: Duration = Duration::from_secs(3600);

/// Whether the bot may answer such a commenter now, given when it last did
/// on this request.
pub fn outsider_may_be_answered(last_answer: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_answer.is_none_or(|l| after(l, OUTSIDER_QUIET) <= now)
}

/// When `/approve` may go ahead without `--now`: `waiting_period` after the
/// email check passed, unless ownership was proven or the directory
/// answered that the account has no projects (PyPI's fast path). No
/// evidence for the account named now counts as projects (fail closed);
/// with no directory at all the bot cannot know, and admins who check the
/// index by hand decide, as SPEC says.
pub fn waiting_ends(
    email_passed_at: Option<DateTime<Utc>>,
    ownership_passed: bool,
    projects: Projects,
    t: &Timers,
) -> Option<DateTime<Utc>> {
    if ownership_passed || projects != Projects::ListedOrUnknown || t.waiting_period.is_zero() {
        return None;
    }
    email_passed_at.map(|at| after(at, t.waiting_period))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn t() -> Timers {
        Timers {
            remind_after: Duration::from_secs(100),
            close_after: Duration::from_secs(50),
            waiting_period: Duration::from_secs(1000),
            repo_check_interval: Duration::from_secs(10),
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn clock(state: State) -> Clock {
        Clock {
            state,
            open: true,
            state_changed_at: at(0),
            requester_active_at: None,
            reminded_at: None,
        }
    }

    #[test]
    fn a_quiet_request_is_reminded_once_then_closed() {
        let c = clock(State::AwaitingUser);
        assert_eq!(due(&c, &t(), at(99)), Due::Nothing);
        assert_eq!(due(&c, &t(), at(100)), Due::Remind);
        let reminded = Clock {
            reminded_at: Some(at(100)),
            ..c
        };
        assert_eq!(due(&reminded, &t(), at(149)), Due::Nothing);
        assert_eq!(due(&reminded, &t(), at(150)), Due::Close);
    }

    #[test]
    fn the_requesters_activity_restarts_the_clock() {
        let c = Clock {
            requester_active_at: Some(at(80)),
            ..clock(State::Incomplete)
        };
        assert_eq!(due(&c, &t(), at(150)), Due::Nothing);
        assert_eq!(due(&c, &t(), at(180)), Due::Remind);
        // Active after the reminder: no close; a new reminder later.
        let answered = Clock {
            reminded_at: Some(at(100)),
            requester_active_at: Some(at(120)),
            ..c
        };
        assert_eq!(due(&answered, &t(), at(160)), Due::Nothing);
        assert_eq!(due(&answered, &t(), at(220)), Due::Remind);
    }

    #[test]
    fn only_open_requests_waiting_for_their_requester_are_reminded() {
        for state in [State::Pending, State::Verified, State::NoResponse] {
            assert_eq!(due(&clock(state), &t(), at(1_000)), Due::Nothing);
        }
        let closed = Clock {
            open: false,
            ..clock(State::AwaitingUser)
        };
        assert_eq!(due(&closed, &t(), at(1_000)), Due::Nothing);
        let off = Timers {
            remind_after: Duration::ZERO,
            ..t()
        };
        assert_eq!(
            due(&clock(State::AwaitingUser), &off, at(1_000)),
            Due::Nothing
        );
    }

    #[test]
    fn a_branch_is_looked_for_every_interval_from_the_mail() {
        let hour = Duration::from_secs(3600);
        assert!(!branch_look_due(at(0), None, hour, at(3599)));
        assert!(branch_look_due(at(0), None, hour, at(3600)));
        assert!(!branch_look_due(at(0), Some(at(3600)), hour, at(7199)));
        assert!(branch_look_due(at(0), Some(at(3600)), hour, at(7200)));
        // A look before the newest mail counts from the mail.
        assert!(!branch_look_due(at(5000), Some(at(10)), hour, at(8000)));
    }

    #[test]
    fn status_looks_once_a_minute_and_outsiders_are_answered_once_an_hour() {
        assert!(status_look_due(None, at(0)));
        assert!(!status_look_due(Some(at(0)), at(59)));
        assert!(status_look_due(Some(at(0)), at(60)));
        assert!(outsider_may_be_answered(None, at(0)));
        assert!(!outsider_may_be_answered(Some(at(0)), at(3599)));
        assert!(outsider_may_be_answered(Some(at(0)), at(3600)));
    }

    #[test]
    fn the_waiting_period_applies_without_a_proof_of_ownership() {
        assert_eq!(
            waiting_ends(Some(at(0)), false, Projects::ListedOrUnknown, &t()),
            Some(at(1000))
        );
        let ends = |proven, p| waiting_ends(Some(at(0)), proven, p, &t());
        assert_eq!(ends(false, Projects::NotKnowable), None);
        assert_eq!(ends(true, Projects::ListedOrUnknown), None);
        assert_eq!(ends(false, Projects::None), None);
        assert_eq!(
            waiting_ends(None, false, Projects::ListedOrUnknown, &t()),
            None
        );
    }
}
