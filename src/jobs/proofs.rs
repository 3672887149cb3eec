//! Proof rounds: starting one (an admin's `/verify-email` or `/verify-repo`,
//! or the bot's own), and the `/verify-repo` proof: looking for the branch
//! named after the mailed token in the round's repositories, and recording
//! `project-ownership` when it was created after the mail. The token is
//! never written on the tracker or in logs.

use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::effects::{IssueHandle, situation_now};
use crate::recovery::branch::{self, Verdict};
use crate::recovery::effects::Effect;
use crate::recovery::messages;
use crate::recovery::state::State;
use crate::recovery::transitions::{self, AccountCheck, OWNERSHIP_CHECK};
use crate::store::requests::{self, Audit, Request};
use crate::store::{timers, tokens};
use crate::verify::{Proof, Round};

/// Looks for the branch of the request's live `/verify-repo` round, one
/// `GET /repos/{owner}/{repo}/branches/{token}` per repository of the
/// round until one has it, then one `GET /repos/{owner}/{repo}/activity`
/// for its creation, and records the check when it was created after the
/// token was mailed. Returns what to tell the issue: the branch counted,
/// or (once) that it did not.
pub async fn look_for_branch(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &mut Request,
) -> Result<Option<String>, JobError> {
    let Some(token) = tokens::live_branch(&mut *conn, request.id).await? else {
        return Ok(None);
    };
    let Some(branch) = token.branch.as_deref() else {
        return Ok(None);
    };
    // The round proves ownership only for the account it was sent for, while
    // the request still waits for it.
    let same_account = crate::recovery::indexes::one_account(
        (&token.index_key, token.username.as_deref()),
        (&request.index_key, request.username.as_deref()),
    );
    let sit = situation_now(conn, issue.bot, request, AccountCheck::NotLookedUp).await?;
    let waiting = request.in_open_set()
        && request.state() == State::AwaitingUser
        && sit.awaiting == Some(transitions::Awaiting::Repo);
    if !same_account || !waiting {
        return Ok(None);
    }
    request.repo_checked_at = Some(timers::mark_repo_checked(&mut *conn, request.id).await?);
    let mut found = None;
    for repository in token.repositories() {
        if let Some(commit) = issue.gh.branch_commit(&repository, branch).await? {
            found = Some((repository, commit));
            break;
        }
    }
    let Some((repository, commit)) = found else {
        info!(request = request.id, "verify-repo branch not found yet");
        return Ok(None);
    };
    // Who created it, and when: it counts only when that was after the mail.
    let creations = issue.gh.branch_creations(&repository, branch).await?;
    let verdict = branch::judge(&creations, token.mailed_at);
    let mut details = serde_json::json!({
        "token_id": token.id,
        "repository": repository,
        "commit": commit,
        "verdict": verdict.as_str(),
    });
    let (Verdict::Counts(created) | Verdict::Predates(created)) = &verdict else {
        return not_counted(issue, conn, request, &repository, None, details).await;
    };
    let when = messages::utc(&created.at);
    details["pusher_login"] = created.login.clone().into();
    details["pusher_id"] = created.id.into();
    details["created_at"] = created.at.to_rfc3339().into();
    if !matches!(verdict, Verdict::Counts(_)) {
        let by = Some((created.login.as_str(), when.as_str()));
        return not_counted(issue, conn, request, &repository, by, details).await;
    }
    tokens::mark_used(&mut *conn, token.id).await?;
    let note = format!(
        "branch named after the emailed token found in {repository} at commit {commit}, \
         created by {} (id {}) at {when}, after the token was mailed",
        created.login, created.id
    );
    let outcome = transitions::check_passed(&sit, OWNERSHIP_CHECK, &note, "repo_branch_found");
    let audit = Audit {
        actor_id: None,
        actor_login: issue.bot.login.clone(),
        action: outcome.action.to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details,
    };
    issue.apply(conn, request, &outcome, &audit).await?;
    let verified = matches!(outcome.to, Some((State::Verified, _)));
    info!(request = request.id, %repository, "verify-repo branch found");
    Ok(Some(messages::branch_found(&repository, &commit, verified)))
}

/// The branch is there but does not count: recorded, and admins are told
/// once per request (the bot keeps looking, quietly).
async fn not_counted(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &Request,
    repository: &str,
    created: Option<(&str, &str)>,
    details: serde_json::Value,
) -> Result<Option<String>, JobError> {
    const ACTION: &str = "repo_branch_not_counted";
    let told = requests::has_action(&mut *conn, request.id, ACTION).await?;
    let audit = Audit {
        actor_id: None,
        actor_login: issue.bot.login.clone(),
        action: ACTION.to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details,
    };
    if told {
        info!(request = request.id, "verify-repo branch still not counted");
        return Ok(None);
    }
    requests::record(&mut *conn, request, &audit).await?;
    info!(request = request.id, %repository, "verify-repo branch not counted");
    Ok(Some(messages::branch_not_counted(repository, created)))
}

/// Stores a round bound to the account's address and its mail as an
/// effect, which runs once this job commits.
pub(super) async fn start_round(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &Request,
    address: &str,
    key: &str,
    proof: &Proof,
) -> Result<(), JobError> {
    let (Some(verifier), Some(username)) = (&issue.bot.verifier, &request.username) else {
        return Ok(());
    };
    let issue_url = issue
        .bot
        .issue_url(&request.repository, request.issue_number);
    let round = Round {
        request_id: request.id,
        address,
        command_key: key,
        username,
        index_key: &request.index_key,
        repository: &request.repository,
        issue_number: request.issue_number,
        issue_url: &issue_url,
    };
    if let Some(token_id) = verifier.store_round(&mut *conn, &round, proof).await? {
        issue.push(&mut *conn, Effect::Mail { token_id }).await?;
    }
    Ok(())
}
