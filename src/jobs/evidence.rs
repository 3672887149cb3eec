//! Gathering the ownership evidence whenever a request enters an open state
//! without evidence for the account it names now (intake, an edit of the
//! username, any reopen): the account's projects from the directory, each
//! repository's owner from GitHub (at most
//! `ownership::MAX_JUDGED_REPOSITORIES`, cached), judged by the core
//! (`recovery::ownership`), stored keyed to the username.

use sqlx::PgConnection;
use tracing::warn;

use super::JobError;
use super::effects::{IssueHandle, situation_now, store_outcome};
use crate::recovery::ownership::{self, Linked, Lookup, Project, RepoOwner};
use crate::recovery::transitions::{self, AccountCheck};
use crate::store::requests::{self, Audit, Request};
use crate::verify::directory::{Account, DirectoryError};

/// Gathers and stores the evidence when the core says the request needs
/// it; `known` is the account when the caller has just looked it up. The
/// request is returned as stored afterwards. No directory, no such
/// account, or an answer that cannot be read: nothing is stored, and the
/// missing evidence keeps the waiting period (fail closed).
pub async fn ensure(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    request: Request,
    known: Option<&Account>,
) -> Result<Request, JobError> {
    let username = request.username.clone();
    let directory = &issue.bot.indexes.get(&request.index_key).directory;
    let (Some(directory), Some(username)) = (directory, username) else {
        return Ok(request);
    };
    if !ownership::needs_evidence(
        request.state(),
        request.in_open_set(),
        request.ownership.as_ref(),
        Some(&username),
    ) {
        return Ok(request);
    }
    let looked_up;
    let account = match known.filter(|a| a.username.eq_ignore_ascii_case(&username)) {
        Some(a) => a,
        None => match directory.lookup(&username).await {
            Ok(Some(a)) => {
                looked_up = a;
                &looked_up
            }
            Ok(None) => return Ok(request),
            Err(e @ DirectoryError::Malformed(_)) => {
                warn!(request = request.id, error = %e, "no ownership evidence");
                return Ok(request);
            }
            Err(e) => return Err(e.into()),
        },
    };
    gather(issue, conn, request, &username, account).await
}

/// Each project's repository's owner (cached), at most the judging limit
/// of distinct repositories looked up.
async fn projects(issue: &IssueHandle<'_>, account: &Account) -> Result<Vec<Project>, JobError> {
    let sources: Vec<Option<(String, bool)>> =
        account.projects.iter().map(|p| p.source()).collect();
    let judged = ownership::to_judge(sources.iter().map(|s| s.as_ref().map(|(u, _)| u.as_str())));
    let mut projects = Vec::with_capacity(account.projects.len());
    for ((p, source), name) in account.projects.iter().zip(sources).zip(judged) {
        let (url, verified) = match source {
            Some((url, verified)) => (Some(url), verified),
            None => (None, false),
        };
        let lookup = match (&url, name) {
            (None, _) => Lookup::NoRepository,
            (Some(u), _) if ownership::github_repo(u).is_none() => Lookup::NoRepository,
            (Some(_), None) => Lookup::NotJudged,
            (Some(_), Some(name)) => Lookup::Owner(owner(issue, &name).await?),
        };
        projects.push(Project {
            name: p.name.clone(),
            repository_url: url,
            verified,
            recorded_owner_ids: p.recorded_owner_ids(),
            lookup,
        });
    }
    Ok(projects)
}

/// A repository's owner, from the bot's cache or GitHub.
async fn owner(issue: &IssueHandle<'_>, name: &str) -> Result<Option<RepoOwner>, JobError> {
    let cache = &issue.bot.repo_owners;
    if let Some(found) = cache.get(name) {
        return Ok(found);
    }
    let found = issue.gh.repository_owner(name).await?;
    cache.insert(name.to_owned(), found);
    Ok(found)
}

/// Judges and stores the evidence for `username`, with the directory's
/// facts about the account. When the author is the linked GitHub account,
/// or every project's repository counts (and the account is linked to no
/// one else), `project-ownership` is recorded as passed; with that, or
/// with no projects at all, the request is on the fast track.
async fn gather(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    request: Request,
    username: &str,
    account: &Account,
) -> Result<Request, JobError> {
    let bot = issue.bot;
    let projects = projects(issue, account).await?;
    let author_id = u64::try_from(request.author_id).unwrap_or_default();
    let linked = account.linked_github_ids();
    let evidence = ownership::evaluate(username, author_id, &linked, &projects);
    let audit = Audit {
        actor_id: None,
        actor_login: bot.login.clone(),
        action: "ownership_evidence".to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({
            "projects": evidence.rows.len(),
            "owned": evidence.rows.iter().filter(|r| r.owned()).count(),
            "not_judged": evidence.not_judged(),
            "fasttrack": evidence.fasttrack(),
            "linked": evidence.linked,
        }),
    };
    let json = serde_json::to_value(&evidence).unwrap_or_default();
    requests::set_ownership(&mut *conn, request.id, Some(&json), evidence.fasttrack()).await?;
    requests::set_account_facts(&mut *conn, request.id, Some(&account.facts())).await?;
    requests::record(&mut *conn, &request, &audit).await?;
    if evidence.passes_by_itself() {
        let sit = situation_now(conn, bot, &request, AccountCheck::NotLookedUp).await?;
        let note = if evidence.linked == Linked::Author {
            "the requester is the GitHub account linked to this account".to_owned()
        } else {
            format!(
                "every project's repository belongs to {} (by user id, as the index recorded it)",
                request.author_login
            )
        };
        let outcome =
            transitions::check_passed(&sit, "project-ownership", &note, "ownership_proven");
        store_outcome(&mut *conn, &request, &outcome, &audit).await?;
    }
    Ok(requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or(request))
}
