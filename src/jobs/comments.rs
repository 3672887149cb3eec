//! `issue_comment.created` deliveries: admins' commands, and the requester's
//! answer to `/request-info`; `issue_comment.edited` ones only for secrets.
//! One comment gets at most one reply from the bot, covering every command
//! in it, and a bounded amount of work whatever it holds.

use chrono::Utc;
use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::effects::{IssueHandle, situation_now};
use super::reply_text::reply_text;
use super::round_facts::round_facts;
use super::{auto, evidence, intake, proofs, recover, secrets};
use crate::commands::{Command, ParseError, parse_commands};
use crate::github::payload::{IssueCommentEvent, IssuesEvent};
use crate::recovery::bound;
use crate::recovery::effects::Reaction;
use crate::recovery::messages;
use crate::recovery::state::State;
use crate::recovery::timers::{outsider_may_be_answered, status_look_due};
use crate::recovery::transitions::{self, AccountCheck, Actor, Reply};
use crate::store::requests::{self, Audit, Request};
use crate::store::timers as clocks;
use crate::verify::Proof;
use crate::verify::directory::approval_key;

/// The most commands of one comment that are run; the rest are counted and
/// said to be ignored.
pub const MAX_COMMANDS: usize = 20;

pub async fn handle(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    ev: &IssueCommentEvent,
) -> Result<(), JobError> {
    // Only new and edited comments; an edited one only for secrets.
    let edited = match ev.action.as_str() {
        "created" => false,
        "edited" => true,
        _ => return Ok(()),
    };
    if !runs_anything(issue, ev) {
        return Ok(());
    }
    let Some(mut request) = find_request(issue, conn, ev, edited).await? else {
        return Ok(());
    };
    let mut turn = Turn::new(issue, ev);
    turn.look_for_secrets(issue, conn, &mut request).await?;
    if edited {
        return turn.finish(issue, conn, &request, 0).await;
    }
    let commands = parse_commands(turn.body());
    if turn.is_requester(&request) {
        // Reminders count from the requester's last word.
        clocks::touch_requester(&mut *conn, request.id).await?;
        request = reload(conn, request).await?;
    }
    // A comment without commands answers the request; so does the
    // requester coming back to a request closed for no response, even with
    // a `/status`, before their commands run.
    let back = turn.is_requester(&request) && request.state() == State::NoResponse;
    if commands.is_empty() || back {
        turn.plain_comment(issue, conn, &mut request).await?;
    }
    if commands.is_empty() {
        return turn.finish(issue, conn, &request, 0).await;
    }
    turn.commands(issue, conn, &mut request, &commands).await
}

/// Pull requests, the bot itself and other bots never run anything.
fn runs_anything(issue: &IssueHandle<'_>, ev: &IssueCommentEvent) -> bool {
    let author = &ev.comment.user;
    ev.issue.pull_request.is_none()
        && !author.is_bot()
        && !author.login.eq_ignore_ascii_case(&issue.bot.login)
}

/// The request the comment is on, locked for this job. A command that
/// overtook the issue's own delivery (or the issue's was lost) takes the
/// issue in first, from the comment's copy of it, so the command is not
/// lost; the late `opened` changes nothing.
async fn find_request(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    ev: &IssueCommentEvent,
    edited: bool,
) -> Result<Option<Request>, JobError> {
    let number = ev.issue.number;
    let mut found = requests::lock_by_issue(&mut *conn, ev.repository.id, number).await?;
    if found.is_none() && !edited && ev.issue.has_label(&issue.bot.labels.intake) {
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
    let found = match found {
        Some(r) => Some(intake::seen_again(issue, conn, &ev.sender, r, false).await?),
        None => None,
    };
    Ok(found.filter(|r| r.removed_at.is_none()))
}

async fn reload(conn: &mut PgConnection, request: Request) -> Result<Request, JobError> {
    Ok(requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or(request))
}

/// One comment being handled: its author, what the bot will answer (one
/// reply for the whole comment), and whether the request changed.
struct Turn<'e> {
    ev: &'e IssueCommentEvent,
    audit: Audit,
    replies: Vec<String>,
    changed: bool,
    /// Whether the author is an admin: asked of GitHub at most once per
    /// job, and only when something depends on it.
    admin: Option<Standing>,
    /// Whether the bot answers this comment at all (`may_answer`).
    answer: Option<bool>,
    /// A `/reopen` ran: the request may have become valid again.
    reopened: bool,
}

/// Whether a comment's author is an admin, as far as the bot could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Admin,
    NotAdmin,
    /// GitHub's answer could not be read and no attempt is left (or it
    /// will never be read): never taken as yes.
    Unchecked,
}

impl<'e> Turn<'e> {
    fn new(issue: &IssueHandle<'_>, ev: &'e IssueCommentEvent) -> Self {
        let author = &ev.comment.user;
        Self {
            ev,
            audit: Audit {
                actor_id: i64::try_from(author.id).ok(),
                actor_login: author.login.clone(),
                action: String::new(),
                delivery_id: Some(issue.delivery_id.to_owned()),
                details: serde_json::json!({ "comment_id": ev.comment.id }),
            },
            replies: Vec::new(),
            changed: false,
            admin: None,
            answer: None,
            reopened: false,
        }
    }

    fn body(&self) -> &'e str {
        self.ev.comment.body.as_deref().unwrap_or("")
    }

    fn author(&self) -> &'e crate::github::payload::User {
        &self.ev.comment.user
    }

    fn is_requester(&self, request: &Request) -> bool {
        self.author().id == u64::try_from(request.author_id).unwrap_or_default()
    }

    /// The one answer to "is the author an admin?" for this job. A
    /// look-up that fails is retried with the job (its error returned)
    /// while attempts are left and trying again can help; after that it is
    /// [`Standing::Unchecked`], which runs nothing an admin may.
    async fn standing(
        &mut self,
        issue: &IssueHandle<'_>,
        conn: &mut PgConnection,
    ) -> Result<Standing, JobError> {
        if let Some(known) = self.admin {
            return Ok(known);
        }
        let author = self.author();
        let asked = issue
            .bot
            .admins
            .is_admin(&issue.gh, conn, issue.repo, &author.login, author.id)
            .await;
        let known = match asked {
            Ok(true) => Standing::Admin,
            Ok(false) => Standing::NotAdmin,
            Err(e) if issue.last_attempt || matches!(e, JobError::Permanent(_)) => {
                tracing::warn!(error = %e, "could not check permission: the author is not taken for an admin");
                Standing::Unchecked
            }
            Err(e) => return Err(e),
        };
        self.admin = Some(known);
        Ok(known)
    }

    /// Whether the bot answers this comment (a reply, a reaction): always
    /// when the author is the requester or an admin (or could not be
    /// checked, to be told so); anyone else at most
    /// once per request an hour, kept in PostgreSQL so that restarts and
    /// replicas agree. Taking the answer is stored at once.
    async fn may_answer(
        &mut self,
        issue: &IssueHandle<'_>,
        conn: &mut PgConnection,
        request: &Request,
    ) -> Result<bool, JobError> {
        if let Some(known) = self.answer {
            return Ok(known);
        }
        // Whoever could not be checked is told so (never taken for an admin).
        let known = if self.is_requester(request)
            || self.standing(issue, &mut *conn).await? != Standing::NotAdmin
        {
            true
        } else {
            let user = i64::try_from(self.author().id).unwrap_or(i64::MAX);
            let last = clocks::outsider_answered_at(&mut *conn, request.id, user).await?;
            let may = outsider_may_be_answered(last, Utc::now());
            if may {
                clocks::mark_outsider_answered(&mut *conn, request.id, user).await?;
            } else {
                info!(
                    request = request.id,
                    "answered this commenter within the hour: quiet"
                );
            }
            may
        };
        self.answer = Some(known);
        Ok(known)
    }

    /// Whether the comment was written after the request last changed
    /// under the admins (`recovery::bound`).
    fn saw_request(&self, request: &Request) -> bool {
        bound::saw_request(self.ev.comment.created_at, request.form_changed_at)
    }

    async fn look_for_secrets(
        &mut self,
        issue: &mut IssueHandle<'_>,
        conn: &mut PgConnection,
        request: &mut Request,
    ) -> Result<(), JobError> {
        let (id, login) = (self.ev.comment.id, &self.author().login);
        if let Some(warning) =
            secrets::in_comment(issue, conn, request, id, login, self.body()).await?
        {
            self.replies.push(warning);
            self.changed = true;
            *request = reload(conn, request.clone()).await?;
        }
        Ok(())
    }

    /// The one reply (when there is something to say, or commands were
    /// skipped) and the tracker brought in line when the request changed.
    async fn finish(
        mut self,
        issue: &mut IssueHandle<'_>,
        conn: &mut PgConnection,
        request: &Request,
        skipped: usize,
    ) -> Result<(), JobError> {
        self.replies.dedup();
        let something = !self.replies.is_empty() || skipped > 0;
        if something && self.may_answer(issue, conn, request).await? {
            let text = messages::combined(&self.replies, skipped);
            issue.reply_once(conn, &text).await?;
        }
        if self.changed {
            // A reopen without evidence for the account named now gathers it.
            let mut request = evidence::ensure(issue, conn, request.clone(), None).await?;
            if self.reopened {
                request = auto::maybe_start(issue, conn, request, None).await?;
            }
            issue.sync_tracker(conn, &request).await?;
        }
        Ok(())
    }

    /// A comment with no command. The requester answering `/request-info`
    /// moves the request back, and coming back to a request closed for no
    /// response reopens it (with a reply); an admin's comment answers the
    /// request (it leaves the queue requesters are told about).
    async fn plain_comment(
        &mut self,
        issue: &mut IssueHandle<'_>,
        conn: &mut PgConnection,
        request: &mut Request,
    ) -> Result<(), JobError> {
        if request.admin_answered_at.is_none()
            && !self.is_requester(request)
            && self.standing(issue, &mut *conn).await? == Standing::Admin
        {
            requests::mark_admin_answered(&mut *conn, request.id).await?;
        }
        let author = self.author();
        let sit = situation_now(conn, issue.bot, request, AccountCheck::NotLookedUp).await?;
        let Some(outcome) = transitions::reply_from(&sit, author.id) else {
            return Ok(());
        };
        issue.apply(conn, request, &outcome, &self.audit).await?;
        if let Some(reply) = &outcome.reply {
            let text = messages::reply(reply, &request.author_login, &author.login, None);
            self.replies.push(text);
        }
        self.changed = true;
        Ok(())
    }

    /// A comment's commands: 👀 on receipt, those the author may run run in
    /// order (up to [`MAX_COMMANDS`]), the others refused with one answer,
    /// then the one reply and 🚀 (or 😕 when any failed or was skipped).
    async fn commands(
        mut self,
        issue: &mut IssueHandle<'_>,
        conn: &mut PgConnection,
        request: &mut Request,
        commands: &[Result<Command, ParseError>],
    ) -> Result<(), JobError> {
        let comment_id = self.ev.comment.id;
        // 👀 unless the author is someone the bot keeps quiet for (when
        // GitHub cannot say who they are, 👀 and the job is retried).
        let answer = self.may_answer(issue, conn, request).await;
        if !matches!(answer, Ok(false)) {
            issue.acknowledge(conn, comment_id).await?;
        }
        if !answer? {
            return self.finish(issue, conn, request, 0).await;
        }
        let is_requester = self.is_requester(request);
        let standing = self.standing(issue, &mut *conn).await?;
        let actor = Actor {
            id: self.author().id,
            login: self.author().login.clone(),
            is_admin: standing == Standing::Admin,
        };
        let (allowed, refused) = transitions::by_permission(commands, &actor, is_requester);
        let (allowed, stale) = bound::split(allowed, &actor, self.saw_request(request));
        let mut ok = run_commands(issue, conn, request, &actor, &allowed, &mut self).await?;
        if let Some(outcome) = bound::refusal(&stale) {
            ok = false;
            let mut audit = self.audit.clone();
            audit.details["commands"] = stale.len().into();
            issue.apply(conn, request, &outcome, &audit).await?;
            if let Some(reply) = &outcome.reply {
                let text = messages::reply(reply, &request.author_login, &actor.login, None);
                self.replies.push(text);
            }
        }
        if !refused.is_empty() {
            ok = false;
            let told = refuse(
                conn,
                request,
                &actor,
                standing,
                is_requester,
                refused.len(),
                &self.audit,
            );
            if let Some(text) = told.await? {
                self.replies.push(text);
            }
        }
        let skipped = allowed.len().saturating_sub(MAX_COMMANDS);
        self.finish(issue, conn, request, skipped).await?;
        let done = if ok && skipped == 0 {
            Reaction::Rocket
        } else {
            Reaction::Confused
        };
        issue.react(conn, comment_id, done).await
    }
}

/// The answer to commands someone may not run: nothing changes, one audit
/// row. The requester is told once per request that admins decide; anyone
/// else each time the bot answers them (`Turn::may_answer`), and whoever
/// could not be checked that the bot could not check permission.
async fn refuse(
    conn: &mut PgConnection,
    request: &Request,
    actor: &Actor,
    standing: Standing,
    is_requester: bool,
    count: usize,
    audit_base: &Audit,
) -> Result<Option<String>, JobError> {
    let once = is_requester && standing != Standing::Unchecked;
    let (reply, action) = match (standing, is_requester) {
        (Standing::Unchecked, _) => (Reply::PermissionUnchecked, "permission_unchecked"),
        (_, true) => (Reply::OnlyAdminsDecide, "requester_refused"),
        _ => (Reply::NotAdmin, "command_refused"),
    };
    let told = once && requests::has_action(&mut *conn, request.id, action).await?;
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

/// Commands, in order, up to [`MAX_COMMANDS`]; their replies and changes go
/// to `turn`. True when every one succeeded.
async fn run_commands(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    actor: &Actor,
    commands: &[&Result<Command, ParseError>],
    turn: &mut Turn<'_>,
) -> Result<bool, JobError> {
    if actor.is_admin && !commands.is_empty() {
        // The admin has seen the username warning, if there was one and the
        // comment was written after it.
        if request.username_changed && turn.saw_request(request) {
            requests::clear_username_warning(&mut *conn, request.id).await?;
            turn.changed = true;
        }
        // Only other requests' queue positions move: nothing to show here.
        if request.admin_answered_at.is_none() {
            requests::mark_admin_answered(&mut *conn, request.id).await?;
        }
    }
    let mut all_ok = true;
    for (index, &command) in commands.iter().take(MAX_COMMANDS).enumerate() {
        all_ok &= run_command(issue, conn, request, actor, command, index, turn).await?;
    }
    Ok(all_ok)
}

/// One command: facts first (the directory for a round, a look for the
/// `/verify-repo` branch before `/status`), then the decision, stored with
/// its effects.
async fn run_command(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    actor: &Actor,
    command: &Result<Command, ParseError>,
    index: usize,
    turn: &mut Turn<'_>,
) -> Result<bool, JobError> {
    let bot = issue.bot;
    let facts = round_facts(issue, request, command).await?;
    turn.changed |= facts.store(conn, request).await?;
    // However many `/status` lines and comments ask: one look a minute.
    if let Ok(Command::Status) = command
        && status_look_due(request.repo_checked_at, Utc::now())
        && let Some(found) = proofs::look_for_branch(issue, conn, request).await?
    {
        turn.replies.push(found);
        turn.changed = true;
    }
    let account = facts.account.unwrap_or(AccountCheck::NotLookedUp);
    let mut sit = situation_now(conn, bot, request, account).await?;
    sit.account_repos = facts.repositories.len();
    let outcome = transitions::command(&sit, actor, command, &bot.replies);
    info!(action = outcome.action, ok = outcome.ok, "command");
    turn.changed |= outcome.to.is_some() || outcome.check.is_some();
    turn.reopened |= outcome.ok && matches!(command, Ok(Command::Reopen));
    issue.apply(conn, request, &outcome, &turn.audit).await?;
    let proof = if outcome.send_email {
        Some(Proof::Link)
    } else if outcome.send_repo_token {
        Some(Proof::Branch {
            repositories: facts.repositories.clone(),
        })
    } else {
        None
    };
    if let (Some(proof), Some(address)) = (proof, &facts.address) {
        let key = format!("{}:{index}", issue.delivery_id);
        proofs::start_round(issue, conn, request, address, &key, &proof).await?;
    }
    if outcome.recover
        && let Ok(approve) = command
    {
        let key = approval_key(request.repository_id, turn.ev.comment.id, index);
        let bound_to = (key, turn.ev.comment.created_at);
        recover::enqueue(
            &mut *conn,
            request,
            actor,
            approve,
            bound_to,
            bot.max_attempts,
        )
        .await?;
    }
    if let Some(reply) = &outcome.reply {
        let text = reply_text(issue, conn, request, actor, reply).await?;
        turn.replies.push(text);
    }
    Ok(outcome.ok)
}
