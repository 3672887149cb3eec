//! What a command needs from the account directory: for `/verify-email`
//! and `/verify-repo` the account's address and the round's repositories,
//! for `/approve` whether the account may still be recovered; and the
//! account's facts as answered now, stored with the request.

use sqlx::PgConnection;
use tracing::warn;

use super::JobError;
use super::effects::IssueHandle;
use crate::commands::{Command, ParseError};
use crate::recovery::ownership::AccountFacts;
use crate::recovery::transitions::AccountCheck;
use crate::store::requests::{self, Request};
use crate::verify::directory::{Account, DirectoryError};

/// The most repositories a `/verify-repo` round names (and looks in): the
/// mail stays readable and each look-up costs at most this many calls.
pub const MAX_ROUND_REPOSITORIES: usize = 5;

/// What `/verify-email` and `/verify-repo` need from the directory: the
/// account's address and its projects' repositories.
#[derive(Default)]
pub(super) struct RoundFacts {
    pub account: Option<AccountCheck>,
    pub address: Option<String>,
    pub repositories: Vec<String>,
    /// The account's facts as the directory answered now (stored, so that
    /// the status comment and `requests show` follow them).
    facts: Option<AccountFacts>,
}

pub(super) async fn round_facts(
    issue: &IssueHandle<'_>,
    request: &Request,
    command: &Result<Command, ParseError>,
) -> Result<RoundFacts, JobError> {
    let bot = issue.bot;
    // The directory of the index the request is for now.
    let directory = &bot.indexes.get(&request.index_key).directory;
    if let (Ok(Command::Approve { .. }), Some(directory), Some(username)) =
        (command, directory, &request.username)
    {
        return Ok(approve_facts(directory.lookup(username).await));
    }
    let (Ok(Command::VerifyEmail | Command::VerifyRepo), Some(_), Some(directory), Some(username)) =
        (command, &bot.verifier, directory, &request.username)
    else {
        return Ok(RoundFacts::default());
    };
    let Some(account) = directory.lookup(username).await? else {
        return Ok(RoundFacts {
            account: Some(AccountCheck::Missing),
            ..RoundFacts::default()
        });
    };
    let address = account.address().map(str::to_owned);
    Ok(RoundFacts {
        account: Some(if address.is_some() {
            AccountCheck::Found
        } else {
            AccountCheck::NoAddress
        }),
        address,
        repositories: account.github_repositories(MAX_ROUND_REPOSITORIES),
        facts: Some(account.facts()),
    })
}

/// `/approve` asks the directory again: the account must still be there,
/// not frozen, with a primary address. An answer it cannot give (unreachable, 5xx,
/// malformed) refuses the approval, and the admin is told to try again.
fn approve_facts(answer: Result<Option<Account>, DirectoryError>) -> RoundFacts {
    let facts = answer
        .as_ref()
        .ok()
        .and_then(|a| a.as_ref())
        .map(Account::facts);
    let account = match answer {
        Ok(Some(a)) if a.frozen => AccountCheck::Frozen,
        Ok(Some(a)) if a.has_primary() => AccountCheck::Found,
        Ok(Some(_)) => AccountCheck::NoAddress,
        Ok(None) => AccountCheck::Missing,
        Err(e) => {
            warn!(error = %e, "the account directory cannot answer for /approve");
            AccountCheck::Unavailable
        }
    };
    RoundFacts {
        account: Some(account),
        facts,
        ..RoundFacts::default()
    }
}

impl RoundFacts {
    /// Stores the account's facts as the directory answered them now, when
    /// they changed (`request` reloaded); true when they did.
    pub(super) async fn store(
        &self,
        conn: &mut PgConnection,
        request: &mut Request,
    ) -> Result<bool, JobError> {
        let Some(now) = &self.facts else {
            return Ok(false);
        };
        if request.account_facts().as_ref() == Some(now) {
            return Ok(false);
        }
        requests::set_account_facts(&mut *conn, request.id, Some(now)).await?;
        if let Some(reloaded) = requests::lock(&mut *conn, request.id).await? {
            *request = reloaded;
        }
        Ok(true)
    }
}
