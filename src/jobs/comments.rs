//! `issue_comment.created` deliveries: admins' commands, and the requester's
//! answer to `/request-info`.

use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::effects::{Issue, check_lines, situation, store_outcome};
use crate::commands::{Command, parse_commands};
use crate::github::Reaction;
use crate::github::payload::IssueCommentEvent;
use crate::recovery::messages::{self, HistoryLine};
use crate::recovery::transitions::{self, AccountCheck, Actor, IssueChange, Outcome, Situation};
use crate::store::requests::{self, Audit, Request};

pub async fn handle(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    ev: &IssueCommentEvent,
) -> Result<(), JobError> {
    let bot = issue.bot;
    let author = &ev.comment.user;
    // Pull requests, the bot itself and other bots never run commands.
    if ev.action != "created"
        || ev.issue.pull_request.is_some()
        || author.is_bot()
        || author.login.eq_ignore_ascii_case(&bot.login)
    {
        return Ok(());
    }
    let number = i64::try_from(ev.issue.number).unwrap_or_default();
    let Some(mut request) = requests::lock_by_issue(&mut *conn, ev.repository.id, number).await?
    else {
        return Ok(());
    };
    let audit_base = Audit {
        actor_id: i64::try_from(author.id).ok(),
        actor_login: author.login.clone(),
        action: String::new(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({ "comment_id": ev.comment.id }),
    };

    let commands = parse_commands(ev.comment.body.as_deref().unwrap_or(""));
    if commands.is_empty() {
        let sit = situation_now(conn, issue, &request, AccountCheck::NotLookedUp).await?;
        if let Some(outcome) = transitions::reply_from(&sit, author.id) {
            apply(issue, conn, &mut request, &outcome, &audit_base).await?;
            issue
                .sync_labels(request.state(), request.duplicate_of.is_some())
                .await?;
            issue.refresh_status(conn, &request, false).await?;
        }
        return Ok(());
    }

    issue.react(ev.comment.id, Reaction::Eyes).await?;
    let is_admin = bot
        .admins
        .is_admin(&issue.gh, issue.repo, &author.login)
        .await?;
    let actor = Actor {
        id: author.id,
        login: author.login.clone(),
        is_admin,
    };
    let mut all_ok = true;
    let mut changed = false;
    let mut told_not_admin = false;
    for (index, command) in commands.iter().enumerate() {
        // `/verify-email` needs the account's address, from the directory.
        let mut address = None;
        let mut account = AccountCheck::NotLookedUp;
        if let (Ok(Command::VerifyEmail), Some(_), Some(directory), Some(username), true) = (
            command,
            &bot.verifier,
            &bot.directory,
            &request.username,
            is_admin,
        ) {
            account = match directory.lookup(username).await? {
                None => AccountCheck::Missing,
                Some(a) => match a.address() {
                    Some(addr) => {
                        address = Some(addr.to_owned());
                        AccountCheck::Found
                    }
                    None => AccountCheck::NoAddress,
                },
            };
        }
        let sit = situation_now(conn, issue, &request, account).await?;
        let outcome = transitions::command(&sit, &actor, command);
        info!(action = outcome.action, ok = outcome.ok, "command");
        all_ok &= outcome.ok;
        changed |= outcome.to.is_some() || outcome.check.is_some();
        apply(issue, conn, &mut request, &outcome, &audit_base).await?;
        if outcome.send_email
            && let (Some(verifier), Some(address), Some(username)) =
                (&bot.verifier, &address, &request.username)
        {
            let key = format!("{}:{index}", issue.delivery_id);
            let url = format!("{}#{}", request.repository, request.issue_number);
            verifier
                .send_link(request.id, address, &key, username, &url)
                .await?;
        }
        // A non-admin hears "admins only" once, however many commands.
        let not_admin = outcome.reply == Some(transitions::Reply::NotAdmin);
        let repeated = not_admin && told_not_admin;
        told_not_admin |= not_admin;
        if let Some(reply) = outcome.reply.as_ref().filter(|_| !repeated) {
            let status = match reply {
                transitions::Reply::Status => Some(status_text(conn, issue, &request).await?),
                _ => None,
            };
            let text = messages::reply(
                reply,
                &request.author_login,
                &author.login,
                status.as_deref(),
            );
            issue.reply_once(index, &text).await?;
        }
    }
    if changed {
        issue
            .sync_labels(request.state(), request.duplicate_of.is_some())
            .await?;
        issue.refresh_status(conn, &request, false).await?;
    }
    let done = if all_ok {
        Reaction::Rocket
    } else {
        Reaction::Confused
    };
    issue.react(ev.comment.id, done).await
}

async fn situation_now(
    conn: &mut PgConnection,
    issue: &Issue<'_>,
    request: &Request,
    account: AccountCheck,
) -> Result<Situation, JobError> {
    let checks = requests::checks(&mut *conn, request.id).await?;
    Ok(situation(
        request,
        checks,
        &issue.bot.required_checks,
        issue.bot.verifier.is_some(),
        account,
    ))
}

/// Stores what the outcome changes (with its audit rows) and changes the
/// issue on GitHub; `request` is reloaded afterwards.
async fn apply(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    outcome: &Outcome,
    audit_base: &Audit,
) -> Result<(), JobError> {
    let audit = Audit {
        action: outcome.action.to_owned(),
        ..audit_base.clone()
    };
    store_outcome(&mut *conn, request, outcome, &audit).await?;
    match outcome.issue {
        Some(IssueChange::CloseCompleted) => {
            issue
                .gh
                .set_issue_state(issue.repo, issue.number, false, Some("completed"))
                .await?
        }
        Some(IssueChange::CloseNotPlanned) => {
            issue
                .gh
                .set_issue_state(issue.repo, issue.number, false, Some("not_planned"))
                .await?
        }
        Some(IssueChange::Reopen) => {
            issue
                .gh
                .set_issue_state(issue.repo, issue.number, true, None)
                .await?
        }
        None => {}
    }
    if let Some(reloaded) =
        requests::lock_by_issue(&mut *conn, request.repository_id, request.issue_number).await?
    {
        *request = reloaded;
    }
    Ok(())
}

async fn status_text(
    conn: &mut PgConnection,
    issue: &Issue<'_>,
    request: &Request,
) -> Result<String, JobError> {
    let checks = check_lines(conn, request.id).await?;
    let history: Vec<HistoryLine> = requests::history(&mut *conn, request.id)
        .await?
        .into_iter()
        .map(|h| HistoryLine {
            when: h.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
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
