//! `auto_verify`: whether the bot starts a proof round itself when a
//! request becomes valid (pure). It only ever starts the round an admin's
//! `/verify-email` or `/verify-repo` would; nothing automatic approves.

use serde::Deserialize;

use crate::commands::Command;

use super::replies::Replies;
use super::transitions::{self, Actor, Outcome, Situation};

/// The `auto_verify` setting.
#[derive(Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AutoVerify {
    /// Rounds are started by admins only.
    Off,
    /// `/verify-email` when the evidence points at the author.
    #[default]
    Evidence,
    /// The round an admin would start, whatever the evidence.
    Always,
}

impl AutoVerify {
    /// The name in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            AutoVerify::Off => "off",
            AutoVerify::Evidence => "evidence",
            AutoVerify::Always => "always",
        }
    }
}

/// What the decision reads: the request just became valid (intake, an
/// edit, a reopen) and these are the facts about its account now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoFacts {
    pub mode: AutoVerify,
    /// The request is open, valid and pending (it waits for an admin).
    pub pending: bool,
    /// The directory lists the account.
    pub account_exists: bool,
    pub frozen: bool,
    /// The account has a verified primary address.
    pub verified_address: bool,
    pub unused_recovery_codes: bool,
    /// The request duplicates an earlier open one for the same account.
    pub duplicate: bool,
    /// The evidence points at the author (`project-ownership` passed by
    /// itself: the linked GitHub account, or every repository counts).
    pub evidence_points_at_author: bool,
    /// The account is linked to another GitHub account: no automatic
    /// round in any mode.
    pub linked_to_another: bool,
    /// Some request for the same account has a live round.
    pub live_round: bool,
    /// An automatic round for the account started within
    /// `auto_verify_cooldown`.
    pub within_cooldown: bool,
    /// The account's projects' GitHub repositories (for `/verify-repo`).
    pub repositories: usize,
}

/// The round the bot starts itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoRound {
    Email,
    Repo,
}

impl AutoRound {
    /// The audit row's action: says the round was automatic.
    pub fn action(self) -> &'static str {
        match self {
            AutoRound::Email => "auto_verify_email",
            AutoRound::Repo => "auto_verify_repo",
        }
    }

    fn command(self) -> Command {
        match self {
            AutoRound::Email => Command::VerifyEmail,
            AutoRound::Repo => Command::VerifyRepo,
        }
    }
}

/// Whether (and which) round the bot starts itself. Every condition must
/// hold; any fact it lacks keeps the round for admins (fail closed).
pub fn decide(f: &AutoFacts) -> Option<AutoRound> {
    let eligible = f.pending
        && f.account_exists
        && !f.frozen
        && f.verified_address
        && !f.unused_recovery_codes
        && !f.duplicate
        && !f.linked_to_another
        && !f.live_round
        && !f.within_cooldown;
    if !eligible {
        return None;
    }
    match f.mode {
        AutoVerify::Off => None,
        // Ownership has passed: the mailbox is what is left to prove.
        AutoVerify::Evidence => f.evidence_points_at_author.then_some(AutoRound::Email),
        AutoVerify::Always if f.repositories > 0 => Some(AutoRound::Repo),
        AutoVerify::Always => Some(AutoRound::Email),
    }
}

/// The round as an admin's command would start it (the same rule, so the
/// same refusals), with the bot as actor and an action that says it was
/// automatic. No reply: the status comment says the bot emailed the owner.
pub fn start(sit: &Situation, round: AutoRound, bot_login: &str) -> Outcome {
    let bot = Actor {
        // Never the author's id: the bot acts on no request of its own.
        id: 0,
        login: bot_login.to_owned(),
        is_admin: true,
    };
    let mut outcome = transitions::command(sit, &bot, &Ok(round.command()), &Replies::default());
    if outcome.ok {
        outcome.action = round.action();
    }
    outcome.reply = None;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> AutoFacts {
        AutoFacts {
            mode: AutoVerify::Evidence,
            pending: true,
            account_exists: true,
            frozen: false,
            verified_address: true,
            unused_recovery_codes: false,
            duplicate: false,
            evidence_points_at_author: true,
            linked_to_another: false,
            live_round: false,
            within_cooldown: false,
            repositories: 2,
        }
    }

    #[test]
    fn evidence_mode_emails_only_when_the_evidence_points_at_the_author() {
        assert_eq!(decide(&ready()), Some(AutoRound::Email));
        let no_evidence = AutoFacts {
            evidence_points_at_author: false,
            ..ready()
        };
        assert_eq!(decide(&no_evidence), None);
    }

    #[test]
    fn always_mode_starts_the_round_an_admin_would() {
        let always = AutoFacts {
            mode: AutoVerify::Always,
            evidence_points_at_author: false,
            ..ready()
        };
        assert_eq!(decide(&always), Some(AutoRound::Repo));
        let no_repos = AutoFacts {
            repositories: 0,
            ..always
        };
        assert_eq!(decide(&no_repos), Some(AutoRound::Email));
    }

    #[test]
    fn any_missing_condition_leaves_the_round_to_admins() {
        let off = AutoFacts {
            mode: AutoVerify::Off,
            ..ready()
        };
        let cases = [
            off,
            AutoFacts {
                pending: false,
                ..ready()
            },
            AutoFacts {
                account_exists: false,
                ..ready()
            },
            AutoFacts {
                frozen: true,
                ..ready()
            },
            AutoFacts {
                verified_address: false,
                ..ready()
            },
            AutoFacts {
                unused_recovery_codes: true,
                ..ready()
            },
            AutoFacts {
                duplicate: true,
                ..ready()
            },
            AutoFacts {
                linked_to_another: true,
                ..ready()
            },
            AutoFacts {
                mode: AutoVerify::Always,
                linked_to_another: true,
                ..ready()
            },
            AutoFacts {
                live_round: true,
                ..ready()
            },
            AutoFacts {
                within_cooldown: true,
                ..ready()
            },
        ];
        for facts in cases {
            assert_eq!(decide(&facts), None, "{facts:?}");
            let always = AutoFacts {
                mode: AutoVerify::Always,
                ..facts
            };
            if facts.mode != AutoVerify::Off {
                assert_eq!(decide(&always), None, "{always:?}");
            }
        }
    }
}
