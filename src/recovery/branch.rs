//! Whether a `/verify-repo` branch counts (pure): only when GitHub's
//! activity shows it was created after the token was mailed, by someone it
//! names. A branch that was there before the mail proves nothing about the
//! mail's reader.

use chrono::{DateTime, Utc};

/// One `branch_creation` of the branch, as the repository's activity lists
/// it (entries without an actor are not listed: no one to record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creation {
    pub login: String,
    pub id: u64,
    pub at: DateTime<Utc>,
}

/// What the branch's creation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Created after the mail: it counts.
    Counts(Creation),
    /// No creation could be seen (none listed, the repository gone, or the
    /// round has no mail time).
    Unseen,
    /// Its latest creation predates the mail.
    Predates(Creation),
}

impl Verdict {
    /// For the audit row.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Counts(_) => "counts",
            Verdict::Unseen => "creation_unseen",
            Verdict::Predates(_) => "created_before_mail",
        }
    }
}

/// Judges the branch by its latest creation (a branch deleted and pushed
/// again was created by the last push). GitHub gives whole seconds: a
/// creation in the second the mail left counts (the branch's name was in
/// the mail).
pub fn judge(creations: &[Creation], mailed_at: Option<DateTime<Utc>>) -> Verdict {
    let (Some(latest), Some(mailed_at)) = (creations.iter().max_by_key(|c| c.at), mailed_at) else {
        return Verdict::Unseen;
    };
    let mailed_second = mailed_at.timestamp();
    if latest.at.timestamp() >= mailed_second {
        Verdict::Counts(latest.clone())
    } else {
        Verdict::Predates(latest.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn created(when: &str) -> Creation {
        Creation {
            login: "octocat".to_owned(),
            id: 583231,
            at: at(when),
        }
    }

    #[test]
    fn only_a_branch_created_after_the_mail_counts() {
        let mailed = Some(at("2026-12-01T10:00:00Z"));
        let after = created("2026-12-01T10:05:00Z");
        let before = created("2026-12-01T09:00:00Z");
        assert_eq!(
            judge(std::slice::from_ref(&after), mailed),
            Verdict::Counts(after.clone())
        );
        assert_eq!(
            judge(std::slice::from_ref(&before), mailed),
            Verdict::Predates(before.clone())
        );
        // Deleted and pushed again after the mail: the last creation counts.
        assert_eq!(
            judge(&[before.clone(), after.clone()], mailed),
            Verdict::Counts(after.clone())
        );
        // The same second as the mail (GitHub's timestamps are whole
        // seconds) counts; the second before does not.
        let mailed_late = Some(at("2026-12-01T10:00:00.700Z"));
        let same_second = created("2026-12-01T10:00:00Z");
        let second_before = created("2026-12-01T09:59:59Z");
        assert_eq!(
            judge(std::slice::from_ref(&same_second), mailed_late),
            Verdict::Counts(same_second)
        );
        assert_eq!(
            judge(std::slice::from_ref(&second_before), mailed_late),
            Verdict::Predates(second_before)
        );
        assert_eq!(judge(&[], mailed), Verdict::Unseen);
        assert_eq!(judge(&[after], None), Verdict::Unseen);
    }
}
