//! Time that moves by itself: every `Settings::timer_tick` one replica enqueues a
//! `request_timers` job for each request whose clock is due, and the job
//! tells admins about a link that expired, looks for a `/verify-repo`
//! branch, reminds a quiet requester once, or closes the request for no
//! response. Each request's clocks follow its own history (when its token
//! was mailed, when its requester was last active), so the checks spread
//! out by themselves; at most `MAX_PER_TICK` are enqueued per tick, so
//! catching up after downtime never bursts.

use chrono::Utc;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::effects::{IssueHandle, situation_now};
use super::{Job, JobError, bot::Bot, proofs};
use crate::config::Timers;
use crate::recovery::messages;
use crate::recovery::timers::{self, Clock, Due};
use crate::recovery::transitions::{self, AccountCheck};
use crate::store::requests::{self, Audit, Request};
use crate::store::tasks::ForRequest;
use crate::store::{timers as clocks, tokens};

pub use crate::store::jobs::REQUEST_TIMERS;

/// The most timer jobs enqueued per tick.
pub const MAX_PER_TICK: i64 = 100;

/// Enqueues the due timer jobs every `tick` (`Settings::timer_tick`) until
/// shutdown.
pub async fn tick_loop(
    pool: PgPool,
    timers: Timers,
    tick: std::time::Duration,
    max_attempts: i32,
    shutdown: CancellationToken,
) {
    loop {
        let scan = async {
            let mut tx = pool.begin().await?;
            let n = clocks::enqueue_due(&mut tx, &timers, max_attempts, MAX_PER_TICK).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        };
        match scan.await {
            Ok(0) => {}
            Ok(n) => info!(requests = n, "timers due"),
            Err(e) => warn!(error = %e, "cannot look for due timers; trying again later"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(tick) => {}
        }
    }
}

pub async fn handle(
    bot: &Bot,
    job: &Job,
    task: &ForRequest,
    conn: &mut PgConnection,
) -> Result<(), JobError> {
    let Some(mut request) = requests::lock(&mut *conn, task.request_id).await? else {
        return Ok(());
    };
    if !request.in_open_set() {
        return Ok(());
    }
    let repo = request.repository.clone();
    let key = format!("timers-{}", job.id);
    let mut issue = IssueHandle::of_request(bot, &repo, &request, &key, job).await?;
    let audit = Audit {
        actor_id: None,
        actor_login: bot.login.clone(),
        action: String::new(),
        delivery_id: Some(key.clone()),
        details: serde_json::json!({ "job_id": job.id }),
    };
    let mut replies = Vec::new();
    let mut changed = false;
    if let Some(expired) = expired_link(conn, &request, &audit).await? {
        replies.push(expired);
        changed = true;
    }
    if let Some(found) = due_branch_look(bot, &issue, conn, &mut request).await? {
        replies.push(found);
        changed = true;
    }
    let (reply, closed) = clock_due(bot, &issue, conn, &mut request, &audit).await?;
    replies.extend(reply);
    changed |= closed;
    if !replies.is_empty() {
        issue
            .reply_once(conn, &messages::combined(&replies, 0))
            .await?;
    }
    if changed {
        issue.sync_tracker(conn, &request).await?;
    }
    Ok(())
}

/// A link that expired since the last look: recorded, and a notice for the
/// reply.
async fn expired_link(
    conn: &mut PgConnection,
    request: &Request,
    audit: &Audit,
) -> Result<Option<String>, JobError> {
    if tokens::take_newly_expired(&mut *conn, request.id).await? == 0 {
        return Ok(None);
    }
    requests::record(
        &mut *conn,
        request,
        &Audit {
            action: "link_expired".to_owned(),
            ..audit.clone()
        },
    )
    .await?;
    Ok(Some(messages::link_expired()))
}

/// When the live branch link was mailed long enough ago, looks for the
/// `/verify-repo` branch; what it found, for the reply.
async fn due_branch_look(
    bot: &Bot,
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
) -> Result<Option<String>, JobError> {
    let branch_due = tokens::live_branch(&mut *conn, request.id)
        .await?
        .and_then(|t| t.mailed_at)
        .is_some_and(|mailed| {
            timers::branch_look_due(
                mailed,
                request.repo_checked_at,
                bot.timers.repo_check_interval,
                Utc::now(),
            )
        });
    if !branch_due {
        return Ok(None);
    }
    proofs::look_for_branch(issue, conn, request).await
}

/// The request's own clock: a reminder, or the close for no response. The
/// reply it adds, and whether the request changed.
async fn clock_due(
    bot: &Bot,
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
    audit: &Audit,
) -> Result<(Option<String>, bool), JobError> {
    let clock = Clock {
        state: request.state(),
        open: request.issue_open,
        state_changed_at: request.state_changed_at,
        requester_active_at: request.requester_active_at,
        reminded_at: request.reminded_at,
    };
    match timers::due(&clock, &bot.timers, Utc::now()) {
        Due::Nothing => Ok((None, false)),
        Due::Remind => {
            clocks::mark_reminded(&mut *conn, request.id).await?;
            requests::record(
                &mut *conn,
                request,
                &Audit {
                    action: "reminded".to_owned(),
                    ..audit.clone()
                },
            )
            .await?;
            let reminder = messages::reminder(
                &request.author_login,
                request.state(),
                bot.timers.close_after,
            );
            Ok((Some(reminder), false))
        }
        Due::Close => {
            let sit = situation_now(conn, bot, request, AccountCheck::NotLookedUp).await?;
            let outcome = transitions::no_response(&sit);
            issue.apply(conn, request, &outcome, audit).await?;
            let reply = outcome
                .reply
                .as_ref()
                .map(|reply| messages::reply(reply, &request.author_login, &bot.login, None));
            Ok((reply, true))
        }
    }
}
