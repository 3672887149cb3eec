//! The `requests` table (the `request_checks` and `audit_log` queries live in
//! `checks` and `audit` and are re-exported here). Every function
//! that changes a request or its checks writes its audit row in the same
//! transaction (the callers pass a connection inside one): there is no path
//! that changes a request without a log row.

use crate::ids::IssueNumber;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{FromRow, PgConnection, PgExecutor};

use super::audit::log;
pub use super::audit::{Audit, AuditRow, history, record};
pub use super::checks::{Check, checks, reset_checks, set_check};
use super::tokens::{self, Revocation};
use crate::recovery::moves::{Before, Move};
use crate::recovery::ownership::AccountFacts;
use crate::recovery::secrets::SecretKind;
use crate::recovery::state::State;
use crate::recovery::transitions::Awaiting;

/// A secret pasted in public: where, what kinds (never the secret), and
/// whether the bot replaced it with `[redacted]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Sighting {
    /// `body`, or `comment:<id>`.
    pub place: String,
    pub kinds: Vec<SecretKind>,
    pub redacted: bool,
}

#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Request {
    pub id: i64,
    pub repository: String,
    pub repository_id: i64,
    pub issue_number: IssueNumber,
    pub author_id: i64,
    pub author_login: String,
    pub username: Option<String>,
    pub fields: serde_json::Value,
    pub problems: serde_json::Value,
    pub body_hash: String,
    pub state: State,
    pub issue_open: bool,
    pub awaiting_reason: Option<Awaiting>,
    pub duplicate_of: Option<i64>,
    pub status_comment_id: Option<i64>,
    pub installation_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The issue's `updated_at` of the newest version whose body was read.
    pub issue_updated_at: Option<DateTime<Utc>>,
    /// The username changed; admins are warned until their next command.
    pub username_changed: bool,
    /// The issue was deleted or transferred away.
    pub removed_at: Option<DateTime<Utc>>,
    /// The ownership evidence shown to admins (`recovery::ownership::Evidence`).
    pub ownership: Option<serde_json::Value>,
    pub fasttrack: bool,
    /// The state before the request was withdrawn.
    pub state_before: Option<State>,
    /// When an admin first acted on the request.
    pub admin_answered_at: Option<DateTime<Utc>>,
    /// What the account directory said (`recovery::ownership::AccountFacts`).
    pub account_facts: Option<serde_json::Value>,
    /// Secrets pasted in public (`Sighting`s): kinds only.
    pub secrets: serde_json::Value,
    /// The requester's last edit or comment.
    pub requester_active_at: Option<DateTime<Utc>>,
    /// When the state last changed.
    pub state_changed_at: DateTime<Utc>,
    /// When the one reminder was posted (cleared by activity).
    pub reminded_at: Option<DateTime<Utc>>,
    /// When the bot last looked for a `/verify-repo` branch.
    pub repo_checked_at: Option<DateTime<Utc>>,
    /// The issue's `updated_at` of the edit that last changed the username,
    /// the index or whether the form is valid: an admin's command written
    /// before it is refused (`recovery::bound`).
    pub form_changed_at: Option<DateTime<Utc>>,
    /// The index the request is for (`[indexes.<key>]`; `default` with
    /// one): with the username, the account it names.
    pub index_key: String,
}

impl Request {
    pub fn state(&self) -> State {
        self.state
    }

    /// What a move starts from.
    pub fn before(&self) -> Before {
        Before {
            state: self.state,
            awaiting: self.awaiting_reason,
            state_before: self.state_before,
        }
    }

    /// The form was read from the template and has no problem.
    pub fn form_valid(&self) -> bool {
        self.problems["from_form"].as_bool().unwrap_or(false)
            && self.problems["items"]
                .as_array()
                .is_none_or(|items| items.is_empty())
    }

    pub fn state_before(&self) -> Option<State> {
        self.state_before
    }

    pub fn account_facts(&self) -> Option<AccountFacts> {
        self.account_facts
            .as_ref()
            .and_then(|v| serde_json::from_value(v.clone()).ok())
    }

    pub fn secret_sightings(&self) -> Vec<Sighting> {
        serde_json::from_value(self.secrets.clone()).unwrap_or_default()
    }

    /// Still one of the repository's open requests.
    pub fn in_open_set(&self) -> bool {
        self.issue_open && self.removed_at.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct FormData {
    pub username: Option<String>,
    /// The index the form (or the issue's label) picks.
    pub index_key: String,
    pub fields: serde_json::Value,
    pub problems: serde_json::Value,
    pub body_hash: String,
}

/// The request of an issue, locked for the rest of the transaction.
pub async fn lock_by_issue(
    conn: &mut PgConnection,
    repository_id: i64,
    issue_number: IssueNumber,
) -> sqlx::Result<Option<Request>> {
    sqlx::query_as(
        "SELECT * FROM requests WHERE repository_id = $1 AND issue_number = $2 FOR NO KEY UPDATE",
    )
    .bind(repository_id)
    .bind(issue_number)
    .fetch_optional(conn)
    .await
}

pub async fn get(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Request>> {
    sqlx::query_as("SELECT * FROM requests WHERE id = $1")
        .bind(id)
        .fetch_optional(e)
        .await
}

pub async fn lock(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<Request>> {
    sqlx::query_as("SELECT * FROM requests WHERE id = $1 FOR NO KEY UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Remembers which GitHub App installation the issue belongs to.
pub async fn set_installation(
    e: impl PgExecutor<'_>,
    id: i64,
    installation_id: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE requests SET installation_id = $2 WHERE id = $1 AND installation_id IS DISTINCT FROM $2")
        .bind(id)
        .bind(installation_id)
        .execute(e)
        .await?;
    Ok(())
}

/// Every repository with requests, and an installation it was reached by.
pub async fn known_repositories(
    e: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<(String, Option<i64>)>> {
    sqlx::query_as(
        "SELECT repository, max(installation_id) FROM requests GROUP BY repository ORDER BY repository",
    )
    .fetch_all(e)
    .await
}

pub async fn get_by_issue(
    e: impl PgExecutor<'_>,
    repository: &str,
    issue_number: IssueNumber,
) -> sqlx::Result<Option<Request>> {
    sqlx::query_as(
        "SELECT * FROM requests WHERE lower(repository) = lower($1) AND issue_number = $2",
    )
    .bind(repository)
    .bind(issue_number)
    .fetch_optional(e)
    .await
}

pub struct NewRequest<'a> {
    pub repository: &'a str,
    pub repository_id: i64,
    pub issue_number: IssueNumber,
    pub author_id: i64,
    pub author_login: &'a str,
    pub form: &'a FormData,
    pub state: State,
    pub duplicate_of: Option<i64>,
}

pub async fn insert(
    conn: &mut PgConnection,
    r: &NewRequest<'_>,
    audit: &Audit,
) -> sqlx::Result<Request> {
    let request: Request = sqlx::query_as(
        "INSERT INTO requests
             (repository, repository_id, issue_number, author_id, author_login,
              username, fields, problems, body_hash, state, duplicate_of, index_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING *",
    )
    .bind(r.repository)
    .bind(r.repository_id)
    .bind(r.issue_number)
    .bind(r.author_id)
    .bind(r.author_login)
    .bind(&r.form.username)
    .bind(&r.form.fields)
    .bind(&r.form.problems)
    .bind(&r.form.body_hash)
    .bind(r.state.as_str())
    .bind(r.duplicate_of)
    .bind(&r.form.index_key)
    .fetch_one(&mut *conn)
    .await?;
    log(conn, request.id, None, Some(r.state), audit).await?;
    Ok(request)
}

/// Stores a new reading of the form, and the move it leads to
/// (`Move::form_read`: a new account, a username or an index, ends the
/// request's rounds, and admins are warned until their next command).
pub async fn update_form(
    conn: &mut PgConnection,
    request: &Request,
    form: &FormData,
    to: &Move,
    username_changed: bool,
    audit: &Audit,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE requests
         SET username = $2, fields = $3, problems = $4, body_hash = $5,
             username_changed = username_changed OR $6, index_key = $7
         WHERE id = $1",
    )
    .bind(request.id)
    .bind(&form.username)
    .bind(&form.fields)
    .bind(&form.problems)
    .bind(&form.body_hash)
    .bind(username_changed)
    .bind(&form.index_key)
    .execute(&mut *conn)
    .await?;
    apply(conn, request, to, request.issue_open, audit).await
}

/// The edit of the issue at `at` (its `updated_at`; now when GitHub gave
/// none) changed the username, the index or whether the form is valid.
/// Never goes back.
pub async fn mark_form_changed(
    e: impl PgExecutor<'_>,
    id: i64,
    at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE requests SET form_changed_at = GREATEST(form_changed_at, COALESCE($2, now()))
         WHERE id = $1",
    )
    .bind(id)
    .bind(at)
    .execute(e)
    .await?;
    Ok(())
}

/// Remembers the newest version of the issue whose body was read (never
/// goes back), by GitHub's `updated_at`.
pub async fn seen_version(
    e: impl PgExecutor<'_>,
    id: i64,
    updated_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE requests SET issue_updated_at = GREATEST(issue_updated_at, $2)
         WHERE id = $1 AND $2::timestamptz IS NOT NULL",
    )
    .bind(id)
    .bind(updated_at)
    .execute(e)
    .await?;
    Ok(())
}

/// An admin answered the request (a command or a comment): it leaves the
/// queue that requesters are told about.
pub async fn mark_admin_answered(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE requests SET admin_answered_at = now() WHERE id = $1 AND admin_answered_at IS NULL",
    )
    .bind(id)
    .execute(e)
    .await?;
    Ok(())
}

/// What the account directory said about the account now.
pub async fn set_account_facts(
    e: impl PgExecutor<'_>,
    id: i64,
    facts: Option<&AccountFacts>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE requests SET account_facts = $2 WHERE id = $1")
        .bind(id)
        .bind(facts.and_then(|f| serde_json::to_value(f).ok()))
        .execute(e)
        .await?;
    Ok(())
}

/// Records a secret pasted in public (replacing an earlier sighting at the
/// same place), with its audit row; the kinds only, never the secret.
pub async fn record_secrets(
    conn: &mut PgConnection,
    request: &Request,
    sighting: &Sighting,
    audit: &Audit,
) -> sqlx::Result<()> {
    let mut all = request.secret_sightings();
    all.retain(|s| s.place != sighting.place);
    all.push(sighting.clone());
    sqlx::query("UPDATE requests SET secrets = $2 WHERE id = $1")
        .bind(request.id)
        .bind(serde_json::to_value(&all).unwrap_or_default())
        .execute(&mut *conn)
        .await?;
    record(conn, request, audit).await
}

/// Whether the request's history has an entry with `action`.
pub async fn has_action(e: impl PgExecutor<'_>, id: i64, action: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM audit_log WHERE request_id = $1 AND action = $2)",
    )
    .bind(id)
    .bind(action)
    .fetch_one(e)
    .await
}

/// An admin acted on the request: the username warning has been seen.
pub async fn clear_username_warning(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE requests SET username_changed = FALSE WHERE id = $1 AND username_changed")
        .bind(id)
        .execute(e)
        .await?;
    Ok(())
}

/// Stores the ownership evidence and whether it puts the request on the
/// fast track.
pub async fn set_ownership(
    e: impl PgExecutor<'_>,
    id: i64,
    evidence: Option<&serde_json::Value>,
    fasttrack: bool,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE requests SET ownership = $2, fasttrack = $3 WHERE id = $1")
        .bind(id)
        .bind(evidence)
        .bind(fasttrack)
        .execute(e)
        .await?;
    Ok(())
}

/// Points the request at the earlier open request for the same account (or
/// at none), with its audit row.
pub async fn set_duplicate(
    conn: &mut PgConnection,
    request: &Request,
    duplicate_of: Option<i64>,
    audit: &Audit,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE requests SET duplicate_of = $2, updated_at = now() WHERE id = $1")
        .bind(request.id)
        .bind(duplicate_of)
        .execute(&mut *conn)
        .await?;
    record(conn, request, audit).await
}

/// The issue was deleted or transferred away: it leaves the open requests,
/// and its links stop working.
pub async fn mark_removed(
    conn: &mut PgConnection,
    request: &Request,
    audit: &Audit,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE requests SET issue_open = FALSE, removed_at = now(), updated_at = now() WHERE id = $1",
    )
    .bind(request.id)
    .execute(&mut *conn)
    .await?;
    tokens::revoke(&mut *conn, request.id, None, Revocation::Removed).await?;
    record(conn, request, audit).await
}

/// A request marked removed whose issue GitHub shows again: one of the
/// repository's requests again, its issue `open` or not. Its links stay
/// revoked.
pub async fn mark_restored(
    conn: &mut PgConnection,
    request: &Request,
    open: bool,
    audit: &Audit,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE requests SET issue_open = $2, removed_at = NULL, updated_at = now() WHERE id = $1",
    )
    .bind(request.id)
    .bind(open)
    .execute(&mut *conn)
    .await?;
    record(conn, request, audit).await
}

/// Forgets the status comments shadow mode pretended to write (their ids
/// have `store::shadow::SYNTHETIC_BIT` set) and returns the requests that
/// had one.
pub async fn forget_shadow_comments(conn: &mut PgConnection) -> sqlx::Result<Vec<Request>> {
    sqlx::query_as(
        "UPDATE requests SET status_comment_id = NULL
         WHERE status_comment_id >= $1
         RETURNING *",
    )
    .bind(i64::try_from(crate::store::shadow::SYNTHETIC_BIT).unwrap_or(i64::MAX))
    .fetch_all(conn)
    .await
}

/// The repository's requests that are still open (issue open, not
/// removed).
pub async fn open_in_repository(
    e: impl PgExecutor<'_>,
    repository_id: i64,
) -> sqlx::Result<Vec<Request>> {
    sqlx::query_as(
        "SELECT * FROM requests WHERE repository_id = $1 AND issue_open AND removed_at IS NULL
         ORDER BY issue_number",
    )
    .bind(repository_id)
    .fetch_all(e)
    .await
}

/// The requests flagged as duplicates of `id`.
pub async fn duplicates_of(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Vec<Request>> {
    sqlx::query_as("SELECT * FROM requests WHERE duplicate_of = $1 ORDER BY id")
        .bind(id)
        .fetch_all(e)
        .await
}

/// Moves a request as `to` says (and records whether its issue is open).
pub async fn set_state(
    conn: &mut PgConnection,
    request: &Request,
    to: &Move,
    issue_open: bool,
    audit: &Audit,
) -> sqlx::Result<()> {
    apply(conn, request, to, issue_open, audit).await
}

/// Writes a decided move: the state and what travels with it, the links
/// it ends, and the audit row.
async fn apply(
    conn: &mut PgConnection,
    request: &Request,
    to: &Move,
    issue_open: bool,
    audit: &Audit,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE requests SET state = $2, awaiting_reason = $3, issue_open = $4,
             state_before = $5, updated_at = now(),
             state_changed_at = CASE WHEN $6 THEN now() ELSE state_changed_at END,
             reminded_at = CASE WHEN $6 THEN NULL ELSE reminded_at END
         WHERE id = $1",
    )
    .bind(request.id)
    .bind(to.to.as_str())
    .bind(to.awaiting.map(Awaiting::as_str))
    .bind(issue_open)
    .bind(to.state_before.map(State::as_str))
    .bind(to.restarts_clock)
    .execute(&mut *conn)
    .await?;
    if let Some(why) = to.ends_rounds {
        tokens::revoke(&mut *conn, request.id, None, why).await?;
    }
    log(conn, request.id, Some(to.from), Some(to.to), audit).await
}

pub async fn issue_number_of(e: impl PgExecutor<'_>, request_id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("SELECT issue_number FROM requests WHERE id = $1")
        .bind(request_id)
        .fetch_optional(e)
        .await
}

/// How many open, valid requests of the repository were opened before this
/// one and are not decided yet.
pub async fn ahead_of(e: impl PgExecutor<'_>, request: &Request) -> sqlx::Result<i64> {
    // As pypi/support's own workflow counts: the open requests no admin has
    // answered yet.
    sqlx::query_scalar(
        "SELECT count(*) FROM requests
         WHERE repository_id = $1 AND issue_open AND removed_at IS NULL AND issue_number < $2
           AND state IN ('pending', 'awaiting_user', 'verified') AND admin_answered_at IS NULL",
    )
    .bind(request.repository_id)
    .bind(request.issue_number)
    .fetch_one(e)
    .await
}

/// Bookkeeping: which comment is the bot's status comment.
pub async fn set_status_comment(
    e: impl PgExecutor<'_>,
    request_id: i64,
    comment_id: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE requests SET status_comment_id = $2 WHERE id = $1")
        .bind(request_id)
        .bind(comment_id)
        .execute(e)
        .await?;
    Ok(())
}

/// The repository's open requests that may name the same account as
/// `username` on index `index_key` (`recovery::intake::duplicate_of`
/// judges): id, issue number, username.
pub async fn open_for_account(
    e: impl PgExecutor<'_>,
    repository_id: i64,
    index_key: &str,
    username: &str,
) -> sqlx::Result<Vec<(i64, IssueNumber, Option<String>)>> {
    sqlx::query_as(
        "SELECT id, issue_number, username FROM requests
         WHERE repository_id = $1 AND issue_open AND removed_at IS NULL
           AND index_key = $3 AND lower(username) = lower($2)",
    )
    .bind(repository_id)
    .bind(username)
    .bind(index_key)
    .fetch_all(e)
    .await
}

pub async fn list(e: impl PgExecutor<'_>, state: Option<State>) -> sqlx::Result<Vec<Request>> {
    sqlx::query_as(
        "SELECT * FROM requests WHERE ($1::text IS NULL OR state = $1)
         ORDER BY repository, issue_number LIMIT 10000",
    )
    .bind(state.map(State::as_str))
    .fetch_all(e)
    .await
}
