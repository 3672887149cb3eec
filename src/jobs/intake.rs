//! `issues` deliveries: intake of the form (opened, labeled, edited), the
//! issue closed or reopened by hand, and the issue deleted or transferred
//! away. Facts first (the issue as it is now, the stored request, the
//! account directory), then one decision (`recovery::intake`), then the
//! store, then the tracker brought in line.

use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::bot::{Bot, BotIndex};
use super::effects::{IssueHandle, StoredProblems, refresh_duplicates_of, situation_now};
use super::{auto, evidence, secrets};
use crate::github::payload::{self, IssuesEvent};
use crate::recovery::bound;
use crate::recovery::intake::{self, Decision, Existing, FormReading, Reading, Trigger};
use crate::recovery::moves::Move;
use crate::recovery::state::State;
use crate::recovery::transitions::AccountCheck;
use crate::store::requests::{self, Audit, FormData, NewRequest, Request};
use crate::verify::directory::Account;

pub async fn handle(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    ev: &IssuesEvent,
) -> Result<(), JobError> {
    if ev.issue.pull_request.is_some() {
        return Ok(());
    }
    let bot = issue.bot;
    let number = ev.issue.number;
    let existing = match requests::lock_by_issue(&mut *conn, ev.repository.id, number).await? {
        Some(r) if !matches!(ev.action.as_str(), "deleted" | "transferred") => {
            // A close or reopen is then read as one, against the state.
            let closing = matches!(ev.action.as_str(), "closed" | "reopened");
            Some(seen_again(issue, conn, &ev.sender, r, closing).await?)
        }
        found => found,
    };
    let trigger = match ev.action.as_str() {
        "opened" => Trigger::Opened,
        "edited" => Trigger::Edited,
        "labeled" | "unlabeled" => {
            let label = ev.label.as_ref().map(|l| l.name.as_str()).unwrap_or("");
            if bot.indexes.set.several() && bot.indexes.set.is_index_label(label) {
                // An index's label added or removed: the request may be
                // for another index now, read as an edit.
                Trigger::Edited
            } else if ev.action == "labeled" && label.eq_ignore_ascii_case(&bot.labels.intake) {
                Trigger::Labeled
            } else {
                return Ok(());
            }
        }
        "closed" | "reopened" => {
            return match existing {
                Some(r) => closed_or_reopened(issue, conn, ev, r).await,
                None => Ok(()),
            };
        }
        "deleted" | "transferred" => {
            return match existing {
                Some(r) => removed(conn, issue, ev, &r).await,
                None => Ok(()),
            };
        }
        _ => return Ok(()),
    };
    let Some(current) = issue_now(issue, ev, existing.as_ref()).await? else {
        return match existing {
            Some(r) => removed(conn, issue, ev, &r).await,
            None => Ok(()),
        };
    };
    if !current.has_label(&bot.labels.intake) {
        info!("not an intake issue; ignored");
        return Ok(());
    }
    // The requester's own edit: reminders count from it.
    if let (Trigger::Edited, Some(r)) = (trigger, &existing)
        && i64::try_from(ev.sender.id).ok() == Some(r.author_id)
    {
        crate::store::timers::touch_requester(&mut *conn, r.id).await?;
    }
    take_in(issue, conn, ev, trigger, existing, &current).await
}

/// The issue as it is now, or `None` when GitHub no longer has it. A first
/// attempt trusts the delivery (older versions lose to newer ones by
/// `updated_at`); a retry, which may run long after (an operator's `jobs
/// retry` of a dead job), asks GitHub.
async fn issue_now(
    issue: &IssueHandle<'_>,
    ev: &IssuesEvent,
    existing: Option<&Request>,
) -> Result<Option<payload::Issue>, JobError> {
    let current = if issue.retrying {
        match issue.gh.issue(issue.repo, issue.number).await? {
            Some(now) => now,
            None => return Ok(None),
        }
    } else {
        ev.issue.clone()
    };
    // GitHub's `updated_at` has whole seconds: two edits within one second
    // cannot be ordered by it, so a body or an index that differs from the
    // one read at that same second is read again from GitHub.
    match existing {
        Some(r)
            if !issue.retrying
                && r.issue_updated_at.is_some()
                && r.issue_updated_at == current.updated_at
                && (r.body_hash != intake::body_hash(current.body.as_deref())
                    || r.index_key != index_now(issue.bot, &current).key) =>
        {
            Ok(issue.gh.issue(issue.repo, issue.number).await?)
        }
        _ => Ok(Some(current)),
    }
}

/// The index the issue is for as it is now: its form's `index` field, else
/// its labels, else the default.
fn index_now<'b>(bot: &'b Bot, issue: &'b payload::Issue) -> &'b BotIndex {
    let value = intake::index_value(&bot.template, issue.body.as_deref());
    bot.indexes.pick(
        value.as_ref().map(|v| v.as_deref()),
        issue.labels.iter().map(|l| l.name.as_str()),
    )
}

/// What `intake::decide` settled on for this reading of the form.
struct Applied {
    state: State,
    username_changed: bool,
    action: &'static str,
    /// The request is pending now and was not (new, fixed, or named
    /// another account): the bot may start a round itself.
    became_valid: bool,
}

async fn take_in(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    ev: &IssuesEvent,
    trigger: Trigger,
    existing: Option<Request>,
    current: &payload::Issue,
) -> Result<(), JobError> {
    let bot = issue.bot;
    let number = current.number;
    let body = current.body.as_deref();
    let body_hash = intake::body_hash(body);
    let (form, index) = read_form(bot, current);
    let changed = existing
        .as_ref()
        .is_none_or(|r| r.body_hash != body_hash || r.index_key != index.key);
    let (form, account) = look_up(index, form, changed, &bot.template).await?;
    let Some(mut applied) = decide(
        conn,
        trigger,
        existing.as_ref(),
        &form,
        index,
        &body_hash,
        current,
    )
    .await?
    else {
        // Nothing to store, but this version is read: an older delivery
        // that arrives later (the edit this one undid) must lose to it.
        if let Some(r) = &existing {
            requests::seen_version(&mut *conn, r.id, current.updated_at).await?;
        }
        return Ok(());
    };
    applied.became_valid = applied.state == State::Pending
        && existing
            .as_ref()
            .is_none_or(|r| r.state() != State::Pending || applied.username_changed);
    let data = form_data(&form, index, body_hash);
    let audit = intake_audit(issue, ev, &form, index, &applied);
    match &existing {
        None => {
            requests::insert(
                &mut *conn,
                &NewRequest {
                    repository: &ev.repository.full_name,
                    repository_id: ev.repository.id,
                    issue_number: number,
                    author_id: i64::try_from(current.user.id).unwrap_or_default(),
                    author_login: &current.user.login,
                    form: &data,
                    state: applied.state,
                    duplicate_of: None,
                },
                &audit,
            )
            .await?;
            issue.new_request = true;
        }
        Some(r) => reread(conn, r, &data, &form, &applied, current, &audit).await?,
    }
    let request = stored(issue, conn, ev, current, &form, applied.state).await?;
    settle(
        issue,
        conn,
        request,
        current,
        &form,
        account.as_ref(),
        &applied,
    )
    .await
}

/// A new reading of an existing request stored: its move, the binding of
/// admins' commands written before it, and (for another account) the
/// checks reset.
async fn reread(
    conn: &mut PgConnection,
    r: &Request,
    data: &FormData,
    form: &FormReading,
    applied: &Applied,
    current: &payload::Issue,
    audit: &Audit,
) -> Result<(), JobError> {
    let username_changed = applied.username_changed;
    let to = Move::form_read(r.before(), applied.state, r.issue_open, username_changed);
    requests::update_form(&mut *conn, r, data, &to, username_changed, audit).await?;
    // Admins' commands written before this edit no longer apply.
    let valid = form.from_form && form.problems.is_empty();
    if bound::edit_binds(username_changed, r.form_valid(), valid) {
        requests::mark_form_changed(&mut *conn, r.id, current.updated_at).await?;
    }
    if username_changed {
        let reset = Audit {
            action: "checks_reset".to_owned(),
            ..audit.clone()
        };
        requests::reset_checks(&mut *conn, r, &reset).await?;
    }
    Ok(())
}

/// The form as read from the issue's body, and the index it is for (the
/// form's `index` field, else the issue's labels, else the default), whose
/// rules read the username.
fn read_form<'b>(bot: &'b Bot, issue: &'b payload::Issue) -> (FormReading, &'b BotIndex) {
    let labels = issue.labels.iter().map(|l| l.name.as_str());
    let form = intake::read_form(&bot.template, issue.body.as_deref(), |value| {
        &bot.indexes.pick(value, labels.clone()).rules
    });
    let index = bot
        .indexes
        .pick(form.index_value.as_ref().map(|v| v.as_deref()), labels);
    (form, index)
}

/// With the index's account directory, when the body or the index changed:
/// the account the form names, which must exist.
async fn look_up(
    index: &BotIndex,
    mut form: FormReading,
    changed: bool,
    template: &crate::form::Template,
) -> Result<(FormReading, Option<Account>), JobError> {
    let mut account = None;
    if let (Some(directory), Some(username), true) = (&index.directory, &form.username, changed) {
        match directory.lookup(username).await? {
            Some(a) => account = Some(a),
            None => form
                .problems
                .push(intake::account_missing(template, username)),
        }
    }
    Ok((form, account))
}

/// The one decision: what this reading changes about the stored request, if
/// anything (`None`: nothing to do).
async fn decide(
    conn: &mut PgConnection,
    trigger: Trigger,
    existing: Option<&Request>,
    form: &FormReading,
    index: &BotIndex,
    body_hash: &str,
    current: &payload::Issue,
) -> Result<Option<Applied>, JobError> {
    let has_checks = match existing {
        Some(r) => !requests::checks(&mut *conn, r.id).await?.is_empty(),
        None => false,
    };
    let before = existing.map(|r| Existing {
        state: r.state(),
        username: r.username.clone(),
        index: r.index_key.clone(),
        body_hash: r.body_hash.clone(),
        has_checks,
        seen: r.issue_updated_at,
    });
    let reading = Reading {
        username: form.username.clone(),
        index: index.key.clone(),
        valid: form.problems.is_empty(),
        body_hash: body_hash.to_owned(),
        updated_at: current.updated_at,
    };
    match intake::decide(trigger, before.as_ref(), &reading) {
        Decision::Ignore(why) => {
            info!(why, "intake: nothing to do");
            Ok(None)
        }
        Decision::Apply {
            state,
            username_changed,
            action,
        } => Ok(Some(Applied {
            state,
            username_changed,
            action,
            became_valid: false,
        })),
    }
}

/// The form as stored on the request.
fn form_data(form: &FormReading, index: &BotIndex, body_hash: String) -> FormData {
    FormData {
        username: form.username.clone(),
        index_key: index.key.clone(),
        fields: form.fields.clone(),
        problems: StoredProblems {
            from_form: form.from_form,
            items: form.problems.clone(),
            username_read: form.username_read.clone(),
            username_is_email: form.username_is_email,
        }
        .to_json(),
        body_hash,
    }
}

/// The audit row of the intake: the sender, the decided action, the problems.
fn intake_audit(
    issue: &IssueHandle<'_>,
    ev: &IssuesEvent,
    form: &FormReading,
    index: &BotIndex,
    applied: &Applied,
) -> Audit {
    Audit {
        actor_id: i64::try_from(ev.sender.id).ok(),
        actor_login: ev.sender.login.clone(),
        action: applied.action.to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({
            "problems": form.problems.iter().map(|p| &p.message).collect::<Vec<_>>(),
            "username_changed": applied.username_changed,
            "index": index.key,
        }),
    }
}

/// The request just stored, locked, with the version of the issue read and
/// the installation it came through.
async fn stored(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    ev: &IssuesEvent,
    current: &payload::Issue,
    form: &FormReading,
    state: State,
) -> Result<Request, JobError> {
    let number = current.number;
    let request = requests::lock_by_issue(&mut *conn, ev.repository.id, number)
        .await?
        .ok_or_else(|| JobError::retry(anyhow::anyhow!("request vanished")))?;
    requests::seen_version(&mut *conn, request.id, current.updated_at).await?;
    requests::set_installation(&mut *conn, request.id, issue.installation_id).await?;
    info!(state = %state, problems = form.problems.len(), "intake");
    Ok(request)
}

/// After storing: the account's facts and ownership evidence, a warning for
/// secrets in the body, and the tracker brought in line.
async fn settle(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    mut request: Request,
    current: &payload::Issue,
    form: &FormReading,
    account: Option<&Account>,
    applied: &Applied,
) -> Result<(), JobError> {
    if let Some(account) = account {
        requests::set_account_facts(&mut *conn, request.id, Some(&account.facts())).await?;
    } else if applied.username_changed || form.username.is_none() {
        requests::set_account_facts(&mut *conn, request.id, None).await?;
    }
    // Open and valid, without evidence for the account named now: gather it.
    request = evidence::ensure(issue, conn, request, account).await?;
    if applied.became_valid {
        request = auto::maybe_start(issue, conn, request, account).await?;
    }
    let warning = secrets::in_body(issue, conn, &request, current.body.as_deref()).await?;
    let request = requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or(request);
    issue.sync_tracker(conn, &request).await?;
    if let Some(warning) = warning {
        issue.reply_once(conn, &warning).await?;
    }
    Ok(())
}

/// Someone closed or reopened the issue by hand (the bot's own closes are
/// recorded when it makes them). Costs one read: the issue's state now.
async fn closed_or_reopened(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    ev: &IssuesEvent,
    request: Request,
) -> Result<(), JobError> {
    let bot = issue.bot;
    if ev.sender.login.eq_ignore_ascii_case(&bot.login) {
        return Ok(());
    }
    // Whatever order the closes and reopens arrive in, and however late a
    // retry runs, the issue's state now is what counts.
    let Some(now) = issue.gh.issue(issue.repo, issue.number).await? else {
        return removed(conn, issue, ev, &request).await;
    };
    let open = now.state.as_deref() != Some("closed");
    if request.issue_open == open || request.removed_at.is_some() {
        return Ok(());
    }
    let sit = situation_now(conn, bot, &request, AccountCheck::NotLookedUp).await?;
    // The requester closing their own open request withdraws it.
    let by_requester = i64::try_from(ev.sender.id).ok() == Some(request.author_id);
    let (state, action) = if open {
        (sit.reopened_state(), "reopened_by_hand")
    } else if by_requester && !request.state().is_closed() {
        (State::Withdrawn, "withdrawn_by_closing")
    } else {
        (request.state(), "closed_by_hand")
    };
    let audit = Audit {
        actor_id: i64::try_from(ev.sender.id).ok(),
        actor_login: ev.sender.login.clone(),
        action: action.to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({}),
    };
    let to = Move::to(request.before(), state, request.awaiting_reason, open);
    requests::set_state(&mut *conn, &request, &to, open, &audit).await?;
    let request = requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or(request);
    // A reopen without evidence for the account named now gathers it.
    let mut request = evidence::ensure(issue, conn, request, None).await?;
    if open {
        request = auto::maybe_start(issue, conn, request, None).await?;
    }
    issue.sync_tracker(conn, &request).await
}

/// A request marked removed is not removed for good: GitHub may have
/// answered one 404 by mistake. Any later delivery for its issue (but its
/// deletion or transfer) asks GitHub again, and an issue that is there, in
/// this repository under its number, makes it one of the repository's
/// requests again. A deleted issue stays 404; a transferred one answers
/// from its new repository. The issue is open as GitHub shows it, or, when
/// `as_state` (the delivery is a close or reopen, read next), as the
/// request's state says.
pub async fn seen_again(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    sender: &payload::User,
    request: Request,
    as_state: bool,
) -> Result<Request, JobError> {
    if request.removed_at.is_none() {
        return Ok(request);
    }
    let Some(now) = issue.gh.issue(issue.repo, issue.number).await? else {
        return Ok(request);
    };
    if !intake::still_here(
        issue.repo,
        issue.number,
        now.number,
        now.html_url.as_deref(),
    ) {
        return Ok(request);
    }
    let audit = Audit {
        actor_id: i64::try_from(sender.id).ok(),
        actor_login: sender.login.clone(),
        action: "issue_seen_again".to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({}),
    };
    let open = if as_state {
        !request.state().is_closed()
    } else {
        now.state.as_deref() != Some("closed")
    };
    requests::mark_restored(&mut *conn, &request, open, &audit).await?;
    info!("the issue is there again: back among the repository's requests");
    Ok(requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or(request))
}

/// The issue was deleted or transferred to another repository: it is no
/// longer one of this repository's requests. Nothing is written to GitHub
/// (the issue is gone); requests that named it as their earlier duplicate
/// are brought in line.
async fn removed(
    conn: &mut PgConnection,
    issue: &IssueHandle<'_>,
    ev: &IssuesEvent,
    request: &Request,
) -> Result<(), JobError> {
    if request.removed_at.is_some() {
        return Ok(());
    }
    let audit = Audit {
        actor_id: i64::try_from(ev.sender.id).ok(),
        actor_login: ev.sender.login.clone(),
        action: "issue_removed".to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({ "event": ev.action }),
    };
    requests::mark_removed(&mut *conn, request, &audit).await?;
    let request = requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or_else(|| request.clone());
    refresh_duplicates_of(conn, &request, issue.bot).await?;
    info!("the issue left the repository's requests");
    Ok(())
}
