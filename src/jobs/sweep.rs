//! Catching up after downtime: GitHub does not redeliver failed deliveries
//! by itself, so the bot sweeps the open intake issues of every repository
//! it knows (the allow-list, and every repository it has requests in) and
//! takes in any issue that is new or whose body changed since it last read
//! it. A sweep only enqueues per-issue jobs, which run in order with the
//! issue's deliveries.

use crate::ids::IssueNumber;
use sqlx::{PgConnection, PgPool};
use tracing::info;

use super::effects::{IssueHandle, IssueRef};
use super::{Job, JobError, bot::Bot, intake};
use crate::github::payload::{IssuesEvent, Repository};
use crate::store::jobs::{self, IssueKey};
use crate::store::requests;
use crate::store::tasks::{CheckIssue, SweepRepo, SyncIssue, Task};

pub use crate::store::tasks::{CHECK_ISSUE, SWEEP_REPO, SYNC_ISSUE};

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
        let task = Task::SweepRepo(SweepRepo {
            repo: repo.clone(),
            installation_id: *installation_id,
        });
        jobs::enqueue(&mut tx, &task.job(None, max_attempts)).await?;
    }
    tx.commit().await?;
    Ok(repos.len())
}

/// Lists the repository's open intake issues and enqueues a sync for each
/// one the bot has not read as it is now.
pub async fn sweep_repo(
    bot: &Bot,
    job: &Job,
    task: &SweepRepo,
    conn: &mut PgConnection,
) -> Result<(), JobError> {
    let repo = task.repo.as_str();
    let installation_id = task.installation_id;
    let gh = bot.github.repo(installation_id).await?;
    let repo_id = gh.repository_id(repo).await?;
    let issues = gh.open_issues_with_label(repo, &bot.labels.intake).await?;
    // Open requests whose issue is not among the open intake issues were
    // closed, deleted or moved while no delivery reached the bot: each gets
    // a look at its issue as it is now.
    let listed: std::collections::HashSet<IssueNumber> = issues.iter().map(|i| i.number).collect();
    let mut gone = 0;
    for r in requests::open_in_repository(&mut *conn, repo_id).await? {
        if listed.contains(&r.issue_number) {
            continue;
        }
        gone += 1;
        let task = Task::CheckIssue(CheckIssue {
            repo: repo.to_owned(),
            repo_id,
            installation_id,
            number: r.issue_number,
        });
        let key = IssueKey::new(repo_id, r.issue_number);
        jobs::enqueue(&mut *conn, &task.job(Some(key), job.max_attempts)).await?;
    }
    let mut stale = 0;
    for issue in issues {
        let number = issue.number;
        let known = requests::get_by_issue(&mut *conn, repo, number).await?;
        if known.is_some_and(|r| {
            r.body_hash == crate::recovery::intake::body_hash(issue.body.as_deref())
        }) {
            continue;
        }
        stale += 1;
        let task = Task::SyncIssue(Box::new(SyncIssue {
            repo: repo.to_owned(),
            repo_id,
            installation_id,
            issue,
        }));
        let key = IssueKey::new(repo_id, number);
        jobs::enqueue(&mut *conn, &task.job(Some(key), job.max_attempts)).await?;
    }
    info!(repo, stale, gone, "sweep");
    Ok(())
}

/// An open request whose issue the sweep did not find open: read the issue
/// now and apply what happened to it (closed, or gone), as if its delivery
/// had arrived.
pub async fn check_issue(
    bot: &Bot,
    job: &Job,
    task: &CheckIssue,
    conn: &mut PgConnection,
) -> Result<(), JobError> {
    let (repo, repo_id, number) = (task.repo.clone(), task.repo_id, task.number);
    let installation_id = task.installation_id;
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
    let mut issue = IssueHandle::new(bot, gh, at, &key, job.retrying());
    intake::handle(&mut issue, conn, &ev).await
}

/// Takes in one issue found by a sweep, as if its latest edit had arrived.
pub async fn sync_issue(
    bot: &Bot,
    job: &Job,
    task: &SyncIssue,
    conn: &mut PgConnection,
) -> Result<(), JobError> {
    let (repo, repo_id, gh_issue) = (task.repo.clone(), task.repo_id, task.issue.clone());
    let number = gh_issue.number;
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
    let installation_id = task.installation_id;
    let key = format!("sweep-{}", job.id);
    let at = IssueRef {
        repo: &repo,
        number: ev.issue.number,
        repository_id: repo_id,
        installation_id,
    };
    let mut issue = IssueHandle::new(
        bot,
        bot.github.repo(installation_id).await?,
        at,
        &key,
        job.retrying(),
    );
    intake::handle(&mut issue, conn, &ev).await
}
