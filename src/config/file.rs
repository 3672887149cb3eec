//! The TOML file (`--config` / `RECOVERY_BOT_CONFIG`): what it may hold, read
//! with every error on one line, and its relative paths taken from its own
//! folder.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use secrecy::SecretString;
use serde::Deserialize;

use super::{FormSettings, JobSettings, LogFormat, Permission};
use crate::recovery::auto::AutoVerify;
use crate::recovery::replies::ReplyConfig;
use crate::recovery::state::Labels;

/// The TOML file: the same names as the flags (snake_case), plus the settings
/// that only live in the file.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileSettings {
    pub(super) database_url: Option<SecretString>,
    pub(super) github_webhook_secret: Option<SecretString>,
    pub(super) github_token: Option<SecretString>,
    pub(super) github_app_id: Option<u64>,
    pub(super) github_app_private_key: Option<SecretString>,
    pub(super) github_app_private_key_file: Option<PathBuf>,
    pub(super) github_api_url: Option<String>,
    pub(super) bind_addr: Option<SocketAddr>,
    pub(super) public_url: Option<String>,
    #[serde(default)]
    pub(super) admins: Vec<String>,
    #[serde(default)]
    pub(super) repos: Vec<String>,
    pub(super) smtp_url: Option<SecretString>,
    pub(super) mail_from: Option<String>,
    pub(super) account_directory_url: Option<String>,
    pub(super) account_directory_token: Option<SecretString>,
    pub(super) verify_link_hours: Option<u64>,
    pub(super) sweep_interval_secs: Option<u64>,
    pub(super) log_format: Option<LogFormat>,
    pub(super) webhook_max_body_bytes: Option<usize>,
    pub(super) workers: Option<usize>,
    #[serde(default)]
    pub(super) jobs: JobSettings,
    pub(super) template: Option<PathBuf>,
    #[serde(default)]
    pub(super) labels: Labels,
    #[serde(default)]
    pub(super) form: FormSettings,
    pub(super) required_checks: Option<Vec<String>>,
    #[serde(default)]
    pub(super) admin_teams: Vec<String>,
    pub(super) admin_min_permission: Option<Permission>,
    pub(super) admin_cache_secs: Option<u64>,
    pub(super) index_name: Option<String>,
    #[serde(default)]
    pub(super) replies: BTreeMap<String, ReplyConfig>,
    pub(super) redact_secrets: Option<bool>,
    pub(super) support_contact: Option<String>,
    #[serde(default, with = "humantime_serde")]
    pub(super) remind_after: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    pub(super) close_after: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    pub(super) waiting_period: Option<Duration>,
    #[serde(default, with = "humantime_serde")]
    pub(super) repo_check_interval: Option<Duration>,
    /// Overrides `verify_link_hours`, written like `72h` or `90s`.
    #[serde(default, with = "humantime_serde")]
    pub(super) verify_link_valid_for: Option<Duration>,
    pub(super) approve_message: Option<String>,
    pub(super) index_recover: Option<bool>,
    pub(super) auto_verify: Option<AutoVerify>,
    #[serde(default, with = "humantime_serde")]
    pub(super) auto_verify_cooldown: Option<Duration>,
    pub(super) queue_position: Option<bool>,
    /// `[indexes.<key>]`: several indexes on one tracker.
    #[serde(default)]
    pub(super) indexes: super::indexes::Tables,
    /// The `[indexes.*]` key used when nothing picks another.
    pub(super) default_index: Option<String>,
}

impl FileSettings {
    /// The file's relative paths (`template`, `github_app_private_key_file`,
    /// an `account_directory_url` that is a local file) taken from `dir`,
    /// the config file's own folder: the file means the same whatever
    /// directory the bot is started in. Paths from flags and environment
    /// variables stay relative to the working directory.
    pub(super) fn relative_to(mut self, dir: &Path) -> Self {
        let from_dir = |path: PathBuf| {
            if path.is_relative() {
                dir.join(path)
            } else {
                path
            }
        };
        self.template = self.template.map(from_dir);
        self.github_app_private_key_file = self.github_app_private_key_file.map(from_dir);
        let directory = |url: String| {
            if url.contains("://") {
                url
            } else {
                from_dir(PathBuf::from(url)).display().to_string()
            }
        };
        self.account_directory_url = self.account_directory_url.map(directory);
        for table in self.indexes.values_mut() {
            table.directory_url = table.directory_url.take().map(directory);
        }
        self
    }
}

pub(super) fn read_file(path: &Path) -> anyhow::Result<FileSettings> {
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
