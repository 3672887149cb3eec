//! Email verification: look the account up in the account directory, email
//! its registered address a single-use link, and let the owner confirm it on
//! the page behind the link (`page`). Tokens are 256-bit, stored hashed,
//! single-use and expiring; addresses never reach the tracker or the logs.

pub mod directory;
pub mod mail;
pub mod warehouse;

use crate::ids::IssueNumber;
use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use tracing::{info, warn};

use crate::config::Settings;
use crate::recovery::messages::{self, NotMailed};
use crate::recovery::transitions::{EMAIL_CHECK, OWNERSHIP_CHECK};
use crate::store::tokens;
use directory::{Directory, DirectoryError};
use mail::Mailer;

pub struct Verifier {
    mailer: Mailer,
    public_url: String,
    valid_for: Duration,
    contact: String,
}

/// One round of `/verify-email`: what the link is bound to. Its `Debug`
/// never shows the address.
pub struct Round<'a> {
    pub request_id: i64,
    /// The account's verified primary address, as the directory gave it.
    pub address: &'a str,
    /// The command that asked for it (delivery and position), so that a
    /// retried job does not email twice.
    pub command_key: &'a str,
    /// The username as read when the link is sent.
    pub username: &'a str,
    /// The index it is for (`[indexes.<key>]`).
    pub index_key: &'a str,
    /// The issue: `owner/name`, its number and its web address.
    pub repository: &'a str,
    pub issue_number: IssueNumber,
    pub issue_url: &'a str,
}

impl std::fmt::Debug for Round<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Round")
            .field("request_id", &self.request_id)
            .field("address", &"[redacted]")
            .field("command_key", &self.command_key)
            .field("username", &self.username)
            .field("index_key", &self.index_key)
            .finish()
    }
}

/// The hash that binds a link to the address it went to.
pub fn hash_address(address: &str) -> String {
    hex::encode(Sha256::digest(address.trim().to_lowercase().as_bytes()))
}

/// A fresh token (64 hex digits, 256 bits) and its hash.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Why a round could not be stored or mailed.
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// The mail server did not take the mail (never names the address).
    #[error(transparent)]
    Mail(anyhow::Error),
}

/// What became of a round's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Mailed, used or revoked already: nothing to do, nothing to say.
    Ended,
    /// Not mailed, and the round ended: admins must be told.
    NotMailed(NotMailed),
}

impl Verifier {
    /// `None` unless mail, an account directory and the public URL are all
    /// set.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Self>> {
        let (Some(smtp), Some(from), true, Some(public)) = (
            &settings.smtp_url,
            &settings.mail_from,
            settings.indexes().iter().any(|i| i.directory_url.is_some()),
            &settings.public_url,
        ) else {
            return Ok(None);
        };
        Ok(Some(Self {
            mailer: Mailer::new(smtp, from)?,
            public_url: public.trim_end_matches('/').to_owned(),
            valid_for: settings.verify_link_valid_for,
            contact: from.clone(),
        }))
    }

    /// Stores one round's proof (a confirmation link, or a `/verify-repo`
    /// branch name) bound to the account's address, in the job's own
    /// transaction, and returns its id for the mail effect (`deliver`,
    /// which runs after the job commits). `None` when this command's round
    /// was mailed already (a revived job). Every older link or token of the
    /// request is revoked: a newer round supersedes it. A link's secret is
    /// made only when its mail leaves: until then no link works.
    pub async fn store_round(
        &self,
        conn: &mut PgConnection,
        round: &Round<'_>,
        proof: &Proof,
    ) -> Result<Option<i64>, RoundError> {
        if let Some(t) = tokens::by_command(&mut *conn, round.command_key).await?
            && t.mail_sent_at.is_some()
        {
            return Ok(None);
        }
        let (hash, check_name, branch, repositories) = match proof {
            // A stand-in no one holds; `deliver` replaces it.
            Proof::Link => (new_token().1, EMAIL_CHECK, None, None),
            Proof::Branch { repositories } => {
                let token = new_branch_name();
                let repos = serde_json::to_value(repositories).unwrap_or_default();
                (
                    hash_token(&token),
                    OWNERSHIP_CHECK,
                    Some(token),
                    Some(repos),
                )
            }
        };
        let id = tokens::create(
            &mut *conn,
            &tokens::NewToken {
                request_id: round.request_id,
                check_name,
                token_hash: &hash,
                command_key: round.command_key,
                username: round.username,
                index_key: round.index_key,
                address_hash: &hash_address(round.address),
                valid_for: self.valid_for,
                branch: branch.as_deref(),
                repositories,
            },
        )
        .await?;
        Ok(Some(id))
    }

    /// Mails round `token_id`, after the job that stored it committed: to
    /// the account's verified primary address as the directory of the
    /// round's index (`index`: its directory and name, by key) gives it
    /// now, only when that is the address the round is bound to; never a
    /// round that was mailed, used or revoked since. A link's secret is
    /// made here and committed (on `pool`, outside the effect's own
    /// transaction) before the mail leaves, so the link works the moment
    /// it arrives; a retry after a failed send makes a fresh one.
    pub async fn deliver<'d>(
        &self,
        pool: &PgPool,
        index: impl FnOnce(&str) -> Option<(&'d Directory, &'d str)>,
        token_id: i64,
        issue_url: &str,
    ) -> Result<Delivery, RoundError> {
        let Some(round) = tokens::get(pool, token_id).await? else {
            return Ok(Delivery::Ended);
        };
        if round.mail_sent_at.is_some() || round.used_at.is_some() || round.revoked_at.is_some() {
            info!(
                round = token_id,
                "round mailed or ended already: not mailed"
            );
            return Ok(Delivery::Ended);
        }
        let (Some(username), Some((directory, index_name))) =
            (round.username.as_deref(), index(&round.index_key))
        else {
            return Ok(Delivery::Ended);
        };
        let address = directory
            .lookup(username)
            .await?
            .and_then(|a| a.address().map(str::to_owned));
        let Some(address) = address.filter(|a| Some(hash_address(a)) == round.address_hash) else {
            warn!(
                round = token_id,
                "the account's address changed since the round was asked for: not mailed"
            );
            tokens::revoke_one(pool, token_id, tokens::Revocation::AddressChanged).await?;
            return Ok(Delivery::NotMailed(NotMailed::AddressChanged));
        };
        let (secret, hash) = match &round.branch {
            Some(branch) => (branch.clone(), None),
            None => {
                let (token, hash) = new_token();
                (token, Some(hash))
            }
        };
        if !tokens::make_live(pool, token_id, hash.as_deref()).await? {
            return Ok(Delivery::Ended);
        }
        let mail = messages::VerificationEmail {
            index_name,
            username,
            issue_url,
            link: &format!("{}/verify/{secret}", self.public_url),
            valid_for: self.valid_for,
            contact: &self.contact,
        };
        let (subject, body) = match &round.branch {
            None => messages::verification_email(&mail),
            Some(_) => messages::repo_email(
                &messages::VerificationEmail {
                    link: &secret,
                    ..mail
                },
                &round.repositories(),
            ),
        };
        self.mailer
            .send(&address, &subject, body)
            .await
            .map_err(RoundError::Mail)?;
        tokens::mark_sent(pool, token_id).await?;
        Ok(Delivery::Sent)
    }

    /// Ends round `token_id` whose mail never left (the mail server refused
    /// it on every attempt): its link, if made, stops working.
    pub async fn give_up(&self, pool: &PgPool, token_id: i64) -> Result<(), RoundError> {
        tokens::revoke_one(pool, token_id, tokens::Revocation::MailFailed).await?;
        Ok(())
    }
}

/// What one round sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proof {
    /// `/verify-email`: a single-use confirmation link.
    Link,
    /// `/verify-repo`: a branch name to push to one of `repositories`
    /// (`owner/name`).
    Branch { repositories: Vec<String> },
}

/// A fresh `/verify-repo` branch name: 32 characters of `a-z0-9` (over 160
/// bits), a valid branch name that reads as nothing.
pub fn new_branch_name() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..32)
        .map(|_| ALPHABET[rand::Rng::random_range(&mut rng, 0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn branch_names_are_long_lowercase_and_fresh() {
        let a = super::new_branch_name();
        assert_eq!(a.len(), 32);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_ne!(a, super::new_branch_name());
    }
}
