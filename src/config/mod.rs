//! Settings: each one from a command-line flag, else its environment variable
//! (clap reads both), else the TOML file given by `--config` /
//! `RECOVERY_BOT_CONFIG`, else a default. Secrets are kept in
//! [`SecretString`] so that `Debug` output never shows them, and clap is told
//! to hide their environment values in `--help`.
//!
//! `args` holds the flags, `file` the TOML file, `resolve` puts them
//! together and checks them, `values` and `trackers` are the typed values.

use crate::ids::IssueNumber;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::SecretString;

pub use crate::recovery::auto::AutoVerify;
use crate::recovery::replies::Replies;
use crate::recovery::state::Labels;
/// The timers' settings live with the rules that read them.
pub use crate::recovery::timers::Timers;

mod args;
mod file;
mod indexes;
mod resolve;
mod trackers;
mod values;
pub use crate::recovery::indexes::{Index, Indexes};
pub use args::{AllSettingsArgs, DatabaseArgs, DirectoryArgs, GitHubArgs, LogArgs, ServerArgs};
use file::{FileSettings, read_file};
pub use indexes::form_problems as index_form_problems;
pub use resolve::MAX_LABEL_CHARS;
pub use trackers::{AdminLogin, Trackers};
pub use values::{FormSettings, GitHubAuth, JobSettings, LogFormat, Permission};

/// Every setting a flag or an environment variable can give, as
/// [`Settings::load`] reads them. Each subcommand's own arguments hold only
/// the groups below that it uses (`--help` lists just those); `cli.rs` copies
/// them in here, and a setting no group of the subcommand gives comes from
/// the file or its default.
///
/// A new flag: a field here, the same field with its `#[arg]` in one group,
/// and one line in that group's `apply` (which destructures the group, so a
/// forgotten line does not compile).
#[derive(Debug, Clone, Default)]
pub struct SettingsArgs {
    pub config: Option<PathBuf>,
    pub database_url: Option<SecretString>,
    pub github_webhook_secret: Option<SecretString>,
    pub github_token: Option<SecretString>,
    pub github_app_id: Option<u64>,
    pub github_app_private_key: Option<SecretString>,
    pub github_app_private_key_file: Option<PathBuf>,
    pub github_api_url: Option<String>,
    pub bind_addr: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub admins: Option<String>,
    pub repos: Option<String>,
    pub smtp_url: Option<SecretString>,
    pub mail_from: Option<String>,
    pub account_directory_url: Option<String>,
    pub account_directory_token: Option<SecretString>,
    pub log_format: Option<LogFormat>,
    pub webhook_max_body_bytes: Option<usize>,
    pub workers: Option<usize>,
}

/// Everything resolved: flags over environment over file over defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: Option<SecretString>,
    pub webhook_secrets: Vec<SecretString>,
    pub github_auth: Option<GitHubAuth>,
    pub github_api_url: String,
    pub bind_addr: SocketAddr,
    pub public_url: Option<String>,
    /// The configured admin logins (`RECOVERY_BOT_ADMINS` and the file's),
    /// each pinned to one GitHub user id.
    pub admins: Vec<AdminLogin>,
    /// The trackers served (`RECOVERY_BOT_REPOS`); `serve` requires it.
    pub repos: Trackers,
    pub smtp_url: Option<SecretString>,
    pub mail_from: Option<String>,
    pub account_directory_url: Option<String>,
    pub account_directory_token: Option<SecretString>,
    /// How long an emailed confirmation link works.
    pub verify_link_valid_for: Duration,
    /// How often to sweep open intake issues (also once at start); zero:
    /// only at start.
    pub sweep_interval: Duration,
    pub log_format: LogFormat,
    pub webhook_max_body_bytes: usize,
    pub workers: usize,
    pub jobs: JobSettings,
    /// The issue form; the built-in account-recovery form when unset.
    pub template: Option<PathBuf>,
    pub labels: Labels,
    pub form: FormSettings,
    /// Checks that must pass before `/approve`.
    pub required_checks: Vec<String>,
    /// `org/team` slugs whose members are admins.
    pub admin_teams: Vec<String>,
    /// Collaborators with at least this role are admins.
    pub admin_min_permission: Option<Permission>,
    /// How long a team or permission look-up is trusted.
    pub admin_cache: Duration,
    /// The index's name in emails, the confirmation page and comments
    /// (the one index of a config without `[indexes.*]`; see `indexes()`).
    pub index_name: String,
    /// Canned replies for `/reply <name>`: the defaults and `[replies.*]`.
    pub replies: Replies,
    /// Replace a secret pasted in public with `[redacted]` [default: true].
    pub redact_secrets: bool,
    /// Where someone who lost the account's address writes (`{contact}` in
    /// replies) [default: `MAIL_FROM`].
    pub support_contact: String,
    /// Shadow mode (`serve --dry-run`): decide and store everything, write
    /// nothing to GitHub, send no mail.
    pub dry_run: bool,
    /// Reminders, closing for no response, the waiting period and the
    /// branch look-ups.
    pub timers: Timers,
    /// What `/approve` tells the requester (placeholders as in canned
    /// replies).
    pub approve_message: String,
    /// The account directory offers `POST {dir}/{username}/recover`:
    /// `/approve` resets the account through it before closing.
    pub index_recover: bool,
    /// `[indexes.*]` tables, when the config has them: then they are the
    /// indexes, and the top-level index settings are unset.
    pub index_tables: Option<Indexes>,
    /// Whether the bot starts a proof round itself when a request becomes
    /// valid [default: `evidence`].
    pub auto_verify: AutoVerify,
    /// At most one automatic round per account this often [default: 24h].
    pub auto_verify_cooldown: Duration,
    /// The status comment says how many requests are ahead [default:
    /// true]; false for a tracker whose own workflow posts it.
    pub queue_position: bool,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/recovery_bot";
pub const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

impl Settings {
    /// Resolves the settings; reads the TOML file if one is named.
    pub fn load(args: &SettingsArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?.relative_to(path.parent().unwrap_or(Path::new(""))),
            None => FileSettings::default(),
        };
        Self::resolve(args.clone(), file)
    }

    /// The database URL, or the one-line error naming the missing setting.
    pub fn require_database_url(&self) -> anyhow::Result<&SecretString> {
        self.database_url.as_ref().context(
            "missing setting: DATABASE_URL (or --database-url, or database_url in the config file)",
        )
    }

    /// Everything `serve` cannot start without; the first one missing.
    pub fn require_serve(&self) -> anyhow::Result<()> {
        match self.serve_problems().into_iter().next() {
            Some(problem) => bail!(problem),
            None => Ok(()),
        }
    }

    /// Every setting `serve` cannot start without that is not set, and
    /// every combination it refuses, one line each.
    pub fn serve_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.database_url.is_none() {
            problems.push(
                "missing setting: DATABASE_URL (or --database-url, or database_url in the config file)"
                    .to_owned(),
            );
        }
        if self.webhook_secrets.is_empty() {
            problems.push(
                "missing setting: GITHUB_WEBHOOK_SECRET (or --github-webhook-secret, or github_webhook_secret in the config file)"
                    .to_owned(),
            );
        }
        if self.github_auth.is_none() {
            problems.push(
                "missing setting: GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE"
                    .to_owned(),
            );
        }
        problems.extend(self.trackers_problem());
        problems
    }

    /// `RECOVERY_BOT_REPOS` unset, or `*` with a setting that needs the
    /// trackers named: a repository role or team would make admins on
    /// every repository the credentials reach, and a directory or the
    /// index's reset would serve them all.
    fn trackers_problem(&self) -> Option<String> {
        match self.repos {
            Trackers::Listed(_) => None,
            Trackers::Unset => Some(
                "missing setting: RECOVERY_BOT_REPOS (or --repos, or repos in the config file): the trackers to serve, \
                 comma-separated owner/name, or * for every repository the credentials reach"
                    .to_owned(),
            ),
            Trackers::Every => {
                let conflicts: Vec<&str> = [
                    ("admin_min_permission", self.admin_min_permission.is_some()),
                    ("admin_teams", !self.admin_teams.is_empty()),
                    ("index_recover", self.indexes().iter().any(|i| i.recover)),
                    (
                        "ACCOUNT_DIRECTORY_URL",
                        self.indexes().iter().any(|i| i.directory_url.is_some()),
                    ),
                ]
                .into_iter()
                .filter_map(|(name, set)| set.then_some(name))
                .collect();
                (!conflicts.is_empty()).then(|| {
                    format!(
                        "RECOVERY_BOT_REPOS=* (every repository the credentials reach) cannot be used with {}: \
                         name the trackers (owner/name, comma-separated) instead",
                        conflicts.join(", ")
                    )
                })
            }
        }
    }

    /// How often the timers are looked at: every minute, and more often
    /// when a duration is shorter (half the shortest, at least a second).
    pub fn timer_tick(&self) -> Duration {
        let t = &self.timers;
        [
            t.remind_after,
            t.close_after,
            t.repo_check_interval,
            self.verify_link_valid_for,
        ]
        .into_iter()
        .filter(|d| !d.is_zero())
        .map(|d| d / 2)
        .fold(Duration::from_secs(60), Duration::min)
        .max(Duration::from_secs(1))
    }

    /// The web address of an issue (github.com, or the Enterprise host).
    pub fn issue_url(&self, repo: &str, number: IssueNumber) -> String {
        issue_url(&self.github_api_url, repo, number)
    }

    /// The indexes served: the `[indexes.*]` tables, else the one index the
    /// top-level settings (`index_name`, `ACCOUNT_DIRECTORY_URL`, ...)
    /// describe.
    pub fn indexes(&self) -> Indexes {
        match &self.index_tables {
            Some(tables) => tables.clone(),
            None => indexes::single(self),
        }
    }

    /// Whether deliveries from `full_name` (`owner/name`) are handled.
    pub fn repo_allowed(&self, full_name: &str) -> bool {
        self.repos.serves(full_name)
    }
}

/// Settings that cannot be used, one line each: a config error that names
/// every problem at once (`config check` prints one per line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<String>);

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for Problems {}

/// The web address of an issue, from the API's base URL (github.com, or an
/// Enterprise host's `https://HOST/api/v3`).
pub fn issue_url(github_api_url: &str, repo: &str, number: IssueNumber) -> String {
    let api = github_api_url.trim_end_matches('/');
    let web = if api == DEFAULT_GITHUB_API_URL {
        "https://github.com".to_owned()
    } else {
        api.strip_suffix("/api/v3").unwrap_or(api).to_owned()
    };
    format!("{web}/{repo}/issues/{number}")
}

/// The example config file stays in line with what the file accepts.
#[cfg(test)]
#[path = "example_test.rs"]
mod example_file;
