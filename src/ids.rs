//! The one type for an issue's number, wherever it travels: webhook
//! payloads, GitHub's API paths, the database (`BIGINT`), job arguments and
//! the messages the bot writes (`#N`).

use serde::{Deserialize, Serialize};

/// An issue's (or pull request's) number in its repository: positive, as
/// GitHub gives it. Stored as `BIGINT`; read from JSON as an unsigned
/// integer, so a negative or fractional number is an error where it is read.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[serde(try_from = "u64", into = "u64")]
#[sqlx(transparent)]
pub struct IssueNumber(i64);

impl IssueNumber {
    /// The number as GitHub's API and octocrab take it.
    pub fn get(self) -> u64 {
        self.0.unsigned_abs()
    }

    /// The number as the database stores it.
    pub fn as_i64(self) -> i64 {
        self.0
    }
}

impl TryFrom<u64> for IssueNumber {
    type Error = String;
    fn try_from(n: u64) -> Result<Self, Self::Error> {
        i64::try_from(n)
            .map(Self)
            .map_err(|_| format!("issue number {n} is out of range"))
    }
}

impl TryFrom<i64> for IssueNumber {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, Self::Error> {
        if n >= 0 {
            Ok(Self(n))
        } else {
            Err(format!("issue number {n} is negative"))
        }
    }
}

impl From<u32> for IssueNumber {
    fn from(n: u32) -> Self {
        Self(i64::from(n))
    }
}

impl From<IssueNumber> for u64 {
    fn from(n: IssueNumber) -> u64 {
        n.get()
    }
}

impl std::fmt::Display for IssueNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for IssueNumber {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let n: u64 = s
            .parse()
            .map_err(|_| format!("`{s}` is not an issue number"))?;
        Self::try_from(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_github_sends_and_refuses_the_rest() {
        let n: IssueNumber = serde_json::from_str("42").unwrap();
        assert_eq!(n.get(), 42);
        assert_eq!(serde_json::to_string(&n).unwrap(), "42");
        assert!(serde_json::from_str::<IssueNumber>("-1").is_err());
        assert!(serde_json::from_str::<IssueNumber>("1.5").is_err());
        assert!(serde_json::from_str::<IssueNumber>("18446744073709551615").is_err());
        assert_eq!("7".parse::<IssueNumber>().unwrap().to_string(), "7");
        assert!("#7".parse::<IssueNumber>().is_err());
        assert!(IssueNumber::try_from(-3_i64).is_err());
    }
}
