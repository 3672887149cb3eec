//! Settings: each one from a command-line flag, else its environment variable
//! (clap reads both), else the TOML file given by `--config` /
//! `RECOVERY_BOT_CONFIG`, else a default. Secrets are kept in
//! [`SecretString`] so that `Debug` output never shows them, and clap is told
//! to hide their environment values in `--help`.

use crate::ids::IssueNumber;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use std::collections::BTreeMap;

use crate::recovery::replies::{Replies, ReplyConfig};
use crate::recovery::state::Labels;
/// The timers' settings live with the rules that read them.
pub use crate::recovery::timers::Timers;

#[path = "config_args.rs"]
mod args;
pub use args::{AllSettingsArgs, DatabaseArgs, DirectoryArgs, GitHubArgs, LogArgs, ServerArgs};

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

#[derive(clap::ValueEnum, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The TOML file: the same names as the flags (snake_case), plus the settings
/// that only live in the file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<SecretString>,
    github_webhook_secret: Option<SecretString>,
    github_token: Option<SecretString>,
    github_app_id: Option<u64>,
    github_app_private_key: Option<SecretString>,
    github_app_private_key_file: Option<PathBuf>,
    github_api_url: Option<String>,
    bind_addr: Option<SocketAddr>,
    public_url: Option<String>,
    #[serde(default)]
    admins: Vec<String>,
    #[serde(default)]
    repos: Vec<String>,
    smtp_url: Option<SecretString>,
    mail_from: Option<String>,
    account_directory_url: Option<String>,
    account_directory_token: Option<SecretString>,
    verify_link_hours: Option<u64>,
    sweep_interval_secs: Option<u64>,
    log_format: Option<LogFormat>,
    webhook_max_body_bytes: Option<usize>,
    workers: Option<usize>,
    #[serde(default)]
    jobs: JobSettings,
    template: Option<PathBuf>,
    #[serde(default)]
    labels: Labels,
    #[serde(default)]
    form: FormSettings,
    required_checks: Option<Vec<String>>,
    #[serde(default)]
    admin_teams: Vec<String>,
    admin_min_permission: Option<Permission>,
    admin_cache_secs: Option<u64>,
    index_name: Option<String>,
    #[serde(default)]
    replies: BTreeMap<String, ReplyConfig>,
    redact_secrets: Option<bool>,
    support_contact: Option<String>,
    #[serde(default, with = "humantime_serde")]
    remind_after: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    close_after: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    waiting_period: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    repo_check_interval: Option<Duration>,
    /// Overrides `verify_link_hours`, written like `72h` or `90s`.
    #[serde(default, with = "humantime_serde")]
    verify_link_valid_for: Option<Duration>,
    approve_message: Option<String>,
    index_recover: Option<bool>,
}

impl FileSettings {
    /// The file's relative paths (`template`, `github_app_private_key_file`,
    /// an `account_directory_url` that is a local file) taken from `dir`,
    /// the config file's own folder: the file means the same whatever
    /// directory the bot is started in. Paths from flags and environment
    /// variables stay relative to the working directory.
    fn relative_to(mut self, dir: &Path) -> Self {
        let from_dir = |path: PathBuf| {
            if path.is_relative() {
                dir.join(path)
            } else {
                path
            }
        };
        self.template = self.template.map(from_dir);
        self.github_app_private_key_file = self.github_app_private_key_file.map(from_dir);
        self.account_directory_url = self.account_directory_url.map(|url| {
            if url.contains("://") {
                url
            } else {
                from_dir(PathBuf::from(url)).display().to_string()
            }
        });
        self
    }
}

/// The username rule (TOML `[form]`); PyPI's when unset.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FormSettings {
    pub username_pattern: Option<String>,
    pub username_max_length: Option<usize>,
    /// The index's profile URL up to the name; a pasted profile URL with
    /// this prefix is read as the name [default: `https://pypi.org/user/`].
    pub profile_url_prefix: Option<String>,
    /// The key of the username field, for a form with no field keyed
    /// `username` and no input whose label says "username".
    pub username_field: Option<String>,
}

/// Repository roles, lowest first.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Read,
    Triage,
    Write,
    Maintain,
    Admin,
}

impl Permission {
    /// The name in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Triage => "triage",
            Permission::Write => "write",
            Permission::Maintain => "maintain",
            Permission::Admin => "admin",
        }
    }

    /// GitHub's `role_name`; custom roles count as read.
    pub fn from_role(role: &str) -> Permission {
        match role {
            "admin" => Permission::Admin,
            "maintain" => Permission::Maintain,
            "write" => Permission::Write,
            "triage" => Permission::Triage,
            _ => Permission::Read,
        }
    }
}

/// Tuning of the job queue (TOML `[jobs]` table).
#[derive(Deserialize, Debug, Clone)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// Attempts before a job is kept as dead.
    pub max_attempts: i32,
    /// First retry delay in milliseconds; doubles per attempt.
    pub backoff_base_ms: u64,
    /// Largest retry delay in milliseconds.
    pub backoff_max_ms: u64,
    /// A job running longer than this fails (and is retried).
    pub timeout_secs: u64,
    /// Fallback poll interval when no NOTIFY arrives, in milliseconds.
    pub poll_interval_ms: u64,
    /// How long shutdown waits for running jobs, in seconds.
    pub shutdown_grace_secs: u64,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff_base_ms: 2_000,
            backoff_max_ms: 15 * 60 * 1_000,
            timeout_secs: 120,
            poll_interval_ms: 5_000,
            shutdown_grace_secs: 30,
        }
    }
}

impl JobSettings {
    pub fn backoff_base(&self) -> Duration {
        Duration::from_millis(self.backoff_base_ms)
    }
    pub fn backoff_max(&self) -> Duration {
        Duration::from_millis(self.backoff_max_ms)
    }
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// How the bot authenticates to GitHub.
#[derive(Debug, Clone)]
pub enum GitHubAuth {
    Token(SecretString),
    App {
        app_id: u64,
        private_key: SecretString,
    },
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
    pub admins: Vec<String>,
    pub repos: Vec<String>,
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
    /// The index's name in emails, the confirmation page and comments.
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
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/recovery_bot";
pub const DEFAULT_GITHUB_API_URL: &str = "https://api.github.com";
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

fn split_list(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl Settings {
    /// Resolves the settings; reads the TOML file if one is named.
    pub fn load(args: &SettingsArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?.relative_to(path.parent().unwrap_or(Path::new(""))),
            None => FileSettings::default(),
        };
        Self::resolve(args.clone(), file)
    }

    fn resolve(args: SettingsArgs, file: FileSettings) -> anyhow::Result<Self> {
        let secret_list = args
            .github_webhook_secret
            .or(file.github_webhook_secret)
            .map(|s| {
                split_list(s.expose_secret())
                    .map(SecretString::from)
                    .collect()
            })
            .unwrap_or_default();

        let mut problems = Vec::new();
        let github_auth = github_auth(
            args.github_token.or(file.github_token),
            args.github_app_id.or(file.github_app_id),
            args.github_app_private_key.or(file.github_app_private_key),
            args.github_app_private_key_file
                .or(file.github_app_private_key_file),
        )
        .unwrap_or_else(|e| {
            problems.push(e);
            None
        });

        let mut admins = file.admins;
        admins.extend(args.admins.as_deref().map(split_list).into_iter().flatten());
        let repos = match args.repos {
            Some(list) => split_list(&list).collect(),
            None => file.repos,
        };
        for repo in &repos {
            if repo.split('/').filter(|p| !p.is_empty()).count() != 2 {
                problems.push(format!(
                    "RECOVERY_BOT_REPOS: `{repo}` is not of the form owner/name"
                ));
            }
        }
        for team in &file.admin_teams {
            if team.split('/').filter(|p| !p.is_empty()).count() != 2 {
                problems.push(format!("admin_teams: `{team}` is not of the form org/team"));
            }
        }
        problems.extend(label_problems(&file.labels));

        let replies = Replies::new(&file.replies).unwrap_or_else(|e| {
            problems.push(format!("{e:#}"));
            Replies::default()
        });
        let mail_from = args.mail_from.or(file.mail_from);
        let support_contact = file
            .support_contact
            .or_else(|| mail_from.clone())
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| "the index's support address".to_owned());

        let defaults = Timers::default();
        let timers = Timers {
            remind_after: file.remind_after.unwrap_or(defaults.remind_after),
            close_after: file.close_after.unwrap_or(defaults.close_after),
            waiting_period: file.waiting_period.unwrap_or(defaults.waiting_period),
            repo_check_interval: file
                .repo_check_interval
                .unwrap_or(defaults.repo_check_interval),
        };
        if timers.repo_check_interval.is_zero() {
            bail!("repo_check_interval must be longer than 0s");
        }
        if !timers.remind_after.is_zero() && timers.close_after.is_zero() {
            bail!(
                "close_after must be longer than 0s (set remind_after = \"0s\" to turn reminders off)"
            );
        }
        let account_directory_url = args.account_directory_url.or(file.account_directory_url);
        let index_recover = file.index_recover.unwrap_or(false);
        if index_recover
            && !account_directory_url
                .as_deref()
                .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"))
        {
            bail!(
                "index_recover = true needs ACCOUNT_DIRECTORY_URL to be the index's HTTP directory (a local file cannot reset accounts)"
            );
        }

        let workers = args.workers.or(file.workers).unwrap_or(4);
        if workers == 0 {
            problems.push("RECOVERY_BOT_WORKERS (workers) must be at least 1".to_owned());
        }
        if !problems.is_empty() {
            return Err(Problems(problems).into());
        }
        Ok(Self {
            // The bot's own database on the local server (created at start
            // when missing).
            database_url: Some(
                args.database_url
                    .or(file.database_url)
                    .unwrap_or_else(|| SecretString::from(DEFAULT_DATABASE_URL)),
            ),
            webhook_secrets: secret_list,
            github_auth,
            github_api_url: args
                .github_api_url
                .or(file.github_api_url)
                .unwrap_or_else(|| DEFAULT_GITHUB_API_URL.to_owned()),
            bind_addr: match args.bind_addr.or(file.bind_addr) {
                Some(addr) => addr,
                None => DEFAULT_BIND_ADDR.parse()?,
            },
            public_url: args.public_url.or(file.public_url),
            admins,
            repos,
            smtp_url: args.smtp_url.or(file.smtp_url),
            mail_from,
            account_directory_url,
            account_directory_token: args
                .account_directory_token
                .or(file.account_directory_token),
            verify_link_valid_for: file.verify_link_valid_for.unwrap_or(Duration::from_secs(
                3600 * file.verify_link_hours.unwrap_or(72),
            )),
            sweep_interval: Duration::from_secs(file.sweep_interval_secs.unwrap_or(3600)),
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            webhook_max_body_bytes: args
                .webhook_max_body_bytes
                .or(file.webhook_max_body_bytes)
                .unwrap_or(DEFAULT_MAX_BODY_BYTES),
            workers,
            jobs: file.jobs,
            template: file.template,
            labels: file.labels,
            form: file.form,
            required_checks: file
                .required_checks
                .unwrap_or_else(|| vec!["email".to_owned()]),
            admin_teams: file.admin_teams,
            admin_min_permission: file.admin_min_permission,
            admin_cache: Duration::from_secs(file.admin_cache_secs.unwrap_or(300)),
            index_name: file
                .index_name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "PyPI".to_owned()),
            replies,
            redact_secrets: file.redact_secrets.unwrap_or(true),
            support_contact,
            dry_run: false,
            timers,
            approve_message: file
                .approve_message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| crate::recovery::messages::DEFAULT_APPROVE_MESSAGE.to_owned()),
            index_recover,
        })
    }

    /// The database URL, or the one-line error naming the missing setting.
    pub fn require_database_url(&self) -> anyhow::Result<&SecretString> {
        self.database_url.as_ref().context(
            "missing setting: DATABASE_URL (or --database-url, or database_url in the config file)",
        )
    }

    /// Everything `serve` cannot start without; the first one missing.
    pub fn require_serve(&self) -> anyhow::Result<()> {
        match self.missing_for_serve().into_iter().next() {
            Some(missing) => bail!(missing),
            None => Ok(()),
        }
    }

    /// Every setting `serve` cannot start without that is not set, one
    /// line each.
    pub fn missing_for_serve(&self) -> Vec<String> {
        let mut missing = Vec::new();
        if self.database_url.is_none() {
            missing.push(
                "missing setting: DATABASE_URL (or --database-url, or database_url in the config file)"
                    .to_owned(),
            );
        }
        if self.webhook_secrets.is_empty() {
            missing.push(
                "missing setting: GITHUB_WEBHOOK_SECRET (or --github-webhook-secret, or github_webhook_secret in the config file)"
                    .to_owned(),
            );
        }
        if self.github_auth.is_none() {
            missing.push(
                "missing setting: GITHUB_TOKEN, or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE"
                    .to_owned(),
            );
        }
        missing
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

    /// Whether deliveries from `full_name` (`owner/name`) are handled.
    pub fn repo_allowed(&self, full_name: &str) -> bool {
        self.repos.is_empty() || self.repos.iter().any(|r| r.eq_ignore_ascii_case(full_name))
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

/// The longest label name GitHub accepts, in characters.
pub const MAX_LABEL_CHARS: usize = 50;

/// Every `[labels]` name the bot could not create on GitHub.
fn label_problems(labels: &Labels) -> Vec<String> {
    labels
        .all()
        .into_iter()
        .filter_map(|(key, name)| {
            if name.trim().is_empty() {
                Some(format!("[labels] {key}: a label name cannot be empty"))
            } else if name.chars().count() > MAX_LABEL_CHARS {
                Some(format!(
                    "[labels] {key}: `{name}` is longer than GitHub's {MAX_LABEL_CHARS} characters"
                ))
            } else {
                None
            }
        })
        .collect()
}

/// A token, or an App id with its key (given, or read from a file).
fn github_auth(
    token: Option<SecretString>,
    app_id: Option<u64>,
    key: Option<SecretString>,
    key_file: Option<PathBuf>,
) -> Result<Option<GitHubAuth>, String> {
    if let Some(token) = token {
        return Ok(Some(GitHubAuth::Token(token)));
    }
    let Some(app_id) = app_id else {
        return Ok(None);
    };
    let private_key = match (key, key_file) {
        (Some(key), _) => key,
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map(SecretString::from)
            .map_err(|e| {
                format!(
                    "cannot read GITHUB_APP_PRIVATE_KEY_FILE {}: {e}",
                    path.display()
                )
            })?,
        (None, None) => {
            return Err(
                "GITHUB_APP_ID is set but neither GITHUB_APP_PRIVATE_KEY nor GITHUB_APP_PRIVATE_KEY_FILE is"
                    .to_owned(),
            );
        }
    };
    Ok(Some(GitHubAuth::App {
        app_id,
        private_key,
    }))
}

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

fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!(toml_error(path, &text, &e)))
}

/// A TOML error on one line: `FILE:LINE:COLUMN: message`.
fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> String {
    let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(
                "invalid config file {}:{line}:{column}: {message}",
                path.display()
            )
        }
        None => format!("invalid config file {}: {message}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FileSettings {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn flag_beats_file_and_file_beats_default() {
        let args = SettingsArgs {
            github_api_url: Some("http://flag".into()),
            ..Default::default()
        };
        let s = Settings::resolve(
            args,
            file("github_api_url = \"http://file\"\nbind_addr = \"0.0.0.0:8080\"\n"),
        )
        .unwrap();
        assert_eq!(s.github_api_url, "http://flag");
        assert_eq!(s.bind_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(s.webhook_max_body_bytes, DEFAULT_MAX_BODY_BYTES);
    }

    #[test]
    fn secrets_split_for_rotation_and_hidden_from_debug() {
        let args = SettingsArgs {
            github_webhook_secret: Some(SecretString::from("old-secret, new-secret")),
            github_token: Some(SecretString::from("ghp_hunter2")),
            ..Default::default()
        };
        let s = Settings::resolve(args, FileSettings::default()).unwrap();
        assert_eq!(s.webhook_secrets.len(), 2);
        assert_eq!(s.webhook_secrets[1].expose_secret(), "new-secret");
        let debug = format!("{s:?}");
        assert!(!debug.contains("old-secret"), "{debug}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    #[test]
    fn admins_from_env_are_added_to_the_files() {
        let args = SettingsArgs {
            admins: Some("carol, dave".into()),
            ..Default::default()
        };
        let s = Settings::resolve(args, file("admins = [\"alice\"]\n")).unwrap();
        assert_eq!(s.admins, ["alice", "carol", "dave"]);
    }

    #[test]
    fn missing_required_settings_are_named() {
        let s = Settings::resolve(SettingsArgs::default(), FileSettings::default()).unwrap();
        // The database has a default: the bot's own, on the local server.
        assert_eq!(
            s.require_database_url().unwrap().expose_secret(),
            DEFAULT_DATABASE_URL
        );
        let err = s.require_serve().unwrap_err().to_string();
        assert!(err.contains("GITHUB_WEBHOOK_SECRET"), "{err}");
        let args = SettingsArgs {
            database_url: Some(SecretString::from("postgres://x")),
            github_webhook_secret: Some(SecretString::from("s")),
            ..Default::default()
        };
        let s = Settings::resolve(args, FileSettings::default()).unwrap();
        let err = s.require_serve().unwrap_err().to_string();
        assert!(err.contains("GITHUB_TOKEN"), "{err}");
    }

    #[test]
    fn app_id_without_key_is_an_error_and_bad_repo_rejected() {
        let args = SettingsArgs {
            github_app_id: Some(1),
            ..Default::default()
        };
        assert!(Settings::resolve(args, FileSettings::default()).is_err());
        let args = SettingsArgs {
            repos: Some("just-a-name".into()),
            ..Default::default()
        };
        assert!(Settings::resolve(args, FileSettings::default()).is_err());
    }

    #[test]
    fn canned_replies_are_read_and_checked() {
        let s = Settings::resolve(
            SettingsArgs::default(),
            file("[replies.thanks]\ntext = \"Thanks {requester}\"\nstate = \"pending\"\n"),
        )
        .unwrap();
        assert!(s.replies.get("thanks").is_some() && s.replies.get("duplicate").is_some());
        assert!(s.redact_secrets);
        let err = Settings::resolve(
            SettingsArgs::default(),
            file("[replies.bad]\ntext = \"x\"\nstate = \"approved\"\n"),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("[replies.bad]"), "{err:#}");
    }

    #[test]
    fn durations_are_read_like_14d_and_the_timers_tick_often_enough() {
        let s = Settings::resolve(
            SettingsArgs::default(),
            file(
                "remind_after = \"3d\"\nclose_after = \"36h\"\nwaiting_period = \"90s\"\n\
                  repo_check_interval = \"10s\"\nverify_link_valid_for = \"1h\"",
            ),
        )
        .unwrap();
        assert_eq!(s.timers.remind_after, Duration::from_secs(3 * 86_400));
        assert_eq!(s.timers.close_after, Duration::from_secs(36 * 3_600));
        assert_eq!(s.timers.waiting_period, Duration::from_secs(90));
        assert_eq!(s.verify_link_valid_for, Duration::from_secs(3_600));
        assert_eq!(s.timer_tick(), Duration::from_secs(5));
        let defaults = Settings::resolve(SettingsArgs::default(), file("")).unwrap();
        assert_eq!(defaults.timers, Timers::default());
        assert_eq!(defaults.timer_tick(), Duration::from_secs(60));
        assert!(!defaults.index_recover);
        for bad in [
            "remind_after = \"soon\"",
            "repo_check_interval = \"0s\"",
            "index_recover = true",
        ] {
            assert!(
                toml::from_str::<FileSettings>(bad)
                    .map_err(anyhow::Error::from)
                    .and_then(|f| Settings::resolve(SettingsArgs::default(), f))
                    .is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn relative_paths_in_the_file_are_read_from_its_folder() {
        let f = file(
            "template = \"forms/recovery.yml\"\n\
             github_app_private_key_file = \"/etc/recovery-bot/app.pem\"\n\
             account_directory_url = \"accounts.json\"\n",
        )
        .relative_to(Path::new("/etc/recovery-bot"));
        assert_eq!(
            f.template.as_deref(),
            Some(Path::new("/etc/recovery-bot/forms/recovery.yml"))
        );
        assert_eq!(
            f.github_app_private_key_file.as_deref(),
            Some(Path::new("/etc/recovery-bot/app.pem"))
        );
        assert_eq!(
            f.account_directory_url.as_deref(),
            Some("/etc/recovery-bot/accounts.json")
        );
        let f = file("account_directory_url = \"https://index.example.org/accounts\"\n")
            .relative_to(Path::new("/etc/recovery-bot"));
        assert_eq!(
            f.account_directory_url.as_deref(),
            Some("https://index.example.org/accounts")
        );
        // A file in the working directory: paths stay as written.
        let f = file("template = \"form.yml\"\n").relative_to(Path::new(""));
        assert_eq!(f.template.as_deref(), Some(Path::new("form.yml")));
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        assert!(toml::from_str::<FileSettings>("databse_url = \"x\"\n").is_err());
    }
}

/// The example config file stays in line with what the file accepts.
#[cfg(test)]
#[path = "config_example_test.rs"]
mod example_file;
