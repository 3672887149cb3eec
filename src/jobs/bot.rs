//! What every job needs to know: the GitHub client and identity, the form,
//! the labels, the admins.

use crate::ids::IssueNumber;
use anyhow::Context;

use super::admins::Admins;
use super::effects::Policy;
use super::outbox::Executor;
use crate::config::{Settings, Timers};
use crate::form::template::Template;
use crate::form::validate::Rules;
use crate::github::GitHub;
use crate::recovery::ownership::RepoOwner;
use crate::recovery::replies::Replies;
use crate::recovery::state::Labels;
use crate::verify::Verifier;
use crate::verify::directory::Directory;

pub struct Bot {
    pub github: GitHub,
    /// The bot's own login: its comments never run commands.
    pub login: String,
    pub template: Template,
    pub rules: Rules,
    pub labels: Labels,
    pub required_checks: Vec<String>,
    pub admins: Admins,
    /// The account directory, when configured.
    pub directory: Option<Directory>,
    /// Email verification, when mail and the account directory are set up.
    pub verifier: Option<Verifier>,
    /// Each repository's owner, id and kind (`None`: no such
    /// repository), for the ownership evidence; bounded, and refreshed
    /// hourly.
    pub repo_owners: moka::sync::Cache<String, Option<RepoOwner>>,
    pub max_attempts: i32,
    /// How effects are carried out: for real, or recorded (shadow mode).
    pub executor: Executor,
    /// Canned replies for `/reply <name>`.
    pub replies: Replies,
    /// Replace secrets pasted in public with `[redacted]`.
    pub redact_secrets: bool,
    /// `{contact}` in canned replies.
    pub support_contact: String,
    pub index_name: String,
    pub timers: Timers,
    /// What `/approve` tells the requester.
    pub approve_message: String,
    /// `/approve` resets the account through the index first.
    pub index_recover: bool,
    /// Rounds the bot starts itself (`recovery::auto`).
    pub auto_verify: crate::config::AutoVerify,
    pub auto_verify_cooldown: std::time::Duration,
    /// The status comment says how many requests are ahead.
    pub queue_position: bool,
    github_api_url: String,
    /// For what must commit on its own, outside the running job's
    /// transaction: a round's link is live before its mail leaves, and a
    /// receipt (👀) stays even when the job fails.
    pub pool: sqlx::PgPool,
}

/// How long a job that holds its transaction waits for a second
/// connection (`Bot::side_connection`) before giving up.
const SIDE_CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl Bot {
    /// A second connection for a write that must commit on its own while
    /// the job's transaction is open (👀 on receipt, a notice that must
    /// outlive a failed attempt). The job holds locks that webhooks and
    /// other workers may be queued on, each holding a connection: waiting
    /// for the pool without bound could wait on itself. `None` after
    /// [`SIDE_CONNECTION_WAIT`]: the caller writes in the job's own
    /// transaction instead, or skips what is only a courtesy.
    pub async fn side_connection(&self) -> Option<sqlx::pool::PoolConnection<sqlx::Postgres>> {
        match tokio::time::timeout(SIDE_CONNECTION_WAIT, self.pool.acquire()).await {
            Ok(Ok(conn)) => Some(conn),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "no second database connection for this job");
                None
            }
            Err(_) => {
                tracing::warn!(wait = ?SIDE_CONNECTION_WAIT, "no second database connection for this job in time");
                None
            }
        }
    }

    pub fn new(
        settings: &Settings,
        github: GitHub,
        login: String,
        verifier: Option<Verifier>,
        pool: sqlx::PgPool,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            github,
            login,
            template: load_template(settings)?,
            rules: load_rules(settings)?,
            labels: settings.labels.clone(),
            required_checks: settings.required_checks.clone(),
            admins: Admins::new(settings),
            directory: match &settings.account_directory_url {
                Some(url) => Some(Directory::new(
                    url,
                    settings.account_directory_token.clone(),
                )?),
                None => None,
            },
            verifier,
            repo_owners: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(std::time::Duration::from_secs(3600))
                .build(),
            max_attempts: settings.jobs.max_attempts,
            // The one place shadow mode is decided.
            executor: if settings.dry_run {
                Executor::Shadow
            } else {
                Executor::Live
            },
            replies: settings.replies.clone(),
            redact_secrets: settings.redact_secrets,
            support_contact: settings.support_contact.clone(),
            index_name: settings.index_name.clone(),
            timers: settings.timers,
            approve_message: settings.approve_message.clone(),
            index_recover: settings.index_recover,
            auto_verify: settings.auto_verify,
            auto_verify_cooldown: settings.auto_verify_cooldown,
            queue_position: settings.queue_position,
            github_api_url: settings.github_api_url.clone(),
            pool,
        })
    }

    /// The rules requests are judged by.
    pub fn policy(&self) -> Policy<'_> {
        Policy {
            required: &self.required_checks,
            timers: &self.timers,
            index_recover: self.index_recover,
            email_available: self.verifier.is_some(),
            directory: self.directory.is_some(),
        }
    }

    /// The web address of an issue.
    pub fn issue_url(&self, repo: &str, number: IssueNumber) -> String {
        crate::config::issue_url(&self.github_api_url, repo, number)
    }
}

pub fn load_template(settings: &Settings) -> anyhow::Result<Template> {
    match &settings.template {
        None => Ok(Template::default_recovery()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the issue form {}", path.display()))?;
            Template::from_yaml_with(&text, settings.form.username_field.as_deref())
                .with_context(|| format!("invalid issue form {}", path.display()))
        }
    }
}

pub fn load_rules(settings: &Settings) -> anyhow::Result<Rules> {
    let form = &settings.form;
    let username_field = form.username_field.clone();
    if form.username_pattern.is_none()
        && form.username_max_length.is_none()
        && form.profile_url_prefix.is_none()
    {
        return Ok(Rules {
            username_field,
            ..Rules::default()
        });
    }
    let default = Rules::default();
    let rules = Rules::new(
        form.username_pattern
            .as_deref()
            .unwrap_or(default.username_pattern.as_str()),
        form.username_max_length.unwrap_or(default.username_max_len),
        form.profile_url_prefix
            .as_deref()
            .unwrap_or(default.profile_url_prefix.as_str()),
    )
    .context("invalid [form] username rule")?;
    Ok(Rules {
        username_field,
        ..rules
    })
}
