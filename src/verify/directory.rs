//! The account directory: `GET {ACCOUNT_DIRECTORY_URL}/{username}` answers
//! the account's addresses and projects, or 404. A local JSON file (a list
//! of such accounts) can stand in for small deployments, and a `postgres://`
//! URL reads the same answer from PyPI's own database (`super::warehouse`).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

#[derive(Clone, Deserialize, Serialize)]
pub struct Email {
    pub address: String,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub primary: bool,
}

impl std::fmt::Debug for Email {
    // The address never reaches a log, not even through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("address", &"[redacted]")
            .field("verified", &self.verified)
            .field("primary", &self.primary)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Project {
    pub name: String,
    /// When the project was registered (shown to admins only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// The first contract's one URL: unverified, it proves nothing by
    /// itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
    /// The latest release's URLs, each with the index's `verified` flag
    /// (set at upload when the URL matches the trusted publisher).
    #[serde(default)]
    pub urls: Vec<ProjectUrl>,
    /// The project's trusted publishers, as the index recorded them.
    #[serde(default)]
    pub publishers: Vec<Publisher>,
}

/// One URL of a project's latest release.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProjectUrl {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub url: String,
    #[serde(default)]
    pub verified: bool,
}

/// A trusted publisher of a project: for `kind` `github`, the repository
/// and the owner's numeric id the index recorded when it was set up.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Publisher {
    pub kind: String,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub repository_owner_id: Option<u64>,
}

impl Project {
    /// The repository to judge, and whether the index verified its URL:
    /// the first verified URL naming a GitHub repository, else
    /// `repository_url`, else the first URL naming one, else the first
    /// GitHub publisher's repository.
    pub fn source(&self) -> Option<(String, bool)> {
        let on_github = |u: &&ProjectUrl| crate::recovery::ownership::github_repo(&u.url).is_some();
        if let Some(u) = self.urls.iter().filter(|u| u.verified).find(on_github) {
            return Some((u.url.clone(), true));
        }
        let unverified = self
            .repository_url
            .clone()
            .or_else(|| self.urls.iter().find(on_github).map(|u| u.url.clone()))
            .or_else(|| self.publisher_repositories().next());
        unverified.map(|url| (url, false))
    }

    /// The repository to judge (see [`Project::source`]).
    pub fn repository(&self) -> Option<String> {
        self.source().map(|(url, _)| url)
    }

    /// The GitHub publishers' repositories, as URLs.
    fn publisher_repositories(&self) -> impl Iterator<Item = String> + '_ {
        self.publishers
            .iter()
            .filter(|p| p.kind.eq_ignore_ascii_case("github"))
            .filter_map(|p| p.repository.as_deref())
            .map(|r| format!("https://github.com/{r}"))
    }

    /// Every URL the project names (verified ones, `repository_url`, the
    /// publishers' repositories), each with the index's `verified` flag.
    fn all_urls(&self) -> impl Iterator<Item = (String, bool)> + '_ {
        self.urls
            .iter()
            .map(|u| (u.url.clone(), u.verified))
            .chain(self.repository_url.iter().map(|u| (u.clone(), false)))
            .chain(self.publisher_repositories().map(|u| (u, false)))
    }

    /// The GitHub owner ids the index recorded for the project.
    pub fn recorded_owner_ids(&self) -> Vec<u64> {
        self.publishers
            .iter()
            .filter(|p| p.kind.eq_ignore_ascii_case("github"))
            .filter_map(|p| p.repository_owner_id)
            .collect()
    }
}

/// `recovery_codes`: whether (and when) the owner made recovery codes, and
/// how many are still unused (a code logs in without the second factor).
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize)]
pub struct RecoveryCodes {
    /// A date (when they were generated) or, in the first contract, `true`
    /// or `false`; absent: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
    #[serde(default)]
    pub unused: u32,
}

/// `recovery_codes.generated`: when, or only whether.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Generated {
    At(DateTime<Utc>),
    Flag(bool),
}

impl RecoveryCodes {
    /// When the codes were generated, when the directory says.
    pub fn generated_at(&self) -> Option<DateTime<Utc>> {
        match self.generated {
            Some(Generated::At(at)) => Some(at),
            _ => None,
        }
    }
}

/// A GitHub (or other) account the index account is linked to, by the
/// service's numeric id. Never shown on the tracker.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LinkedAccount {
    pub service: String,
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
}

/// The directory's answer about one account. `Serialize` writes the same
/// JSON back (`recovery-bot directory show`); addresses are in it, so it is
/// only ever printed on an operator's request.
#[derive(Clone, Deserialize, Serialize)]
pub struct Account {
    pub username: String,
    #[serde(default)]
    pub emails: Vec<Email>,
    /// Required: an answer without it is malformed, never "no projects".
    pub projects: Vec<Project>,
    #[serde(default)]
    pub recovery_codes: Option<RecoveryCodes>,
    /// The accounts linked to this one (absent: none linked).
    #[serde(default)]
    pub linked_accounts: Vec<LinkedAccount>,
    /// The index froze the account: it is never recovered (absent: not
    /// frozen). Never shown on the tracker.
    #[serde(default)]
    pub frozen: bool,
}

impl std::fmt::Debug for Account {
    // Addresses never reach logs, not even through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("emails", &self.emails.len())
            .field("projects", &self.projects.len())
            .field("recovery_codes", &self.recovery_codes)
            .field("linked_accounts", &self.linked_accounts.len())
            .field("frozen", &self.frozen)
            .finish()
    }
}

impl Account {
    /// The address to write to: the primary one, and only when it is
    /// verified (a secondary address is never used).
    pub fn address(&self) -> Option<&str> {
        self.emails
            .iter()
            .find(|e| e.primary && e.verified)
            .map(|e| e.address.as_str())
    }

    /// The account still has a primary address (verified or not): a
    /// password reset has somewhere to go.
    pub fn has_primary(&self) -> bool {
        self.emails.iter().any(|e| e.primary)
    }

    /// The round's repositories for `/verify-repo`: the distinct GitHub
    /// repositories (`owner/name`) among the projects' verified URLs when
    /// there are any, else among all of their URLs (`repository_url` and
    /// the publishers' repositories too), in the directory's order, at
    /// most `max`.
    pub fn github_repositories(&self, max: usize) -> Vec<String> {
        let repos = |verified_only: bool| {
            let mut seen: Vec<String> = Vec::new();
            let names = self
                .projects
                .iter()
                .flat_map(Project::all_urls)
                .filter(|(_, verified)| *verified || !verified_only)
                .filter_map(|(url, _)| crate::recovery::ownership::github_repo(&url));
            for repo in names {
                let name = repo.full_name();
                if !seen.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                    seen.push(name);
                }
                if seen.len() == max {
                    break;
                }
            }
            seen
        };
        let verified = repos(true);
        if verified.is_empty() {
            repos(false)
        } else {
            verified
        }
    }

    /// The GitHub account ids linked to this account.
    pub fn linked_github_ids(&self) -> Vec<u64> {
        self.linked_accounts
            .iter()
            .filter(|l| l.service.eq_ignore_ascii_case("github"))
            .map(|l| l.id)
            .collect()
    }

    pub fn facts(&self) -> crate::recovery::ownership::AccountFacts {
        crate::recovery::ownership::AccountFacts {
            unused_recovery_codes: self.recovery_codes.map(|c| c.unused),
            codes_generated: self.recovery_codes.and_then(|c| c.generated_at()),
            frozen: self.frozen,
            no_verified_address: self.address().is_none(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the account directory cannot be reached: {0}")]
    Unreachable(String),
    #[error("the account directory answered {0}")]
    Status(u16),
    /// Says where and what kind of error, never the value that caused it.
    #[error("the account directory's answer cannot be read: {0}")]
    Malformed(String),
    /// The Warehouse database failed a lookup (worth another try); says
    /// the kind of failure, never a value.
    #[error("the Warehouse database: {0}")]
    Database(String),
}

pub enum Directory {
    Http {
        client: reqwest::Client,
        base: String,
        token: Option<SecretString>,
    },
    File(PathBuf),
    /// PyPI's own database, read-only.
    Warehouse(super::warehouse::Warehouse),
}

/// `ACCOUNT_DIRECTORY_URL` names a Warehouse database.
pub fn is_warehouse(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// serde's own message quotes the offending value (an address, a name):
/// keep only its kind and position.
fn malformed(e: &serde_json::Error) -> DirectoryError {
    let kind = match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "unexpected field type or missing field",
        serde_json::error::Category::Eof => "cut short",
    };
    DirectoryError::Malformed(format!("{kind} at line {} column {}", e.line(), e.column()))
}

/// `{base}/{username}`, the name encoded as one path segment.
fn account_url(base: &str, username: &str) -> String {
    let segment: String = form_urlencoded::byte_serialize(username.as_bytes()).collect();
    format!("{base}/{segment}")
}

/// Sends a request to the directory, with its bearer token if it has one;
/// an error never names the URL (it holds the username).
async fn send(
    req: reqwest::RequestBuilder,
    token: &Option<SecretString>,
) -> Result<reqwest::Response, DirectoryError> {
    let req = match token {
        Some(t) => req.bearer_auth(t.expose_secret()),
        None => req,
    };
    req.send()
        .await
        .map_err(|e| DirectoryError::Unreachable(e.without_url().to_string()))
}

/// The most of a directory answer read: a longer one is refused unread.
pub const MAX_ANSWER_BYTES: usize = 10 * 1024 * 1024;

/// Reads an answer's body, at most `MAX_ANSWER_BYTES` (checked against its
/// `content-length` first, then as it streams in).
async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, DirectoryError> {
    let too_long = || {
        DirectoryError::Malformed(format!(
            "the answer is longer than {} MiB",
            MAX_ANSWER_BYTES / (1024 * 1024)
        ))
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_long());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| DirectoryError::Unreachable(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_long());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What the index said to `POST {dir}/{username}/recover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovered {
    /// 200: 2FA reset and a password reset issued.
    Done,
    /// A 4xx answer (but 408 and 429): will not change by retrying.
    Refused(u16),
}

/// What an answer to the recover call means: only 200 is done. A redirect
/// (never followed: a 302 to a login page is not a reset), a 1xx or another
/// 2xx (202 "accepted" is not done), 408, 429 and 5xx are worth another try
/// with the same key; any other 4xx is a refusal.
pub fn recover_outcome(status: u16) -> Result<Recovered, DirectoryError> {
    match status {
        200 => Ok(Recovered::Done),
        408 | 429 => Err(DirectoryError::Status(status)),
        400..=499 => Ok(Recovered::Refused(status)),
        other => Err(DirectoryError::Status(other)),
    }
}

/// The `Idempotency-Key` for the recover call one `/approve` asks for: the
/// approving comment (repository id, comment id) and the command's place
/// among that comment's commands. Unique to that approval (a later
/// `/approve`, after a reopen, is another comment), and the same on every
/// retry of it, whatever job or delivery (a redelivery, the sweep) carries
/// it. Not the request id: a request approved twice would get the first
/// reset's answer replayed, and no reset, the second time.
pub fn approval_key(repository_id: i64, comment_id: u64, position: usize) -> String {
    format!("recovery-bot-approve-{repository_id}-{comment_id}-{position}")
}

impl Directory {
    /// Asks the index to reset the account's 2FA and issue a password
    /// reset. `key`, the `Idempotency-Key`, must be unique to one approval
    /// and the same on each of its retries, so that a retry never resets
    /// twice and a later approval is never answered with an earlier one's
    /// reset. Redirects are not followed; see `recover_outcome` for what
    /// each answer means. No answer is an error worth retrying.
    pub async fn recover(&self, username: &str, key: &str) -> Result<Recovered, DirectoryError> {
        let Directory::Http {
            client,
            base,
            token,
        } = self
        else {
            return Err(DirectoryError::Unreachable(
                "only the index's HTTP directory can reset accounts".to_owned(),
            ));
        };
        if key.trim().is_empty() {
            return Err(DirectoryError::Unreachable(
                "no Idempotency-Key for the recover call".to_owned(),
            ));
        }
        let url = format!("{}/recover", account_url(base, username));
        let resp = send(client.post(url).header("Idempotency-Key", key), token).await?;
        let status = resp.status().as_u16();
        // The status alone decides; the body is read (at most 10 MiB) only
        // to finish the exchange.
        let _ = read_capped(resp).await;
        recover_outcome(status)
    }

    /// `url` is an http(s) base URL, a `postgres://` URL of a Warehouse
    /// database, or a path (or `file://` URL) to a JSON file. A Warehouse
    /// pool connects on first use (inside a tokio runtime).
    pub fn new(url: &str, token: Option<SecretString>) -> anyhow::Result<Self> {
        if is_warehouse(url) {
            Ok(Directory::Warehouse(super::warehouse::Warehouse::from_url(
                url,
            )?))
        } else if url.starts_with("http://") || url.starts_with("https://") {
            // Redirects are never followed: a lookup or a reset answered
            // by a redirect (to a login page, another host) is no answer.
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            Ok(Directory::Http {
                client,
                base: url.trim_end_matches('/').to_owned(),
                token,
            })
        } else {
            Ok(Directory::File(PathBuf::from(
                url.strip_prefix("file://").unwrap_or(url),
            )))
        }
    }

    /// Checks what can be checked before the first lookup: a Warehouse
    /// database's tables and columns (the first missing one named).
    pub async fn check(&self) -> anyhow::Result<()> {
        match self {
            Directory::Warehouse(w) => Ok(w.check_schema().await?),
            Directory::Http { .. } | Directory::File(_) => Ok(()),
        }
    }

    /// The account, or `None` when the directory has no such account.
    pub async fn lookup(&self, username: &str) -> Result<Option<Account>, DirectoryError> {
        match self {
            Directory::Warehouse(w) => w.lookup(username).await,
            Directory::Http {
                client,
                base,
                token,
            } => {
                let resp = send(client.get(account_url(base, username)), token).await?;
                match resp.status().as_u16() {
                    404 => Ok(None),
                    200 => {
                        let body = read_capped(resp).await?;
                        serde_json::from_slice::<Account>(&body)
                            .map(Some)
                            .map_err(|e| malformed(&e))
                    }
                    other => Err(DirectoryError::Status(other)),
                }
            }
            Directory::File(path) => {
                let text = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| DirectoryError::Unreachable(format!("{}: {e}", path.display())))?;
                let accounts: Vec<Account> =
                    serde_json::from_str(&text).map_err(|e| malformed(&e))?;
                Ok(accounts
                    .into_iter()
                    .find(|a| a.username.eq_ignore_ascii_case(username)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(address: &str, verified: bool, primary: bool) -> Email {
        Email {
            address: address.into(),
            verified,
            primary,
        }
    }

    #[test]
    fn the_verified_primary_address_is_chosen() {
        let mut a = Account {
            username: "alice".into(),
            emails: vec![
                email("old@x.io", true, false),
                email("main@x.io", true, true),
            ],
            projects: vec![],
            recovery_codes: None,
            linked_accounts: vec![],
            frozen: false,
        };
        assert_eq!(a.address(), Some("main@x.io"));
        // An unverified primary: no address, even with a verified secondary.
        a.emails[1].verified = false;
        assert_eq!(a.address(), None);
        assert!(!format!("{a:?}").contains("x.io"));
        assert!(!format!("{:?}", a.emails[0]).contains("x.io"));
    }

    #[test]
    fn verified_urls_come_first() {
        let a: Account = serde_json::from_str(
            r#"{"username": "a", "projects": [
                {"name": "one", "repository_url": "https://github.com/a/old",
                 "urls": [{"url": "https://github.com/a/unverified"},
                          {"url": "https://docs.example.org"},
                          {"url": "https://github.com/a/one", "verified": true}]},
                {"name": "two", "urls": [{"url": "https://github.com/a/two"}],
                 "publishers": [{"kind": "github", "repository": "a/pub"}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            a.projects[0].source(),
            Some(("https://github.com/a/one".to_owned(), true))
        );
        assert_eq!(
            a.projects[1].source(),
            Some(("https://github.com/a/two".to_owned(), false))
        );
        assert_eq!(a.github_repositories(5), ["a/one"]);
        let mut b = a.clone();
        b.projects[0].urls.retain(|u| !u.verified);
        assert_eq!(
            b.github_repositories(5),
            ["a/unverified", "a/old", "a/two", "a/pub"]
        );
        assert_eq!(b.github_repositories(2), ["a/unverified", "a/old"]);
        assert_eq!(
            b.projects[0].source(),
            Some(("https://github.com/a/old".to_owned(), false))
        );
    }

    /// SPEC's example answer, read whole and written back the same.
    #[test]
    fn the_whole_contract_is_read_and_written_back() {
        let spec = r#"{"username": "alice",
           "emails": [{"address": "a@example.org", "verified": true, "primary": true}],
           "projects": [{"name": "alice-tools", "created": "2019-04-01T10:00:00Z",
                         "repository_url": "https://github.com/alice/alice-tools",
                         "urls": [{"label": "Source", "url": "https://github.com/alice/alice-tools", "verified": true}],
                         "publishers": [{"kind": "github", "repository": "alice/alice-tools", "repository_owner_id": 12345}]}],
           "recovery_codes": {"generated": "2023-10-27T09:00:00Z", "unused": 3},
           "linked_accounts": [{"service": "github", "id": 12345, "login": "alice"}],
           "frozen": false}"#;
        let a: Account = serde_json::from_str(spec).unwrap();
        let p = &a.projects[0];
        assert_eq!(p.created.unwrap().to_rfc3339(), "2019-04-01T10:00:00+00:00");
        assert_eq!(p.urls[0].label.as_deref(), Some("Source"));
        assert!(p.urls[0].verified);
        assert_eq!(p.recorded_owner_ids(), [12345]);
        let codes = a.recovery_codes.unwrap();
        assert_eq!(codes.unused, 3);
        assert_eq!(
            codes.generated_at().unwrap().to_rfc3339(),
            "2023-10-27T09:00:00+00:00"
        );
        assert_eq!(a.linked_github_ids(), [12345]);
        assert!(!a.frozen);
        let back: serde_json::Value = serde_json::to_value(&a).unwrap();
        let spec: serde_json::Value = serde_json::from_str(spec).unwrap();
        assert_eq!(back, spec);

        // The first contract's `generated: true`, and no date.
        let old: Account = serde_json::from_str(
            r#"{"username": "a", "projects": [], "recovery_codes": {"generated": true, "unused": 0}}"#,
        )
        .unwrap();
        let codes = old.recovery_codes.unwrap();
        assert_eq!(codes.generated, Some(Generated::Flag(true)));
        assert_eq!(codes.generated_at(), None);
        assert!(old.linked_accounts.is_empty() && !old.frozen);
        // A date that is no date is a malformed answer.
        assert!(
            serde_json::from_str::<Account>(
                r#"{"username": "a", "projects": [], "recovery_codes": {"generated": "soon"}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn the_first_contract_and_publishers_are_read() {
        let a: Account = serde_json::from_str(
            r#"{"username": "a", "projects": [
                {"name": "old", "repository_url": "https://github.com/a/old"},
                {"name": "new", "publishers": [
                    {"kind": "github", "repository": "a/new", "repository_owner_id": 12345},
                    {"kind": "gitlab", "repository": "a/new", "repository_owner_id": 9}]}]}"#,
        )
        .unwrap();
        assert!(a.projects[0].recorded_owner_ids().is_empty());
        assert_eq!(a.projects[1].recorded_owner_ids(), [12345]);
        assert!(serde_json::from_str::<Account>(r#"{"username": "a"}"#).is_err());
    }

    #[test]
    fn a_bad_answer_is_described_without_its_values() {
        let bad =
            r#"{"username": "alice", "emails": [{"address": "secret@x.io", "verified": "yes"}]}"#;
        let e = serde_json::from_str::<Account>(bad).unwrap_err();
        assert!(e.to_string().contains("yes"), "serde quotes the value");
        let ours = malformed(&e).to_string();
        assert!(!ours.contains("yes") && !ours.contains("secret"), "{ours}");
        assert!(ours.contains("line 1"), "{ours}");
    }

    #[test]
    fn approval_keys_name_one_approval() {
        let key = approval_key(4242, 77, 1);
        assert_eq!(key, "recovery-bot-approve-4242-77-1");
        assert_ne!(key, approval_key(4242, 78, 1), "another comment");
        assert_ne!(key, approval_key(4242, 77, 0), "another command");
        assert_ne!(approval_key(42, 427, 1), approval_key(424, 27, 1));
    }

    #[tokio::test]
    async fn a_json_file_stands_in() {
        let dir = std::env::temp_dir().join(format!("dir-{}", std::process::id()));
        std::fs::write(&dir, r#"[{"username": "Alice", "emails": [{"address": "a@x.io", "verified": true, "primary": true}], "projects": [{"name": "t", "publishers": [{"kind": "github", "repository": "alice/t", "repository_owner_id": 7}]}]}]"#).unwrap();
        let d = Directory::new(dir.to_str().unwrap(), None).unwrap();
        let alice = d.lookup("alice").await.unwrap().unwrap();
        assert_eq!(alice.projects[0].recorded_owner_ids(), [7]);
        assert!(d.lookup("bob").await.unwrap().is_none());
        // Without `projects` the answer is malformed, never "no projects".
        std::fs::write(&dir, r#"[{"username": "Alice", "emails": []}]"#).unwrap();
        assert!(matches!(
            d.lookup("alice").await,
            Err(DirectoryError::Malformed(_))
        ));
        std::fs::remove_file(dir).unwrap();
    }
}
