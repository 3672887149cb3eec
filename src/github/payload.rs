//! The parts of GitHub's webhook payloads the bot reads. Unknown fields are
//! ignored; anything the bot needs and cannot find makes the payload
//! malformed, which the job reports instead of panicking.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct User {
    pub login: String,
    pub id: u64,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

impl User {
    /// Bots (GitHub Apps, `[bot]` accounts) never run commands.
    pub fn is_bot(&self) -> bool {
        self.kind.as_deref() == Some("Bot") || self.login.ends_with("[bot]")
    }
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Label {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub id: i64,
    pub full_name: String,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Issue {
    pub number: crate::ids::IssueNumber,
    #[serde(default)]
    pub body: Option<String>,
    pub user: User,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default)]
    pub state: Option<String>,
    /// Present when the "issue" is a pull request.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
    #[serde(default)]
    pub html_url: Option<String>,
    /// When the issue last changed: orders versions of it.
    #[serde(default)]
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Issue {
    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name.clone()).collect()
    }

    pub fn has_label(&self, name: &str) -> bool {
        self.labels
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    pub user: User,
    /// When the comment was written: an admin's command is bound to the
    /// request as it was then.
    #[serde(default)]
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// An `issues` delivery.
#[derive(Debug, Clone, Deserialize)]
pub struct IssuesEvent {
    pub action: String,
    pub issue: Issue,
    pub repository: Repository,
    pub sender: User,
    /// The label added or removed, for `labeled` / `unlabeled`.
    #[serde(default)]
    pub label: Option<Label>,
}

/// An `issue_comment` delivery.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueCommentEvent {
    pub action: String,
    pub issue: Issue,
    pub comment: Comment,
    pub repository: Repository,
    pub sender: User,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_githubs_example_payloads() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/webhooks");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            if name.starts_with("issues.") {
                let e: IssuesEvent =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(e.issue.number.get() > 0);
            } else if name.starts_with("issue_comment.") {
                let e: IssueCommentEvent =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(e.comment.id > 0);
            }
        }
    }
}
