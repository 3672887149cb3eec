//! Resolving the settings: flags over environment over file over defaults.
//! What can be wrong is checked here, each problem named at once
//! ([`Problems`]), so `config check` lists them all.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use secrecy::{ExposeSecret, SecretString};

use super::file::FileSettings;
use super::trackers::{AdminLogin, Trackers, is_two_part};
use super::{
    DEFAULT_BIND_ADDR, DEFAULT_DATABASE_URL, DEFAULT_GITHUB_API_URL, DEFAULT_MAX_BODY_BYTES,
    GitHubAuth, Problems, Settings, SettingsArgs, Timers,
};
use crate::recovery::replies::Replies;
use crate::recovery::state::Labels;

/// The longest label name GitHub accepts, in characters.
pub const MAX_LABEL_CHARS: usize = 50;

/// The settings that had to be checked, checked.
struct Checked {
    github_auth: Option<GitHubAuth>,
    admins: Vec<AdminLogin>,
    repos: Trackers,
    replies: Replies,
    workers: usize,
    timers: Timers,
    index_recover: bool,
    index_tables: Option<crate::recovery::indexes::Indexes>,
}

impl Settings {
    /// Every setting from its flag, environment variable, file key or
    /// default. A value that cannot be used is an error naming it; the
    /// problems the file and flags can each have are all named at once.
    pub(super) fn resolve(args: SettingsArgs, file: FileSettings) -> anyhow::Result<Self> {
        let checked = Checked::from(&args, &file)?;
        Self::assemble(args, file, checked)
    }

    /// The settings from the checked parts, and the others as given or
    /// their defaults.
    fn assemble(args: SettingsArgs, file: FileSettings, c: Checked) -> anyhow::Result<Self> {
        let mail_from = args.mail_from.or(file.mail_from);
        let support_contact = file
            .support_contact
            .or_else(|| mail_from.clone())
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| "the index's support address".to_owned());
        Ok(Self {
            // The bot's own database on the local server (created at start
            // when missing).
            database_url: Some(
                (args.database_url.or(file.database_url))
                    .unwrap_or_else(|| SecretString::from(DEFAULT_DATABASE_URL)),
            ),
            webhook_secrets: secret_list(args.github_webhook_secret.or(file.github_webhook_secret)),
            github_auth: c.github_auth,
            github_api_url: (args.github_api_url.or(file.github_api_url))
                .unwrap_or_else(|| DEFAULT_GITHUB_API_URL.to_owned()),
            bind_addr: match args.bind_addr.or(file.bind_addr) {
                Some(addr) => addr,
                None => DEFAULT_BIND_ADDR.parse()?,
            },
            public_url: args.public_url.or(file.public_url),
            admins: c.admins,
            repos: c.repos,
            smtp_url: args.smtp_url.or(file.smtp_url),
            mail_from,
            account_directory_url: args.account_directory_url.or(file.account_directory_url),
            account_directory_token: args
                .account_directory_token
                .or(file.account_directory_token),
            verify_link_valid_for: file.verify_link_valid_for.unwrap_or(Duration::from_secs(
                3600 * file.verify_link_hours.unwrap_or(72),
            )),
            sweep_interval: Duration::from_secs(file.sweep_interval_secs.unwrap_or(3600)),
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            webhook_max_body_bytes: (args.webhook_max_body_bytes.or(file.webhook_max_body_bytes))
                .unwrap_or(DEFAULT_MAX_BODY_BYTES),
            workers: c.workers,
            jobs: file.jobs,
            template: file.template,
            labels: file.labels,
            form: file.form,
            required_checks: (file.required_checks).unwrap_or_else(|| vec!["email".to_owned()]),
            admin_teams: file.admin_teams,
            admin_min_permission: file.admin_min_permission,
            admin_cache: Duration::from_secs(file.admin_cache_secs.unwrap_or(300)),
            index_name: non_blank(file.index_name).unwrap_or_else(|| "PyPI".to_owned()),
            replies: c.replies,
            redact_secrets: file.redact_secrets.unwrap_or(true),
            support_contact,
            dry_run: false,
            timers: c.timers,
            approve_message: non_blank(file.approve_message)
                .unwrap_or_else(|| crate::recovery::messages::DEFAULT_APPROVE_MESSAGE.to_owned()),
            index_recover: c.index_recover,
            index_tables: c.index_tables,
            auto_verify: file.auto_verify.unwrap_or_default(),
            auto_verify_cooldown: file
                .auto_verify_cooldown
                .unwrap_or(Duration::from_secs(24 * 3600)),
            queue_position: file.queue_position.unwrap_or(true),
        })
    }
}

impl Checked {
    /// The settings that can be wrong: a bad duration or `index_recover`
    /// stops at once; the others are collected into one [`Problems`].
    fn from(args: &SettingsArgs, file: &FileSettings) -> anyhow::Result<Self> {
        let timers = timers(file)?;
        let directory = args
            .account_directory_url
            .as_deref()
            .or(file.account_directory_url.as_deref());
        let index_recover = index_recover(file.index_recover, directory)?;
        let mut problems = Vec::new();
        let github_auth = github_auth(
            args.github_token.clone().or(file.github_token.clone()),
            args.github_app_id.or(file.github_app_id),
            (args.github_app_private_key.clone()).or(file.github_app_private_key.clone()),
            (args.github_app_private_key_file.clone()).or(file.github_app_private_key_file.clone()),
        )
        .unwrap_or_else(|e| {
            problems.push(e);
            None
        });
        let admins = admins(args, file, &mut problems);
        let repos = trackers(args, file).unwrap_or_else(|bad| {
            problems.extend(bad);
            Trackers::Unset
        });
        problems.extend(team_problems(&file.admin_teams));
        problems.extend(label_problems(&file.labels));
        let replies = Replies::new(&file.replies).unwrap_or_else(|e| {
            problems.push(format!("{e:#}"));
            Replies::default()
        });
        let index_tables = super::indexes::tables(args, file).unwrap_or_else(|bad| {
            problems.extend(bad);
            None
        });
        let workers = args.workers.or(file.workers).unwrap_or(4);
        if workers == 0 {
            problems.push("RECOVERY_BOT_WORKERS (workers) must be at least 1".to_owned());
        }
        if !problems.is_empty() {
            return Err(Problems(problems).into());
        }
        Ok(Self {
            github_auth,
            admins,
            repos,
            replies,
            workers,
            timers,
            index_recover,
            index_tables,
        })
    }
}

pub(super) fn split_list(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The webhook secrets: a comma-separated list, for rotation.
fn secret_list(secrets: Option<SecretString>) -> Vec<SecretString> {
    secrets
        .map(|s| {
            split_list(s.expose_secret())
                .map(SecretString::from)
                .collect()
        })
        .unwrap_or_default()
}

fn non_blank(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// The file's admins and then the flag's (`RECOVERY_BOT_ADMINS` adds to
/// the file's), each `login` or `login:id`.
fn admins(args: &SettingsArgs, file: &FileSettings, problems: &mut Vec<String>) -> Vec<AdminLogin> {
    let from_flag = args.admins.as_deref().map(split_list).into_iter().flatten();
    let admins: Vec<AdminLogin> = file
        .admins
        .iter()
        .cloned()
        .chain(from_flag)
        .filter_map(|entry| {
            entry
                .parse::<AdminLogin>()
                .map_err(|e| problems.push(e))
                .ok()
        })
        .collect();
    for (i, a) in admins.iter().enumerate() {
        let clash = admins[..i].iter().find(|b| {
            b.login.eq_ignore_ascii_case(&a.login)
                && a.id.is_some()
                && b.id.is_some()
                && a.id != b.id
        });
        if let Some(b) = clash {
            problems.push(format!(
                "RECOVERY_BOT_ADMINS: `{b}` and `{a}` pin one login to two ids"
            ));
        }
    }
    admins
}

/// `RECOVERY_BOT_REPOS` (the flag's list replaces the file's).
fn trackers(args: &SettingsArgs, file: &FileSettings) -> Result<Trackers, Vec<String>> {
    let entries = match &args.repos {
        Some(list) => split_list(list).collect(),
        None => file.repos.clone(),
    };
    Trackers::parse(entries)
}

fn team_problems(teams: &[String]) -> Vec<String> {
    teams
        .iter()
        .filter(|t| !is_two_part(t))
        .map(|team| format!("admin_teams: `{team}` is not of the form org/team"))
        .collect()
}

/// The timers' durations from the file, each else its default.
fn timers(file: &FileSettings) -> anyhow::Result<Timers> {
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
    Ok(timers)
}

/// `index_recover`, which needs the index's HTTP directory.
fn index_recover(set: Option<bool>, directory: Option<&str>) -> anyhow::Result<bool> {
    let on = set.unwrap_or(false);
    if on && !super::indexes::is_http(directory) {
        bail!(
            "index_recover = true needs ACCOUNT_DIRECTORY_URL to be the index's HTTP directory (a local file or a Warehouse database cannot reset accounts)"
        );
    }
    Ok(on)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_MAX_BODY_BYTES;

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
        let s = Settings::resolve(args, file("admins = [\"alice:12345\"]\n")).unwrap();
        let admins: Vec<String> = s.admins.iter().map(|a| a.to_string()).collect();
        assert_eq!(admins, ["alice:12345", "carol", "dave"]);
        assert_eq!(s.admins[0].id, Some(12345));
        let args = SettingsArgs {
            admins: Some("carol:x, @dave, alice:1, Alice:2".into()),
            ..Default::default()
        };
        let err = Settings::resolve(args, FileSettings::default()).unwrap_err();
        let problems = &err.downcast_ref::<Problems>().unwrap().0;
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[2].contains("two ids"), "{problems:?}");
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
    fn serve_requires_the_trackers_and_refuses_every_repository_with_roles() {
        let base = || SettingsArgs {
            github_webhook_secret: Some(SecretString::from("s")),
            github_token: Some(SecretString::from("t")),
            ..Default::default()
        };
        let s = Settings::resolve(base(), FileSettings::default()).unwrap();
        assert_eq!(s.repos, Trackers::Unset);
        let problems = s.serve_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("missing setting: RECOVERY_BOT_REPOS"),
            "{problems:?}"
        );
        assert!(!s.repo_allowed("pypi/support"), "unset serves nothing");

        let every = SettingsArgs {
            repos: Some("*".into()),
            ..base()
        };
        let s = Settings::resolve(every.clone(), FileSettings::default()).unwrap();
        assert!(s.serve_problems().is_empty() && s.repo_allowed("any/repo"));
        let s = Settings::resolve(
            SettingsArgs {
                account_directory_url: Some("https://index.example/dir".into()),
                ..every
            },
            file("admin_teams = [\"pypi/admins\"]\nadmin_min_permission = \"maintain\"\nindex_recover = true\n"),
        )
        .unwrap();
        let problems = s.serve_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains(
                "cannot be used with admin_min_permission, admin_teams, index_recover, ACCOUNT_DIRECTORY_URL"
            ),
            "{problems:?}"
        );

        // The file's list, replaced by the flag's.
        let s = Settings::resolve(base(), file("repos = [\"pypi/support\"]\n")).unwrap();
        assert!(s.serve_problems().is_empty() && s.repo_allowed("PyPI/Support"));
        assert!(!s.repo_allowed("pypi/other"));
        let flag = SettingsArgs {
            repos: Some("pypi/other".into()),
            ..base()
        };
        let s = Settings::resolve(flag, file("repos = [\"pypi/support\"]\n")).unwrap();
        assert_eq!(s.repos, Trackers::Listed(vec!["pypi/other".into()]));
    }
}
