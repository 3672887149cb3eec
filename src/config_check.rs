//! `recovery-bot config check`: load the settings as `serve` does (flags,
//! environment, the `--config` file, defaults), check them, the issue form
//! and the username rule, and print the effective settings as TOML with
//! every secret redacted. Exit 0 when `serve` could start with them, 2 with
//! one line per problem on standard error. It connects to nothing but a
//! Warehouse account directory, whose tables and columns it checks.

use std::io::Write;

use clap::Args;
use toml::{Table, Value};

use crate::config::{AllSettingsArgs, GitHubAuth, JobSettings, Settings};
use crate::form::Rules;

pub const OK: u8 = 0;
pub const ERROR: u8 = 2;

/// Shown in place of every secret.
pub const REDACTED: &str = "[redacted]";

pub const AFTER_HELP: &str = "\
It checks what `serve` needs: DATABASE_URL, GITHUB_WEBHOOK_SECRET, the GitHub
credentials (GITHUB_TOKEN, or GITHUB_APP_ID with a private key) and
RECOVERY_BOT_REPOS must be set, as flags, environment variables or in the file,
or each missing one is a problem; RECOVERY_BOT_REPOS=* with admin_teams,
admin_min_permission, index_recover or an account directory is one too.
It connects to nothing (no database, GitHub, mail server or HTTP directory)
but a Warehouse account directory (ACCOUNT_DIRECTORY_URL=postgres://...),
whose tables and columns it checks, naming the first one missing.

Exit codes:
  0  valid: the effective settings are printed, secrets redacted
  2  a problem (one line each on standard error), or a usage error";

#[derive(Args, Debug, Clone, Default)]
pub struct ConfigCheckArgs {
    #[command(flatten)]
    pub settings: AllSettingsArgs,
}

/// Checks `settings` (already loaded: a file or flag that cannot be read
/// stopped before this), prints them; returns the exit code.
pub fn main(settings: &Settings) -> u8 {
    // Building the mail and GitHub clients needs a runtime; nothing runs on it.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("recovery-bot config check: cannot start the runtime: {e}");
            return ERROR;
        }
    };
    let _inside = runtime.enter();
    let (mut problems, rules) = check(settings);
    problems.extend(runtime.block_on(warehouse_problem(settings)));
    let printed = writeln!(
        std::io::stdout().lock(),
        "{}",
        effective(settings, rules.as_ref())
    );
    for w in warnings(settings) {
        eprintln!("recovery-bot config check: warning: {}", one_line(&w));
    }
    for p in &problems {
        eprintln!("recovery-bot config check: {}", one_line(p));
    }
    if let Err(e) = printed {
        eprintln!("recovery-bot config check: writing the output: {e}");
        return ERROR;
    }
    if problems.is_empty() { OK } else { ERROR }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every problem `serve` would stop on, without connecting anywhere, and
/// the username rule when it could be read.
pub fn check(settings: &Settings) -> (Vec<String>, Option<Rules>) {
    let mut problems = settings.serve_problems();
    let rules = crate::jobs::bot::load_rules(settings)
        .map_err(|e| problems.push(format!("{e:#}")))
        .ok();
    let indexes = settings.indexes();
    if rules.is_some() {
        match crate::jobs::bot::load_template(settings) {
            Ok(template) => problems.extend(crate::config::index_form_problems(
                &indexes,
                crate::jobs::bot::index_field(&template),
            )),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    if settings.github_auth.is_some()
        && let Err(e) = crate::github::GitHub::new(settings)
    {
        problems.push(format!("{e:#}"));
    }
    for index in indexes.iter() {
        if let Some(url) = &index.directory_url
            && let Err(e) =
                crate::verify::directory::Directory::new(url, index.directory_token.clone())
        {
            problems.push(format!(
                "{}: {e:#}",
                directory_setting(settings, &index.key)
            ));
        }
    }
    if let Err(e) = crate::verify::Verifier::from_settings(settings) {
        problems.push(format!("{e:#}"));
    }
    (problems, rules)
}

/// The setting that names an index's directory, as problems name it.
fn directory_setting(settings: &Settings, key: &str) -> String {
    match settings.index_tables {
        Some(_) => format!("[indexes.{key}] directory_url"),
        None => "ACCOUNT_DIRECTORY_URL".to_owned(),
    }
}

/// Each Warehouse directory whose tables or columns are missing (or cannot
/// be reached): the first one missing, as `serve` would stop on it.
async fn warehouse_problem(settings: &Settings) -> Vec<String> {
    let mut problems = Vec::new();
    for index in settings.indexes().iter() {
        let Some(url) = index.directory_url.as_deref() else {
            continue;
        };
        if !crate::verify::directory::is_warehouse(url) {
            continue;
        }
        let Ok(directory) = crate::verify::warehouse::Warehouse::from_url(url) else {
            continue;
        };
        let checked = directory.check_schema().await;
        directory.close().await;
        if let Err(e) = checked {
            problems.push(format!("{}: {e}", directory_setting(settings, &index.key)));
        }
    }
    problems
}

/// A URL with its user, password and query hidden (they may hold
/// credentials); `[redacted]` when it cannot be read as a URL with a host.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) if u.has_host() => {
            let userinfo = if u.username().is_empty() && u.password().is_none() {
                String::new()
            } else {
                format!("{REDACTED}@")
            };
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let query = if u.query().is_some() {
                format!("?{REDACTED}")
            } else {
                String::new()
            };
            format!(
                "{}://{userinfo}{}{port}{}{query}",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.path()
            )
        }
        _ => REDACTED.to_owned(),
    }
}

fn int(n: impl TryInto<i64>) -> Value {
    Value::Integer(n.try_into().unwrap_or(i64::MAX))
}

fn strings<'a>(list: impl IntoIterator<Item = &'a String>) -> Value {
    Value::Array(list.into_iter().map(|s| Value::String(s.clone())).collect())
}

/// A URL as `config check` prints it: as it is when it carries no user,
/// password or query; else through `redact_url` (`[redacted]` when it cannot
/// be read at all, so an unparsable URL never shows its password).
fn show_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u)
            if u.has_host()
                && u.username().is_empty()
                && u.password().is_none()
                && u.query().is_none() =>
        {
            url.to_owned()
        }
        _ => redact_url(url),
    }
}

/// The account directory: a local JSON file's path as it is, a URL (or
/// anything that may hold credentials) as `show_url` shows it.
fn show_directory(url: &str) -> String {
    let local = !url.contains('@')
        && (url.starts_with("file://") || !url.contains("://"))
        && !url.contains('?');
    if local { url.to_owned() } else { show_url(url) }
}

/// The settings being printed, and the keys that are not set.
#[derive(Default)]
struct Out {
    t: Table,
    unset: Vec<&'static str>,
}

impl Out {
    fn put(&mut self, key: &'static str, value: Option<Value>) {
        match value {
            Some(v) => {
                self.t.insert(key.to_owned(), v);
            }
            None => self.unset.push(key),
        }
    }
}

fn s(v: &str) -> Value {
    Value::String(v.to_owned())
}

fn duration(d: &std::time::Duration) -> Value {
    s(&humantime::format_duration(*d).to_string())
}

/// The effective settings as TOML, under the file's names, every secret
/// `[redacted]`, then a comment naming the settings that are not set.
pub fn effective(settings: &Settings, rules: Option<&Rules>) -> String {
    every_setting_is_shown(settings);
    let mut out = Out::default();
    credentials(&mut out, settings);
    addresses(&mut out, settings);
    timing(&mut out, settings);
    running(&mut out, settings);
    form_and_labels(&mut out, settings, rules);
    admins_and_replies(&mut out, settings);
    indexes(&mut out, settings);
    let body =
        toml::to_string(&out.t).unwrap_or_else(|e| format!("# cannot show the settings: {e}\n"));
    let mut text = String::from(
        "# The effective settings (flags, environment, config file, defaults); secrets redacted.\n",
    );
    if !out.unset.is_empty() {
        text.push_str(&format!("# Not set: {}.\n", out.unset.join(", ")));
    }
    text.push_str(&body);
    text.trim_end().to_owned()
}

/// `Settings` destructured in full, so that a new setting does not compile
/// until it is shown by one of the functions below (and named here).
fn every_setting_is_shown(settings: &Settings) {
    let Settings {
        database_url: _,
        webhook_secrets: _,
        github_auth: _,
        github_api_url: _,
        bind_addr: _,
        public_url: _,
        admins: _,
        repos: _,
        smtp_url: _,
        mail_from: _,
        account_directory_url: _,
        account_directory_token: _,
        verify_link_valid_for: _,
        sweep_interval: _,
        log_format: _,
        webhook_max_body_bytes: _,
        workers: _,
        jobs: _,
        template: _,
        labels: _,
        form: _,
        required_checks: _,
        admin_teams: _,
        admin_min_permission: _,
        admin_cache: _,
        index_name: _,
        replies: _,
        redact_secrets: _,
        support_contact: _,
        // Not a file setting: `serve --dry-run`.
        dry_run: _,
        timers: _,
        approve_message: _,
        index_recover: _,
        // Shown as `default_index` and `[indexes.*]` (`indexes`).
        index_tables: _,
        auto_verify: _,
        auto_verify_cooldown: _,
        queue_position: _,
    } = settings;
}

/// The database, the webhook secret and the GitHub credentials.
fn credentials(out: &mut Out, settings: &Settings) {
    out.put(
        "database_url",
        settings
            .database_url
            .as_ref()
            .map(|u| s(&show_url(secrecy::ExposeSecret::expose_secret(u)))),
    );
    let secrets = settings.webhook_secrets.len();
    out.put(
        "github_webhook_secret",
        (secrets > 0).then(|| s(&vec![REDACTED; secrets].join(","))),
    );
    match &settings.github_auth {
        Some(GitHubAuth::Token(_)) => out.put("github_token", Some(s(REDACTED))),
        Some(GitHubAuth::App { app_id, .. }) => {
            out.put("github_app_id", Some(int(*app_id)));
            out.put("github_app_private_key", Some(s(REDACTED)));
        }
        None => out.put("github_token", None),
    }
}

/// Where the bot listens, and the URLs it calls or writes in mail.
fn addresses(out: &mut Out, settings: &Settings) {
    out.put(
        "github_api_url",
        Some(s(&show_url(&settings.github_api_url))),
    );
    out.put("bind_addr", Some(s(&settings.bind_addr.to_string())));
    out.put(
        "public_url",
        settings.public_url.as_deref().map(|u| s(&show_url(u))),
    );
    let admins: Vec<String> = settings.admins.iter().map(|a| a.to_string()).collect();
    out.put("admins", Some(strings(&admins)));
    out.put("repos", Some(strings(&settings.repos.entries())));
    out.put(
        "smtp_url",
        settings
            .smtp_url
            .as_ref()
            .map(|u| s(&show_url(secrecy::ExposeSecret::expose_secret(u)))),
    );
    out.put("mail_from", settings.mail_from.as_deref().map(s));
    if settings.index_tables.is_some() {
        // The tables hold each index's directory (`indexes`).
        return;
    }
    out.put(
        "account_directory_url",
        settings
            .account_directory_url
            .as_deref()
            .map(|u| s(&show_directory(u))),
    );
    out.put(
        "account_directory_token",
        settings
            .account_directory_token
            .as_ref()
            .map(|_| s(REDACTED)),
    );
}

/// `[indexes.*]` and `default_index`, when the config has tables; without
/// them the top-level settings describe the one index.
fn indexes(out: &mut Out, settings: &Settings) {
    let Some(tables) = &settings.index_tables else {
        out.put("index_name", Some(s(&settings.index_name)));
        out.put(
            "index_recover",
            Some(Value::Boolean(settings.index_recover)),
        );
        return;
    };
    out.put("default_index", Some(s(&tables.default_index().key)));
    let mut all = Table::new();
    for index in tables.iter() {
        let mut t = Table::new();
        t.insert("index_name".into(), s(&index.name));
        if let Some(url) = &index.directory_url {
            t.insert("directory_url".into(), s(&show_directory(url)));
        }
        if index.directory_token.is_some() {
            t.insert("directory_token".into(), s(REDACTED));
        }
        if let Some(prefix) = &index.profile_url_prefix {
            t.insert("profile_url_prefix".into(), s(prefix));
        }
        t.insert("index_recover".into(), Value::Boolean(index.recover));
        if let Some(label) = &index.label {
            t.insert("label".into(), s(label));
        }
        all.insert(index.key.clone(), Value::Table(t));
    }
    out.put("indexes", Some(Value::Table(all)));
}

/// Durations: links, reminders, the waiting period, the sweep.
fn timing(out: &mut Out, settings: &Settings) {
    let link = &settings.verify_link_valid_for;
    out.put("verify_link_hours", Some(int(link.as_secs() / 3600)));
    out.put("verify_link_valid_for", Some(duration(link)));
    let timers = &settings.timers;
    out.put("remind_after", Some(duration(&timers.remind_after)));
    out.put("close_after", Some(duration(&timers.close_after)));
    out.put("waiting_period", Some(duration(&timers.waiting_period)));
    out.put(
        "repo_check_interval",
        Some(duration(&timers.repo_check_interval)),
    );
    out.put("approve_message", Some(s(&settings.approve_message)));
    out.put("auto_verify", Some(s(settings.auto_verify.as_str())));
    out.put(
        "auto_verify_cooldown",
        Some(duration(&settings.auto_verify_cooldown)),
    );
    out.put(
        "queue_position",
        Some(Value::Boolean(settings.queue_position)),
    );
    out.put(
        "sweep_interval_secs",
        Some(int(settings.sweep_interval.as_secs())),
    );
}

/// Logs, limits, workers and the job queue.
fn running(out: &mut Out, settings: &Settings) {
    out.put(
        "log_format",
        clap::ValueEnum::to_possible_value(&settings.log_format).map(|v| s(v.get_name())),
    );
    out.put(
        "webhook_max_body_bytes",
        Some(int(settings.webhook_max_body_bytes)),
    );
    out.put("workers", Some(int(settings.workers)));
    out.put("jobs", Some(Value::Table(jobs_table(&settings.jobs))));
}

/// The issue form, the username rule and the labels.
fn form_and_labels(out: &mut Out, settings: &Settings, rules: Option<&Rules>) {
    out.put(
        "template",
        settings
            .template
            .as_ref()
            .map(|p| s(&p.display().to_string())),
    );
    let mut label_table = Table::new();
    for (key, name) in settings.labels.all() {
        label_table.insert(key.to_owned(), s(name));
    }
    out.put("labels", Some(Value::Table(label_table)));
    let mut form_table = Table::new();
    if let Some(rules) = rules {
        form_table.insert(
            "username_pattern".into(),
            s(rules.username_pattern.as_str()),
        );
        form_table.insert("username_max_length".into(), int(rules.username_max_len));
        if settings.index_tables.is_none() {
            form_table.insert("profile_url_prefix".into(), s(&rules.profile_url_prefix));
        }
    }
    if let Some(field) = &settings.form.username_field {
        form_table.insert("username_field".into(), s(field));
    }
    out.put("form", Some(Value::Table(form_table)));
    out.put("required_checks", Some(strings(&settings.required_checks)));
}

/// Who the admins are, what the bot says, and what it keeps.
fn admins_and_replies(out: &mut Out, settings: &Settings) {
    out.put("admin_teams", Some(strings(&settings.admin_teams)));
    out.put(
        "admin_min_permission",
        settings.admin_min_permission.map(|p| s(p.as_str())),
    );
    out.put(
        "admin_cache_secs",
        Some(int(settings.admin_cache.as_secs())),
    );
    let mut reply_table = Table::new();
    for name in settings.replies.names() {
        let Some(reply) = settings.replies.get(name) else {
            continue;
        };
        let mut r = Table::new();
        r.insert("text".into(), s(&reply.text));
        if let Some(state) = reply.state {
            r.insert("state".into(), s(state.as_str()));
        }
        reply_table.insert(name.to_owned(), Value::Table(r));
    }
    out.put("replies", Some(Value::Table(reply_table)));
    out.put(
        "redact_secrets",
        Some(Value::Boolean(settings.redact_secrets)),
    );
    out.put("support_contact", Some(s(&settings.support_contact)));
}

/// The shortest webhook secret not warned about.
pub const MIN_WEBHOOK_SECRET_CHARS: usize = 32;

/// Settings `serve` accepts but that weaken it: one line each. They do not
/// change the exit code.
pub fn warnings(settings: &Settings) -> Vec<String> {
    let mut found = Vec::new();
    let count = settings.webhook_secrets.len();
    for (i, secret) in settings.webhook_secrets.iter().enumerate() {
        let chars = secrecy::ExposeSecret::expose_secret(secret).chars().count();
        if chars < MIN_WEBHOOK_SECRET_CHARS {
            let which = if count > 1 {
                format!(" (secret {} of {count})", i + 1)
            } else {
                String::new()
            };
            found.push(format!(
                "GITHUB_WEBHOOK_SECRET{which} is shorter than {MIN_WEBHOOK_SECRET_CHARS} characters: \
                 a guessed secret lets anyone send deliveries; use a long random one \
                 (`openssl rand -hex 32`)"
            ));
        }
    }
    if let Some(url) = &settings.smtp_url
        && smtp_credentials_in_clear(secrecy::ExposeSecret::expose_secret(url))
    {
        found.push(
            "SMTP_URL sends its user name and password without TLS: use smtps://, \
             or smtp://…?tls=required for STARTTLS"
                .to_owned(),
        );
    }
    if let Some(url) = &settings.public_url
        && !url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    {
        found.push(format!(
            "PUBLIC_URL ({}) is not https: the emailed links carry single-use tokens \
             that anyone on the path could read and use",
            show_url(url)
        ));
    }
    found
}

/// An SMTP URL with a user or password, on plain `smtp://` without
/// `tls=required` (lettre's `tls=opportunistic` falls back to clear text).
fn smtp_credentials_in_clear(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else {
        // Unreadable: `serve` refuses it; warn when it seems to hold a password.
        return url.contains('@') && !url.starts_with("smtps://");
    };
    let has_credentials = !u.username().is_empty() || u.password().is_some();
    let tls_required = u
        .query_pairs()
        .any(|(k, v)| k == "tls" && v.eq_ignore_ascii_case("required"));
    has_credentials && u.scheme().eq_ignore_ascii_case("smtp") && !tls_required
}

fn jobs_table(jobs: &JobSettings) -> Table {
    let JobSettings {
        max_attempts,
        backoff_base_ms,
        backoff_max_ms,
        timeout_secs,
        poll_interval_ms,
        shutdown_grace_secs,
    } = jobs;
    let mut t = Table::new();
    t.insert("max_attempts".into(), int(*max_attempts));
    t.insert("backoff_base_ms".into(), int(*backoff_base_ms));
    t.insert("backoff_max_ms".into(), int(*backoff_max_ms));
    t.insert("timeout_secs".into(), int(*timeout_secs));
    t.insert("poll_interval_ms".into(), int(*poll_interval_ms));
    t.insert("shutdown_grace_secs".into(), int(*shutdown_grace_secs));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url(
                "postgres://bot:hunter2@db.internal:5432/recovery?sslmode=require&password=x"
            ),
            "postgres://[redacted]@db.internal:5432/recovery?[redacted]"
        );
        assert_eq!(redact_url("smtp://127.0.0.1:25"), "smtp://127.0.0.1:25");
        assert_eq!(
            redact_url("smtps://apikey:SG.secret@smtp.example.org"),
            "smtps://[redacted]@smtp.example.org"
        );
        assert_eq!(redact_url("not a url with hunter2"), REDACTED);
    }

    #[test]
    fn every_printed_url_hides_its_credentials() {
        assert_eq!(show_url("https://api.github.com"), "https://api.github.com");
        assert_eq!(
            show_url("https://user:hunter2@ghe.example.org/api/v3"),
            "https://[redacted]@ghe.example.org/api/v3"
        );
        // Unparsable (a space in the host), password and all.
        assert_eq!(show_url("https://user:hunter2@bad host/x"), REDACTED);
        assert_eq!(show_directory("https://u:hunter2@bad host/x"), REDACTED);
        assert_eq!(
            show_directory("http://[::1:hunter2@x"),
            "http://[redacted]@x/"
        );
        assert_eq!(show_directory("accounts.json"), "accounts.json");
        assert_eq!(
            show_directory("file:///srv/accounts.json"),
            "file:///srv/accounts.json"
        );
        assert_eq!(
            show_directory("postgres://ro:hunter2@replica/warehouse"),
            "postgres://[redacted]@replica/warehouse"
        );
        assert_eq!(show_directory("user:hunter2@host:/x"), REDACTED);
    }

    #[test]
    fn smtp_credentials_need_tls() {
        assert!(smtp_credentials_in_clear("smtp://u:p@mail:587"));
        assert!(smtp_credentials_in_clear(
            "smtp://u:p@mail:587?tls=opportunistic"
        ));
        assert!(!smtp_credentials_in_clear(
            "smtp://u:p@mail:587?tls=required"
        ));
        assert!(!smtp_credentials_in_clear("smtps://u:p@mail"));
        assert!(!smtp_credentials_in_clear("smtp://127.0.0.1:25"));
    }
}
