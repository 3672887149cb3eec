//! Ownership evidence: is every project of the account hosted in a
//! repository of the GitHub user who opened the issue? Pure.

/// One project of the account and what its repository says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub project: String,
    pub repository_url: Option<String>,
    pub owned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub rows: Vec<Row>,
    /// Every project's repository belongs to the author (and there is at
    /// least one project).
    pub all_owned: bool,
}

/// Whether `url` is a repository of `author` on GitHub:
/// `github.com/<author>/...` or `<author>.github.io`.
pub fn owned_by(url: &str, author: &str) -> bool {
    let rest = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))
        .unwrap_or(url.trim());
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    if host == "github.com" {
        let owner = path.split('/').next().unwrap_or("");
        return !owner.is_empty() && owner.eq_ignore_ascii_case(author);
    }
    host.strip_suffix(".github.io")
        .is_some_and(|user| user.eq_ignore_ascii_case(author))
}

pub fn evaluate(author: &str, projects: &[(String, Option<String>)]) -> Evidence {
    let rows: Vec<Row> = projects
        .iter()
        .map(|(name, url)| Row {
            project: name.clone(),
            repository_url: url.clone(),
            owned: url.as_deref().is_some_and(|u| owned_by(u, author)),
        })
        .collect();
    let all_owned = !rows.is_empty() && rows.iter().all(|r| r.owned);
    Evidence { rows, all_owned }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_of_the_author() {
        assert!(owned_by("https://github.com/Alice/tools", "alice"));
        assert!(owned_by("https://github.com/alice", "alice"));
        assert!(owned_by("http://www.github.com/alice/x.git", "alice"));
        assert!(owned_by("https://alice.github.io/site", "Alice"));
        assert!(!owned_by("https://github.com/alice-org/tools", "alice"));
        assert!(!owned_by("https://github.com/bob/alice", "alice"));
        assert!(!owned_by("https://gitlab.com/alice/tools", "alice"));
        assert!(!owned_by("https://github.com.evil.io/alice/x", "alice"));
        assert!(!owned_by("https://evil.io/github.com/alice", "alice"));
        assert!(!owned_by("https://github.com/", "alice"));
    }

    #[test]
    fn all_projects_must_be_owned() {
        let p = |n: &str, u: Option<&str>| (n.to_owned(), u.map(str::to_owned));
        let e = evaluate(
            "alice",
            &[
                p("a", Some("https://github.com/alice/a")),
                p("b", Some("https://alice.github.io/b")),
            ],
        );
        assert!(e.all_owned);
        let e = evaluate(
            "alice",
            &[p("a", Some("https://github.com/alice/a")), p("b", None)],
        );
        assert!(!e.all_owned);
        assert!(!e.rows[1].owned);
        assert!(!evaluate("alice", &[]).all_owned);
    }
}
