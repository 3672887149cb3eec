//! The settings' command-line groups: each subcommand flattens the ones it
//! uses, so its `--help` lists only those; `apply` copies a group into
//! [`SettingsArgs`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use secrecy::SecretString;

use super::{LogFormat, SettingsArgs};

/// The database (`migrate`, `jobs`, `requests`, `serve`).
#[derive(Args, Debug, Clone, Default)]
pub struct DatabaseArgs {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,
}

impl DatabaseArgs {
    pub fn apply(self, to: &mut SettingsArgs) {
        let Self { database_url } = self;
        to.database_url = database_url;
    }
}

/// How logs are written (the commands that log: `serve`, and those that
/// use the database).
#[derive(Args, Debug, Clone, Default)]
pub struct LogArgs {
    /// Log format: `text` or `json` [default: text].
    #[arg(long, env = "LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
}

impl LogArgs {
    pub fn apply(self, to: &mut SettingsArgs) {
        let Self { log_format } = self;
        to.log_format = log_format;
    }
}

/// The GitHub API and its credentials (`serve`, `triage`, `labels sync`).
#[derive(Args, Debug, Clone, Default)]
pub struct GitHubArgs {
    /// Token used to call the GitHub API (instead of a GitHub App).
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true)]
    pub github_token: Option<SecretString>,
    /// GitHub App id (with a private key) instead of a token.
    #[arg(long, env = "GITHUB_APP_ID")]
    pub github_app_id: Option<u64>,
    /// GitHub App private key, PEM text.
    #[arg(long, env = "GITHUB_APP_PRIVATE_KEY", hide_env_values = true)]
    pub github_app_private_key: Option<SecretString>,
    /// File holding the GitHub App private key (PEM).
    #[arg(long, env = "GITHUB_APP_PRIVATE_KEY_FILE")]
    pub github_app_private_key_file: Option<PathBuf>,
    /// Base URL of the GitHub REST API [default: https://api.github.com].
    #[arg(long, env = "GITHUB_API_URL")]
    pub github_api_url: Option<String>,
}

impl GitHubArgs {
    pub fn apply(self, to: &mut SettingsArgs) {
        let Self {
            github_token,
            github_app_id,
            github_app_private_key,
            github_app_private_key_file,
            github_api_url,
        } = self;
        to.github_token = github_token;
        to.github_app_id = github_app_id;
        to.github_app_private_key = github_app_private_key;
        to.github_app_private_key_file = github_app_private_key_file;
        to.github_api_url = github_api_url;
    }
}

/// The account directory (`serve`, `triage`).
#[derive(Args, Debug, Clone, Default)]
pub struct DirectoryArgs {
    /// Base URL (or local JSON file) of the account directory.
    #[arg(long, env = "ACCOUNT_DIRECTORY_URL")]
    pub account_directory_url: Option<String>,
    /// Bearer token for the account directory (optional).
    #[arg(long, env = "ACCOUNT_DIRECTORY_TOKEN", hide_env_values = true)]
    pub account_directory_token: Option<SecretString>,
}

impl DirectoryArgs {
    pub fn apply(self, to: &mut SettingsArgs) {
        let Self {
            account_directory_url,
            account_directory_token,
        } = self;
        to.account_directory_url = account_directory_url;
        to.account_directory_token = account_directory_token;
    }
}

/// What only the server uses: webhooks, HTTP, mail, admins, workers.
#[derive(Args, Debug, Clone, Default)]
pub struct ServerArgs {
    /// Webhook secret(s); a comma-separated list is accepted for rotation.
    #[arg(long, env = "GITHUB_WEBHOOK_SECRET", hide_env_values = true)]
    pub github_webhook_secret: Option<SecretString>,
    /// Address the HTTP server listens on [default: 127.0.0.1:3000].
    #[arg(long, env = "BIND_ADDR")]
    pub bind_addr: Option<SocketAddr>,
    /// Public base URL of this server, used in emailed links.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Comma-separated GitHub logins of admins, each `login` or `login:id`
    /// (added to the config's admins; a login without an id is pinned to
    /// the id it first resolves to).
    #[arg(long, env = "RECOVERY_BOT_ADMINS")]
    pub admins: Option<String>,
    /// The trackers served, comma-separated `owner/name`, or `*` for every
    /// repository the credentials reach (required by `serve`).
    #[arg(long, env = "RECOVERY_BOT_REPOS")]
    pub repos: Option<String>,
    /// Outgoing mail server, e.g. `smtp://127.0.0.1:25`.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SecretString>,
    /// Sender address of outgoing mail.
    #[arg(long, env = "MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Largest webhook body accepted, in bytes [default: 5 MiB].
    #[arg(long, env = "WEBHOOK_MAX_BODY_BYTES")]
    pub webhook_max_body_bytes: Option<usize>,
    /// Number of job workers in `serve` [default: 4].
    #[arg(long, env = "RECOVERY_BOT_WORKERS")]
    pub workers: Option<usize>,
}

impl ServerArgs {
    pub fn apply(self, to: &mut SettingsArgs) {
        let Self {
            github_webhook_secret,
            bind_addr,
            public_url,
            admins,
            repos,
            smtp_url,
            mail_from,
            webhook_max_body_bytes,
            workers,
        } = self;
        to.github_webhook_secret = github_webhook_secret;
        to.bind_addr = bind_addr;
        to.public_url = public_url;
        to.admins = admins;
        to.repos = repos;
        to.smtp_url = smtp_url;
        to.mail_from = mail_from;
        to.webhook_max_body_bytes = webhook_max_body_bytes;
        to.workers = workers;
    }
}

/// Every group: what `serve` (and `config check`, which loads the settings
/// as `serve` does) takes.
#[derive(Args, Debug, Clone, Default)]
pub struct AllSettingsArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub github: GitHubArgs,
    #[command(flatten)]
    pub directory: DirectoryArgs,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

impl AllSettingsArgs {
    pub fn apply(self, to: &mut SettingsArgs) {
        let Self {
            database,
            github,
            directory,
            server,
            log,
        } = self;
        database.apply(to);
        github.apply(to);
        directory.apply(to);
        server.apply(to);
        log.apply(to);
    }
}
