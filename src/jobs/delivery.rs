//! The job that processes one stored delivery.

use sqlx::PgConnection;
use tracing::info;

use super::{Job, JobError, JobHandler};
use crate::github::GitHub;
use crate::store::deliveries;

/// Processes deliveries. Intake and commands plug in here as they land; for
/// now a processed delivery is recorded as such.
#[derive(Clone)]
pub struct DeliveryHandler {
    pub github: GitHub,
}

impl JobHandler for DeliveryHandler {
    async fn run(&self, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
        let Some(id) = job.delivery_id else {
            return Err(JobError::Permanent(anyhow::anyhow!(
                "job names no delivery"
            )));
        };
        let Some(delivery) = deliveries::get(&mut *conn, id).await? else {
            return Err(JobError::Permanent(anyhow::anyhow!(
                "delivery {id} is gone"
            )));
        };
        let _ = &self.github;
        info!(
            delivery = %delivery.delivery_id,
            event = %delivery.event,
            action = delivery.action.as_deref().unwrap_or(""),
            "delivery processed"
        );
        deliveries::mark_processed(&mut *conn, id).await?;
        Ok(())
    }
}
