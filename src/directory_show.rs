//! `recovery-bot directory show <username>`: prints, as JSON, exactly what
//! the configured account directory (HTTP, file or Warehouse) answers, for
//! operators checking a set-up and admins checking a request. Email
//! addresses are shown only with `--show-addresses`.

use clap::Args;

use crate::config::Settings;
use crate::verify::directory::{Account, Directory};

pub const FOUND: u8 = 0;
pub const NO_SUCH_ACCOUNT: u8 = 1;
pub const ERROR: u8 = 2;

pub const AFTER_HELP: &str = "\
Exit codes:
  0  the account was found: its answer is printed as JSON
  1  the directory has no such account
  2  no directory configured, or the directory could not answer";

/// Shown in place of each address without `--show-addresses`.
pub const HIDDEN: &str = "[hidden]";

#[derive(Args, Debug, Clone)]
pub struct DirectoryShowArgs {
    /// The index username to look up.
    pub username: String,
    /// Print the email addresses too (hidden by default).
    #[arg(long)]
    pub show_addresses: bool,
    /// The index to ask: an `[indexes.<key>]` table's key (or its
    /// `index_name`); the default index when not given. A config without
    /// tables describes one index, named by its `index_name`.
    #[arg(long, value_name = "NAME")]
    pub index: Option<String>,
    #[command(flatten)]
    pub directory: crate::config::DirectoryArgs,
}

/// Runs the lookup on its own runtime; returns the exit code.
pub fn main(args: &DirectoryShowArgs, settings: &Settings) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("recovery-bot directory show: cannot start the runtime: {e}");
            return ERROR;
        }
    };
    let indexes = settings.indexes();
    let index = match args.index.as_deref() {
        None => indexes.default_index(),
        Some(name) => match indexes.named(name) {
            Some(index) => index,
            None => {
                let known: Vec<&str> = indexes.iter().map(|i| i.key.as_str()).collect();
                let known = match indexes.from_tables() {
                    true => known,
                    false => vec![indexes.default_index().name.as_str()],
                };
                eprintln!(
                    "recovery-bot directory show: no index {name:?}: this configuration has {known:?}"
                );
                return ERROR;
            }
        },
    };
    let setting = match indexes.from_tables() {
        true => format!("[indexes.{}] directory_url", index.key),
        false => "ACCOUNT_DIRECTORY_URL".to_owned(),
    };
    let Some(url) = index.directory_url.as_deref() else {
        eprintln!("recovery-bot directory show: no account directory: set {setting}");
        return ERROR;
    };
    runtime.block_on(async {
        let directory = match Directory::new(url, index.directory_token.clone()) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("recovery-bot directory show: {setting}: {e:#}");
                return ERROR;
            }
        };
        match directory.lookup(&args.username).await {
            Ok(Some(account)) => print(account, args.show_addresses),
            Ok(None) => {
                eprintln!("recovery-bot directory show: no such account");
                NO_SUCH_ACCOUNT
            }
            Err(e) => {
                eprintln!("recovery-bot directory show: {e}");
                ERROR
            }
        }
    })
}

fn print(mut account: Account, show_addresses: bool) -> u8 {
    if !show_addresses {
        for email in &mut account.emails {
            email.address = HIDDEN.to_owned();
        }
    }
    match serde_json::to_string_pretty(&account) {
        Ok(json) => {
            println!("{json}");
            FOUND
        }
        Err(e) => {
            eprintln!("recovery-bot directory show: {e}");
            ERROR
        }
    }
}
