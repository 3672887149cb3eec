//! `recovery-bot triage --repo OWNER/NAME`: what the bot would decide for
//! each open intake issue of a repository, read through the API and the
//! account directory. It writes nothing to GitHub or the database (it needs
//! no database). Exit 0 when every issue was read, whatever they say; 2 on a
//! usage, config or API error, with one line on standard error.
//!
//! Issues are read 100 a page, oldest first, and printed by issue number.
//! Duplicates are judged among the issues read, as intake judges them among
//! the stored requests: the earliest open request (smallest number) naming
//! the same valid username, compared case-insensitively.

use crate::ids::IssueNumber;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::check::Format;
use crate::config::Settings;
use crate::form::Template;
use crate::github::GitHub;
use crate::github::payload;
use crate::jobs::bot::BotIndexes;
use crate::recovery::intake;
use crate::verify::directory::Directory;

pub const OK: u8 = 0;
pub const ERROR: u8 = 2;

/// Account-directory look-ups in flight at once.
const LOOKUPS_IN_FLIGHT: usize = 8;

#[derive(Args, Debug, Clone)]
pub struct TriageArgs {
    /// The repository whose open intake issues to read.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: String,
    /// The issue form to read them with [default: the config's `template`,
    /// else the built-in form].
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// `text`: a table, one row per issue; `json`: one object per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub github: crate::config::GitHubArgs,
    #[command(flatten)]
    pub directory: crate::config::DirectoryArgs,
}

/// One problem, as `check` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProblemOut {
    pub field: String,
    pub message: String,
}

/// What the account directory says about the username read.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DirectoryFacts {
    pub exists: bool,
    /// The account's number of projects (`None` when there is no account).
    pub projects: Option<usize>,
}

/// One issue, as the bot would decide it. Field order is the JSON key order.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub number: IssueNumber,
    pub author: String,
    /// As read, valid or not; `None` when missing or an email address.
    pub username: Option<String>,
    pub valid: bool,
    pub problems: Vec<ProblemOut>,
    /// The earlier open request for the same account.
    pub duplicate_of: Option<IssueNumber>,
    /// The body was made from the form.
    pub from_form: bool,
    /// `None` when no directory is configured or no valid username was read.
    pub directory: Option<DirectoryFacts>,
    /// The index the request is for (its `[indexes.<key>]` key), when the
    /// tracker serves several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
}

/// Runs triage on its own runtime; returns the exit code.
pub fn main(args: &TriageArgs, settings: &Settings) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("recovery-bot triage: cannot start the runtime: {e}");
            return ERROR;
        }
    };
    runtime.block_on(run(
        args,
        settings,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    ))
}

/// Every line of an error on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub async fn run(
    args: &TriageArgs,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    match triage(args, settings, err).await {
        Ok(rows) => {
            let written = match args.format {
                Format::Json => rows.iter().try_for_each(|r| {
                    let line = serde_json::to_string(r).map_err(std::io::Error::other)?;
                    writeln!(out, "{line}")
                }),
                Format::Text => write!(out, "{}", table(&rows)),
            };
            match written.and_then(|()| out.flush()) {
                Ok(()) => OK,
                Err(e) => {
                    let _ = writeln!(err, "recovery-bot triage: writing the output: {e}");
                    ERROR
                }
            }
        }
        Err(e) => {
            let _ = writeln!(err, "recovery-bot triage: {}", one_line(&format!("{e:#}")));
            ERROR
        }
    }
}

/// `--repo`: `OWNER/NAME`, each part made of GitHub's name characters.
pub fn check_repo(repo: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = repo.split('/').collect();
    let ok = parts.len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if !ok {
        anyhow::bail!("--repo: `{repo}` is not of the form OWNER/NAME");
    }
    Ok(())
}

/// Reads every open intake issue and decides each; the rows by number.
pub async fn triage(
    args: &TriageArgs,
    settings: &Settings,
    progress: &mut dyn Write,
) -> anyhow::Result<Vec<Row>> {
    use anyhow::Context;

    let repo = args.repo.as_str();
    check_repo(repo)?;
    let mut form_settings = settings.clone();
    if args.template.is_some() {
        form_settings.template = args.template.clone();
    }
    let template = crate::jobs::bot::load_template(&form_settings)?;
    let rules = crate::jobs::bot::load_rules(settings)?;
    let indexes = BotIndexes::new(settings.indexes(), &rules).context("the account directory")?;
    let gh = connect(settings, repo).await?;
    let issues = open_issues(&gh, repo, &settings.labels.intake, progress).await?;
    let (mut rows, mut readings, picked) = read_issues(&template, &indexes, &issues);
    for index in indexes.iter() {
        if let Some(directory) = &index.directory {
            let of_index: Vec<usize> = (0..rows.len())
                .filter(|&i| picked[i] == index.key)
                .collect();
            look_up_accounts(directory, &template, &mut rows, &mut readings, &of_index).await?;
        }
    }
    for (row, form) in rows.iter_mut().zip(&readings) {
        row.valid = form.problems.is_empty();
        row.problems = form
            .problems
            .iter()
            .map(|p| ProblemOut {
                field: p.field.clone(),
                message: p.message.clone(),
            })
            .collect();
    }
    Ok(rows)
}

/// The GitHub client for `repo`, through the App's installation when the
/// credentials are an App's.
async fn connect(settings: &Settings, repo: &str) -> anyhow::Result<crate::github::Repo> {
    use anyhow::Context;

    let github = GitHub::new(settings)?;
    let installation = github.installation_for(repo).await.map_err(|e| {
        if e.status() == Some(404) {
            anyhow::anyhow!("the GitHub App is not installed on {repo}: {e}")
        } else {
            api_error(repo, "finding the GitHub App's installation on", &e)
        }
    })?;
    github
        .repo(installation)
        .await
        .with_context(|| format!("the GitHub client for {repo}"))
}

/// Every open issue carrying `label`, every page first (duplicates are
/// judged among all of them), oldest first.
async fn open_issues(
    gh: &crate::github::Repo,
    repo: &str,
    label: &str,
    progress: &mut dyn Write,
) -> anyhow::Result<Vec<payload::Issue>> {
    let mut issues: Vec<payload::Issue> = Vec::new();
    for page in 1u32.. {
        let (batch, last) = gh
            .open_issues_page(repo, label, page)
            .await
            .map_err(|e| api_error(repo, "reading the open issues of", &e))?;
        issues.extend(batch);
        if !(last && page == 1) {
            let _ = writeln!(
                progress,
                "triage: read {} issues (page {page})",
                issues.len()
            );
        }
        if last {
            break;
        }
    }
    // Oldest first, once each (an issue may move between pages while they
    // are read).
    issues.sort_by_key(|i| i.number);
    issues.dedup_by_key(|i| i.number);
    Ok(issues)
}

/// Each issue's form read, its row so far (duplicates judged, per index;
/// not yet the directory's facts nor validity), and the key of the index
/// it is for.
fn read_issues(
    template: &Template,
    indexes: &BotIndexes,
    issues: &[payload::Issue],
) -> (Vec<Row>, Vec<intake::FormReading>, Vec<String>) {
    let mut rows = Vec::with_capacity(issues.len());
    let mut readings = Vec::with_capacity(issues.len());
    let (forms, picked): (Vec<_>, Vec<String>) = issues
        .iter()
        .map(|issue| {
            let labels = issue.labels.iter().map(|l| l.name.as_str());
            let form = intake::read_form(template, issue.body.as_deref(), |value| {
                &indexes.pick(value, labels.clone()).rules
            });
            let index = indexes.pick(form.index_value.as_ref().map(|v| v.as_deref()), labels);
            (form, index.key.clone())
        })
        .unzip();
    let named: Vec<(IssueNumber, Option<String>, &str)> = issues
        .iter()
        .zip(&forms)
        .zip(&picked)
        .map(|((i, f), k)| (i.number, f.username.clone(), k.as_str()))
        .collect();
    for ((issue, form), key) in issues.iter().zip(forms).zip(&picked) {
        let number = issue.number;
        let duplicate_of = intake::duplicate_of(
            number,
            form.username.as_deref(),
            named
                .iter()
                .filter(|(_, _, k)| k == key)
                .map(|(n, u, _)| (*n, u.as_deref())),
        );
        rows.push(Row {
            number: issue.number,
            author: issue.user.login.clone(),
            username: if form.username_is_email {
                None
            } else {
                form.username_read.clone()
            },
            valid: false,
            problems: Vec::new(),
            duplicate_of,
            from_form: form.from_form,
            directory: None,
            index: indexes.set.several().then(|| key.clone()),
        });
        readings.push(form);
    }
    (rows, readings, picked)
}

/// The account directory, once per account named: its facts on each row,
/// and a problem on each form naming an account it does not know.
async fn look_up_accounts(
    directory: &Directory,
    template: &Template,
    rows: &mut [Row],
    readings: &mut [intake::FormReading],
    of_index: &[usize],
) -> anyhow::Result<()> {
    use anyhow::Context;

    let mut names: Vec<&str> = of_index
        .iter()
        .filter_map(|&i| readings[i].username.as_deref())
        .collect();
    names.sort_by_key(|n| n.to_lowercase());
    names.dedup_by(|a, b| intake::same_account(Some(a), Some(b)));
    let facts: HashMap<String, DirectoryFacts> = futures::stream::iter(names)
        .map(|name| async move {
            let account = directory.lookup(name).await.with_context(|| {
                format!("looking up the account `{name}` in the account directory")
            })?;
            Ok::<_, anyhow::Error>((
                name.to_lowercase(),
                DirectoryFacts {
                    exists: account.is_some(),
                    projects: account.map(|a| a.projects.len()),
                },
            ))
        })
        .buffer_unordered(LOOKUPS_IN_FLIGHT)
        .try_collect()
        .await?;
    for &i in of_index {
        let (row, form) = (&mut rows[i], &mut readings[i]);
        let Some(name) = form.username.as_deref() else {
            continue;
        };
        let found = facts.get(&name.to_lowercase()).cloned();
        if let Some(f) = &found
            && !f.exists
        {
            form.problems.push(intake::account_missing(template, name));
        }
        row.directory = found;
    }
    Ok(())
}

fn api_error(repo: &str, doing: &str, e: &crate::github::ApiError) -> anyhow::Error {
    let hint = match e.status() {
        Some(404) => " (no such repository, or the credentials cannot see it)",
        Some(401) => " (the credentials were refused)",
        Some(403) => " (the credentials may not read it, or the rate limit is spent)",
        _ => "",
    };
    anyhow::anyhow!("{doing} {repo}{hint}: {e}")
}

/// Control characters and line breaks as spaces, cut to `max` characters.
fn cell(s: &str, max: usize) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = one_line(&clean);
    if clean.chars().count() <= max {
        clean
    } else {
        let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

const AUTHOR_MAX: usize = 20;
const USERNAME_MAX: usize = 24;
const PROBLEMS_MAX: usize = 100;

/// A readable table, one row per issue (problems as `field: message`,
/// separated by ` | `, cut to fit), and a summary line.
pub fn table(rows: &[Row]) -> String {
    let with_directory = rows.iter().any(|r| r.directory.is_some());
    let mut head = vec!["ISSUE", "AUTHOR", "USERNAME", "VALID", "DUPLICATE OF"];
    if with_directory {
        head.extend(["ACCOUNT", "PROJECTS"]);
    }
    head.push("PROBLEMS");
    let mut lines: Vec<Vec<String>> = vec![head.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        let mut line = vec![
            format!("#{}", r.number),
            cell(&r.author, AUTHOR_MAX),
            r.username
                .as_deref()
                .map_or_else(|| "-".to_owned(), |u| cell(u, USERNAME_MAX)),
            if r.valid { "yes" } else { "no" }.to_owned(),
            r.duplicate_of
                .map_or_else(|| "-".to_owned(), |n| format!("#{n}")),
        ];
        if with_directory {
            let (account, projects) = match &r.directory {
                None => ("-".to_owned(), "-".to_owned()),
                Some(d) => (
                    if d.exists { "found" } else { "missing" }.to_owned(),
                    d.projects.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                ),
            };
            line.extend([account, projects]);
        }
        let problems = if r.problems.is_empty() {
            "-".to_owned()
        } else {
            let all: Vec<String> = r
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect();
            cell(&all.join(" | "), PROBLEMS_MAX)
        };
        line.push(problems);
        lines.push(line);
    }
    let columns = lines[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            lines
                .iter()
                .map(|l| l[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut s = String::new();
    for line in &lines {
        let mut text = String::new();
        for (c, value) in line.iter().enumerate() {
            if c + 1 == columns {
                text.push_str(value);
            } else {
                let pad = widths[c] - value.chars().count();
                text.push_str(value);
                text.push_str(&" ".repeat(pad + 2));
            }
        }
        s.push_str(text.trim_end());
        s.push('\n');
    }
    let valid = rows.iter().filter(|r| r.valid).count();
    let duplicates = rows.iter().filter(|r| r.duplicate_of.is_some()).count();
    s.push_str(&format!(
        "{} issue(s): {valid} valid, {} invalid, {duplicates} duplicate(s)\n",
        rows.len(),
        rows.len() - valid
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(number: u32, username: Option<&str>, problems: &[(&str, &str)]) -> Row {
        Row {
            number: number.into(),
            author: "someone".into(),
            username: username.map(str::to_owned),
            valid: problems.is_empty(),
            problems: problems
                .iter()
                .map(|(f, m)| ProblemOut {
                    field: (*f).into(),
                    message: (*m).into(),
                })
                .collect(),
            duplicate_of: None,
            from_form: true,
            index: None,
            directory: None,
        }
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        assert!(check_repo("pypi/support").is_ok());
        assert!(check_repo("a.b/c-d_e").is_ok());
        for bad in ["pypi", "pypi/", "/support", "a/b/c", "a b/c", "a/b?x=1"] {
            assert!(check_repo(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cells_are_one_line_and_cut() {
        assert_eq!(cell("a\nb\t\x1b[31mc", 50), "a b [31mc");
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abcd", 4), "abcd");
    }

    #[test]
    fn the_table_lines_up_and_sums_up() {
        let mut dup = row(12, Some("Alice"), &[]);
        dup.duplicate_of = Some(3.into());
        let t = table(&[
            row(3, Some("alice"), &[]),
            row(7, None, &[("username", "required\nfield")]),
            dup,
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(
            lines[0].starts_with("ISSUE  AUTHOR   USERNAME  VALID"),
            "{t}"
        );
        assert!(
            !lines[0].contains("ACCOUNT"),
            "no directory, no column: {t}"
        );
        assert!(lines[2].ends_with("username: required field"), "{t}");
        assert!(lines[3].contains("#3"), "{t}");
        assert_eq!(lines[4], "3 issue(s): 2 valid, 1 invalid, 1 duplicate(s)");
    }
}
