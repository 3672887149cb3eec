//! The command line: `serve`, `migrate`, `jobs list|retry`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Settings, SettingsArgs};
use crate::{app, store, telemetry};

#[derive(Parser, Debug)]
#[command(
    name = "recovery-bot",
    version,
    about = "Runs account-recovery requests on a GitHub support tracker"
)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server and the job workers.
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Inspect and revive queued jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
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
    },
    /// Make a job runnable again now, with a fresh set of attempts.
    Retry { id: i64 },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(&cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("recovery-bot: {e:#}");
            return ExitCode::from(2);
        }
    };
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
            eprintln!("recovery-bot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => app::serve(settings).await?,
        Command::Migrate => {
            let pool = store::connect(settings.require_database_url()?, 2).await?;
            store::migrate(&pool).await?;
            println!("migrations applied");
        }
        Command::Jobs(JobsCommand::List { status, json }) => {
            let pool = store::connect(settings.require_database_url()?, 2).await?;
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
        Command::Jobs(JobsCommand::Retry { id }) => {
            let pool = store::connect(settings.require_database_url()?, 2).await?;
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
