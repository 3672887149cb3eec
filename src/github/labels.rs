//! A repository's labels (`labels sync`): read one, create one, change its
//! colour and description. Names are path-encoded; GitHub matches them
//! case-insensitively.

use serde::Deserialize;
use serde_json::json;

use super::Repo;
use super::client::{self, ApiError, Method};

/// A label as GitHub holds it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Label {
    pub name: String,
    /// Six hex digits, no `#`.
    pub color: String,
    pub description: Option<String>,
}

fn label_path(repo: &str, name: &str) -> String {
    format!("/repos/{repo}/labels/{}", client::encode_path_segment(name))
}

impl Repo {
    /// The label named `name` (any case); `None` when there is none.
    pub async fn label(&self, repo: &str, name: &str) -> Result<Option<Label>, ApiError> {
        match client::call(&self.client, Method::Get, &label_path(repo, name), None).await {
            Ok(label) => Ok(Some(label)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a label. Sent once: after a 5xx, running again finds it.
    pub async fn create_label(
        &self,
        repo: &str,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<Label, ApiError> {
        let body = json!({ "name": name, "color": color, "description": description });
        client::call_once(
            &self.client,
            Method::Post,
            &format!("/repos/{repo}/labels"),
            Some(body),
        )
        .await
    }

    /// Sets a label's colour and description (its name stays as it is).
    pub async fn update_label(
        &self,
        repo: &str,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<Label, ApiError> {
        let body = json!({ "color": color, "description": description });
        client::call(
            &self.client,
            Method::Patch,
            &label_path(repo, name),
            Some(body),
        )
        .await
    }
}
