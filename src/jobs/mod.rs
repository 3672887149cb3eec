//! The durable job queue: jobs live in PostgreSQL (`crate::store::jobs`),
//! workers here claim and run them. Modelled on crates.io's worker: claim in
//! one transaction and hold the row lock for the whole job, so a killed
//! worker frees its job at once; run inside a savepoint under a timeout and
//! `catch_unwind`; on failure roll the job's writes back and schedule a
//! retry with exponential backoff and jitter, or keep it as dead.

pub mod admins;
mod auto;
pub mod bot;
mod comments;
mod confirmed;
mod delivery;
mod effects;
mod evidence;
mod intake;
pub mod outbox;
mod proofs;
mod recover;
mod refresh;
mod reply_text;
mod round_facts;
mod secrets;
pub mod sweep;
pub mod timers;
mod worker;

use std::future::Future;
use std::time::Duration;

use sqlx::PgConnection;

pub use crate::store::jobs::Job;
pub use bot::Bot;
pub use delivery::DeliveryHandler;
pub use effects::{Policy, situation, store_outcome};
pub use refresh::hand_over_from_shadow;
pub use worker::{WorkerPool, backoff_delay, wait_until_drained};

/// Job kinds (`crate::store::tasks` says what each carries).
pub use crate::store::tasks::{EMAIL_CONFIRMED, PROCESS_DELIVERY};

/// Why a job failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth another attempt (network, 5xx, rate limit); `after` is the
    /// server's own hint (retry-after), used when longer than our backoff.
    #[error("{source:#}")]
    Retry {
        source: anyhow::Error,
        after: Option<Duration>,
    },
    /// Will fail the same way every time: kept as dead at once.
    #[error("{0:#}")]
    Permanent(anyhow::Error),
}

impl JobError {
    pub fn retry(source: impl Into<anyhow::Error>) -> Self {
        Self::Retry {
            source: source.into(),
            after: None,
        }
    }
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        Self::retry(e)
    }
}

/// GitHub said whether trying again can help, and when (retry-after, a
/// secondary rate limit's minute).
impl From<crate::github::ApiError> for JobError {
    fn from(e: crate::github::ApiError) -> Self {
        if e.is_retryable() {
            JobError::Retry {
                after: e.retry_after,
                source: e.into(),
            }
        } else {
            JobError::Permanent(e.into())
        }
    }
}

/// A malformed directory answer fails the same way every time; the rest
/// (network, 5xx, 429) may pass later.
impl From<crate::verify::directory::DirectoryError> for JobError {
    fn from(e: crate::verify::directory::DirectoryError) -> Self {
        use crate::verify::directory::DirectoryError;
        match e {
            DirectoryError::Malformed(_) => JobError::Permanent(e.into()),
            _ => JobError::retry(e),
        }
    }
}

impl From<crate::verify::RoundError> for JobError {
    fn from(e: crate::verify::RoundError) -> Self {
        use crate::verify::RoundError;
        match e {
            RoundError::Database(e) => e.into(),
            RoundError::Directory(e) => e.into(),
            RoundError::Mail(e) => JobError::retry(e),
        }
    }
}

/// Runs one job. Database writes go through `conn`, which is inside a
/// savepoint of the claim transaction: they commit only if the job succeeds.
pub trait JobHandler: Send + Sync + 'static {
    fn run(
        &self,
        job: &Job,
        conn: &mut PgConnection,
    ) -> impl Future<Output = Result<(), JobError>> + Send;
}
