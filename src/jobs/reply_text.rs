//! The words of a command's reply that need the database: the `/status`
//! answers, a canned reply and the approve message filled in for the
//! request.

use sqlx::PgConnection;

use super::JobError;
use super::effects::{IssueHandle, check_lines};
use crate::recovery::messages::{self, HistoryLine};
use crate::recovery::replies::{self, Placeholders};
use crate::recovery::transitions::{Actor, Reply};
use crate::store::requests::{self, Request};

/// A command's reply, with what some replies compute from the database.
pub(super) async fn reply_text(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &Request,
    actor: &Actor,
    reply: &Reply,
) -> Result<String, JobError> {
    let computed = match reply {
        Reply::Approved { .. } => Some(approve_text(conn, issue, request, &actor.login).await?),
        Reply::Status => Some(status_text(conn, issue, request).await?),
        Reply::RequesterStatus => Some(messages::requester_status(
            request.state(),
            request.awaiting_reason,
            request.issue_open,
            requests::ahead_of(&mut *conn, request).await?,
        )),
        Reply::Canned { name, .. } => {
            Some(canned_text(conn, issue, request, name, &actor.login).await?)
        }
        _ => None,
    };
    Ok(messages::reply(
        reply,
        &request.author_login,
        &actor.login,
        computed.as_deref(),
    ))
}

/// A canned reply's text with its placeholders filled in for this request.
async fn canned_text(
    conn: &mut PgConnection,
    issue: &IssueHandle<'_>,
    request: &Request,
    name: &str,
    admin: &str,
) -> Result<String, JobError> {
    let text = issue
        .bot
        .replies
        .get(name)
        .map(|r| r.text.as_str())
        .unwrap_or("");
    filled_in(conn, issue, request, text, admin).await
}

/// What `/approve` tells the requester (`approve_message`), filled in.
pub(super) async fn approve_text(
    conn: &mut PgConnection,
    issue: &IssueHandle<'_>,
    request: &Request,
    admin: &str,
) -> Result<String, JobError> {
    filled_in(conn, issue, request, &issue.bot.approve_message, admin).await
}

/// `text` with its placeholders filled in for this request.
async fn filled_in(
    conn: &mut PgConnection,
    issue: &IssueHandle<'_>,
    request: &Request,
    text: &str,
    admin: &str,
) -> Result<String, JobError> {
    let bot = issue.bot;
    let duplicate_of = match request.duplicate_of {
        Some(id) => requests::issue_number_of(&mut *conn, id).await?,
        None => None,
    };
    Ok(replies::render(
        text,
        &Placeholders {
            requester: &request.author_login,
            admin,
            username: request.username.as_deref(),
            issue: request.issue_number,
            duplicate_of,
            index: &bot.indexes.get(&request.index_key).name,
            contact: &bot.support_contact,
        },
    ))
}

async fn status_text(
    conn: &mut PgConnection,
    issue: &IssueHandle<'_>,
    request: &Request,
) -> Result<String, JobError> {
    let checks = check_lines(conn, request.id).await?;
    let history: Vec<HistoryLine> = requests::history(&mut *conn, request.id)
        .await?
        .into_iter()
        .map(|h| HistoryLine {
            when: messages::utc(&h.created_at),
            actor: h.actor_login,
            action: h.action,
            from: h.from_state,
            to: h.to_state,
        })
        .collect();
    Ok(messages::status_reply(
        request.state(),
        &checks,
        &issue.bot.required_checks,
        &history,
    ))
}
