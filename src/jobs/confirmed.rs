//! After the owner confirmed an emailed link (recorded by the page): show it
//! on the tracker.

use sqlx::PgConnection;

use super::effects::Issue;
use super::{Job, JobError, bot::Bot};
use crate::recovery::messages;
use crate::recovery::transitions::Reply;
use crate::store::requests;

pub async fn handle(bot: &Bot, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
    let id = job.args["request_id"].as_i64();
    let token = job.args["token_id"].as_i64().unwrap_or_default();
    let Some(request) = (match id {
        Some(id) => requests::lock(&mut *conn, id).await?,
        None => None,
    }) else {
        return Err(JobError::Permanent(anyhow::anyhow!(
            "the job names no request"
        )));
    };
    let gh = bot.github.repo(request.installation_id).await?;
    let number = u64::try_from(request.issue_number).unwrap_or_default();
    let labels = gh.issue_labels(&request.repository, number).await?;
    let key = format!("email-{token}");
    let mut issue = Issue {
        bot,
        gh,
        repo: &request.repository,
        number,
        delivery_id: &key,
        retrying: job.attempts > 1,
        labels,
        installation_id: request.installation_id,
    };
    let state = request.state();
    issue
        .sync_labels(state, request.duplicate_of.is_some())
        .await?;
    issue.refresh_status(conn, &request, false).await?;
    let verified = state == crate::recovery::state::State::Verified;
    let text = messages::reply(
        &Reply::EmailConfirmed { verified },
        &request.author_login,
        "",
        None,
    );
    issue.reply_once(0, &text).await
}
