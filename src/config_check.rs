//! `recovery-bot config check`: load the settings as `serve` does (flags,
//! environment, the `--config` file, defaults), check them, the issue form
//! and the username rule, and print the effective settings as TOML with
//! every secret redacted. Exit 0 when `serve` could start with them, 2 with
//! one line per problem on standard error. It connects to nothing.

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
It checks what `serve` needs: DATABASE_URL, GITHUB_WEBHOOK_SECRET and the GitHub
credentials (GITHUB_TOKEN, or GITHUB_APP_ID with a private key) must be set, as
flags, environment variables or in the file, or each missing one is a problem.
It connects to nothing: no database, GitHub, mail server or account directory.

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
    let (problems, rules) = check(settings);
    let printed = writeln!(
        std::io::stdout().lock(),
        "{}",
        effective(settings, rules.as_ref())
    );
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
    let mut problems = settings.missing_for_serve();
    let rules = crate::jobs::bot::load_rules(settings)
        .map_err(|e| problems.push(format!("{e:#}")))
        .ok();
    if rules.is_some()
        && let Err(e) = crate::jobs::bot::load_template(settings)
    {
        problems.push(format!("{e:#}"));
    }
    if settings.github_auth.is_some()
        && let Err(e) = crate::github::GitHub::new(settings)
    {
        problems.push(format!("{e:#}"));
    }
    if let Some(url) = &settings.account_directory_url
        && let Err(e) =
            crate::verify::directory::Directory::new(url, settings.account_directory_token.clone())
    {
        problems.push(format!("ACCOUNT_DIRECTORY_URL: {e:#}"));
    }
    if let Err(e) = crate::verify::Verifier::from_settings(settings) {
        problems.push(format!("{e:#}"));
    }
    (problems, rules)
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

/// The effective settings as TOML, under the file's names, every secret
/// `[redacted]`, then a comment naming the settings that are not set.
/// `Settings` is destructured, so a new setting does not compile until it
/// is shown here.
pub fn effective(settings: &Settings, rules: Option<&Rules>) -> String {
    let Settings {
        database_url,
        webhook_secrets,
        github_auth,
        github_api_url,
        bind_addr,
        public_url,
        admins,
        repos,
        smtp_url,
        mail_from,
        account_directory_url,
        account_directory_token,
        verify_link_valid_for,
        sweep_interval,
        log_format,
        webhook_max_body_bytes,
        workers,
        jobs,
        template,
        labels,
        form,
        required_checks,
        admin_teams,
        admin_min_permission,
        admin_cache,
        index_name,
        replies,
        redact_secrets,
        support_contact,
        // Not a file setting: `serve --dry-run`.
        dry_run: _,
        timers,
        approve_message,
        index_recover,
    } = settings;
    let mut t = Table::new();
    let mut unset: Vec<&str> = Vec::new();
    let mut put = |t: &mut Table, key: &'static str, value: Option<Value>| match value {
        Some(v) => {
            t.insert(key.to_owned(), v);
        }
        None => unset.push(key),
    };
    let s = |v: &str| Value::String(v.to_owned());
    put(
        &mut t,
        "database_url",
        database_url
            .as_ref()
            .map(|u| s(&redact_url(secrecy::ExposeSecret::expose_secret(u)))),
    );
    put(
        &mut t,
        "github_webhook_secret",
        (!webhook_secrets.is_empty()).then(|| s(&vec![REDACTED; webhook_secrets.len()].join(","))),
    );
    match github_auth {
        Some(GitHubAuth::Token(_)) => put(&mut t, "github_token", Some(s(REDACTED))),
        Some(GitHubAuth::App { app_id, .. }) => {
            put(&mut t, "github_app_id", Some(int(*app_id)));
            put(&mut t, "github_app_private_key", Some(s(REDACTED)));
        }
        None => put(&mut t, "github_token", None),
    }
    put(&mut t, "github_api_url", Some(s(github_api_url)));
    put(&mut t, "bind_addr", Some(s(&bind_addr.to_string())));
    put(&mut t, "public_url", public_url.as_deref().map(s));
    put(&mut t, "admins", Some(strings(admins)));
    put(&mut t, "repos", Some(strings(repos)));
    put(
        &mut t,
        "smtp_url",
        smtp_url
            .as_ref()
            .map(|u| s(&redact_url(secrecy::ExposeSecret::expose_secret(u)))),
    );
    put(&mut t, "mail_from", mail_from.as_deref().map(s));
    put(
        &mut t,
        "account_directory_url",
        account_directory_url
            .as_deref()
            .map(|u| match reqwest::Url::parse(u) {
                Ok(url) if url.has_host() => s(&redact_url(u)),
                // A local JSON file.
                _ => s(u),
            }),
    );
    put(
        &mut t,
        "account_directory_token",
        account_directory_token.as_ref().map(|_| s(REDACTED)),
    );
    put(
        &mut t,
        "verify_link_hours",
        Some(int(verify_link_valid_for.as_secs() / 3600)),
    );
    let duration = |d: &std::time::Duration| s(&humantime::format_duration(*d).to_string());
    put(
        &mut t,
        "verify_link_valid_for",
        Some(duration(verify_link_valid_for)),
    );
    put(&mut t, "remind_after", Some(duration(&timers.remind_after)));
    put(&mut t, "close_after", Some(duration(&timers.close_after)));
    put(
        &mut t,
        "waiting_period",
        Some(duration(&timers.waiting_period)),
    );
    put(
        &mut t,
        "repo_check_interval",
        Some(duration(&timers.repo_check_interval)),
    );
    put(&mut t, "approve_message", Some(s(approve_message)));
    put(
        &mut t,
        "index_recover",
        Some(Value::Boolean(*index_recover)),
    );
    put(
        &mut t,
        "sweep_interval_secs",
        Some(int(sweep_interval.as_secs())),
    );
    put(
        &mut t,
        "log_format",
        clap::ValueEnum::to_possible_value(log_format).map(|v| s(v.get_name())),
    );
    put(
        &mut t,
        "webhook_max_body_bytes",
        Some(int(*webhook_max_body_bytes)),
    );
    put(&mut t, "workers", Some(int(*workers)));
    put(&mut t, "jobs", Some(Value::Table(jobs_table(jobs))));
    put(
        &mut t,
        "template",
        template.as_ref().map(|p| s(&p.display().to_string())),
    );
    let mut label_table = Table::new();
    for (key, name) in labels.all() {
        label_table.insert(key.to_owned(), s(name));
    }
    put(&mut t, "labels", Some(Value::Table(label_table)));
    let mut form_table = Table::new();
    if let Some(rules) = rules {
        form_table.insert(
            "username_pattern".into(),
            s(rules.username_pattern.as_str()),
        );
        form_table.insert("username_max_length".into(), int(rules.username_max_len));
        form_table.insert("profile_url_prefix".into(), s(&rules.profile_url_prefix));
    }
    if let Some(field) = &form.username_field {
        form_table.insert("username_field".into(), s(field));
    }
    put(&mut t, "form", Some(Value::Table(form_table)));
    put(&mut t, "required_checks", Some(strings(required_checks)));
    put(&mut t, "admin_teams", Some(strings(admin_teams)));
    put(
        &mut t,
        "admin_min_permission",
        admin_min_permission.map(|p| s(p.as_str())),
    );
    put(&mut t, "admin_cache_secs", Some(int(admin_cache.as_secs())));
    put(&mut t, "index_name", Some(s(index_name)));
    let mut reply_table = Table::new();
    for name in replies.names() {
        let Some(reply) = replies.get(name) else {
            continue;
        };
        let mut r = Table::new();
        r.insert("text".into(), s(&reply.text));
        if let Some(state) = reply.state {
            r.insert("state".into(), s(state.as_str()));
        }
        reply_table.insert(name.to_owned(), Value::Table(r));
    }
    put(&mut t, "replies", Some(Value::Table(reply_table)));
    put(
        &mut t,
        "redact_secrets",
        Some(Value::Boolean(*redact_secrets)),
    );
    put(&mut t, "support_contact", Some(s(support_contact)));

    let body = toml::to_string(&t).unwrap_or_else(|e| format!("# cannot show the settings: {e}\n"));
    let mut text = String::from(
        "# The effective settings (flags, environment, config file, defaults); secrets redacted.\n",
    );
    if !unset.is_empty() {
        text.push_str(&format!("# Not set: {}.\n", unset.join(", ")));
    }
    text.push_str(&body);
    text.trim_end().to_owned()
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
}
