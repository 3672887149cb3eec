//! The `/verify-repo` proof: looking for the branch named after the mailed
//! token in the round's repositories, and recording `project-ownership`
//! when it is there. The token is never written on the tracker or in logs.

use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::effects::{IssueHandle, situation_now};
use crate::recovery::messages;
use crate::recovery::state::State;
use crate::recovery::transitions::{self, AccountCheck, OWNERSHIP_CHECK};
use crate::store::requests::{Audit, Request};
use crate::store::{timers, tokens};

/// Looks for the branch of the request's live `/verify-repo` round, one
/// `GET /repos/{owner}/{repo}/branches/{token}` per repository of the
/// round, and records the check when one has it. Returns what to tell the
/// issue, when the branch was found.
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
    let same_account = match (&token.username, &request.username) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    };
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
    tokens::mark_used(&mut *conn, token.id).await?;
    let note =
        format!("branch named after the emailed token found in {repository} at commit {commit}");
    let outcome = transitions::check_passed(&sit, OWNERSHIP_CHECK, &note, "repo_branch_found");
    let audit = Audit {
        actor_id: None,
        actor_login: issue.bot.login.clone(),
        action: outcome.action.to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({
            "token_id": token.id,
            "repository": repository,
            "commit": commit,
        }),
    };
    issue.apply(conn, request, &outcome, &audit).await?;
    let verified = matches!(outcome.to, Some((State::Verified, _)));
    info!(request = request.id, %repository, "verify-repo branch found");
    Ok(Some(messages::branch_found(&repository, &commit, verified)))
}
