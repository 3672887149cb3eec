//! `issues` deliveries: intake of the form (opened, labeled, edited) and the
//! issue closed or reopened by hand.

use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::effects::{Issue, StoredProblems, situation, store_outcome};
use crate::github::payload::IssuesEvent;
use crate::recovery::intake::{self, Decision, Existing, Reading, Trigger};
use crate::recovery::state::State;
use crate::recovery::transitions::{self, AccountCheck};
use crate::recovery::{messages, ownership};
use crate::store::requests::{self, Audit, FormData, NewRequest};
use crate::verify::directory::Account;

pub async fn handle(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    ev: &IssuesEvent,
) -> Result<(), JobError> {
    if ev.issue.pull_request.is_some() {
        return Ok(());
    }
    let bot = issue.bot;
    let number = i64::try_from(ev.issue.number)
        .map_err(|_| JobError::Permanent(anyhow::anyhow!("issue number out of range")))?;
    let existing = requests::lock_by_issue(&mut *conn, ev.repository.id, number).await?;
    let trigger = match ev.action.as_str() {
        "opened" => Trigger::Opened,
        "edited" => Trigger::Edited,
        "labeled" => {
            let intake_label = ev
                .label
                .as_ref()
                .is_some_and(|l| l.name.eq_ignore_ascii_case(&bot.labels.intake));
            if !intake_label {
                return Ok(());
            }
            Trigger::Labeled
        }
        "closed" | "reopened" => {
            return match existing {
                Some(r) => closed_or_reopened(issue, conn, ev, r).await,
                None => Ok(()),
            };
        }
        _ => return Ok(()),
    };
    if !ev.issue.has_label(&bot.labels.intake) {
        info!("not an intake issue; ignored");
        return Ok(());
    }

    let body = ev.issue.body.as_deref();
    let mut form = intake::read_form(&bot.template, &bot.rules, body);
    let body_hash = hex::encode(Sha256::digest(body.unwrap_or("").as_bytes()));
    // With an account directory, the account must exist.
    let changed = existing.as_ref().is_none_or(|r| r.body_hash != body_hash);
    let mut account = None;
    if let (Some(directory), Some(username), true) = (&bot.directory, &form.username, changed) {
        match directory.lookup(username).await? {
            Some(a) => account = Some(a),
            None => form
                .problems
                .push(intake::account_missing(&bot.template, username)),
        }
    }
    let has_checks = match &existing {
        Some(r) => !requests::checks(&mut *conn, r.id).await?.is_empty(),
        None => false,
    };
    let before = existing.as_ref().map(|r| Existing {
        state: r.state(),
        username: r.username.clone(),
        body_hash: r.body_hash.clone(),
        has_checks,
    });
    let reading = Reading {
        username: form.username.clone(),
        valid: form.problems.is_empty(),
        body_hash: body_hash.clone(),
    };
    let (state, reset_checks, action) = match intake::decide(trigger, before.as_ref(), &reading) {
        Decision::Ignore(why) => {
            info!(why, "intake: nothing to do");
            return Ok(());
        }
        Decision::Apply {
            state,
            reset_checks,
            action,
        } => (state, reset_checks, action),
    };

    let duplicate = match &form.username {
        Some(u) => requests::find_open_duplicate(&mut *conn, ev.repository.id, u, number).await?,
        None => None,
    };
    let data = FormData {
        username: form.username.clone(),
        fields: form.fields.clone(),
        problems: StoredProblems {
            from_form: form.from_form,
            items: form.problems.clone(),
        }
        .to_json(),
        body_hash,
    };
    let audit = Audit {
        actor_id: i64::try_from(ev.sender.id).ok(),
        actor_login: ev.sender.login.clone(),
        action: action.to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({
            "problems": form.problems.iter().map(|p| &p.message).collect::<Vec<_>>(),
            "duplicate_of_issue": duplicate.map(|(_, n)| n),
            "checks_reset": reset_checks,
        }),
    };
    let duplicate_id = duplicate.map(|(id, _)| id);
    match &existing {
        None => {
            requests::insert(
                &mut *conn,
                &NewRequest {
                    repository: &ev.repository.full_name,
                    repository_id: ev.repository.id,
                    issue_number: number,
                    author_id: i64::try_from(ev.issue.user.id).unwrap_or_default(),
                    author_login: &ev.issue.user.login,
                    form: &data,
                    state,
                    duplicate_of: duplicate_id,
                },
                &audit,
            )
            .await?;
        }
        Some(r) => {
            requests::update_form(&mut *conn, r, &data, state, duplicate_id, &audit).await?;
            if reset_checks {
                let reset = Audit {
                    action: "checks_reset".to_owned(),
                    ..audit.clone()
                };
                requests::reset_checks(&mut *conn, r, &reset).await?;
            }
        }
    }
    let mut request = requests::lock_by_issue(&mut *conn, ev.repository.id, number)
        .await?
        .ok_or_else(|| JobError::retry(anyhow::anyhow!("request vanished")))?;
    requests::set_installation(&mut *conn, request.id, issue.installation_id).await?;
    info!(state = %state, problems = form.problems.len(), "intake");

    // The first time the request is valid for this account: ownership evidence.
    let first_valid = match &before {
        None => true,
        Some(b) => b.state == State::Incomplete || b.username != form.username,
    };
    if let (Some(account), State::Pending, true) = (&account, state, first_valid) {
        request = ownership_evidence(issue, conn, request, account, &ev.issue.user.login).await?;
    }
    issue
        .sync_labels(request.state(), duplicate.is_some())
        .await?;
    issue.refresh_status(conn, &request, reset_checks).await
}

/// Posts the ownership table for admins; when every project's repository is
/// the author's, records `project-ownership` as passed and adds `fasttrack`.
async fn ownership_evidence(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    request: requests::Request,
    account: &Account,
    author: &str,
) -> Result<requests::Request, JobError> {
    let bot = issue.bot;
    let projects: Vec<(String, Option<String>)> = account
        .projects
        .iter()
        .map(|p| (p.name.clone(), p.repository_url.clone()))
        .collect();
    let evidence = ownership::evaluate(author, &projects);
    issue
        .reply_once(
            0,
            &messages::ownership_table(&evidence, author, &bot.labels.fasttrack),
        )
        .await?;
    if !evidence.all_owned {
        return Ok(request);
    }
    let checks = requests::checks(&mut *conn, request.id).await?;
    let sit = situation(
        &request,
        checks,
        &bot.required_checks,
        bot.verifier.is_some(),
        AccountCheck::NotLookedUp,
    );
    let note = format!("every project's repository belongs to {author}");
    let outcome = transitions::check_passed(&sit, "project-ownership", &note, "ownership_proven");
    let audit = Audit {
        actor_id: None,
        actor_login: bot.login.clone(),
        action: outcome.action.to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({ "projects": projects.len() }),
    };
    store_outcome(&mut *conn, &request, &outcome, &audit).await?;
    if !issue
        .labels
        .iter()
        .any(|l| l.eq_ignore_ascii_case(&bot.labels.fasttrack))
    {
        issue
            .gh
            .add_labels(issue.repo, issue.number, &[bot.labels.fasttrack.as_str()])
            .await?;
        issue.labels.push(bot.labels.fasttrack.clone());
    }
    Ok(requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or(request))
}

/// Someone closed or reopened the issue by hand (the bot's own closes are
/// recorded when it makes them).
async fn closed_or_reopened(
    issue: &mut Issue<'_>,
    conn: &mut PgConnection,
    ev: &IssuesEvent,
    request: requests::Request,
) -> Result<(), JobError> {
    if ev.sender.login.eq_ignore_ascii_case(&issue.bot.login) {
        return Ok(());
    }
    let open = ev.action == "reopened";
    if request.issue_open == open {
        return Ok(());
    }
    let state = match (open, request.state()) {
        (true, s) if s.is_final() => State::Pending,
        (_, s) => s,
    };
    let audit = Audit {
        actor_id: i64::try_from(ev.sender.id).ok(),
        actor_login: ev.sender.login.clone(),
        action: if open {
            "reopened_by_hand"
        } else {
            "closed_by_hand"
        }
        .to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({}),
    };
    let awaiting = request
        .awaiting_reason
        .as_deref()
        .filter(|_| state == State::AwaitingUser);
    requests::set_state(&mut *conn, &request, state, awaiting, open, &audit).await?;
    if state != request.state() {
        issue
            .sync_labels(state, request.duplicate_of.is_some())
            .await?;
        let request = requests::lock_by_issue(&mut *conn, ev.repository.id, request.issue_number)
            .await?
            .unwrap_or(request);
        issue.refresh_status(conn, &request, false).await?;
    }
    Ok(())
}
