//! Ownership evidence: is every project of the account hosted in a
//! repository of the GitHub user who opened the issue? Judged by what an
//! attacker cannot take: a repository counts only when GitHub says its
//! owner's numeric id is the author's id **and** the index recorded that same
//! id for the project (a trusted publisher's `repository_owner_id`). A live
//! owner-id match alone proves nothing (a freed login can be registered
//! again, or taken by an old account's rename, and an old repository
//! transferred in); an organization's repository never counts by itself.
//! Pure: the effects look each repository's owner up and hand them in.

use chrono::{DateTime, Utc};
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
/// Only `unused_recovery_codes` and `codes_generated` are ever shown on the
/// tracker; the rest only changes what admins are told, in neutral words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountFacts {
    /// `recovery_codes.unused`, when the directory tells.
    pub unused_recovery_codes: Option<u32>,
    /// `recovery_codes.generated`, when the directory gives its date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes_generated: Option<DateTime<Utc>>,
    /// The index froze the account (never on the tracker).
    #[serde(default)]
    pub frozen: bool,
    /// The account has no verified primary address (never on the tracker).
    #[serde(default)]
    pub no_verified_address: bool,
}

impl AccountFacts {
    /// The account still has recovery codes: the owner can log in with one.
    pub fn has_unused_codes(&self) -> bool {
        self.unused_recovery_codes.is_some_and(|n| n > 0)
    }
}

/// Why an admin must look at the account before any proof is sent: facts
/// the index does not publish. The tracker only ever says
/// [`ADMIN_MUST_LOOK`]; `recovery-bot requests show` gives the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caution {
    /// The account is linked to a GitHub account that is not the author.
    LinkedToAnother,
    /// The index froze the account: it is never recovered.
    Frozen,
    /// No verified primary address: no proof can be mailed.
    NoVerifiedAddress,
}

/// The neutral words the tracker shows for any [`Caution`].
pub const ADMIN_MUST_LOOK: &str = "an admin must look at this account before any proof is sent";

impl Caution {
    /// The reason, for operators (`requests show`), never for the tracker.
    pub fn reason(self) -> &'static str {
        match self {
            Caution::LinkedToAnother => "linked to another GitHub account",
            Caution::Frozen => "the index froze the account",
            Caution::NoVerifiedAddress => "the account has no verified primary email address",
        }
    }
}

/// Every reason an admin must look at the account first, from the stored
/// evidence (for the username named now) and the directory's facts.
pub fn cautions(evidence: Option<&Evidence>, facts: Option<&AccountFacts>) -> Vec<Caution> {
    let mut out = Vec::new();
    if evidence.is_some_and(|e| e.linked == Linked::Other) {
        out.push(Caution::LinkedToAnother);
    }
    if facts.is_some_and(|f| f.frozen) {
        out.push(Caution::Frozen);
    }
    if facts.is_some_and(|f| f.no_verified_address) {
        out.push(Caution::NoVerifiedAddress);
    }
    out
}

/// Whether no round may start by itself (whatever `auto_verify` says): no
/// evidence or no facts for the account named now (fail closed), a reason
/// for an admin to look first, or unused recovery codes (the owner is told
/// to use one).
pub fn blocks_automatic_round(evidence: Option<&Evidence>, facts: Option<&AccountFacts>) -> bool {
    evidence.is_none()
        || facts.is_none_or(AccountFacts::has_unused_codes)
        || !cautions(evidence, facts).is_empty()
}

/// At most this many distinct repositories are judged per request; the
/// projects of the others are shown as not judged (never the fast path).
pub const MAX_JUDGED_REPOSITORIES: usize = 20;

/// Who owns a repository, as GitHub answers `GET /repos/{owner}/{repo}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoOwner {
    pub id: u64,
    /// The owner is an organization (`owner.type`).
    pub organization: bool,
}

/// What one project's repository says about the author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Owned by the author's id, and the index recorded that id for the
    /// project: it counts.
    Counts,
    /// Owned by the author's id today, but the index recorded no such id
    /// for the project: shown, proves nothing by itself.
    OwnerOnly,
    /// Owned by an organization: never counts by itself.
    Organization,
    /// Owned by someone else, or not found on GitHub.
    #[default]
    NotTheAuthors,
    /// No GitHub repository named (or on another host).
    NoRepository,
    /// Past [`MAX_JUDGED_REPOSITORIES`]: not looked at.
    NotJudged,
}

/// One project of the account and what its repository says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub project: String,
    pub repository_url: Option<String>,
    /// The index verified that URL (it matches a trusted publisher).
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub verdict: Verdict,
}

impl Row {
    /// The repository counts as the author's.
    pub fn owned(&self) -> bool {
        self.verdict == Verdict::Counts
    }
}

/// Whom the index account is linked to on GitHub (by numeric id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Linked {
    /// No GitHub account linked.
    #[default]
    None,
    /// Linked to the issue's author, and to no one else: the strongest
    /// evidence there is.
    Author,
    /// Linked to another GitHub account (also when the author is linked
    /// too): overrides every other piece of evidence.
    Other,
}

impl Linked {
    /// The link as judged from the ids the index recorded.
    pub fn judge(author_id: u64, linked_ids: &[u64]) -> Self {
        if linked_ids.iter().any(|&id| id != author_id) {
            Linked::Other
        } else if linked_ids.contains(&author_id) {
            Linked::Author
        } else {
            Linked::None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Evidence {
    /// The username it was gathered for: evidence for another username
    /// (or stored without one) is no evidence for the request now.
    #[serde(default)]
    pub username: Option<String>,
    pub rows: Vec<Row>,
    /// Whom the account is linked to on GitHub.
    #[serde(default)]
    pub linked: Linked,
}

impl Evidence {
    /// Every project's repository counts as the author's (and there is at
    /// least one project). Derived from the rows: evidence stored with an
    /// `all_owned` field of its own is read the same way.
    pub fn all_owned(&self) -> bool {
        !self.rows.is_empty() && self.rows.iter().all(Row::owned)
    }

    /// `project-ownership` passes by itself: the author is the linked
    /// account, or every project's repository counts; never when the
    /// account is linked to anyone else.
    pub fn passes_by_itself(&self) -> bool {
        match self.linked {
            Linked::Author => true,
            Linked::Other => false,
            Linked::None => self.all_owned(),
        }
    }

    /// PyPI's fast path: ownership passed by itself, or no projects; never
    /// when the account is linked to another GitHub account.
    pub fn fasttrack(&self) -> bool {
        self.passes_by_itself() || (self.rows.is_empty() && self.linked != Linked::Other)
    }

    /// Gathered for the account the request names now.
    pub fn is_for(&self, username: Option<&str>) -> bool {
        match (&self.username, username) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
    }

    /// Projects past the judging limit, not looked at.
    pub fn not_judged(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::NotJudged)
            .count()
    }
}

/// The stored evidence, when it was gathered for `username` (`None`:
/// missing, unreadable, or another account's).
pub fn current(stored: Option<&serde_json::Value>, username: Option<&str>) -> Option<Evidence> {
    stored
        .and_then(|v| serde_json::from_value::<Evidence>(v.clone()).ok())
        .filter(|e| e.is_for(username))
}

/// The request entered (or stays in) an open state without evidence for
/// the account it names now: gather it. Only valid open requests (pending,
/// awaiting the requester, verified) name an account worth judging.
pub fn needs_evidence(
    state: super::state::State,
    issue_open: bool,
    stored: Option<&serde_json::Value>,
    username: Option<&str>,
) -> bool {
    use super::state::State;
    issue_open
        && username.is_some()
        && matches!(
            state,
            State::Pending | State::AwaitingUser | State::Verified
        )
        && current(stored, username).is_none()
}

/// What the waiting period knows of the account's projects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projects {
    /// No account directory: admins check the index by hand and decide.
    NotKnowable,
    /// The directory answered an empty `projects` list for this account.
    None,
    /// Projects listed, or no evidence for the account named now: the
    /// waiting period applies (fail closed).
    ListedOrUnknown,
}

/// The account's projects as the waiting period sees them.
pub fn projects(
    directory: bool,
    stored: Option<&serde_json::Value>,
    username: Option<&str>,
) -> Projects {
    if !directory {
        return Projects::NotKnowable;
    }
    match current(stored, username) {
        // Linked to another account: not the fast path either.
        Some(e) if e.rows.is_empty() && e.linked != Linked::Other => Projects::None,
        _ => Projects::ListedOrUnknown,
    }
}

/// A project as the directory lists it, with its repository's owner when
/// it was looked up on GitHub.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub repository_url: Option<String>,
    /// The index verified that URL.
    pub verified: bool,
    /// The owner ids the index recorded for the project (its GitHub
    /// trusted publishers' `repository_owner_id`).
    pub recorded_owner_ids: Vec<u64>,
    pub lookup: Lookup,
}

/// What was learnt of a project's repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    NoRepository,
    NotJudged,
    /// `None`: no such repository on GitHub.
    Owner(Option<RepoOwner>),
}

/// Which repositories to look up: the distinct GitHub repositories of the
/// projects (lower case `owner/name`), in the directory's order, at most
/// [`MAX_JUDGED_REPOSITORIES`]; `None` for a project past the limit or
/// without one.
pub fn to_judge<'a>(urls: impl IntoIterator<Item = Option<&'a str>>) -> Vec<Option<String>> {
    let mut seen: Vec<String> = Vec::new();
    urls.into_iter()
        .map(|url| {
            let name = url.and_then(github_repo)?.full_name().to_lowercase();
            if seen.contains(&name) {
                return Some(name);
            }
            (seen.len() < MAX_JUDGED_REPOSITORIES).then(|| {
                seen.push(name.clone());
                name
            })
        })
        .collect()
}

fn verdict(author_id: u64, p: &Project) -> Verdict {
    match p.lookup {
        Lookup::NoRepository => Verdict::NoRepository,
        Lookup::NotJudged => Verdict::NotJudged,
        Lookup::Owner(Some(o)) if o.organization => Verdict::Organization,
        Lookup::Owner(Some(o)) if o.id == author_id => {
            if p.recorded_owner_ids.contains(&author_id) {
                Verdict::Counts
            } else {
                Verdict::OwnerOnly
            }
        }
        Lookup::Owner(_) => Verdict::NotTheAuthors,
    }
}

/// The evidence: each project's verdict, and the GitHub accounts linked to
/// the index account (`linked_ids`).
pub fn evaluate(
    username: &str,
    author_id: u64,
    linked_ids: &[u64],
    projects: &[Project],
) -> Evidence {
    let rows: Vec<Row> = projects
        .iter()
        .map(|p| {
            let verdict = verdict(author_id, p);
            Row {
                project: p.name.clone(),
                repository_url: p.repository_url.clone(),
                verified: p.verified,
                verdict,
            }
        })
        .collect();
    Evidence {
        username: Some(username.to_owned()),
        rows,
        linked: Linked::judge(author_id, linked_ids),
    }
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

    fn p(n: &str, owner: Option<(u64, bool)>, recorded: &[u64]) -> Project {
        Project {
            name: n.into(),
            repository_url: Some(format!("https://github.com/alice/{n}")),
            verified: false,
            recorded_owner_ids: recorded.to_vec(),
            lookup: Lookup::Owner(owner.map(|(id, organization)| RepoOwner { id, organization })),
        }
    }

    #[test]
    fn a_repository_counts_only_by_an_id_the_index_recorded() {
        let e = evaluate(
            "alice",
            7,
            &[],
            &[
                p("a", Some((7, false)), &[7]),
                p("b", Some((7, false)), &[9, 7]),
            ],
        );
        assert!(e.all_owned() && e.fasttrack());
        assert_eq!(e.rows[0].verdict, Verdict::Counts);
        // Owned by the author's id today, but the index recorded no such id:
        // a re-registered login or a transferred repository proves nothing.
        let e = evaluate(
            "alice",
            7,
            &[],
            &[
                p("a", Some((7, false)), &[7]),
                p("b", Some((7, false)), &[]),
            ],
        );
        assert!(!e.all_owned() && !e.fasttrack());
        assert_eq!(e.rows[1].verdict, Verdict::OwnerOnly);
        // The index recorded the author's id, but someone else owns it now.
        let e = evaluate("alice", 7, &[], &[p("a", Some((8, false)), &[7])]);
        assert_eq!(e.rows[0].verdict, Verdict::NotTheAuthors);
        assert!(!e.fasttrack());
        // An organization's repository never counts by itself.
        let e = evaluate("alice", 7, &[], &[p("a", Some((7, true)), &[7])]);
        assert_eq!(e.rows[0].verdict, Verdict::Organization);
        assert!(!e.fasttrack());
        // A repository not found on GitHub proves nothing.
        assert!(!evaluate("alice", 7, &[], &[p("a", None, &[7])]).all_owned());
        // Not judged: never the fast path.
        let mut nj = p("a", None, &[7]);
        nj.lookup = Lookup::NotJudged;
        let e = evaluate("alice", 7, &[], &[p("b", Some((7, false)), &[7]), nj]);
        assert!(!e.fasttrack());
        assert_eq!(e.not_judged(), 1);
        // No projects: the fast path, but no ownership check passes.
        let none = evaluate("alice", 7, &[], &[]);
        assert!(!none.all_owned() && none.fasttrack());
    }

    #[test]
    fn at_most_twenty_distinct_repositories_are_judged() {
        let urls: Vec<String> = (0..25)
            .map(|i| format!("https://github.com/alice/r{}", i % 22))
            .collect();
        let mut all: Vec<Option<&str>> = urls.iter().map(|u| Some(u.as_str())).collect();
        all.push(None);
        let judged = to_judge(all);
        assert_eq!(judged.len(), 26);
        let distinct: std::collections::HashSet<_> = judged.iter().flatten().collect();
        assert_eq!(distinct.len(), MAX_JUDGED_REPOSITORIES);
        assert_eq!(judged[20], None, "r20 is the 21st repository");
        assert_eq!(
            judged[22],
            Some("alice/r0".to_owned()),
            "r0 again: judged once"
        );
        assert_eq!(judged[25], None);
    }

    #[test]
    fn evidence_is_for_the_username_it_was_gathered_for() {
        use super::super::state::State;
        let e = serde_json::to_value(evaluate("Alice", 7, &[], &[])).unwrap();
        assert!(current(Some(&e), Some("alice")).is_some());
        assert!(current(Some(&e), Some("bob")).is_none());
        assert!(current(None, Some("alice")).is_none());
        // Stored before evidence named its username: no evidence.
        let old = serde_json::json!({"rows": [], "all_owned": false});
        assert!(current(Some(&old), Some("alice")).is_none());
        assert!(needs_evidence(State::Pending, true, Some(&e), Some("bob")));
        assert!(needs_evidence(
            State::Verified,
            true,
            Some(&old),
            Some("alice")
        ));
        assert!(!needs_evidence(
            State::Pending,
            true,
            Some(&e),
            Some("alice")
        ));
        assert!(!needs_evidence(
            State::Withdrawn,
            false,
            None,
            Some("alice")
        ));
        assert!(!needs_evidence(
            State::Incomplete,
            true,
            None,
            Some("alice")
        ));
        // The waiting period: no evidence for the name now applies it.
        assert_eq!(projects(true, Some(&e), Some("alice")), Projects::None);
        assert_eq!(
            projects(true, Some(&e), Some("bob")),
            Projects::ListedOrUnknown
        );
        assert_eq!(
            projects(true, None, Some("alice")),
            Projects::ListedOrUnknown
        );
        assert_eq!(projects(false, None, Some("alice")), Projects::NotKnowable);
    }

    #[test]
    fn a_linked_account_decides_before_any_other_evidence() {
        let mine = || p("a", Some((7, false)), &[7]);
        // The author, and no one else: passes by itself, even with no
        // repository that counts.
        let e = evaluate("alice", 7, &[7], &[p("a", Some((8, false)), &[])]);
        assert_eq!(e.linked, Linked::Author);
        assert!(e.passes_by_itself() && e.fasttrack());
        // Anyone else, also beside the author: nothing passes, no fast
        // path, even with every repository counting or no projects.
        for ids in [&[8][..], &[7, 8], &[8, 7]] {
            let e = evaluate("alice", 7, ids, &[mine()]);
            assert_eq!(e.linked, Linked::Other, "{ids:?}");
            assert!(e.all_owned() && !e.passes_by_itself() && !e.fasttrack());
            let none = evaluate("alice", 7, ids, &[]);
            assert!(!none.fasttrack());
            let stored = serde_json::to_value(&none).unwrap();
            assert_eq!(
                projects(true, Some(&stored), Some("alice")),
                Projects::ListedOrUnknown
            );
            assert_eq!(cautions(Some(&none), None), [Caution::LinkedToAnother]);
        }
        // None linked: the repositories decide, as before.
        let e = evaluate("alice", 7, &[], &[mine()]);
        assert_eq!(e.linked, Linked::None);
        assert!(e.passes_by_itself());
        // Stored before links were judged: none linked.
        let old: Evidence =
            serde_json::from_str(r#"{"username": "a", "rows": [], "all_owned": false}"#).unwrap();
        assert_eq!(old.linked, Linked::None);
    }

    #[test]
    fn no_round_starts_by_itself_without_every_fact_clear() {
        let e = evaluate("alice", 7, &[7], &[]);
        let clear = AccountFacts {
            unused_recovery_codes: Some(0),
            ..AccountFacts::default()
        };
        assert!(!blocks_automatic_round(Some(&e), Some(&clear)));
        assert!(blocks_automatic_round(None, Some(&clear)));
        assert!(blocks_automatic_round(Some(&e), None));
        let codes = AccountFacts {
            unused_recovery_codes: Some(3),
            ..clear
        };
        assert!(blocks_automatic_round(Some(&e), Some(&codes)));
        let frozen = AccountFacts {
            frozen: true,
            ..clear
        };
        assert!(blocks_automatic_round(Some(&e), Some(&frozen)));
        assert_eq!(cautions(Some(&e), Some(&frozen)), [Caution::Frozen]);
        let no_address = AccountFacts {
            no_verified_address: true,
            ..clear
        };
        assert_eq!(
            cautions(Some(&e), Some(&no_address)),
            [Caution::NoVerifiedAddress]
        );
        let other = evaluate("alice", 7, &[8], &[]);
        assert!(blocks_automatic_round(Some(&other), Some(&clear)));
    }
}
