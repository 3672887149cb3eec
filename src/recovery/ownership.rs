//! Ownership evidence: is every project of the account hosted in a
//! repository of the GitHub user who opened the issue? Judged by GitHub user
//! id (the repository's `owner.id`), never by the login text alone: a freed
//! login can be registered again by someone else. Pure: the effects look
//! each repository's owner up and hand the ids in.

use serde::{Deserialize, Serialize};

/// A repository on GitHub, as `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RepoRef {
    pub owner: String,
    pub name: String,
}

impl RepoRef {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

fn is_github_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s != "."
        && s != ".."
}

/// The GitHub repository a project's URL points to:
/// `github.com/<owner>/<repo>[.git][/...]`, or `<owner>.github.io[/...]` (the
/// owner's pages repository `<owner>/<owner>.github.io`).
pub fn github_repo(url: &str) -> Option<RepoRef> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let path = path.split(['?', '#']).next().unwrap_or("");
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    if host == "github.com" {
        let owner = segments.next()?;
        let name = segments.next()?;
        let name = name.strip_suffix(".git").unwrap_or(name);
        return (is_github_name(owner) && is_github_name(name)).then(|| RepoRef {
            owner: owner.to_owned(),
            name: name.to_owned(),
        });
    }
    let owner = host.strip_suffix(".github.io")?;
    is_github_name(owner).then(|| RepoRef {
        owner: owner.to_owned(),
        name: format!("{owner}.github.io"),
    })
}

/// What the account directory said about the account when the request was
/// read, for admins (and, for unused recovery codes, for the requester).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountFacts {
    /// `recovery_codes.unused`, when the directory tells.
    pub unused_recovery_codes: Option<u32>,
}

impl AccountFacts {
    /// The account still has recovery codes: the owner can log in with one.
    pub fn has_unused_codes(&self) -> bool {
        self.unused_recovery_codes.is_some_and(|n| n > 0)
    }
}

/// One project of the account and what its repository says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub project: String,
    pub repository_url: Option<String>,
    pub owned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evidence {
    pub rows: Vec<Row>,
    /// Every project's repository belongs to the author (and there is at
    /// least one project): `project-ownership` passes.
    pub all_owned: bool,
}

impl Evidence {
    /// PyPI's fast path: no projects, or every one the author's.
    pub fn fasttrack(&self) -> bool {
        self.rows.is_empty() || self.all_owned
    }
}

/// A project as the directory lists it, with the GitHub user id of its
/// repository's owner when the repository was found on GitHub.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub repository_url: Option<String>,
    pub owner_id: Option<u64>,
}

pub fn evaluate(author_id: u64, projects: &[Project]) -> Evidence {
    let rows: Vec<Row> = projects
        .iter()
        .map(|p| Row {
            project: p.name.clone(),
            repository_url: p.repository_url.clone(),
            owned: p.owner_id == Some(author_id),
        })
        .collect();
    let all_owned = !rows.is_empty() && rows.iter().all(|r| r.owned);
    Evidence { rows, all_owned }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(owner: &str, name: &str) -> Option<RepoRef> {
        Some(RepoRef {
            owner: owner.into(),
            name: name.into(),
        })
    }

    #[test]
    fn repository_urls_name_a_github_repository() {
        assert_eq!(
            github_repo("https://github.com/Alice/tools"),
            r("Alice", "tools")
        );
        assert_eq!(
            github_repo("http://www.github.com/alice/x.git"),
            r("alice", "x")
        );
        assert_eq!(
            github_repo("https://github.com/alice/x/tree/main?tab=1"),
            r("alice", "x")
        );
        assert_eq!(
            github_repo("https://alice.github.io/site"),
            r("alice", "alice.github.io")
        );
        assert_eq!(github_repo("https://github.com/alice"), None);
        assert_eq!(github_repo("https://gitlab.com/alice/tools"), None);
        assert_eq!(github_repo("https://github.com.evil.io/alice/x"), None);
        assert_eq!(github_repo("https://evil.io/github.com/alice/x"), None);
        assert_eq!(github_repo("https://github.com/a|b/x"), None);
        assert_eq!(github_repo("https://github.com/../x"), None);
    }

    #[test]
    fn ownership_is_judged_by_user_id() {
        let p = |n: &str, owner: Option<u64>| Project {
            name: n.into(),
            repository_url: Some(format!("https://github.com/alice/{n}")),
            owner_id: owner,
        };
        let e = evaluate(7, &[p("a", Some(7)), p("b", Some(7))]);
        assert!(e.all_owned && e.fasttrack());
        // The login in the URL is the author's, the owner id is someone else's.
        let e = evaluate(7, &[p("a", Some(7)), p("b", Some(8))]);
        assert!(!e.all_owned && !e.fasttrack());
        assert!(!e.rows[1].owned);
        // A repository not found on GitHub proves nothing.
        assert!(!evaluate(7, &[p("a", None)]).all_owned);
        // No projects: the fast path, but no ownership check passes.
        let none = evaluate(7, &[]);
        assert!(!none.all_owned && none.fasttrack());
    }
}
