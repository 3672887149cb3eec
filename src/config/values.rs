//! The typed values settings hold: log format, the `[form]` rule, roles, the
//! `[jobs]` tuning and the GitHub credentials.

use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

#[derive(clap::ValueEnum, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
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
