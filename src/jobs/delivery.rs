//! The bot's job handler: a stored delivery goes to intake (`issues`) or to
//! the command runner (`issue_comment`); the other kinds (a confirmed email
//! link, a sweep) go to their own modules.

use std::sync::Arc;

use sqlx::PgConnection;
use tracing::{Instrument, info, info_span};

use super::bot::Bot;
use super::effects::{IssueHandle, IssueRef};
use super::{
    Job, JobError, JobHandler, comments, confirmed, intake, outbox, recover, refresh, sweep, timers,
};
use crate::github::payload::{IssueCommentEvent, IssuesEvent};
use crate::store::deliveries;
use crate::store::tasks::Task;

#[derive(Clone)]
pub struct DeliveryHandler {
    pub bot: Arc<Bot>,
}

fn malformed(e: serde_json::Error) -> JobError {
    JobError::Permanent(anyhow::anyhow!("the stored payload cannot be read: {e}"))
}

impl JobHandler for DeliveryHandler {
    async fn run(&self, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
        self.dispatch(job, conn).await
    }
}

impl DeliveryHandler {
    async fn dispatch(&self, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
        let task = Task::read(job).map_err(|e| JobError::Permanent(e.into()))?;
        match &task {
            Task::ProcessDelivery => {}
            Task::Effect(t) => return outbox::run(&self.bot, job, t, conn).await,
            Task::EmailConfirmed(t) => return confirmed::handle(&self.bot, job, t, conn).await,
            Task::SweepRepo(t) => return sweep::sweep_repo(&self.bot, job, t, conn).await,
            Task::SyncIssue(t) => return sweep::sync_issue(&self.bot, job, t, conn).await,
            Task::CheckIssue(t) => return sweep::check_issue(&self.bot, job, t, conn).await,
            Task::RefreshIssue(t) => return refresh::handle(&self.bot, job, t, conn).await,
            Task::RecoverAccount(t) => return recover::handle(&self.bot, job, t, conn).await,
            Task::RequestTimers(t) => return timers::handle(&self.bot, job, t, conn).await,
        }
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
        let gh = self.bot.github.repo(delivery.installation_id).await?;
        let repo = delivery.repository.clone().unwrap_or_default();
        let Some(number) = delivery.issue_number else {
            info!(event = %delivery.event, "the delivery names no issue; nothing to do");
            deliveries::mark_processed(&mut *conn, id).await?;
            return Ok(());
        };
        let at = IssueRef {
            repo: &repo,
            number,
            repository_id: delivery.repository_id.unwrap_or_default(),
            installation_id: delivery.installation_id,
        };
        let mut issue = IssueHandle::new(&self.bot, gh, at, &delivery.delivery_id, job.retrying());
        issue.last_attempt = job.last_attempt();
        let span = info_span!(
            "delivery",
            delivery = %delivery.delivery_id,
            event = %delivery.event,
            repository = %repo,
            issue = %number
        );
        async {
            match delivery.event.as_str() {
                "issues" => {
                    let ev: IssuesEvent =
                        serde_json::from_str(&delivery.payload).map_err(malformed)?;
                    intake::handle(&mut issue, conn, &ev).await?;
                }
                "issue_comment" => {
                    let ev: IssueCommentEvent =
                        serde_json::from_str(&delivery.payload).map_err(malformed)?;
                    comments::handle(&mut issue, conn, &ev).await?;
                }
                other => info!(event = other, "event not handled"),
            }
            deliveries::mark_processed(&mut *conn, id).await?;
            Ok(())
        }
        .instrument(span)
        .await
    }
}
