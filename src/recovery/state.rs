//! The states of a request and the label each one shows on the tracker.
//! This is the one place a label is chosen.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Incomplete,
    Pending,
    AwaitingUser,
    Verified,
    Approved,
    Denied,
    /// The requester withdrew it (`/withdraw`, or closed the issue).
    Withdrawn,
    /// Closed after a reminder went unanswered; a requester's comment
    /// reopens it.
    NoResponse,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Incomplete,
        State::Pending,
        State::AwaitingUser,
        State::Verified,
        State::Approved,
        State::Denied,
        State::Withdrawn,
        State::NoResponse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Incomplete => "incomplete",
            State::Pending => "pending",
            State::AwaitingUser => "awaiting_user",
            State::Verified => "verified",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Withdrawn => "withdrawn",
            State::NoResponse => "no_response",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Approved and denied requests are decided (and closed issues).
    pub fn is_final(self) -> bool {
        matches!(self, State::Approved | State::Denied)
    }

    /// The states of a closed issue: decided, withdrawn, or closed for no
    /// response. A reopen leaves them (`Situation::reopened_state`).
    pub fn is_closed(self) -> bool {
        self.is_final() || matches!(self, State::Withdrawn | State::NoResponse)
    }

    /// Closed without a decision: a reopen returns to the state before.
    pub fn keeps_state_before(self) -> bool {
        matches!(self, State::Withdrawn | State::NoResponse)
    }

    /// Waits for the requester, or was closed while it did: the reason it
    /// waits (`Awaiting`) is kept.
    pub fn keeps_awaiting(self) -> bool {
        self == State::AwaitingUser || self.keeps_state_before()
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Label names (TOML `[labels]`); defaults as in SPEC.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Labels {
    pub intake: String,
    pub duplicate: String,
    /// Added when every project's repository belongs to the requester.
    pub fasttrack: String,
    pub incomplete: String,
    pub pending: String,
    pub awaiting_user: String,
    pub verified: String,
    pub approved: String,
    pub denied: String,
    pub withdrawn: String,
    pub no_response: String,
}

impl Default for Labels {
    fn default() -> Self {
        Self {
            intake: "account-recovery".into(),
            duplicate: "duplicate".into(),
            fasttrack: "fasttrack".into(),
            incomplete: "needs-fix".into(),
            pending: "needs-verification".into(),
            awaiting_user: "awaiting-user".into(),
            verified: "verified".into(),
            approved: "approved".into(),
            denied: "denied".into(),
            withdrawn: "withdrawn".into(),
            no_response: "no-response".into(),
        }
    }
}

impl Labels {
    pub fn for_state(&self, state: State) -> &str {
        match state {
            State::Incomplete => &self.incomplete,
            State::Pending => &self.pending,
            State::AwaitingUser => &self.awaiting_user,
            State::Verified => &self.verified,
            State::Approved => &self.approved,
            State::Denied => &self.denied,
            State::Withdrawn => &self.withdrawn,
            State::NoResponse => &self.no_response,
        }
    }

    /// The labels the tracker must show for a request: its state's, and
    /// the flags that apply. The one place a label is chosen.
    pub fn wanted(&self, state: State, flags: Flags) -> Vec<&str> {
        let mut want = vec![self.for_state(state)];
        if flags.duplicate {
            want.push(&self.duplicate);
        }
        if flags.fasttrack {
            want.push(&self.fasttrack);
        }
        want
    }

    /// The label changes that leave exactly `state`'s label among the state
    /// labels, and the flags as `flags` says, on an issue that now carries
    /// `current`. Labels the bot does not own are left alone.
    pub fn changes(&self, current: &[String], state: State, flags: Flags) -> LabelChanges {
        let has = |name: &str| current.iter().any(|l| l.eq_ignore_ascii_case(name));
        let want = self.for_state(state);
        let mut add = Vec::new();
        if !has(want) {
            add.push(want.to_owned());
        }
        let mut remove: Vec<String> = State::ALL
            .into_iter()
            .map(|s| self.for_state(s))
            .filter(|l| !l.eq_ignore_ascii_case(want) && has(l))
            .map(str::to_owned)
            .collect();
        for (wanted, label) in [
            (flags.duplicate, &self.duplicate),
            (flags.fasttrack, &self.fasttrack),
        ] {
            match (wanted, has(label)) {
                (true, false) => add.push(label.clone()),
                (false, true) => remove.push(label.clone()),
                _ => {}
            }
        }
        LabelChanges { add, remove }
    }

    /// Every label the bot uses, with its `[labels]` key: the intake label,
    /// the flags, then one per state (in `State::ALL` order, so a new state's
    /// label is in it).
    pub fn all(&self) -> Vec<(&'static str, &str)> {
        let mut all = vec![
            ("intake", self.intake.as_str()),
            ("duplicate", self.duplicate.as_str()),
            ("fasttrack", self.fasttrack.as_str()),
        ];
        all.extend(State::ALL.map(|s| (s.as_str(), self.for_state(s))));
        all
    }
}

/// The flags shown beside the state label.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// Another, earlier open request names the same account.
    pub duplicate: bool,
    /// The ownership evidence put the request on the fast track.
    pub fasttrack: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelChanges {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_state_label_at_a_time() {
        let l = Labels::default();
        let none = Flags::default();
        let dup = Flags {
            duplicate: true,
            ..none
        };
        let c = l.changes(&v(&["account-recovery", "needs-fix"]), State::Pending, none);
        assert_eq!(c.add, ["needs-verification"]);
        assert_eq!(c.remove, ["needs-fix"]);
        let c = l.changes(
            &v(&["account-recovery", "needs-verification"]),
            State::Pending,
            none,
        );
        assert_eq!(c, LabelChanges::default());
        let c = l.changes(&v(&["Needs-Fix", "verified"]), State::Incomplete, dup);
        assert_eq!(c.add, ["duplicate"]);
        assert_eq!(c.remove, ["verified"]);
        let c = l.changes(&v(&["duplicate", "needs-fix"]), State::Incomplete, none);
        assert_eq!(c.remove, ["duplicate"]);
        // Two state labels (a race) leave one; fasttrack goes when not earned.
        let c = l.changes(
            &v(&["needs-verification", "denied", "fasttrack", "bug"]),
            State::Denied,
            none,
        );
        assert!(c.add.is_empty());
        assert_eq!(c.remove, ["needs-verification", "fasttrack"]);
        assert_eq!(
            l.wanted(
                State::Verified,
                Flags {
                    duplicate: true,
                    fasttrack: true
                }
            ),
            ["verified", "duplicate", "fasttrack"]
        );
    }

    #[test]
    fn states_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("closed"), None);
    }
}
