//! `recovery-bot labels sync --repo OWNER/NAME`: create or update every
//! label the bot uses (the intake label, the flags, one per state, as the
//! config names them) with its colour and description, and print one line
//! per label: `created`, `updated (colour, description)` or `unchanged`.
//! It reads the repository, then each label, and writes only what differs,
//! so a second run makes no write call; a repository that does not exist
//! (or that the credentials cannot see) is an error, with `--dry-run` too.
//! Exit 0 when every label is in line, 2 on a usage, config or API error.

use std::io::Write;

use anyhow::Context;
use clap::Args;

use crate::config::{GitHubArgs, Settings};
use crate::github::GitHub;
use crate::recovery::state::State;

pub const OK: u8 = 0;
pub const ERROR: u8 = 2;

/// GitHub's longest label description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 100;

#[derive(Args, Debug, Clone)]
pub struct LabelsSyncArgs {
    /// The repository (the tracker) whose labels to create or update.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: String,
    /// Print what would change, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub github: GitHubArgs,
}

/// How a label looks on the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Six lowercase hex digits, no `#`.
    pub color: &'static str,
    /// At most [`MAX_DESCRIPTION_CHARS`].
    pub description: &'static str,
}

/// The look of the label with `[labels]` key `key` (from `Labels::all`).
pub fn style(key: &str) -> Style {
    let (color, description) = match key {
        "intake" => (
            "1d76db",
            "An account-recovery request; the bot reads issues with this label",
        ),
        "duplicate" => ("cfd3d7", "An earlier open request names the same account"),
        "fasttrack" => (
            "006b75",
            "Every project's source repository belongs to the requester",
        ),
        state => match State::parse(state) {
            Some(s) => state_style(s),
            None => ("ededed", "Used by recovery-bot"),
        },
    };
    Style { color, description }
}

/// A state label's colour and description (SPEC's meaning of the state).
fn state_style(state: State) -> (&'static str, &'static str) {
    match state {
        State::Incomplete => (
            "d93f0b",
            "The form has missing or invalid fields; waiting for the requester's edit",
        ),
        State::Pending => ("fbca04", "A valid request; waiting for an admin"),
        State::AwaitingUser => ("c5def5", "An admin asked the requester for something"),
        State::Verified => (
            "0e8a16",
            "Every required check passed; waiting for an admin's decision",
        ),
        State::Approved => ("5319e7", "Approved: the account was recovered"),
        State::Denied => ("b60205", "Denied: closed as not planned"),
        State::Withdrawn => ("bfd4f2", "The requester withdrew the request"),
        State::NoResponse => (
            "cccccc",
            "Closed after a reminder went unanswered; the requester's comment reopens it",
        ),
    }
}

/// What one label needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Create,
    /// Which of colour and description differ.
    Update {
        color: bool,
        description: bool,
    },
    Unchanged,
}

/// What `existing` (none: no such label) needs to look like `want`.
pub fn change(existing: Option<&crate::github::labels::Label>, want: Style) -> Change {
    let Some(label) = existing else {
        return Change::Create;
    };
    let color = !label.color.eq_ignore_ascii_case(want.color);
    let description = label.description.as_deref().unwrap_or("") != want.description;
    if color || description {
        Change::Update { color, description }
    } else {
        Change::Unchanged
    }
}

/// The line printed for a label.
pub fn line(name: &str, change: &Change, dry_run: bool) -> String {
    let verb = |done: &str, would: &str| {
        if dry_run {
            would.to_owned()
        } else {
            done.to_owned()
        }
    };
    match change {
        Change::Create => format!("{} {name}", verb("created", "would create")),
        Change::Update { color, description } => {
            let what: Vec<&str> = [(*color, "colour"), (*description, "description")]
                .into_iter()
                .filter_map(|(on, w)| on.then_some(w))
                .collect();
            format!(
                "{} {name} ({})",
                verb("updated", "would update"),
                what.join(", ")
            )
        }
        Change::Unchanged => format!("unchanged {name}"),
    }
}

/// Runs the sync on its own runtime; returns the exit code.
pub fn main(args: &LabelsSyncArgs, settings: &Settings) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("recovery-bot labels sync: cannot start the runtime: {e}");
            return ERROR;
        }
    };
    let mut out = std::io::stdout().lock();
    match runtime.block_on(sync(args, settings, &mut out)) {
        Ok(()) => OK,
        Err(e) => {
            let text = format!("{e:#}");
            eprintln!(
                "recovery-bot labels sync: {}",
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            ERROR
        }
    }
}

/// Reads each label, writes what differs, prints one line per label.
pub async fn sync(
    args: &LabelsSyncArgs,
    settings: &Settings,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let repo = args.repo.as_str();
    crate::triage::check_repo(repo)?;
    let github = GitHub::new(settings)?;
    let installation = github
        .installation_for(repo)
        .await
        .with_context(|| format!("finding the GitHub App's installation on {repo}"))?;
    let gh = github
        .repo(installation)
        .await
        .with_context(|| format!("the GitHub client for {repo}"))?;
    // The repository first: a label read on a missing repository answers
    // 404 like a missing label, which would read as "would create".
    let found = gh
        .repository_owner(repo)
        .await
        .with_context(|| format!("reading the repository {repo}"))?;
    if found.is_none() {
        anyhow::bail!(
            "no repository {repo} on GitHub at {}: it does not exist, or these credentials cannot see it",
            settings.github_api_url
        );
    }
    let mut done: Vec<&str> = Vec::new();
    let (mut created, mut updated, mut unchanged) = (0, 0, 0);
    for (key, name) in settings.labels.all() {
        // One label may serve two roles; the first one's look wins.
        if done.iter().any(|d| d.eq_ignore_ascii_case(name)) {
            continue;
        }
        done.push(name);
        let want = style(key);
        let existing = gh
            .label(repo, name)
            .await
            .with_context(|| format!("reading the label `{name}` of {repo}"))?;
        let change = change(existing.as_ref(), want);
        if !args.dry_run {
            match (&change, &existing) {
                (Change::Create, _) => {
                    gh.create_label(repo, name, want.color, want.description)
                        .await
                        .with_context(|| format!("creating the label `{name}` on {repo}"))?;
                }
                (Change::Update { .. }, Some(label)) => {
                    gh.update_label(repo, &label.name, want.color, want.description)
                        .await
                        .with_context(|| format!("updating the label `{name}` on {repo}"))?;
                }
                _ => {}
            }
        }
        match change {
            Change::Create => created += 1,
            Change::Update { .. } => updated += 1,
            Change::Unchanged => unchanged += 1,
        }
        writeln!(out, "{}", line(name, &change, args.dry_run))?;
    }
    writeln!(
        out,
        "{} label(s): {created} created, {updated} updated, {unchanged} unchanged{}",
        created + updated + unchanged,
        if args.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    )?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::labels::Label;
    use crate::recovery::state::Labels;

    #[test]
    fn every_label_has_a_valid_colour_and_a_short_description() {
        for (key, name) in Labels::default().all() {
            let s = style(key);
            assert!(
                s.color.len() == 6 && s.color.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')),
                "{key}: {}",
                s.color
            );
            assert!(
                !s.description.is_empty() && s.description.chars().count() <= MAX_DESCRIPTION_CHARS,
                "{name}: {}",
                s.description
            );
            assert_ne!(
                s.description, "Used by recovery-bot",
                "{key} has no style of its own"
            );
        }
    }

    #[test]
    fn changes_are_named() {
        let want = style("verified");
        let label = |color: &str, description: Option<&str>| Label {
            name: "Verified".into(),
            color: color.into(),
            description: description.map(str::to_owned),
        };
        assert_eq!(change(None, want), Change::Create);
        assert_eq!(
            change(Some(&label("0E8A16", Some(want.description))), want),
            Change::Unchanged
        );
        let c = change(Some(&label("ffffff", Some(want.description))), want);
        assert_eq!(line("verified", &c, false), "updated verified (colour)");
        let c = change(Some(&label("ffffff", None)), want);
        assert_eq!(
            line("verified", &c, true),
            "would update verified (colour, description)"
        );
        assert_eq!(
            line("needs-fix", &Change::Create, false),
            "created needs-fix"
        );
    }
}
