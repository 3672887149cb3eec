//! `issue_comment.created` deliveries: admins' commands, and the requester's
//! answer to `/request-info`; `issue_comment.edited` ones only for secrets.
//! One comment gets at most one reply from the bot, covering every command
//! in it, and a bounded amount of work whatever it holds.

use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::effects::{Issue, check_lines, situation_now};
use super::{intake, proofs, recover, secrets};
use crate::commands::{Command, ParseError, parse_commands};
use crate::github::payload::{IssueCommentEvent, IssuesEvent};
use crate::recovery::effects::{Effect, Reaction};
use crate::recovery::messages::{self, HistoryLine};
use crate::recovery::replies::{self, Placeholders};
use crate::recovery::transitions::{self, AccountCheck, Actor, Reply};
use crate::store::requests::{self, Audit, Request};
use crate::store::timers as clocks;
use crate::verify::directory::approval_key;
use crate::verify::{Proof, Round};

/// The most commands of one comment that are run; the rest are counted and
/// said to be ignored.
pub const MAX_COMMANDS: usize = 20;

/// The most repositories a `/verify-repo` round names (and looks in): the
/// mail stays readable and each look-up costs at most this many calls.
pub const MAX_ROUND_REPOSITORIES: usize = 5;

pub async fn handle(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    ev: &IssueCommentEvent,
) -> Result<(), JobError> {
    let bot = issue.bot;
    let author = &ev.comment.user;
    // Pull requests, the bot itself and other bots never run commands; an
    // edited comment is only looked at for secrets.
    let edited = match ev.action.as_str() {
        "created" => false,
        "edited" => true,
        _ => return Ok(()),
    };
    if ev.issue.pull_request.is_some()
        || author.is_bot()
        || author.login.eq_ignore_ascii_case(&bot.login)
    {
        return Ok(());
    }
    let number = i64::try_from(ev.issue.number).unwrap_or_default();
    let mut found = requests::lock_by_issue(&mut *conn, ev.repository.id, number).await?;
    if found.is_none() && !edited && ev.issue.has_label(&bot.labels.intake) {
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
    let Some(mut request) = found else {
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
    let body = ev.comment.body.as_deref().unwrap_or("");
    let mut replies = Vec::new();
    let mut changed = false;
    if let Some(warning) =
        secrets::in_comment(issue, conn, &request, ev.comment.id, &author.login, body).await?
    {
        replies.push(warning);
        changed = true;
        request = reload(conn, request).await?;
    }
    if edited {
        if changed {
            issue
                .reply_once(conn, &messages::combined(&replies, 0))
                .await?;
            issue.sync_tracker(conn, &request).await?;
        }
        return Ok(());
    }

    let commands = parse_commands(body);
    let is_requester = author.id == u64::try_from(request.author_id).unwrap_or_default();
    if is_requester {
        // Reminders count from the requester's last word.
        clocks::touch_requester(&mut *conn, request.id).await?;
        request = reload(conn, request).await?;
    }
    if commands.is_empty() {
        changed |=
            plain_comment(issue, conn, &mut request, author, &audit_base, &mut replies).await?;
        if !replies.is_empty() {
            issue
                .reply_once(conn, &messages::combined(&replies, 0))
                .await?;
        }
        if changed {
            issue.sync_tracker(conn, &request).await?;
        }
        return Ok(());
    }
    // The requester coming back to a request closed for no response, even
    // with a `/status`, reopens it before their commands run.
    if is_requester && request.state() == crate::recovery::state::State::NoResponse {
        changed |=
            plain_comment(issue, conn, &mut request, author, &audit_base, &mut replies).await?;
    }

    issue.acknowledge(ev.comment.id).await?;
    let is_admin = bot
        .admins
        .is_admin(&issue.gh, issue.repo, &author.login, author.id)
        .await?;
    let actor = Actor {
        id: author.id,
        login: author.login.clone(),
        is_admin,
    };
    // Someone who is not an admin runs what is theirs to run (`/help`, and
    // the requester's `/status` and `/withdraw`); however many other
    // commands the comment holds, they get one answer and one audit row.
    let (allowed, refused): (Vec<_>, Vec<_>) = commands.iter().partition(|c| {
        is_admin
            || c.as_ref()
                .is_ok_and(|c| c.kind().allowed(false, is_requester))
    });
    let run = run_commands(issue, conn, &mut request, &actor, &allowed, &audit_base).await?;
    replies.extend(run.replies);
    changed |= run.changed;
    let mut ok = run.ok;
    if !refused.is_empty() {
        ok = false;
        if let Some(text) = refuse(
            conn,
            &request,
            &actor,
            is_requester,
            refused.len(),
            &audit_base,
        )
        .await?
        {
            replies.push(text);
        }
    }
    replies.dedup();
    let skipped = allowed.len().saturating_sub(MAX_COMMANDS);
    if !replies.is_empty() || skipped > 0 {
        issue
            .reply_once(conn, &messages::combined(&replies, skipped))
            .await?;
    }
    if changed {
        issue.sync_tracker(conn, &request).await?;
    }
    let done = if ok && skipped == 0 {
        Reaction::Rocket
    } else {
        Reaction::Confused
    };
    issue.react(conn, ev.comment.id, done).await
}

async fn reload(conn: &mut PgConnection, request: Request) -> Result<Request, JobError> {
    Ok(requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or(request))
}

/// A comment with no command. The requester answering `/request-info`
/// moves the request back, and coming back to a request closed for no
/// response reopens it (with a reply in `replies`); an admin's comment answers the request (it
/// leaves the queue requesters are told about). True when the request
/// changed.
async fn plain_comment(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    author: &crate::github::payload::User,
    audit_base: &Audit,
    replies: &mut Vec<String>,
) -> Result<bool, JobError> {
    if request.admin_answered_at.is_none()
        && author.id != u64::try_from(request.author_id).unwrap_or_default()
        && issue
            .bot
            .admins
            .is_admin(&issue.gh, issue.repo, &author.login, author.id)
            .await?
    {
        requests::mark_admin_answered(&mut *conn, request.id).await?;
    }
    let sit = situation_now(conn, issue.bot, request, AccountCheck::NotLookedUp).await?;
    let Some(outcome) = transitions::reply_from(&sit, author.id) else {
        return Ok(false);
    };
    issue.apply(conn, request, &outcome, audit_base).await?;
    if let Some(reply) = &outcome.reply {
        replies.push(messages::reply(
            reply,
            &request.author_login,
            &author.login,
            None,
        ));
    }
    Ok(true)
}

/// The answer to commands someone may not run: nothing changes, one audit
/// row. The requester is told once per request that admins decide; anyone
/// else is told each time (once per comment).
async fn refuse(
    conn: &mut PgConnection,
    request: &Request,
    actor: &Actor,
    is_requester: bool,
    count: usize,
    audit_base: &Audit,
) -> Result<Option<String>, JobError> {
    let (reply, action) = if is_requester {
        (Reply::OnlyAdminsDecide, "requester_refused")
    } else {
        (Reply::NotAdmin, "command_refused")
    };
    let told = is_requester && requests::has_action(&mut *conn, request.id, action).await?;
    let audit = Audit {
        action: action.to_owned(),
        details: serde_json::json!({
            "comment_id": audit_base.details["comment_id"],
            "commands": count,
            "told": !told,
        }),
        ..audit_base.clone()
    };
    requests::record(&mut *conn, request, &audit).await?;
    Ok((!told).then(|| messages::reply(&reply, &request.author_login, &actor.login, None)))
}

/// What running a comment's commands gave: the replies, in order.
struct Run {
    replies: Vec<String>,
    ok: bool,
    /// The request changed: the tracker must be brought in line.
    changed: bool,
}

/// Commands, in order, up to [`MAX_COMMANDS`].
async fn run_commands(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    actor: &Actor,
    commands: &[&Result<Command, ParseError>],
    audit_base: &Audit,
) -> Result<Run, JobError> {
    let bot = issue.bot;
    let mut changed = false;
    if actor.is_admin && !commands.is_empty() {
        // The admin has seen the username warning, if there was one.
        if request.username_changed {
            requests::clear_username_warning(&mut *conn, request.id).await?;
            changed = true;
        }
        // Only other requests' queue positions move: nothing to show here.
        if request.admin_answered_at.is_none() {
            requests::mark_admin_answered(&mut *conn, request.id).await?;
        }
    }
    let mut all_ok = true;
    let mut replies = Vec::new();
    for (index, &command) in commands.iter().take(MAX_COMMANDS).enumerate() {
        // `/verify-email` and `/verify-repo` need the account's address (and
        // its projects' repositories), from the directory.
        let mut address = None;
        let mut account = AccountCheck::NotLookedUp;
        let mut repositories = Vec::new();
        if let (
            Ok(Command::VerifyEmail | Command::VerifyRepo),
            Some(_),
            Some(directory),
            Some(username),
        ) = (command, &bot.verifier, &bot.directory, &request.username)
        {
            account = match directory.lookup(username).await? {
                None => AccountCheck::Missing,
                Some(a) => {
                    repositories = a.github_repositories(MAX_ROUND_REPOSITORIES);
                    match a.address() {
                        Some(addr) => {
                            address = Some(addr.to_owned());
                            AccountCheck::Found
                        }
                        None => AccountCheck::NoAddress,
                    }
                }
            };
        }
        // `/status` looks for a `/verify-repo` branch first, so that its
        // answer is up to date.
        if let Ok(Command::Status) = command
            && let Some(found) = proofs::look_for_branch(issue, conn, request).await?
        {
            replies.push(found);
            changed = true;
        }
        let mut sit = situation_now(conn, issue.bot, request, account).await?;
        sit.account_repos = repositories.len();
        let outcome = transitions::command(&sit, actor, command, &bot.replies);
        info!(action = outcome.action, ok = outcome.ok, "command");
        all_ok &= outcome.ok;
        changed |= outcome.to.is_some() || outcome.check.is_some();
        issue.apply(conn, request, &outcome, audit_base).await?;
        let proof = if outcome.send_email {
            Some(Proof::Link)
        } else if outcome.send_repo_token {
            Some(Proof::Branch {
                repositories: repositories.clone(),
            })
        } else {
            None
        };
        if let (Some(proof), Some(verifier), Some(address), Some(username)) =
            (proof, &bot.verifier, &address, &request.username)
        {
            let key = format!("{}:{index}", issue.delivery_id);
            let issue_url = bot.issue_url(&request.repository, request.issue_number);
            let stored = verifier
                .store_round(
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
                    &proof,
                )
                .await?;
            if let Some(token_id) = stored {
                issue.push(&mut *conn, Effect::Mail { token_id }).await?;
            }
        }
        if outcome.recover
            && let Ok(approve) = command
        {
            let comment_id = audit_base.details["comment_id"]
                .as_u64()
                .unwrap_or_default();
            let key = approval_key(request.repository_id, comment_id, index);
            recover::enqueue(&mut *conn, request, actor, approve, key, bot.max_attempts).await?;
        }
        if let Some(reply) = &outcome.reply {
            let computed = match reply {
                Reply::Approved { .. } => {
                    Some(approve_text(conn, issue, request, &actor.login).await?)
                }
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
            replies.push(messages::reply(
                reply,
                &request.author_login,
                &actor.login,
                computed.as_deref(),
            ));
        }
    }
    Ok(Run {
        replies,
        ok: all_ok,
        changed,
    })
}

/// A canned reply's text with its placeholders filled in for this request.
async fn canned_text(
    conn: &mut PgConnection,
    issue: &Issue<'_>,
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
    issue: &Issue<'_>,
    request: &Request,
    admin: &str,
) -> Result<String, JobError> {
    filled_in(conn, issue, request, &issue.bot.approve_message, admin).await
}

/// `text` with its placeholders filled in for this request.
async fn filled_in(
    conn: &mut PgConnection,
    issue: &Issue<'_>,
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
            index: &bot.index_name,
            contact: &bot.support_contact,
        },
    ))
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
