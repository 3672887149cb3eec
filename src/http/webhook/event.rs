//! Which deliveries the bot keeps: a pure decision on the event name and the
//! payload, before anything is stored.

use crate::ids::IssueNumber;
use serde::Deserialize;

use crate::recovery::secrets;
use crate::store::deliveries::NewDelivery;
use crate::store::jobs::IssueKey;

/// `issues` actions that can change a request.
const ISSUE_ACTIONS: &[&str] = &[
    "opened",
    "edited",
    "labeled",
    "unlabeled",
    "closed",
    "reopened",
    "deleted",
    "transferred",
];

#[derive(Debug, PartialEq, Eq)]
pub enum Routing {
    /// Store and process it.
    Keep(Box<NewDelivery>),
    /// Acknowledge with 200 and forget it.
    Ignore(&'static str),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MalformedPayload {
    #[error("the body is not a JSON object: {0}")]
    NotJson(String),
    #[error("the payload has no {0}")]
    Missing(&'static str),
}

#[derive(Deserialize)]
struct Envelope {
    action: Option<String>,
    repository: Option<Repository>,
    issue: Option<EnvelopeIssue>,
    comment: Option<EnvelopeComment>,
    installation: Option<Installation>,
}

#[derive(Deserialize)]
struct EnvelopeComment {
    body: Option<String>,
}

#[derive(Deserialize)]
struct Repository {
    id: i64,
    full_name: String,
}

#[derive(Deserialize)]
struct EnvelopeIssue {
    number: IssueNumber,
}

#[derive(Deserialize)]
struct Installation {
    id: i64,
}

/// What to do with a verified delivery. `repo_allowed` is the operator's
/// allow-list.
pub fn decide(
    event: &str,
    hook_id: &str,
    delivery_id: &str,
    payload: &str,
    repo_allowed: impl Fn(&str) -> bool,
) -> Result<Routing, MalformedPayload> {
    let envelope: Envelope =
        serde_json::from_str(payload).map_err(|e| MalformedPayload::NotJson(e.to_string()))?;
    let action = envelope.action.as_deref().unwrap_or("");
    let wanted = match event {
        "issues" => ISSUE_ACTIONS.contains(&action),
        // Edits and deletions of comments never run commands; an edit is
        // kept only when it pastes a secret, so that it can be redacted.
        "issue_comment" => {
            action == "created"
                || action == "edited"
                    && envelope
                        .comment
                        .as_ref()
                        .and_then(|c| c.body.as_deref())
                        .is_some_and(|body| !secrets::kinds(body).is_empty())
        }
        _ => return Ok(Routing::Ignore("event not handled")),
    };
    if !wanted {
        return Ok(Routing::Ignore("action not handled"));
    }
    let repository = envelope
        .repository
        .ok_or(MalformedPayload::Missing("repository"))?;
    let issue = envelope.issue.ok_or(MalformedPayload::Missing("issue"))?;
    if !repo_allowed(&repository.full_name) {
        return Ok(Routing::Ignore("repository not in RECOVERY_BOT_REPOS"));
    }
    Ok(Routing::Keep(Box::new(NewDelivery {
        hook_id: hook_id.to_owned(),
        delivery_id: delivery_id.to_owned(),
        event: event.to_owned(),
        action: envelope.action,
        repository: Some(repository.full_name),
        repository_id: Some(repository.id),
        issue_number: Some(issue.number),
        installation_id: envelope.installation.map(|i| i.id),
        payload: payload.to_owned(),
    })))
}

/// The key that orders the delivery's job among its issue's.
pub fn issue_key(d: &NewDelivery) -> Option<IssueKey> {
    Some(IssueKey::new(d.repository_id?, d.issue_number?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPENED: &str = r#"{"action":"opened","issue":{"number":7},
        "repository":{"id":42,"full_name":"pypi/support"},"installation":{"id":9}}"#;

    #[test]
    fn keeps_issue_events_with_their_coordinates() {
        let Routing::Keep(d) = decide("issues", "1", "d-1", OPENED, |_| true).unwrap() else {
            panic!("ignored")
        };
        assert_eq!(d.repository.as_deref(), Some("pypi/support"));
        assert_eq!(d.issue_number, Some(7.into()));
        assert_eq!(d.installation_id, Some(9));
        assert_eq!(issue_key(&d), Some(IssueKey::new(42, 7.into())));
    }

    #[test]
    fn ignores_other_events_actions_and_repositories() {
        assert_eq!(
            decide("star", "1", "d", "{}", |_| true),
            Ok(Routing::Ignore("event not handled"))
        );
        let edited = OPENED.replace("opened", "assigned");
        assert!(matches!(
            decide("issues", "1", "d", &edited, |_| true),
            Ok(Routing::Ignore(_))
        ));
        let comment_edit = OPENED.replace("opened", "edited");
        assert!(matches!(
            decide("issue_comment", "1", "d", &comment_edit, |_| true),
            Ok(Routing::Ignore(_))
        ));
        // An edited comment is kept only when it now holds a secret.
        let edited = |body: &str| {
            serde_json::json!({
                "action": "edited",
                "issue": {"number": 7},
                "comment": {"id": 1, "body": body},
                "repository": {"id": 42, "full_name": "pypi/support"},
            })
            .to_string()
        };
        assert!(matches!(
            decide("issue_comment", "1", "d", &edited("typo fixed"), |_| true),
            Ok(Routing::Ignore(_))
        ));
        let token = format!("my token: ghp_{}", "Zx9".repeat(12));
        assert!(matches!(
            decide("issue_comment", "1", "d", &edited(&token), |_| true),
            Ok(Routing::Keep(_))
        ));
        assert!(matches!(
            decide("issues", "1", "d", OPENED, |_| false),
            Ok(Routing::Ignore(_))
        ));
    }

    #[test]
    fn malformed_payloads_are_errors() {
        assert!(matches!(
            decide("issues", "1", "d", "not json", |_| true),
            Err(MalformedPayload::NotJson(_))
        ));
        assert!(matches!(
            decide("issues", "1", "d", "[1,2]", |_| true),
            Err(MalformedPayload::NotJson(_))
        ));
        assert_eq!(
            decide(
                "issues",
                "1",
                "d",
                r#"{"action":"opened","issue":{"number":1}}"#,
                |_| true
            ),
            Err(MalformedPayload::Missing("repository"))
        );
    }
}
