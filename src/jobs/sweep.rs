//! Catching up after downtime: GitHub does not redeliver failed deliveries
//! by itself, so the bot sweeps the open intake issues of every repository
//! it knows (the allow-list, and every repository it has requests in) and
//! takes in any issue that is new or whose body changed since it last read
//! it. A sweep only enqueues per-issue jobs, which run in order with the
//! issue's deliveries.

use sqlx::{PgConnection, PgPool};
use tracing::info;

use super::effects::{Issue, IssueRef};
use super::{Job, JobError, bot::Bot, intake};
use crate::github::payload::{IssuesEvent, Repository};
use crate::store::jobs::{self, IssueKey, NewJob};
use crate::store::requests;

pub const SWEEP_REPO: &str = "sweep_repo";
pub const SYNC_ISSUE: &str = "sync_issue";
pub const CHECK_ISSUE: &str = "check_issue";

/// Enqueues one sweep per known repository.
pub async fn enqueue_sweeps(
    pool: &PgPool,
    allow_list: &[String],
    max_attempts: i32,
) -> sqlx::Result<usize> {
    let mut repos: Vec<(String, Option<i64>)> =
        allow_list.iter().map(|r| (r.clone(), None)).collect();
    for (repo, installation) in requests::known_repositories(pool).await? {
        match repos
            .iter_mut()
            .find(|(r, _)| r.eq_ignore_ascii_case(&repo))
        {
            Some(entry) => entry.1 = entry.1.or(installation),
            None => repos.push((repo, installation)),
        }
    }
    let mut tx = pool.begin().await?;
    for (repo, installation_id) in &repos {
        jobs::enqueue(
            &mut tx,
            &NewJob {
                kind: SWEEP_REPO.to_owned(),
                issue_key: None,
                delivery_id: None,
                args: serde_json::json!({ "repo": repo, "installation_id": installation_id }),
                max_attempts,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(repos.len())
}

/// Lists the repository's open intake issues and enqueues a sync for each
/// one the bot has not read as it is now.
pub async fn sweep_repo(bot: &Bot, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
    let Some(repo) = job.args["repo"].as_str() else {
        return Err(JobError::Permanent(anyhow::anyhow!(
            "the sweep names no repository"
        )));
    };
    let installation_id = job.args["installation_id"].as_i64();
    let gh = bot.github.repo(installation_id).await?;
    let repo_id = gh.repository_id(repo).await?;
    let issues = gh.open_issues_with_label(repo, &bot.labels.intake).await?;
    // Open requests whose issue is not among the open intake issues were
    // closed, deleted or moved while no delivery reached the bot: each gets
    // a look at its issue as it is now.
    let listed: std::collections::HashSet<u64> = issues.iter().map(|i| i.number).collect();
    let mut gone = 0;
    for r in requests::open_in_repository(&mut *conn, repo_id).await? {
        if u64::try_from(r.issue_number).is_ok_and(|n| listed.contains(&n)) {
            continue;
        }
        gone += 1;
        jobs::enqueue(
            &mut *conn,
            &NewJob {
                kind: CHECK_ISSUE.to_owned(),
                issue_key: Some(IssueKey::new(repo_id, r.issue_number)),
                delivery_id: None,
                args: serde_json::json!({
                    "repo": repo,
                    "repo_id": repo_id,
                    "installation_id": installation_id,
                    "number": r.issue_number,
                }),
                max_attempts: job.max_attempts,
            },
        )
        .await?;
    }
    let mut stale = 0;
    for issue in issues {
        let number = i64::try_from(issue.number).unwrap_or_default();
        let known = requests::get_by_issue(&mut *conn, repo, number).await?;
        if known.is_some_and(|r| {
            r.body_hash == crate::recovery::intake::body_hash(issue.body.as_deref())
        }) {
            continue;
        }
        stale += 1;
        jobs::enqueue(
            &mut *conn,
            &NewJob {
                kind: SYNC_ISSUE.to_owned(),
                issue_key: Some(IssueKey::new(repo_id, number)),
                delivery_id: None,
                args: serde_json::json!({
                    "repo": repo,
                    "repo_id": repo_id,
                    "installation_id": installation_id,
                    "issue": {
                        "number": issue.number,
                        "body": issue.body,
                        "user": { "login": issue.user.login, "id": issue.user.id, "type": issue.user.kind },
                        "labels": issue.labels.iter().map(|l| serde_json::json!({"name": l.name})).collect::<Vec<_>>(),
                        "state": issue.state,
                        "updated_at": issue.updated_at,
                    },
                }),
                max_attempts: job.max_attempts,
            },
        )
        .await?;
    }
    info!(repo, stale, gone, "sweep");
    Ok(())
}

/// An open request whose issue the sweep did not find open: read the issue
/// now and apply what happened to it (closed, or gone), as if its delivery
/// had arrived.
pub async fn check_issue(bot: &Bot, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
    let parse = || -> Option<(String, i64, u64)> {
        Some((
            job.args["repo"].as_str()?.to_owned(),
            job.args["repo_id"].as_i64()?,
            u64::try_from(job.args["number"].as_i64()?).ok()?,
        ))
    };
    let Some((repo, repo_id, number)) = parse() else {
        return Err(JobError::Permanent(anyhow::anyhow!("malformed check job")));
    };
    let installation_id = job.args["installation_id"].as_i64();
    let gh = bot.github.repo(installation_id).await?;
    let now = gh.issue(&repo, number).await?;
    let sweep = crate::github::payload::User {
        login: "(catch-up sweep)".to_owned(),
        id: 0,
        kind: None,
    };
    let (action, issue) = match now {
        None => (
            "deleted",
            crate::github::payload::Issue {
                number,
                body: None,
                user: sweep.clone(),
                labels: Vec::new(),
                state: None,
                pull_request: None,
                html_url: None,
                updated_at: None,
            },
        ),
        Some(issue) if issue.state.as_deref() == Some("closed") => ("closed", issue),
        // Open, only no longer labelled for intake: nothing to apply.
        Some(_) => return Ok(()),
    };
    let ev = IssuesEvent {
        action: action.to_owned(),
        sender: sweep,
        repository: Repository {
            id: repo_id,
            full_name: repo.clone(),
        },
        label: None,
        issue,
    };
    let key = format!("check-{}", job.id);
    let at = IssueRef {
        repo: &repo,
        number,
        repository_id: repo_id,
        installation_id,
    };
    let mut issue = Issue::new(bot, gh, at, &key, job.retrying());
    intake::handle(&mut issue, conn, &ev).await
}

/// Takes in one issue found by a sweep, as if its latest edit had arrived.
pub async fn sync_issue(bot: &Bot, job: &Job, conn: &mut PgConnection) -> Result<(), JobError> {
    let parse = || -> Option<(String, i64, crate::github::payload::Issue)> {
        Some((
            job.args["repo"].as_str()?.to_owned(),
            job.args["repo_id"].as_i64()?,
            serde_json::from_value(job.args["issue"].clone()).ok()?,
        ))
    };
    let Some((repo, repo_id, gh_issue)) = parse() else {
        return Err(JobError::Permanent(anyhow::anyhow!("malformed sync job")));
    };
    let number = i64::try_from(gh_issue.number).unwrap_or_default();
    let known = requests::get_by_issue(&mut *conn, &repo, number)
        .await?
        .is_some();
    let ev = IssuesEvent {
        action: if known { "edited" } else { "opened" }.to_owned(),
        sender: gh_issue.user.clone(),
        repository: Repository {
            id: repo_id,
            full_name: repo.clone(),
        },
        label: None,
        issue: gh_issue,
    };
    let installation_id = job.args["installation_id"].as_i64();
    let key = format!("sweep-{}", job.id);
    let at = IssueRef {
        repo: &repo,
        number: ev.issue.number,
        repository_id: repo_id,
        installation_id,
    };
    let mut issue = Issue::new(
        bot,
        bot.github.repo(installation_id).await?,
        at,
        &key,
        job.retrying(),
    );
    intake::handle(&mut issue, conn, &ev).await
}
