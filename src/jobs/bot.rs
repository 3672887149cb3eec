//! What every job needs to know: the GitHub client and identity, the form,
//! the labels, the admins.

use crate::ids::IssueNumber;
use anyhow::Context;

use super::admins::Admins;
use super::effects::Policy;
use super::outbox::Executor;
use crate::config::{Index, Indexes, Settings, Timers};
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
    pub labels: Labels,
    pub required_checks: Vec<String>,
    pub admins: Admins,
    /// The indexes the tracker serves, each with its directory and rules.
    pub indexes: BotIndexes,
    /// Email verification, when mail and an account directory are set up.
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
    pub timers: Timers,
    /// What `/approve` tells the requester.
    pub approve_message: String,
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

/// One index as jobs use it.
pub struct BotIndex {
    /// The `[indexes.<key>]` key (`default` with one index).
    pub key: String,
    /// Its name in mails, the page and comments.
    pub name: String,
    /// Its account directory, when configured.
    pub directory: Option<Directory>,
    /// The username rules, with its profile URL prefix.
    pub rules: Rules,
    /// `/approve` resets the account through its directory first.
    pub recover: bool,
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
        let template = load_template(settings)?;
        let indexes = settings.indexes();
        let problems = crate::config::index_form_problems(&indexes, index_field(&template));
        if let Some(problem) = problems.first() {
            anyhow::bail!("{problem}");
        }
        let indexes = BotIndexes::new(indexes, &load_rules(settings)?)?;
        Ok(Self {
            github,
            login,
            template,
            labels: settings.labels.clone(),
            required_checks: settings.required_checks.clone(),
            admins: Admins::new(settings),
            indexes,
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
            timers: settings.timers,
            approve_message: settings.approve_message.clone(),
            auto_verify: settings.auto_verify,
            auto_verify_cooldown: settings.auto_verify_cooldown,
            queue_position: settings.queue_position,
            github_api_url: settings.github_api_url.clone(),
            pool,
        })
    }

    /// The rules a request for index `index_key` is judged by.
    pub fn policy(&self, index_key: &str) -> Policy<'_> {
        let index = self.indexes.get(index_key);
        Policy {
            required: &self.required_checks,
            timers: &self.timers,
            index_recover: index.recover,
            email_available: self.verifier.is_some() && index.directory.is_some(),
            directory: index.directory.is_some(),
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

/// The form's field keyed `index`, as `config::index_form_problems` judges
/// it: its kind, whether it takes several choices, its options.
pub fn index_field(template: &Template) -> Option<(&str, bool, Vec<&str>)> {
    template
        .field(crate::recovery::indexes::INDEX_FIELD)
        .map(|f| {
            (
                f.kind.name(),
                f.multiple,
                f.options.iter().map(|o| o.label.as_str()).collect(),
            )
        })
}

/// The indexes with their directories and rules.
pub struct BotIndexes {
    pub set: Indexes,
    parts: Vec<BotIndex>,
    /// What a request whose index the config no longer has is for: no
    /// directory, no reset.
    unknown: BotIndex,
}

impl BotIndexes {
    /// Each index's directory opened and rules made (`rules`: the form's).
    pub fn new(set: Indexes, rules: &Rules) -> anyhow::Result<Self> {
        let parts = set
            .iter()
            .map(|i| bot_index(i, rules))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            set,
            parts,
            unknown: no_directory("unknown", rules),
        })
    }

    /// No usable index (a settings error stops `serve` before this is ever
    /// used): every request's index is one without a directory.
    pub fn without_directories(rules: &Rules) -> Self {
        let set = Indexes::single(Index {
            key: crate::recovery::indexes::SINGLE_INDEX_KEY.to_owned(),
            name: "the index".to_owned(),
            directory_url: None,
            directory_token: None,
            profile_url_prefix: None,
            recover: false,
            label: None,
        });
        Self {
            parts: vec![no_directory(&set.default_index().key, rules)],
            set,
            unknown: no_directory("unknown", rules),
        }
    }

    /// The index a stored request names (`Indexes::of_request`); a key the
    /// config no longer has is an index without a directory.
    pub fn get(&self, key: &str) -> &BotIndex {
        self.set
            .of_request(key)
            .and_then(|index| self.parts.iter().find(|i| i.key == index.key))
            .unwrap_or(&self.unknown)
    }

    /// The index an issue is for now: the form's `index` field (when the
    /// form has one), else the issue's labels, else the default.
    pub fn pick<'a>(
        &'a self,
        form_value: Option<Option<&str>>,
        labels: impl IntoIterator<Item = &'a str> + Clone,
    ) -> &'a BotIndex {
        self.get(&self.set.pick(form_value, labels).key)
    }

    /// Every index, in the config's order.
    pub fn iter(&self) -> impl Iterator<Item = &BotIndex> {
        self.parts.iter()
    }
}

/// An index without a directory: no evidence, no proof, no reset.
fn no_directory(key: &str, rules: &Rules) -> BotIndex {
    BotIndex {
        key: key.to_owned(),
        name: "the index".to_owned(),
        directory: None,
        rules: rules.clone(),
        recover: false,
    }
}

/// One index's directory and rules (its profile URL prefix over the
/// form's).
fn bot_index(index: &Index, rules: &Rules) -> anyhow::Result<BotIndex> {
    let directory = match &index.directory_url {
        Some(url) => Some(Directory::new(url, index.directory_token.clone())?),
        None => None,
    };
    let mut rules = rules.clone();
    if let Some(prefix) = &index.profile_url_prefix {
        rules.profile_url_prefix = prefix.clone();
    }
    Ok(BotIndex {
        key: index.key.clone(),
        name: index.name.clone(),
        directory,
        rules,
        recover: index.recover,
    })
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
