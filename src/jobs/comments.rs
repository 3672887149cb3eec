//! `issue_comment.created` deliveries: admins' commands, and the requester's
//! answer to `/request-info`. One comment gets at most one reply from the
//! bot, covering every command in it, and a bounded amount of work whatever
//! it holds.

use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::effects::{Issue, check_lines, situation_now, store_outcome};
use super::intake;
use crate::commands::{Command, ParseError, parse_commands};
use crate::github::Reaction;
use crate::github::payload::{IssueCommentEvent, IssuesEvent};
use crate::recovery::messages::{self, HistoryLine};
use crate::recovery::transitions::{self, AccountCheck, Actor, IssueChange, Outcome, Reply};
use crate::store::requests::{self, Audit, Request};
use crate::verify::Round;

/// The most commands of one comment that are run; the rest are counted and
/// said to be ignored.
pub const MAX_COMMANDS: usize = 20;

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
    let mut found = requests::lock_by_issue(&mut *conn, ev.repository.id, number).await?;
    if found.is_none() && ev.issue.has_label(&bot.labels.intake) {
        // The comment overtook the issue's own delivery (or that one was
        // lost): take the issue in first, from the comment's copy of it,
        // so the command is not lost. The late `opened` changes nothing.
        let opened = IssuesEvent {
            action: "opened".to_owned(),
            issue: ev.issue.clone(),
            repository: ev.repository.clone(),
            sender: ev.issue.user.clone(),
            label: None,
        };
        intake::handle(issue, conn, &opened).await?;
        found = requests::lock_by_issue(&mut *conn, ev.repository.id, number).await?;
    }
    let Some(request) = found else {
        return Ok(());
    };
    if request.removed_at.is_some() {
        return Ok(());
    }
    let audit_base = Audit {
        actor_id: i64::try_from(author.id).ok(),
        actor_login: author.login.clone(),
        action: String::new(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({ "comment_id": ev.comment.id }),
    };

    let commands = parse_commands(ev.comment.body.as_deref().unwrap_or(""));
    if commands.is_empty() {
        return plain_comment(issue, conn, request, author.id, &audit_base).await;
    }

    issue.react(ev.comment.id, Reaction::Eyes).await?;
    let is_admin = bot
        .admins
        .is_admin(&issue.gh, issue.repo, &author.login, author.id)
        .await?;
    let ok = if is_admin {
        let actor = Actor {
            id: author.id,
            login: author.login.clone(),
            is_admin,
        };
        run_commands(issue, conn, request, &actor, &commands, &audit_base).await?
    } else {
        refuse_commands(issue, conn, &request, &author.login, &commands, &audit_base).await?
    };
    let done = if ok {
        Reaction::Rocket
    } else {
        Reaction::Confused
    };
    issue.react(ev.comment.id, done).await
}

/// A comment with no command: the requester answering `/request-info`
/// moves the request back.
async fn plain_comment(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    mut request: Request,
    commenter_id: u64,
    audit_base: &Audit,
) -> Result<(), JobError> {
    let sit = situation_now(conn, issue.bot, &request, AccountCheck::NotLookedUp).await?;
    let Some(outcome) = transitions::reply_from(&sit, commenter_id) else {
        return Ok(());
    };
    apply(issue, conn, &mut request, &outcome, audit_base).await?;
    issue.sync_tracker(conn, &request).await
}

/// Someone who is not an admin: nothing changes, and however many commands
/// the comment holds, it gets one short reply and one audit row.
async fn refuse_commands(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    request: &Request,
    login: &str,
    commands: &[Result<Command, ParseError>],
    audit_base: &Audit,
) -> Result<bool, JobError> {
    let asked_help = commands.iter().any(|c| matches!(c, Ok(Command::Help)));
    let refused = commands
        .iter()
        .filter(|c| !matches!(c, Ok(Command::Help)))
        .count();
    let mut replies = Vec::new();
    if asked_help {
        replies.push(messages::reply(
            &Reply::Help,
            &request.author_login,
            login,
            None,
        ));
    }
    if refused > 0 {
        replies.push(messages::reply(
            &Reply::NotAdmin,
            &request.author_login,
            login,
            None,
        ));
        let audit = Audit {
            action: "command_refused".to_owned(),
            details: serde_json::json!({
                "comment_id": audit_base.details["comment_id"],
                "commands": refused,
            }),
            ..audit_base.clone()
        };
        requests::record(&mut *conn, request, &audit).await?;
    }
    issue.reply_once(&messages::combined(&replies, 0)).await?;
    Ok(refused == 0)
}

/// An admin's commands, in order, up to [`MAX_COMMANDS`]; one reply for all.
async fn run_commands(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    mut request: Request,
    actor: &Actor,
    commands: &[Result<Command, ParseError>],
    audit_base: &Audit,
) -> Result<bool, JobError> {
    let bot = issue.bot;
    // The admin has seen the username warning, if there was one.
    let mut changed = request.username_changed;
    if changed {
        requests::clear_username_warning(&mut *conn, request.id).await?;
    }
    let mut all_ok = true;
    let mut replies = Vec::new();
    let run = commands.iter().take(MAX_COMMANDS);
    for (index, command) in run.enumerate() {
        // `/verify-email` needs the account's address, from the directory.
        let mut address = None;
        let mut account = AccountCheck::NotLookedUp;
        if let (Ok(Command::VerifyEmail), Some(_), Some(directory), Some(username)) =
            (command, &bot.verifier, &bot.directory, &request.username)
        {
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
        let sit = situation_now(conn, issue.bot, &request, account).await?;
        let outcome = transitions::command(&sit, actor, command);
        info!(action = outcome.action, ok = outcome.ok, "command");
        all_ok &= outcome.ok;
        changed |= outcome.to.is_some() || outcome.check.is_some();
        apply(issue, conn, &mut request, &outcome, audit_base).await?;
        if outcome.send_email
            && let (Some(verifier), Some(address), Some(username)) =
                (&bot.verifier, &address, &request.username)
        {
            let key = format!("{}:{index}", issue.delivery_id);
            let issue_url = bot.issue_url(&request.repository, request.issue_number);
            verifier
                .send_link(
                    &mut *conn,
                    &Round {
                        request_id: request.id,
                        address,
                        command_key: &key,
                        username,
                        repository: &request.repository,
                        issue_number: request.issue_number,
                        issue_url: &issue_url,
                    },
                )
                .await?;
        }
        if let Some(reply) = &outcome.reply {
            let status = match reply {
                Reply::Status => Some(status_text(conn, issue, &request).await?),
                _ => None,
            };
            replies.push(messages::reply(
                reply,
                &request.author_login,
                &actor.login,
                status.as_deref(),
            ));
        }
    }
    let skipped = commands.len().saturating_sub(MAX_COMMANDS);
    if !replies.is_empty() || skipped > 0 {
        issue
            .reply_once(&messages::combined(&replies, skipped))
            .await?;
    }
    if changed {
        issue.sync_tracker(conn, &request).await?;
    }
    Ok(all_ok && skipped == 0)
}

/// Stores what the outcome changes (with its audit rows) and opens or closes
/// the issue on GitHub; `request` is reloaded afterwards.
async fn apply(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    outcome: &Outcome,
    audit_base: &Audit,
) -> Result<(), JobError> {
    let mut audit = Audit {
        action: outcome.action.to_owned(),
        ..audit_base.clone()
    };
    if let Some((_, _, Some(note))) = &outcome.check {
        audit.details["note"] = serde_json::Value::from(note.as_str());
    }
    store_outcome(&mut *conn, request, outcome, &audit).await?;
    let change = match outcome.issue {
        Some(IssueChange::CloseCompleted) => Some((false, Some("completed"))),
        Some(IssueChange::CloseNotPlanned) => Some((false, Some("not_planned"))),
        Some(IssueChange::Reopen) => Some((true, None)),
        None => None,
    };
    if let Some((open, reason)) = change {
        issue
            .gh
            .set_issue_state(issue.repo, issue.number, open, reason)
            .await?;
    }
    if let Some(reloaded) = requests::lock(&mut *conn, request.id).await? {
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
