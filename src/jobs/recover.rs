//! An approval that finishes the job: with `index_recover`, `/approve` asks
//! the index (`POST {dir}/{username}/recover`, the request id as
//! `Idempotency-Key`) to reset 2FA and issue a password reset, and the
//! issue closes only once the index confirms, so the tracker never says
//! done before the account is. A failure is retried as a job and told to
//! admins once; a refusal (4xx) is told and leaves the issue open.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use tracing::{info, warn};

use super::effects::IssueHandle;
use super::{Job, JobError, bot::Bot, outbox};
use crate::commands::Command;
use crate::recovery::transitions::{self, AccountCheck, Actor, Reply};
use crate::recovery::{bound, messages};
use crate::store::jobs::{self, IssueKey};
use crate::store::requests::{self, Audit, Request};
use crate::store::tasks::{RecoverAccount, Task};
use crate::verify::directory::{DirectoryError, Recovered};

/// Queues the reset an admin's `/approve` (written at `written_at`) asked
/// for, bound to the username approved, in the issue's order.
pub async fn enqueue(
    conn: &mut PgConnection,
    request: &Request,
    admin: &Actor,
    approve: &Command,
    (idempotency_key, written_at): (String, Option<DateTime<Utc>>),
    max_attempts: i32,
) -> sqlx::Result<i64> {
    let (Command::Approve { note, now }, Some(username)) = (approve, &request.username) else {
        return Ok(0);
    };
    let task = Task::RecoverAccount(RecoverAccount {
        request_id: request.id,
        username: username.clone(),
        index_key: request.index_key.clone(),
        admin_id: admin.id,
        admin_login: admin.login.clone(),
        note: note.clone(),
        now: *now,
        idempotency_key: Some(idempotency_key),
        written_at,
    });
    let key = IssueKey::new(request.repository_id, request.issue_number);
    jobs::enqueue(conn, &task.job(Some(key), max_attempts)).await
}

pub async fn handle(
    bot: &Bot,
    job: &Job,
    task: &RecoverAccount,
    conn: &mut PgConnection,
) -> Result<(), JobError> {
    let username = task.username.clone();
    let admin = Actor {
        id: task.admin_id,
        login: task.admin_login.clone(),
        is_admin: true,
    };
    let approve = task.approve();
    let Some(mut request) = requests::lock(&mut *conn, task.request_id).await? else {
        return Ok(());
    };
    if request.removed_at.is_some() {
        return Ok(());
    }
    let repo = request.repository.clone();
    let key = format!("recover-{}", job.id);
    let mut issue = IssueHandle::of_request(bot, &repo, &request, &key, job).await?;
    let audit = Audit {
        actor_id: i64::try_from(admin.id).ok(),
        actor_login: admin.login.clone(),
        action: String::new(),
        delivery_id: Some(key.clone()),
        details: serde_json::json!({ "job_id": job.id }),
    };
    // The approval holds only for the account that was approved, only while
    // the request is as the admin saw it, and only while it may still be
    // approved (the issue may have moved on since the command).
    let sit = super::effects::situation_now(conn, bot, &request, AccountCheck::NotLookedUp).await?;
    let same_account = crate::recovery::indexes::one_account(
        (&request.index_key, request.username.as_deref()),
        (&task.index_key, Some(&username)),
    );
    let decided = transitions::recovered(&sit, &admin, &approve);
    let saw = bound::saw_request(task.written_at, request.form_changed_at);
    if !same_account || !saw || !matches!(decided.reply, Some(Reply::Approved { .. })) {
        return abandon(&issue, conn, &mut request, decided, &audit, &admin).await;
    }
    // Unique to this approval (its comment and place in it), the same on
    // each of its retries, after an operator revives it and whatever job
    // carries it; a job queued before keys were stored uses its own id.
    let idempotency_key = task.idempotency_key.clone().unwrap_or_else(|| key.clone());
    let target = issue.target();
    // Made by the live executor, recorded by the shadow one. The answer is
    // stored with the decision it leads to, in this job's transaction; the
    // GitHub writes that follow are effects that run after it commits.
    let answer = outbox::recover(
        bot,
        conn,
        job,
        &target,
        (&task.index_key, &username),
        &idempotency_key,
    )
    .await?;
    match answer {
        Ok(Recovered::Done) => {
            done(
                &mut issue,
                conn,
                &mut request,
                decided,
                audit,
                &admin,
                &idempotency_key,
            )
            .await
        }
        Ok(Recovered::Refused(status)) => {
            refused(&issue, conn, &mut request, decided, audit, job, status).await
        }
        Err(e) => failed(bot, job, &repo, &request, &key, e).await,
    }
}

/// The approval no longer holds (another account, or the request moved on
/// since the command): recorded, and told to the admin.
async fn abandon(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    decided: transitions::Outcome,
    audit: &Audit,
    admin: &Actor,
) -> Result<(), JobError> {
    let outcome = transitions::Outcome {
        action: "recover_no_longer_approvable",
        to: None,
        issue: None,
        ..decided
    };
    issue.apply(conn, request, &outcome, audit).await?;
    issue
        .reply_once(conn, &messages::approval_abandoned(&admin.login))
        .await?;
    Ok(())
}

/// The index reset the account: the approval is stored with its answer, then
/// told on the issue and shown on the tracker.
async fn done(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    decided: transitions::Outcome,
    audit: Audit,
    admin: &Actor,
    idempotency_key: &str,
) -> Result<(), JobError> {
    info!(request = request.id, "the index reset the account");
    // The index's answer is in the approval's audit row, stored
    // before any GitHub call that follows it.
    let mut audit = audit;
    audit.details["index_answer"] = serde_json::json!(200);
    audit.details["idempotency_key"] = serde_json::json!(idempotency_key);
    issue.apply(conn, request, &decided, &audit).await?;
    let text = super::reply_text::approve_text(conn, issue, request, &admin.login).await?;
    let note = match &decided.reply {
        Some(r) => messages::reply(r, &request.author_login, &admin.login, Some(&text)),
        None => text,
    };
    issue.reply_once(conn, &note).await?;
    issue.sync_tracker(conn, request).await
}

/// The index refused (a 4xx): recorded and told; the issue stays open.
async fn refused(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    decided: transitions::Outcome,
    audit: Audit,
    job: &Job,
    status: u16,
) -> Result<(), JobError> {
    warn!(
        request = request.id,
        status, "the index refused to reset the account"
    );
    let outcome = transitions::Outcome {
        action: "recover_refused",
        to: None,
        issue: None,
        reply: None,
        ..decided
    };
    let audit = Audit {
        details: serde_json::json!({ "job_id": job.id, "status": status }),
        ..audit
    };
    issue.apply(conn, request, &outcome, &audit).await?;
    issue
        .reply_once(conn, &messages::recover_failed(Some(status), false))
        .await
}

/// The index could not be asked or failed: told once (a retry finds this
/// reply by its marker), then retried with the queue's backoff.
async fn failed(
    bot: &Bot,
    job: &Job,
    repo: &str,
    request: &Request,
    key: &str,
    e: DirectoryError,
) -> Result<(), JobError> {
    let status = match &e {
        DirectoryError::Status(code) => Some(*code),
        _ => None,
    };
    // This job's writes roll back with the failure: the notice is
    // stored on its own (it runs before the retry, which waits for
    // the issue's effects), on the first failure only.
    if job.attempts <= 1 {
        let told = format!("{key}-trouble");
        let trouble = IssueHandle::of_request(bot, repo, request, &told, job).await?;
        // Without a second connection in time the notice is skipped: the
        // retry is what matters, and the request stays verified and open.
        if let Some(mut own) = bot.side_connection().await {
            trouble
                .reply_once(&mut own, &messages::recover_failed(status, true))
                .await?;
        }
    }
    Err(JobError::retry(e))
}
