//! The GitHub REST API: the few calls the bot makes, through octocrab with its
//! own retries turned off. `client.rs` owns the retry policy (timeouts,
//! `retry-after`, rate-limit headers); this file names the calls.

mod client;
pub mod labels;
pub mod payload;

use crate::ids::IssueNumber;
use std::collections::HashMap;
use std::sync::Arc;

use octocrab::Octocrab;
use octocrab::models::{AppId, InstallationId};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

pub use client::{ApiError, Method};

use crate::config::{GitHubAuth, Settings};
use crate::recovery::ownership::RepoOwner;

/// Who the bot is on GitHub: comments by this login are its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub login: String,
}

/// An issue or comment reaction the bot uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    Eyes,
    Rocket,
    Confused,
}

impl Reaction {
    pub fn content(self) -> &'static str {
        match self {
            Reaction::Eyes => "eyes",
            Reaction::Rocket => "rocket",
            Reaction::Confused => "confused",
        }
    }
}

/// A comment as the REST API answers it (a webhook's comment is
/// `payload::Comment`).
#[derive(Debug, Clone, Deserialize)]
pub struct PostedComment {
    pub id: u64,
    pub body: Option<String>,
    pub user: Option<payload::User>,
    pub html_url: Option<String>,
}

/// The GitHub side of the bot: an app-level client, plus one client per
/// installation when running as a GitHub App.
#[derive(Clone)]
pub struct GitHub {
    root: Octocrab,
    is_app: bool,
    installations: Arc<Mutex<HashMap<i64, Octocrab>>>,
}

impl GitHub {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let auth = settings.github_auth.as_ref().ok_or_else(|| {
            anyhow::anyhow!("missing setting: GITHUB_TOKEN, or GITHUB_APP_ID with a private key")
        })?;
        let builder = Octocrab::builder()
            .base_uri(settings.github_api_url.as_str())
            .map_err(|e| anyhow::anyhow!("invalid GITHUB_API_URL: {e}"))?
            .set_connect_timeout(Some(std::time::Duration::from_secs(10)))
            .set_read_timeout(Some(std::time::Duration::from_secs(30)));
        let (root, is_app) = match auth {
            GitHubAuth::Token(token) => (
                builder
                    .personal_token(token.expose_secret().to_owned())
                    .build()?,
                false,
            ),
            GitHubAuth::App {
                app_id,
                private_key,
            } => {
                let builder = builder
                    .app_from_rsa_pem(AppId(*app_id), private_key.expose_secret().as_bytes())
                    .map_err(|e| {
                        anyhow::anyhow!("GitHub App private key is not an RSA PEM key: {e}")
                    })?;
                (builder.build()?, true)
            }
        };
        Ok(Self {
            root,
            is_app,
            installations: Arc::default(),
        })
    }

    /// `GET /user` with a token; `GET /app` as an App (`<slug>[bot]`).
    pub async fn identity(&self) -> Result<Identity, ApiError> {
        #[derive(Deserialize)]
        struct Login {
            login: String,
        }
        #[derive(Deserialize)]
        struct App {
            slug: String,
        }
        if self.is_app {
            let app: App = client::call(&self.root, Method::Get, "/app", None).await?;
            Ok(Identity {
                login: format!("{}[bot]", app.slug),
            })
        } else {
            let user: Login = client::call(&self.root, Method::Get, "/user", None).await?;
            Ok(Identity { login: user.login })
        }
    }

    /// The client to act on a repository with: the token's, or the
    /// installation's (cached; octocrab renews its token when it expires).
    pub async fn repo(&self, installation_id: Option<i64>) -> Result<Repo, ApiError> {
        let client = match (self.is_app, installation_id) {
            (false, _) => self.root.clone(),
            (true, Some(id)) => {
                let mut cache = self.installations.lock().await;
                match cache.get(&id) {
                    Some(c) => c.clone(),
                    None => {
                        let id_u64 = u64::try_from(id)
                            .map_err(|_| ApiError::permanent("negative installation id"))?;
                        let c = self
                            .root
                            .installation(InstallationId(id_u64))
                            .map_err(|e| {
                                ApiError::permanent(format!("installation client: {e}"))
                            })?;
                        cache.insert(id, c.clone());
                        c
                    }
                }
            }
            (true, None) => {
                return Err(ApiError::permanent(
                    "running as a GitHub App, but the delivery names no installation",
                ));
            }
        };
        Ok(Repo { client })
    }

    /// The installation to call `repo` with: none with a token; as an App,
    /// the one installed on it (`GET /repos/{owner}/{repo}/installation`).
    pub async fn installation_for(&self, repo: &str) -> Result<Option<i64>, ApiError> {
        #[derive(Deserialize)]
        struct Installation {
            id: i64,
        }
        if !self.is_app {
            return Ok(None);
        }
        let path = format!("/repos/{repo}/installation");
        let i: Installation = client::call(&self.root, Method::Get, &path, None).await?;
        Ok(Some(i.id))
    }
}

/// Calls on one repository's issues.
#[derive(Clone)]
pub struct Repo {
    client: Octocrab,
}

fn issue_path(repo: &str, number: IssueNumber) -> String {
    format!("/repos/{repo}/issues/{number}")
}

impl Repo {
    /// The labels on an issue now.
    pub async fn issue_labels(
        &self,
        repo: &str,
        number: IssueNumber,
    ) -> Result<Vec<String>, ApiError> {
        #[derive(Deserialize)]
        struct Label {
            name: String,
        }
        let path = format!("{}/labels?per_page=100", issue_path(repo, number));
        let labels: Vec<Label> = client::call(&self.client, Method::Get, &path, None).await?;
        Ok(labels.into_iter().map(|l| l.name).collect())
    }

    /// Adds labels (idempotent); GitHub answers with every label the issue
    /// carries now.
    pub async fn add_labels(
        &self,
        repo: &str,
        number: IssueNumber,
        labels: &[&str],
    ) -> Result<Vec<String>, ApiError> {
        #[derive(Deserialize)]
        struct Label {
            name: String,
        }
        let path = format!("{}/labels", issue_path(repo, number));
        let now: Vec<Label> = client::call(
            &self.client,
            Method::Post,
            &path,
            Some(json!({ "labels": labels })),
        )
        .await?;
        Ok(now.into_iter().map(|l| l.name).collect())
    }

    /// The issue as it is now; `None` when it was deleted or moved away.
    pub async fn issue(
        &self,
        repo: &str,
        number: IssueNumber,
    ) -> Result<Option<payload::Issue>, ApiError> {
        match client::call(&self.client, Method::Get, &issue_path(repo, number), None).await {
            Ok(issue) => Ok(Some(issue)),
            Err(e) if matches!(e.status(), Some(404 | 410)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A repository's owner (user id, and whether it is an organization);
    /// `None` when there is no such repository. Cached per repository by
    /// the caller.
    pub async fn repository_owner(&self, full_name: &str) -> Result<Option<RepoOwner>, ApiError> {
        #[derive(Deserialize)]
        struct Owner {
            id: u64,
            #[serde(rename = "type", default)]
            kind: Option<String>,
        }
        #[derive(Deserialize)]
        struct Repository {
            owner: Owner,
        }
        let path = format!("/repos/{full_name}");
        match client::call::<Repository>(&self.client, Method::Get, &path, None).await {
            Ok(r) => Ok(Some(RepoOwner {
                id: r.owner.id,
                // Anything but a plain user (an organization, an unknown
                // kind) is not a person's own repository.
                organization: r.owner.kind.as_deref() != Some("User"),
            })),
            Err(e) if matches!(e.status(), Some(404 | 451)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The commit a branch points to, or `None` when the repository has no
    /// such branch (or is gone). `GET /repos/{owner}/{repo}/branches/{branch}`.
    pub async fn branch_commit(
        &self,
        full_name: &str,
        branch: &str,
    ) -> Result<Option<String>, ApiError> {
        #[derive(Deserialize)]
        struct Commit {
            sha: String,
        }
        #[derive(Deserialize)]
        struct Branch {
            commit: Commit,
        }
        let path = format!(
            "/repos/{full_name}/branches/{}",
            client::encode_path_segment(branch)
        );
        // The branch's name is a `/verify-repo` token: never in an error.
        match client::get_hiding::<Branch>(&self.client, &path, branch).await {
            Ok(b) => Ok(Some(b.commit.sha)),
            Err(e) if matches!(e.status(), Some(404 | 451)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Who created `branch`, and when: the repository's activity,
    /// `GET /repos/{owner}/{repo}/activity?ref=refs/heads/<branch>&activity_type=branch_creation`
    /// (one page, newest first). Entries for another ref or type, or
    /// without an actor, are left out; a repository that is gone (404,
    /// 451) lists none.
    pub async fn branch_creations(
        &self,
        full_name: &str,
        branch: &str,
    ) -> Result<Vec<crate::recovery::branch::Creation>, ApiError> {
        #[derive(Deserialize)]
        struct Actor {
            login: String,
            id: u64,
        }
        #[derive(Deserialize)]
        struct Activity {
            #[serde(rename = "ref")]
            reference: String,
            timestamp: chrono::DateTime<chrono::Utc>,
            activity_type: String,
            actor: Option<Actor>,
        }
        let reference = format!("refs/heads/{branch}");
        let path = format!(
            "/repos/{full_name}/activity?ref={}&activity_type=branch_creation&per_page=100",
            client::encode_path_segment(&reference)
        );
        let listed = match client::get_hiding::<Vec<Activity>>(&self.client, &path, branch).await {
            Ok(listed) => listed,
            Err(e) if matches!(e.status(), Some(404 | 451)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(listed
            .into_iter()
            .filter(|a| a.reference == reference && a.activity_type == "branch_creation")
            .filter_map(|a| {
                a.actor.map(|actor| crate::recovery::branch::Creation {
                    login: actor.login,
                    id: actor.id,
                    at: a.timestamp,
                })
            })
            .collect())
    }

    /// Removes a label; a label that is not there is not an error.
    pub async fn remove_label(
        &self,
        repo: &str,
        number: IssueNumber,
        label: &str,
    ) -> Result<(), ApiError> {
        let path = format!(
            "{}/labels/{}",
            issue_path(repo, number),
            client::encode_path_segment(label)
        );
        match client::call_unit(&self.client, Method::Delete, &path, None).await {
            Err(e) if e.status() == Some(404) => Ok(()),
            r => r,
        }
    }

    /// Creates a comment. Sent once: a retry must first look for it.
    pub async fn create_comment(
        &self,
        repo: &str,
        number: IssueNumber,
        body: &str,
    ) -> Result<PostedComment, ApiError> {
        let path = format!("{}/comments", issue_path(repo, number));
        client::call_once(
            &self.client,
            Method::Post,
            &path,
            Some(json!({ "body": body })),
        )
        .await
    }

    /// Edits a comment on an issue (GitHub's call takes the comment id
    /// only; the issue's number is kept for the callers' sake).
    pub async fn update_comment(
        &self,
        repo: &str,
        _number: IssueNumber,
        comment_id: u64,
        body: &str,
    ) -> Result<PostedComment, ApiError> {
        let path = format!("/repos/{repo}/issues/comments/{comment_id}");
        client::call(
            &self.client,
            Method::Patch,
            &path,
            Some(json!({ "body": body })),
        )
        .await
    }

    /// The repository's id (stable across renames).
    pub async fn repository_id(&self, repo: &str) -> Result<i64, ApiError> {
        #[derive(Deserialize)]
        struct Repository {
            id: i64,
        }
        let r: Repository =
            client::call(&self.client, Method::Get, &format!("/repos/{repo}"), None).await?;
        Ok(r.id)
    }

    /// Open issues (not pull requests) carrying `label`, all pages.
    pub async fn open_issues_with_label(
        &self,
        repo: &str,
        label: &str,
    ) -> Result<Vec<payload::Issue>, ApiError> {
        let mut all = Vec::new();
        for page in 1u32.. {
            let (batch, last) = self.open_issues_page(repo, label, page).await?;
            all.extend(batch);
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// One page (100, oldest first) of the open issues carrying `label`,
    /// pull requests left out, and whether it is the last page.
    pub async fn open_issues_page(
        &self,
        repo: &str,
        label: &str,
        page: u32,
    ) -> Result<(Vec<payload::Issue>, bool), ApiError> {
        let path = format!(
            "/repos/{repo}/issues?state=open&labels={}&sort=created&direction=asc&per_page=100&page={page}",
            client::encode_path_segment(label)
        );
        let batch: Vec<payload::Issue> =
            client::call(&self.client, Method::Get, &path, None).await?;
        let last = batch.len() < 100;
        let issues = batch
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .collect();
        Ok((issues, last))
    }

    /// Every comment on an issue, oldest first (all pages).
    pub async fn list_comments(
        &self,
        repo: &str,
        number: IssueNumber,
    ) -> Result<Vec<PostedComment>, ApiError> {
        let mut all = Vec::new();
        for page in 1u32.. {
            let path = format!(
                "{}/comments?per_page=100&page={page}",
                issue_path(repo, number)
            );
            let batch: Vec<PostedComment> =
                client::call(&self.client, Method::Get, &path, None).await?;
            let done = batch.len() < 100;
            all.extend(batch);
            if done {
                break;
            }
        }
        Ok(all)
    }

    /// Reacts to a comment on an issue (see `update_comment`).
    pub async fn react_to_comment(
        &self,
        repo: &str,
        _number: IssueNumber,
        comment_id: u64,
        reaction: Reaction,
    ) -> Result<(), ApiError> {
        let path = format!("/repos/{repo}/issues/comments/{comment_id}/reactions");
        client::call_unit(
            &self.client,
            Method::Post,
            &path,
            Some(json!({ "content": reaction.content() })),
        )
        .await
    }

    /// Closes (`completed` / `not_planned`) or reopens an issue.
    pub async fn set_issue_state(
        &self,
        repo: &str,
        number: IssueNumber,
        open: bool,
        state_reason: Option<&str>,
    ) -> Result<(), ApiError> {
        let mut body = json!({ "state": if open { "open" } else { "closed" } });
        if let Some(reason) = state_reason {
            body["state_reason"] = json!(reason);
        }
        self.patch_issue(repo, number, body).await
    }

    /// Replaces the issue's body (a secret redacted from it).
    pub async fn set_issue_body(
        &self,
        repo: &str,
        number: IssueNumber,
        body: &str,
    ) -> Result<(), ApiError> {
        self.patch_issue(repo, number, json!({ "body": body }))
            .await
    }

    /// `PATCH` an issue.
    async fn patch_issue(
        &self,
        repo: &str,
        number: IssueNumber,
        body: serde_json::Value,
    ) -> Result<(), ApiError> {
        client::call_unit(
            &self.client,
            Method::Patch,
            &issue_path(repo, number),
            Some(body),
        )
        .await
    }

    /// One comment as it is now; `None` when it was deleted.
    pub async fn comment(
        &self,
        repo: &str,
        comment_id: u64,
    ) -> Result<Option<PostedComment>, ApiError> {
        let path = format!("/repos/{repo}/issues/comments/{comment_id}");
        match client::call(&self.client, Method::Get, &path, None).await {
            Ok(c) => Ok(Some(c)),
            Err(e) if matches!(e.status(), Some(404 | 410)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `login` is an active member of the team `org/team`.
    pub async fn is_team_member(
        &self,
        org: &str,
        team: &str,
        login: &str,
    ) -> Result<bool, ApiError> {
        #[derive(Deserialize)]
        struct Membership {
            state: String,
        }
        let path = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            client::encode_path_segment(org),
            client::encode_path_segment(team),
            client::encode_path_segment(login)
        );
        match client::call::<Membership>(&self.client, Method::Get, &path, None).await {
            Ok(m) => Ok(m.state == "active"),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The id of the user who holds `login` now; `None` when no one does.
    pub async fn user_id(&self, login: &str) -> Result<Option<u64>, ApiError> {
        let path = format!("/users/{}", client::encode_path_segment(login));
        match client::call::<payload::User>(&self.client, Method::Get, &path, None).await {
            Ok(u) => Ok(Some(u.id)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A collaborator's role (`admin`, `maintain`, `write`, `triage`, `read`),
    /// read raw because octocrab's typed call cannot parse GitHub's answers.
    pub async fn permission(&self, repo: &str, login: &str) -> Result<String, ApiError> {
        #[derive(Deserialize)]
        struct Permission {
            role_name: String,
        }
        let path = format!(
            "/repos/{repo}/collaborators/{}/permission",
            client::encode_path_segment(login)
        );
        let p: Permission = client::call(&self.client, Method::Get, &path, None).await?;
        Ok(p.role_name)
    }
}
