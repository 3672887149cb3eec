//! After the owner confirmed an emailed link (recorded by the page): show it
//! on the tracker.

use sqlx::PgConnection;

use super::effects::IssueHandle;
use super::{Job, JobError, bot::Bot};
use crate::recovery::messages;
use crate::recovery::state::State;
use crate::recovery::transitions::Reply;
use crate::store::requests;
use crate::store::tasks::EmailConfirmed;

pub async fn handle(
    bot: &Bot,
    job: &Job,
    task: &EmailConfirmed,
    conn: &mut PgConnection,
) -> Result<(), JobError> {
    let token = task.token_id;
    let Some(request) = requests::lock(&mut *conn, task.request_id).await? else {
        return Err(JobError::Permanent(anyhow::anyhow!(
            "the job names no request"
        )));
    };
    let key = format!("email-{token}");
    let mut issue = IssueHandle::of_request(bot, &request.repository, &request, &key, job).await?;
    issue.sync_tracker(conn, &request).await?;
    let verified = request.state() == State::Verified;
    let text = messages::reply(
        &Reply::EmailConfirmed { verified },
        &request.author_login,
        "",
        None,
    );
    issue.reply_once(conn, &text).await
}
