//! The command line: `serve`, `migrate`, `check`, `triage`, `jobs`,
//! `requests`, `config check`, `labels sync`, `directory show`.
//!
//! `--config` is global; every other setting is a flag of the subcommands
//! that use it (the groups in `config/args.rs`), so each `--help` lists only its
//! own. [`Command::settings_args`] gathers what a subcommand's flags and
//! variables gave; [`Settings::load`] adds the file and the defaults.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{AllSettingsArgs, DatabaseArgs, LogArgs, Problems, Settings, SettingsArgs};
use crate::ids::IssueNumber;
use crate::recovery::state::State;
use crate::{app, store, telemetry};

#[derive(Parser, Debug)]
#[command(
    name = "recovery-bot",
    version,
    about = "Runs account-recovery requests on a GitHub support tracker"
)]
pub struct Cli {
    /// TOML file holding any setting not given as a flag or variable.
    #[arg(long, env = "RECOVERY_BOT_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// `check`'s exit codes, shown under its `--help`.
const CHECK_EXIT_CODES: &str = "\
Exit codes:
  0  every body is valid
  1  a body is invalid
  2  usage or read error";

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server and the job workers.
    Serve(ServeArgs),
    /// Apply the database migrations and exit.
    Migrate(StoreArgs),
    /// Parse and validate issue bodies offline (no database, no network).
    #[command(after_help = CHECK_EXIT_CODES)]
    Check(crate::check::CheckArgs),
    /// Read a repository's open intake issues and print what the bot would
    /// decide for each; writes nothing (no database needed).
    Triage(crate::triage::TriageArgs),
    /// Inspect and revive queued jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Inspect recovery requests, their checks and their history.
    #[command(subcommand)]
    Requests(RequestsCommand),
    /// Check the settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// How the queue is doing, from the database: open requests by state
    /// and the oldest's age, time to the bot's first answer and to an
    /// admin's first command (median, p90), decisions per week and by whom,
    /// links and branches sent and confirmed, reminders and closes.
    Report(ReportCommand),
    /// Manage the labels the bot uses on a tracker.
    #[command(subcommand)]
    Labels(LabelsCommand),
    /// Ask the configured account directory about an account.
    #[command(subcommand)]
    Directory(DirectoryCommand),
}

#[derive(Subcommand, Debug)]
pub enum DirectoryCommand {
    /// Print, as JSON, what the configured account directory (HTTP, file or
    /// Warehouse database) answers for a username; addresses hidden unless
    /// `--show-addresses`.
    #[command(after_help = crate::directory_show::AFTER_HELP)]
    Show(crate::directory_show::DirectoryShowArgs),
}

impl Command {
    /// The settings this subcommand's own flags and environment variables
    /// give; the rest come from the file (`config`) and the defaults.
    pub fn settings_args(&self, config: Option<PathBuf>) -> SettingsArgs {
        let mut to = SettingsArgs {
            config,
            ..Default::default()
        };
        match self {
            Command::Serve(a) => a.settings.clone().apply(&mut to),
            Command::Config(ConfigCommand::Check(a)) => a.settings.clone().apply(&mut to),
            Command::Migrate(a)
            | Command::Jobs(JobsCommand::List { store: a, .. })
            | Command::Jobs(JobsCommand::Retry { store: a, .. })
            | Command::Requests(RequestsCommand::List { store: a, .. })
            | Command::Requests(RequestsCommand::Show { store: a, .. })
            | Command::Report(ReportCommand { store: a, .. }) => a.clone().apply(&mut to),
            Command::Check(_) => {}
            Command::Triage(a) => {
                a.github.clone().apply(&mut to);
                a.directory.clone().apply(&mut to);
            }
            Command::Labels(LabelsCommand::Sync(a)) => a.github.clone().apply(&mut to),
            Command::Directory(DirectoryCommand::Show(a)) => a.directory.clone().apply(&mut to),
        }
        to
    }
}

/// `report`'s own options, and the database.
#[derive(Args, Debug, Clone)]
pub struct ReportCommand {
    #[command(flatten)]
    pub report: crate::report::ReportArgs,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// What a command that works on the database takes.
#[derive(Args, Debug, Clone, Default)]
pub struct StoreArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

impl StoreArgs {
    fn apply(self, to: &mut SettingsArgs) {
        let Self { database, log } = self;
        database.apply(to);
        log.apply(to);
    }
}

#[derive(clap::Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Shadow mode, for a trial beside admins working by hand: take
    /// deliveries, decide and store everything, but make no write call to
    /// GitHub and send no mail; `requests show` lists what would have been
    /// written.
    #[arg(
        long,
        env = "RECOVERY_BOT_DRY_RUN",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub dry_run: bool,
    #[command(flatten)]
    pub settings: AllSettingsArgs,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Load the settings as `serve` does (flags, environment, file,
    /// defaults), check them and the issue form, and print the effective
    /// settings with every secret redacted.
    #[command(after_help = crate::config_check::AFTER_HELP)]
    Check(crate::config_check::ConfigCheckArgs),
}

#[derive(Subcommand, Debug)]
pub enum LabelsCommand {
    /// Create or update every label the bot uses (intake, flags, one per
    /// state) with its colour and description; prints what changed.
    Sync(crate::labels_sync::LabelsSyncArgs),
}

#[derive(Subcommand, Debug)]
pub enum RequestsCommand {
    /// One line per request.
    List {
        /// Only requests in this state (incomplete, pending, awaiting_user,
        /// verified, approved, denied).
        #[arg(long, value_parser = parse_state)]
        state: Option<State>,
        /// Print one JSON object per request.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A request with its checks and its whole history.
    Show {
        /// `owner/repo#number`
        issue: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn parse_state(s: &str) -> Result<State, String> {
    State::parse(s).ok_or_else(|| {
        format!(
            "unknown state `{s}`; one of: {}",
            State::ALL.map(State::as_str).join(", ")
        )
    })
}

#[derive(Subcommand, Debug)]
pub enum JobsCommand {
    /// List pending and dead jobs.
    List {
        /// Only jobs in this status.
        #[arg(long, value_parser = ["pending", "dead"])]
        status: Option<String>,
        /// Print one JSON object per job.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Make a job runnable again now, with a fresh set of attempts.
    Retry {
        id: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(&cli.command.settings_args(cli.config.clone())) {
        Ok(s) => s,
        Err(e) => {
            report(&e);
            return ExitCode::from(2);
        }
    };
    match &cli.command {
        Command::Check(args) => {
            let rules = match crate::jobs::bot::load_rules(&settings) {
                Ok(r) => r,
                Err(e) => {
                    report(&e);
                    return ExitCode::from(crate::check::ERROR);
                }
            };
            let code = crate::check::run(
                args,
                &rules,
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            );
            return ExitCode::from(code);
        }
        Command::Triage(args) => return ExitCode::from(crate::triage::main(args, &settings)),
        Command::Config(ConfigCommand::Check(_)) => {
            return ExitCode::from(crate::config_check::main(&settings));
        }
        Command::Labels(LabelsCommand::Sync(args)) => {
            return ExitCode::from(crate::labels_sync::main(args, &settings));
        }
        Command::Directory(DirectoryCommand::Show(args)) => {
            return ExitCode::from(crate::directory_show::main(args, &settings));
        }
        _ => {}
    }
    telemetry::init_logs(settings.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("recovery-bot: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            if e.downcast_ref::<store::NotMigrated>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// An error on standard error: one line per problem of a config error,
/// else the error and its causes on one line.
fn report(e: &anyhow::Error) {
    match e.downcast_ref::<Problems>() {
        Some(Problems(problems)) => {
            for p in problems {
                eprintln!("recovery-bot: {p}");
            }
        }
        None => eprintln!("recovery-bot: {e:#}"),
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let mut settings = settings;
            settings.dry_run = args.dry_run;
            app::serve(settings).await?
        }
        // Handled in `main`, before any runtime or log set-up.
        Command::Check(_)
        | Command::Triage(_)
        | Command::Config(_)
        | Command::Labels(_)
        | Command::Directory(_) => {
            anyhow::bail!("this command runs on its own")
        }
        Command::Migrate(_) => {
            let pool = store::connect(settings.require_database_url()?, 2).await?;
            store::migrate(&pool).await?;
            println!("migrations applied");
        }
        Command::Jobs(JobsCommand::List { status, json, .. }) => {
            let pool = inspect(&settings).await?;
            let jobs = store::jobs::list(&pool, status.as_deref()).await?;
            for job in &jobs {
                if json {
                    println!("{}", serde_json::to_string(job)?);
                } else {
                    println!(
                        "{:>8}  {:<8} {:<18} {:<14} attempts {}/{}  run_at {}  {}",
                        job.id,
                        job.status,
                        job.kind,
                        job.issue_key.as_deref().unwrap_or("-"),
                        job.attempts,
                        job.max_attempts,
                        job.run_at.format("%Y-%m-%d %H:%M:%S"),
                        job.last_error.as_deref().unwrap_or("")
                    );
                }
            }
            if !json {
                println!("{} job(s)", jobs.len());
            }
        }
        Command::Requests(cmd) => {
            let pool = inspect(&settings).await?;
            return requests_command(&pool, cmd).await;
        }
        Command::Report(ReportCommand { report, .. }) => {
            let pool = inspect(&settings).await?;
            let r = store::report::report(&pool, report.since).await?;
            if report.format == "json" {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                print!("{}", crate::report::text(&r));
            }
        }
        Command::Jobs(JobsCommand::Retry { id, .. }) => {
            let pool = inspect(&settings).await?;
            let mut conn = pool.acquire().await?;
            if store::jobs::retry(&mut conn, id).await? {
                println!("job {id} will run again now");
            } else {
                eprintln!("recovery-bot: no job {id}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The database of a command that inspects it (`jobs`, `requests`,
/// `report`): never created or migrated here; without the bot's tables the
/// error says to run `migrate`, and the exit code is 2.
async fn inspect(settings: &Settings) -> anyhow::Result<sqlx::PgPool> {
    store::connect_existing(settings.require_database_url()?, 2).await
}

async fn requests_command(pool: &sqlx::PgPool, cmd: RequestsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        RequestsCommand::List { state, json, .. } => list_requests(pool, state, json).await,
        RequestsCommand::Show { issue, json, .. } => show_request(pool, &issue, json).await,
    }
}

/// `requests list`: one line (or JSON object) per request.
async fn list_requests(
    pool: &sqlx::PgPool,
    state: Option<State>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let list = crate::store::requests::list(pool, state).await?;
    for r in &list {
        if json {
            println!("{}", serde_json::to_string(r)?);
        } else {
            println!(
                "{}#{:<6} {:<14} {:<6} {:<24} by {:<20} updated {}",
                r.repository,
                r.issue_number,
                r.state,
                if r.issue_open { "open" } else { "closed" },
                r.username.as_deref().unwrap_or("-"),
                r.author_login,
                r.updated_at.format("%Y-%m-%d %H:%M")
            );
        }
    }
    if !json {
        println!("{} request(s)", list.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// `requests show owner/name#N`: the request, its checks, its history and,
/// in shadow mode, what the bot would have written.
async fn show_request(pool: &sqlx::PgPool, issue: &str, json: bool) -> anyhow::Result<ExitCode> {
    use crate::store::requests;
    let Some((repo, number)) = issue
        .rsplit_once('#')
        .and_then(|(r, n)| Some((r, n.parse::<IssueNumber>().ok()?)))
    else {
        eprintln!("recovery-bot: expected owner/repo#number, got `{issue}`");
        return Ok(ExitCode::from(2));
    };
    let Some(r) = requests::get_by_issue(pool, repo, number).await? else {
        eprintln!("recovery-bot: no request for {issue}");
        return Ok(ExitCode::from(1));
    };
    let checks = requests::checks(pool, r.id).await?;
    let history = requests::history(pool, r.id).await?;
    let effects = crate::store::shadow::for_issue(pool, &r.repository, r.issue_number).await?;
    let must_look = admin_must_look(&r);
    if json {
        let v = serde_json::json!({
            "request": r, "checks": checks, "history": history, "would_be_effects": effects,
            "admin_must_look": must_look,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_request(&r, &checks, &history);
        if !must_look.is_empty() {
            println!(
                "\nadmin must look before any proof is sent: {}",
                must_look.join("; ")
            );
        }
        print_would_be_effects(&effects);
    }
    Ok(ExitCode::SUCCESS)
}

/// Why an admin must look at the account first (facts the tracker never
/// shows), from the stored evidence and account facts.
fn admin_must_look(r: &crate::store::requests::Request) -> Vec<&'static str> {
    use crate::recovery::ownership;
    let evidence = ownership::current(r.ownership.as_ref(), r.username.as_deref());
    ownership::cautions(evidence.as_ref(), r.account_facts().as_ref())
        .into_iter()
        .map(ownership::Caution::reason)
        .collect()
}

fn print_request(
    r: &crate::store::requests::Request,
    checks: &[crate::store::requests::Check],
    history: &[crate::store::requests::AuditRow],
) {
    println!(
        "{}#{}  state {}  issue {}",
        r.repository,
        r.issue_number,
        r.state,
        if r.issue_open { "open" } else { "closed" }
    );
    println!("requester  {} (id {})", r.author_login, r.author_id);
    println!("username   {}", r.username.as_deref().unwrap_or("-"));
    println!("index      {}", r.index_key);
    println!(
        "opened     {}",
        r.created_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    println!("\nchecks:");
    if checks.is_empty() {
        println!("  (none)");
    }
    for c in checks {
        println!(
            "  {:<20} {:<7} by {:<20} {}  {}",
            c.name,
            c.status.as_str(),
            c.actor_login.as_deref().unwrap_or("-"),
            c.updated_at.format("%Y-%m-%d %H:%M:%S"),
            c.note.as_deref().unwrap_or("")
        );
    }
    println!("\nhistory:");
    for h in history {
        println!(
            "  {}  {:<20} {:<18} {:>13} -> {:<13} delivery {}",
            h.created_at.format("%Y-%m-%d %H:%M:%S"),
            h.actor_login,
            h.action,
            h.from_state.as_deref().unwrap_or("-"),
            h.to_state.as_deref().unwrap_or("-"),
            h.delivery_id.as_deref().unwrap_or("-")
        );
    }
}

fn print_would_be_effects(effects: &[crate::store::shadow::StoredEffect]) {
    if effects.is_empty() {
        return;
    }
    println!("\nwould have written (dry run):");
    for e in effects {
        println!(
            "  {}  job {:<6} {}",
            e.created_at.format("%Y-%m-%d %H:%M:%S"),
            e.job_id,
            describe_effect(&e.kind, &e.detail)
        );
    }
}

/// One line for a would-be effect; a comment's text follows, indented.
fn describe_effect(kind: &str, detail: &serde_json::Value) -> String {
    let text = |key: &str| detail[key].as_str().unwrap_or("").to_owned();
    let list = |key: &str| {
        detail[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let indented = |body: String| {
        body.lines()
            .map(|l| format!("      | {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match kind {
        "add_labels" => format!("add labels: {}", list("labels")),
        "remove_label" => format!("remove label: {}", text("label")),
        "create_comment" => format!("comment:\n{}", indented(text("body"))),
        "update_comment" => format!(
            "edit comment {}:\n{}",
            detail["comment_id"],
            indented(text("body"))
        ),
        "react" => format!(
            "react {} to comment {}",
            text("content"),
            detail["comment_id"]
        ),
        "set_issue_state" => format!(
            "set the issue {} {}",
            text("state"),
            detail["state_reason"].as_str().unwrap_or("")
        ),
        "set_issue_body" => "replace the issue's body, with a secret redacted".to_owned(),
        "mail" => format!(
            "email a confirmation link for the account {}",
            text("username")
        ),
        "recover" => format!(
            "ask the index{} to reset the account {} (2FA and password)",
            detail["index"]
                .as_str()
                .map(|i| format!(" {i}"))
                .unwrap_or_default(),
            text("username")
        ),
        other => format!("{other}: {detail}"),
    }
}
