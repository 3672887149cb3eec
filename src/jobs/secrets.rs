//! Secrets pasted in public (a recovery code, an API token, a GitHub token,
//! a private key) in a request's body or a comment: recorded for admins by
//! kind only, replaced with `[redacted]` when `redact_secrets` is on (an
//! effect that reads the text again when it runs), and the person told what to
//! do. The secret itself is never stored, logged or repeated.

use sqlx::PgConnection;
use tracing::info;

use super::JobError;
use super::effects::IssueHandle;
use crate::recovery::effects::{Effect, RedactIn};
use crate::recovery::messages::{self, SecretPlace};
use crate::recovery::secrets;
use crate::store::requests::{self, Audit, Request, Sighting};

/// The issue's body: `body` is the one just read. Answers the warning for
/// the requester; `None` when the body holds no secret, or when this very
/// finding was already told.
pub async fn in_body(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &Request,
    body: Option<&str>,
) -> Result<Option<String>, JobError> {
    // The request's username, which may look like a recovery code, is
    // nobody's secret.
    let spare: Vec<String> = request.username.iter().cloned().collect();
    let kinds = secrets::kinds_sparing(body.unwrap_or(""), &spare);
    if kinds.is_empty() {
        return Ok(None);
    }
    let place = "body".to_owned();
    if already_told(issue, request, &place, &kinds) {
        return Ok(None);
    }
    let mut redacted = false;
    if issue.bot.redact_secrets
        && let Some(now) = issue.gh.issue(issue.repo, issue.number).await?
        && secrets::redact_sparing(now.body.as_deref().unwrap_or(""), &spare).is_some()
    {
        let effect = Effect::Redact {
            place: RedactIn::Body,
            spare,
        };
        issue.push(&mut *conn, effect).await?;
        redacted = true;
    }
    record(issue, conn, request, place, &kinds, redacted).await?;
    Ok(Some(messages::secret_warning(
        &request.author_login,
        &kinds,
        SecretPlace::Issue,
        redacted,
        &issue.bot.indexes.get(&request.index_key).name,
    )))
}

/// A comment just created or edited on the request; answers the warning
/// for its author.
pub async fn in_comment(
    issue: &mut IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &Request,
    comment_id: u64,
    author: &str,
    body: &str,
) -> Result<Option<String>, JobError> {
    let spare: Vec<String> = request.username.iter().cloned().collect();
    let kinds = secrets::kinds_sparing(body, &spare);
    let place = format!("comment:{comment_id}");
    if kinds.is_empty() || already_told(issue, request, &place, &kinds) {
        return Ok(None);
    }
    let mut redacted = false;
    if issue.bot.redact_secrets
        && let Some(now) = issue.gh.comment(issue.repo, comment_id).await?
        && secrets::redact_sparing(now.body.as_deref().unwrap_or(""), &spare).is_some()
    {
        let effect = Effect::Redact {
            place: RedactIn::Comment { comment_id },
            spare,
        };
        issue.push(&mut *conn, effect).await?;
        redacted = true;
    }
    record(issue, conn, request, place, &kinds, redacted).await?;
    Ok(Some(messages::secret_warning(
        author,
        &kinds,
        SecretPlace::Comment,
        redacted,
        &issue.bot.indexes.get(&request.index_key).name,
    )))
}

/// An edit that leaves an already-told secret in place (not redacted: the
/// operator turned that off) is not told again.
fn already_told(
    issue: &IssueHandle<'_>,
    request: &Request,
    place: &str,
    kinds: &[secrets::SecretKind],
) -> bool {
    !issue.bot.redact_secrets
        && request
            .secret_sightings()
            .iter()
            .any(|s| s.place == place && s.kinds == kinds && !s.redacted)
}

async fn record(
    issue: &IssueHandle<'_>,
    conn: &mut PgConnection,
    request: &Request,
    place: String,
    kinds: &[secrets::SecretKind],
    redacted: bool,
) -> Result<(), JobError> {
    let kind_names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    info!(place = %place, kinds = ?kind_names, redacted, "secret pasted in public");
    let audit = Audit {
        actor_id: None,
        actor_login: issue.bot.login.clone(),
        action: "secret_pasted".to_owned(),
        delivery_id: Some(issue.delivery_id.to_owned()),
        details: serde_json::json!({ "place": place, "kinds": kind_names, "redacted": redacted }),
    };
    let sighting = Sighting {
        place,
        kinds: kinds.to_vec(),
        redacted,
    };
    requests::record_secrets(&mut *conn, request, &sighting, &audit).await?;
    Ok(())
}
