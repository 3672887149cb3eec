//! Email verification: look the account up in the account directory, email
//! its registered address a single-use link, and let the owner confirm it on
//! the page behind the link (`page`). Tokens are 256-bit, stored hashed,
//! single-use and expiring; addresses never reach the tracker or the logs.

pub mod directory;
pub mod mail;
pub mod page;

use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::config::Settings;
use crate::jobs::JobError;
use crate::recovery::messages;
use crate::store::tokens;
use directory::DirectoryError;
use mail::Mailer;

pub struct Verifier {
    mailer: Mailer,
    public_url: String,
    valid_for: Duration,
    contact: String,
    pool: PgPool,
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

impl From<DirectoryError> for JobError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Malformed(_) => JobError::Permanent(e.into()),
            _ => JobError::retry(e),
        }
    }
}

impl Verifier {
    /// `None` unless mail, the account directory and the public URL are all
    /// set.
    pub fn from_settings(settings: &Settings, pool: PgPool) -> anyhow::Result<Option<Self>> {
        let (Some(smtp), Some(from), Some(_), Some(public)) = (
            &settings.smtp_url,
            &settings.mail_from,
            &settings.account_directory_url,
            &settings.public_url,
        ) else {
            return Ok(None);
        };
        Ok(Some(Self {
            mailer: Mailer::new(smtp, from)?,
            public_url: public.trim_end_matches('/').to_owned(),
            valid_for: settings.verify_link_valid_for,
            contact: from.clone(),
            pool,
        }))
    }

    /// Emails a link for `check` on request `request_id` to `address`, once
    /// per command (`command_key`), even when the job is retried.
    pub async fn send_link(
        &self,
        request_id: i64,
        address: &str,
        command_key: &str,
        username: &str,
        issue: &str,
    ) -> Result<(), JobError> {
        if let Some(t) = tokens::by_command(&self.pool, command_key).await?
            && t.mailed_at.is_some()
        {
            return Ok(());
        }
        let (token, hash) = new_token();
        // Committed on its own, before the mail leaves, so the link in the
        // mail works even if this job fails later and is retried.
        let id = tokens::create(
            &self.pool,
            request_id,
            "email",
            &hash,
            command_key,
            self.valid_for,
        )
        .await?;
        let link = format!("{}/verify/{token}", self.public_url);
        let hours = self.valid_for.as_secs() / 3600;
        let (subject, body) =
            messages::verification_email(username, issue, &link, hours, &self.contact);
        self.mailer
            .send(address, &subject, body)
            .await
            .map_err(JobError::retry)?;
        tokens::mark_mailed(&self.pool, id).await?;
        Ok(())
    }
}
