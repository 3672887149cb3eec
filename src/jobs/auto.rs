//! `auto_verify`: when a request becomes valid (intake, an edit, a
//! reopen), the facts about its account are gathered and the core
//! (`recovery::auto`) decides whether the bot starts the round itself, in
//! the same job; the round is then stored and mailed exactly like an
//! admin's (`comments::start_round`), with the bot as actor.

use sqlx::PgConnection;
use tracing::{info, warn};

use super::JobError;
use super::effects::{IssueHandle, settle_duplicate, situation_now};
use super::proofs::start_round;
use super::round_facts::MAX_ROUND_REPOSITORIES;
use crate::recovery::auto::{self, AutoFacts, AutoRound, AutoVerify};
use crate::recovery::ownership;
use crate::recovery::state::State;
use crate::recovery::transitions::AccountCheck;
use crate::store::auto_rounds;
use crate::store::requests::{Audit, Request};
use crate::verify::Proof;
use crate::verify::directory::Account;

/// Starts the automatic round when the core says so; `known` is the account
/// when the caller has just looked it up. The request is returned as
/// stored afterwards. A directory that cannot answer starts nothing (the
/// round stays the admins').
pub async fn maybe_start(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    request: Request,
    known: Option<&Account>,
) -> Result<Request, JobError> {
    let bot = issue.bot;
    let pending =
        request.in_open_set() && request.state() == State::Pending && request.form_valid();
    let index = bot.indexes.get(&request.index_key);
    let (Some(_), Some(directory), Some(username), true, false) = (
        &bot.verifier,
        &index.directory,
        request.username.clone(),
        pending,
        bot.auto_verify == AutoVerify::Off,
    ) else {
        return Ok(request);
    };
    // The duplicate flag as it is now (the tracker sync would set it next).
    let request = settle_duplicate(conn, &request, &bot.login).await?;
    let looked_up;
    let account = match known.filter(|a| a.username.eq_ignore_ascii_case(&username)) {
        Some(a) => Some(a),
        None => match directory.lookup(&username).await {
            Ok(found) => {
                looked_up = found;
                looked_up.as_ref()
            }
            Err(e) => {
                warn!(request = request.id, error = %e, "no automatic round: the directory did not answer");
                return Ok(request);
            }
        },
    };
    auto_rounds::lock_account(&mut *conn, &index.key, &username).await?;
    let evidence = ownership::current(request.ownership.as_ref(), Some(&username));
    let repositories =
        account.map_or_else(Vec::new, |a| a.github_repositories(MAX_ROUND_REPOSITORIES));
    let facts = AutoFacts {
        mode: bot.auto_verify,
        pending,
        account_exists: account.is_some(),
        frozen: account.is_some_and(|a| a.frozen),
        verified_address: account.is_some_and(|a| a.address().is_some()),
        unused_recovery_codes: account.is_some_and(|a| a.facts().has_unused_codes()),
        duplicate: request.duplicate_of.is_some(),
        evidence_points_at_author: evidence
            .as_ref()
            .is_some_and(ownership::Evidence::passes_by_itself),
        linked_to_another: evidence
            .as_ref()
            .is_some_and(|e| e.linked == ownership::Linked::Other),
        live_round: auto_rounds::live_round(&mut *conn, &index.key, &username).await?,
        within_cooldown: auto_rounds::started_within(
            &mut *conn,
            &index.key,
            &username,
            bot.auto_verify_cooldown,
        )
        .await?,
        repositories: repositories.len(),
    };
    let (Some(round), Some(address)) = (auto::decide(&facts), account.and_then(Account::address))
    else {
        info!(request = request.id, ?facts, "no automatic round");
        return Ok(request);
    };
    start(issue, conn, request, round, address, repositories).await
}

/// The round, decided: stored, audited with the bot as actor, mailed after
/// the job commits, and counted for the cooldown.
async fn start(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    mut request: Request,
    round: AutoRound,
    address: &str,
    repositories: Vec<String>,
) -> Result<Request, JobError> {
    let bot = issue.bot;
    let mut sit = situation_now(conn, bot, &request, AccountCheck::Found).await?;
    sit.account_repos = repositories.len();
    let outcome = auto::start(&sit, round, &bot.login);
    if !outcome.ok {
        info!(
            request = request.id,
            action = outcome.action,
            "automatic round refused"
        );
        return Ok(request);
    }
    let audit = Audit {
        actor_id: None,
        actor_login: bot.login.clone(),
        action: outcome.action.to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({ "automatic": true, "mode": bot.auto_verify.as_str() }),
    };
    issue.apply(conn, &mut request, &outcome, &audit).await?;
    let proof = match round {
        AutoRound::Email => Proof::Link,
        AutoRound::Repo => Proof::Branch { repositories },
    };
    let key = format!("{}:auto", issue.delivery_id);
    start_round(issue, conn, &request, address, &key, &proof).await?;
    if let Some(username) = &request.username {
        auto_rounds::record(
            &mut *conn,
            &request.index_key,
            username,
            request.id,
            round.action(),
        )
        .await?;
    }
    info!(
        request = request.id,
        action = round.action(),
        "automatic round started"
    );
    Ok(request)
}
