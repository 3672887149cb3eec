//! A fake GitHub for tests: a stateful in-memory model of repositories,
//! issues, labels, comments, reactions and permissions, served by wiremock on
//! loopback. The bot's real octocrab client is pointed at it. Routes follow
//! GitHub's REST description; anything else is answered 404 like GitHub
//! does, and every request is recorded so tests can count API calls.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use regex::Regex;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const BOT_LOGIN: &str = "recovery-bot";
pub const BOT_ID: u64 = 9_000_001;
/// What marks the bot's one status comment on an issue.
pub const STATUS_MARKER: &str = "<!-- recovery-bot:status -->";

#[derive(Debug, Clone)]
pub struct CommentModel {
    pub id: u64,
    pub body: String,
    pub login: String,
    pub user_id: u64,
    pub reactions: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct IssueModel {
    pub number: u64,
    pub title: String,
    pub body: Option<String>,
    pub login: String,
    pub user_id: u64,
    pub labels: Vec<String>,
    pub state: String,
    pub state_reason: Option<String>,
    pub comments: Vec<CommentModel>,
    pub reactions: Vec<String>,
    /// Bumped on every change, as GitHub's `updated_at`.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Default)]
pub struct RepoModel {
    /// The owner's login and user id (`GET /repos/{owner}/{repo}`).
    pub owner: Option<(String, u64)>,
    /// The owner is an organization (`owner.type`).
    pub owner_is_org: bool,
    pub issues: BTreeMap<u64, IssueModel>,
    /// login → role name (`admin`, `maintain`, `write`, `triage`, `read`)
    pub roles: HashMap<String, String>,
    /// branch name → the commit it points to
    pub branches: HashMap<String, String>,
    /// `GET /repos/{owner}/{repo}/activity`: what was pushed, by whom, when.
    pub activity: Vec<ActivityModel>,
    /// The repository's labels (`/repos/{owner}/{repo}/labels`).
    pub labels: Vec<LabelModel>,
}

/// One entry of a repository's activity (GitHub's `activity` object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityModel {
    pub id: u64,
    /// `refs/heads/<branch>`
    pub reference: String,
    pub activity_type: String,
    /// The pusher's login and id.
    pub actor: Option<(String, u64)>,
    pub timestamp: chrono::DateTime<chrono::Utc>,
    pub after: String,
}

/// The login and id of whoever pushes a branch in tests by default.
pub const PUSHER: (&str, u64) = ("branch-pusher", 70_001);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelModel {
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

/// A reply of the bot that no test helper has returned yet.
#[derive(Debug, Clone)]
pub struct Unread {
    pub repo: String,
    pub number: u64,
    pub id: u64,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub body: Option<Value>,
    pub authorization: Option<String>,
    /// When the request arrived: for tests that time the bot's work.
    pub at: std::time::Instant,
}

/// Not sent: carries an injected failure's message (`fail_next_saying`).
const MESSAGE_HEADER: &str = "x-fake-message";

#[derive(Debug, Clone)]
struct Failure {
    method: String,
    path_contains: String,
    body_contains: Option<String>,
    status: u16,
    headers: Vec<(String, String)>,
    /// Carry the request out first, then answer `status` (a 5xx after the
    /// work was done, as a proxy timing out does).
    after_applying: bool,
}

#[derive(Debug, Default)]
pub struct Model {
    pub repos: BTreeMap<String, RepoModel>,
    /// `org/team` → member logins
    pub teams: HashMap<String, Vec<String>>,
    /// login → user id: who holds each login now (`GET /users/{login}`).
    pub users: BTreeMap<String, u64>,
    pub requests: Vec<Recorded>,
    failures: VecDeque<Failure>,
    next_id: u64,
    /// The bot's comments a test has read (by id): the harness fails a test
    /// that leaves one of the bot's replies unread (`TestBot`'s `Drop`).
    read: HashSet<u64>,
    /// The comments the bot posted through the API (by id); a comment a
    /// test adds under the bot's login is not one of its replies.
    posted: HashSet<u64>,
}

impl Model {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        5_000_000 + self.next_id
    }

    /// Registers a user met on an issue or comment; the first user seen with
    /// a login keeps it (`add_user` hands a login to someone else).
    fn saw_user(&mut self, login: &str, user_id: u64) {
        if self.user(login).is_none() {
            self.users.insert(login.to_owned(), user_id);
        }
    }

    /// Who holds `login` (logins are case-insensitive on GitHub).
    fn user(&self, login: &str) -> Option<(&str, u64)> {
        self.users
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(login))
            .map(|(l, id)| (l.as_str(), *id))
    }
}

#[derive(Clone)]
pub struct FakeGitHub {
    server: Arc<MockServer>,
    model: Arc<Mutex<Model>>,
}

impl FakeGitHub {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let model = Arc::new(Mutex::new(Model::default()));
        Mock::given(any())
            .respond_with(Responder {
                model: Arc::clone(&model),
                routes: Routes::new(),
            })
            .mount(&server)
            .await;
        Self {
            server: Arc::new(server),
            model,
        }
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap()
    }

    pub fn add_issue(
        &self,
        repo: &str,
        number: u64,
        login: &str,
        user_id: u64,
        body: Option<&str>,
        labels: &[&str],
    ) {
        let mut m = self.model();
        m.saw_user(login, user_id);
        m.repos.entry(repo.to_owned()).or_default().issues.insert(
            number,
            IssueModel {
                number,
                title: "Account recovery request".into(),
                body: body.map(str::to_owned),
                login: login.into(),
                user_id,
                labels: labels.iter().map(|s| s.to_string()).collect(),
                state: "open".into(),
                state_reason: None,
                comments: Vec::new(),
                reactions: Vec::new(),
                updated_at: chrono::Utc::now(),
            },
        );
    }

    pub fn set_role(&self, repo: &str, login: &str, role: &str) {
        self.model()
            .repos
            .entry(repo.to_owned())
            .or_default()
            .roles
            .insert(login.to_owned(), role.to_owned());
    }

    /// `login` is now held by the user `id` (a new account, or a rename):
    /// `GET /users/{login}` answers with `id` from now on.
    pub fn add_user(&self, login: &str, id: u64) {
        let mut m = self.model();
        m.users.retain(|l, _| !l.eq_ignore_ascii_case(login));
        m.users.insert(login.to_owned(), id);
    }

    pub fn add_team_member(&self, team: &str, login: &str) {
        self.model()
            .teams
            .entry(team.to_owned())
            .or_default()
            .push(login.to_owned());
    }

    /// A comment by someone else (the bot's own go through the API).
    pub fn add_comment(
        &self,
        repo: &str,
        number: u64,
        login: &str,
        user_id: u64,
        body: &str,
    ) -> u64 {
        let mut m = self.model();
        m.saw_user(login, user_id);
        let id = m.id();
        let issue = m
            .repos
            .get_mut(repo)
            .unwrap()
            .issues
            .get_mut(&number)
            .unwrap();
        issue.comments.push(CommentModel {
            id,
            body: body.to_owned(),
            login: login.to_owned(),
            user_id,
            reactions: Vec::new(),
        });
        id
    }

    /// Comments by the bot, oldest first.
    pub fn bot_comments(&self, repo: &str, number: u64) -> Vec<CommentModel> {
        self.issue(repo, number)
            .comments
            .into_iter()
            .filter(|c| c.login == BOT_LOGIN)
            .collect()
    }

    /// Marks the bot's comments `ids` as read by the test.
    pub fn mark_read(&self, ids: impl IntoIterator<Item = u64>) {
        self.model().read.extend(ids);
    }

    /// The bot's comments that are not a status comment (replies) and that
    /// no test helper has returned yet, oldest first.
    pub fn unread_replies(&self) -> Vec<Unread> {
        let m = self.model();
        let mut out = Vec::new();
        for (name, repo) in &m.repos {
            for issue in repo.issues.values() {
                for c in &issue.comments {
                    if m.posted.contains(&c.id)
                        && !c.body.contains(STATUS_MARKER)
                        && !m.read.contains(&c.id)
                    {
                        out.push(Unread {
                            repo: name.clone(),
                            number: issue.number,
                            id: c.id,
                            body: c.body.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// How many status comments the bot posted on each issue that has one
    /// (`(repo, issue, count)`).
    pub fn status_comment_counts(&self) -> Vec<(String, u64, usize)> {
        let m = self.model();
        let mut out = Vec::new();
        for (name, repo) in &m.repos {
            for issue in repo.issues.values() {
                let n = issue
                    .comments
                    .iter()
                    .filter(|c| m.posted.contains(&c.id) && c.body.contains(STATUS_MARKER))
                    .count();
                if n > 0 {
                    out.push((name.clone(), issue.number, n));
                }
            }
        }
        out
    }

    /// The requests still queued to fail (`fail_next` and friends) that no
    /// call has met yet.
    pub fn pending_failures(&self) -> usize {
        self.model().failures.len()
    }

    /// Forgets every injected failure not met yet.
    pub fn clear_failures(&self) {
        self.model().failures.clear();
    }

    /// One comment of an issue, by id, as GitHub holds it now.
    pub fn comment(&self, repo: &str, number: u64, id: u64) -> CommentModel {
        self.issue(repo, number)
            .comments
            .into_iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no comment {id} on {repo}#{number}"))
    }

    /// Changes an issue on GitHub by hand: no delivery is sent for it.
    pub fn update_issue(&self, repo: &str, number: u64, change: impl FnOnce(&mut IssueModel)) {
        let mut m = self.model();
        let issue = m
            .repos
            .get_mut(repo)
            .and_then(|r| r.issues.get_mut(&number))
            .unwrap_or_else(|| panic!("no issue {repo}#{number}"));
        change(issue);
    }

    pub fn issue(&self, repo: &str, number: u64) -> IssueModel {
        self.model().repos[repo].issues[&number].clone()
    }

    /// The next `count` requests whose method is `method` and whose path
    /// contains `path_contains` are answered `status` with `headers`.
    pub fn fail_next(
        &self,
        method: &str,
        path_contains: &str,
        status: u16,
        headers: &[(&str, &str)],
        count: usize,
    ) {
        let mut m = self.model();
        for _ in 0..count {
            m.failures.push_back(Failure {
                method: method.to_owned(),
                path_contains: path_contains.to_owned(),
                body_contains: None,
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                after_applying: false,
            });
        }
    }

    /// Like `fail_next`, with GitHub's `message` in the answer's body (a
    /// secondary rate limit says so only there).
    pub fn fail_next_saying(
        &self,
        method: &str,
        path_contains: &str,
        status: u16,
        message: &str,
        count: usize,
    ) {
        self.fail_next(
            method,
            path_contains,
            status,
            &[(MESSAGE_HEADER, message)],
            count,
        );
    }

    /// Like `fail_next`, for requests whose JSON body contains `body_contains`.
    pub fn fail_next_with_body(
        &self,
        method: &str,
        path_contains: &str,
        body_contains: &str,
        status: u16,
        count: usize,
    ) {
        let mut m = self.model();
        for _ in 0..count {
            m.failures.push_back(Failure {
                method: method.to_owned(),
                path_contains: path_contains.to_owned(),
                body_contains: Some(body_contains.to_owned()),
                status,
                headers: Vec::new(),
                after_applying: false,
            });
        }
    }

    /// The next request matching `method` and `path_contains` is carried
    /// out, and then answered `status` anyway: the caller cannot tell
    /// whether it landed.
    pub fn fail_after_applying(&self, method: &str, path_contains: &str, status: u16) {
        self.model().failures.push_back(Failure {
            method: method.to_owned(),
            path_contains: path_contains.to_owned(),
            body_contains: None,
            status,
            headers: Vec::new(),
            after_applying: true,
        });
    }

    /// A repository owned by the user `owner_login` / `owner_id`, as a
    /// project's source repository.
    pub fn add_repo(&self, full_name: &str, owner_login: &str, owner_id: u64) {
        self.model()
            .repos
            .entry(full_name.to_owned())
            .or_default()
            .owner = Some((owner_login.to_owned(), owner_id));
    }

    /// A repository owned by the organization `org_login` / `org_id`.
    pub fn add_org_repo(&self, full_name: &str, org_login: &str, org_id: u64) {
        let mut m = self.model();
        let repo = m.repos.entry(full_name.to_owned()).or_default();
        repo.owner = Some((org_login.to_owned(), org_id));
        repo.owner_is_org = true;
    }

    /// How many `GET /repos/{owner}/{repo}` (the repository itself) the bot
    /// made.
    pub fn repository_reads(&self) -> usize {
        let r = Routes::new();
        self.requests()
            .iter()
            .filter(|q| q.method == "GET" && r.repo.is_match(&q.path))
            .count()
    }

    /// [`PUSHER`] pushed `branch` at `commit` to the repository now: the
    /// branch and its `branch_creation` activity.
    pub fn add_branch(&self, full_name: &str, branch: &str, commit: &str) {
        self.add_branch_by(full_name, branch, commit, Some(PUSHER), chrono::Utc::now());
    }

    /// A branch whose creation the activity shows by `actor` at `at`.
    pub fn add_branch_by(
        &self,
        full_name: &str,
        branch: &str,
        commit: &str,
        actor: Option<(&str, u64)>,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        self.add_branch_without_activity(full_name, branch, commit);
        let mut m = self.model();
        let repo = m.repos.entry(full_name.to_owned()).or_default();
        let id = 1_000 + repo.activity.len() as u64;
        repo.activity.push(ActivityModel {
            id,
            reference: format!("refs/heads/{branch}"),
            activity_type: "branch_creation".to_owned(),
            actor: actor.map(|(l, i)| (l.to_owned(), i)),
            timestamp: at,
            after: commit.to_owned(),
        });
    }

    /// A branch whose creation the activity does not show.
    pub fn add_branch_without_activity(&self, full_name: &str, branch: &str, commit: &str) {
        self.model()
            .repos
            .entry(full_name.to_owned())
            .or_default()
            .branches
            .insert(branch.to_owned(), commit.to_owned());
    }

    /// How many `GET /repos/{owner}/{repo}/activity` the bot made.
    pub fn activity_reads(&self) -> usize {
        let r = Routes::new();
        self.requests()
            .iter()
            .filter(|q| q.method == "GET" && r.activity.is_match(&q.path))
            .count()
    }

    /// A label on a repository (the repository is made if need be).
    pub fn add_label(&self, repo: &str, name: &str, color: &str, description: &str) {
        self.model()
            .repos
            .entry(repo.to_owned())
            .or_default()
            .labels
            .push(LabelModel {
                name: name.to_owned(),
                color: color.to_owned(),
                description: Some(description.to_owned()),
            });
    }

    /// A repository's labels, as GitHub holds them.
    pub fn labels(&self, repo: &str) -> Vec<LabelModel> {
        self.model()
            .repos
            .get(repo)
            .map(|r| r.labels.clone())
            .unwrap_or_default()
    }

    /// The issue is gone (deleted): every call on it answers 404.
    pub fn delete_issue(&self, repo: &str, number: u64) {
        self.model()
            .repos
            .get_mut(repo)
            .unwrap()
            .issues
            .remove(&number);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.model().requests.clone()
    }

    /// Requests that changed something (anything but GET).
    pub fn writes(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }
}

struct Routes {
    repo: Regex,
    repo_issues: Regex,
    issue: Regex,
    issue_labels: Regex,
    issue_label: Regex,
    issue_comments: Regex,
    comment: Regex,
    comment_reactions: Regex,
    issue_reactions: Regex,
    permission: Regex,
    team_membership: Regex,
    access_token: Regex,
    issue_prefix: Regex,
    user: Regex,
    branch: Regex,
    activity: Regex,
    repo_labels: Regex,
    repo_label: Regex,
}

impl Routes {
    fn new() -> Self {
        let r = |s: &str| Regex::new(s).unwrap();
        Self {
            repo: r(r"^/repos/([^/]+/[^/]+)$"),
            repo_issues: r(r"^/repos/([^/]+/[^/]+)/issues$"),
            issue: r(r"^/repos/([^/]+/[^/]+)/issues/(\d+)$"),
            issue_labels: r(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/labels$"),
            issue_label: r(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/labels/([^/]+)$"),
            issue_comments: r(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$"),
            comment: r(r"^/repos/([^/]+/[^/]+)/issues/comments/(\d+)$"),
            comment_reactions: r(r"^/repos/([^/]+/[^/]+)/issues/comments/(\d+)/reactions$"),
            issue_reactions: r(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/reactions$"),
            permission: r(r"^/repos/([^/]+/[^/]+)/collaborators/([^/]+)/permission$"),
            team_membership: r(r"^/orgs/([^/]+)/teams/([^/]+)/memberships/([^/]+)$"),
            access_token: r(r"^/app/installations/(\d+)/access_tokens$"),
            issue_prefix: r(r"^/repos/([^/]+/[^/]+)/issues/(\d+)"),
            user: r(r"^/users/([^/]+)$"),
            branch: r(r"^/repos/([^/]+/[^/]+)/branches/([^/]+)$"),
            activity: r(r"^/repos/([^/]+/[^/]+)/activity$"),
            repo_labels: r(r"^/repos/([^/]+/[^/]+)/labels$"),
            repo_label: r(r"^/repos/([^/]+/[^/]+)/labels/([^/]+)$"),
        }
    }
}

struct Responder {
    model: Arc<Mutex<Model>>,
    routes: Routes,
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string(),
    }))
}

fn not_found() -> ResponseTemplate {
    error(404, "Not Found")
}

/// `GET /repos/{owner}/{repo}/activity` as GitHub's REST description
/// defines it: `ref` (a full ref or a branch name), `activity_type`,
/// `direction`, `time_period`, `per_page`; an unknown value is refused
/// (422); newest first.
fn activity(repo: Option<&RepoModel>, req: &Request) -> ResponseTemplate {
    let Some(repo) = repo else {
        return not_found();
    };
    let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
    const TYPES: [&str; 6] = [
        "push",
        "force_push",
        "branch_creation",
        "branch_deletion",
        "pr_merge",
        "merge_queue_merge",
    ];
    let known =
        |key: &str, values: &[&str]| q.get(key).is_none_or(|v| values.contains(&v.as_str()));
    let per_page = q.get("per_page").map(|v| v.parse::<usize>());
    if !known("activity_type", &TYPES)
        || !known("direction", &["asc", "desc"])
        || !known("time_period", &["day", "week", "month", "quarter", "year"])
        || matches!(per_page, Some(Err(_)) | Some(Ok(0 | 101..)))
    {
        return error(422, "Validation Failed");
    }
    let wanted_ref = q.get("ref").map(|r| {
        if r.starts_with("refs/") {
            r.clone()
        } else {
            format!("refs/heads/{r}")
        }
    });
    let mut items: Vec<&ActivityModel> = repo
        .activity
        .iter()
        .filter(|a| wanted_ref.as_ref().is_none_or(|r| *r == a.reference))
        .filter(|a| q.get("activity_type").is_none_or(|t| *t == a.activity_type))
        .collect();
    items.sort_by_key(|a| std::cmp::Reverse(a.timestamp));
    if q.get("direction").is_some_and(|d| d == "asc") {
        items.reverse();
    }
    let per_page = per_page.and_then(Result::ok).unwrap_or(30);
    let body: Vec<Value> = items
        .into_iter()
        .take(per_page)
        .map(|a| {
            json!({
                "id": a.id,
                "node_id": format!("RA_{}", a.id),
                "before": "0000000000000000000000000000000000000000",
                "after": a.after,
                "ref": a.reference,
                // Whole seconds, as GitHub writes them.
                "timestamp": a.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "activity_type": a.activity_type,
                "actor": a.actor.as_ref().map(|(l, i)| user_json(l, *i)),
            })
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(Value::Array(body))
}

fn user_json(login: &str, id: u64) -> Value {
    json!({ "login": login, "id": id, "type": if login.ends_with("[bot]") { "Bot" } else { "User" } })
}

fn comment_json(repo: &str, number: u64, c: &CommentModel) -> Value {
    json!({
        "id": c.id,
        "body": c.body,
        "user": user_json(&c.login, c.user_id),
        "html_url": format!("https://github.com/{repo}/issues/{number}#issuecomment-{}", c.id),
        "issue_url": format!("https://api.github.com/repos/{repo}/issues/{number}"),
        "created_at": "2026-11-24T00:00:00Z",
        "updated_at": "2026-11-24T00:00:00Z",
    })
}

fn issue_json(repo: &str, i: &IssueModel) -> Value {
    json!({
        "updated_at": i.updated_at.to_rfc3339(),
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "user": user_json(&i.login, i.user_id),
        "labels": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
        "state": i.state,
        "state_reason": i.state_reason,
        "html_url": format!("https://github.com/{repo}/issues/{}", i.number),
    })
}

fn label_json(l: &LabelModel) -> Value {
    json!({ "id": 1, "name": l.name, "color": l.color, "description": l.description, "default": false })
}

/// What GitHub refuses in a label: a name over 50 characters or empty, a
/// description over 100, a colour that is not six hex digits.
fn label_refused(name: Option<&str>, color: Option<&str>, description: Option<&str>) -> bool {
    name.is_some_and(|n| n.is_empty() || n.chars().count() > 50)
        || description.is_some_and(|d| d.chars().count() > 100)
        || color.is_some_and(|c| c.len() != 6 || !c.chars().all(|c| c.is_ascii_hexdigit()))
}

fn labels_json(i: &IssueModel) -> Value {
    Value::Array(i.labels.iter().map(|l| json!({"name": l})).collect())
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

const REACTIONS: &[&str] = &[
    "+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes",
];

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let method = req.method.as_str().to_owned();
        let path = req.url.path().to_owned();
        let body: Option<Value> = if req.body.is_empty() {
            None
        } else {
            match serde_json::from_slice(&req.body) {
                Ok(v) => Some(v),
                Err(_) => return error(400, "Problems parsing JSON"),
            }
        };
        let mut m = self.model.lock().unwrap();
        let authorization = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        m.requests.push(Recorded {
            method: method.clone(),
            path: path.clone(),
            body: body.clone(),
            authorization: authorization.clone(),
            at: std::time::Instant::now(),
        });
        let Some(authorization) = authorization else {
            return error(401, "Requires authentication");
        };
        // App endpoints take the app's JWT; everything else a token.
        let jwt = authorization.starts_with("Bearer ey");
        let app_endpoint = path == "/app" || self.routes.access_token.is_match(&path);
        if app_endpoint != jwt {
            return error(401, "A JSON web token could not be decoded");
        }
        if let Some(pos) = m.failures.iter().position(|f| {
            f.method == method
                && path.contains(&f.path_contains)
                && f.body_contains.as_ref().is_none_or(|b| {
                    body.as_ref()
                        .is_some_and(|v| v.to_string().contains(b.as_str()))
                })
        }) {
            let f = m.failures.remove(pos).unwrap();
            if f.after_applying {
                let done = self.route(&mut m, &method, &path, req, body);
                drop(done);
            }
            let message = f
                .headers
                .iter()
                .find(|(k, _)| k == MESSAGE_HEADER)
                .map_or("injected failure", |(_, v)| v.as_str());
            let mut t = error(f.status, message);
            for (k, v) in &f.headers {
                if k != MESSAGE_HEADER {
                    t = t.insert_header(k.as_str(), v.as_str());
                }
            }
            return t;
        }
        // GitHub counts every call against the hour's budget of 5,000.
        let remaining = 5_000usize.saturating_sub(m.requests.len());
        let answer = self
            .route(&mut m, &method, &path, req, body)
            .insert_header("x-ratelimit-remaining", remaining.to_string().as_str());
        if method != "GET"
            && let Some(c) = self.routes.issue_prefix.captures(&path)
            && let Some(issue) = m
                .repos
                .get_mut(&c[1])
                .and_then(|r| r.issues.get_mut(&c[2].parse::<u64>().unwrap_or(0)))
        {
            issue.updated_at = chrono::Utc::now();
        }
        answer
    }
}

impl Responder {
    fn route(
        &self,
        m: &mut Model,
        method: &str,
        path: &str,
        req: &Request,
        body: Option<Value>,
    ) -> ResponseTemplate {
        let r = &self.routes;
        let body = body.unwrap_or(Value::Null);
        match method {
            "GET" if path == "/user" => {
                return ResponseTemplate::new(200).set_body_json(user_json(BOT_LOGIN, BOT_ID));
            }
            "GET" if r.repo.is_match(path) => {
                let name = &r.repo.captures(path).unwrap()[1];
                return match m.repos.get(name) {
                    Some(repo) => {
                        let (owner, owner_id) = repo.owner.clone().unwrap_or_else(|| {
                            (name.split('/').next().unwrap_or("").to_owned(), 1)
                        });
                        let mut owner = user_json(&owner, owner_id);
                        if repo.owner_is_org {
                            owner["type"] = json!("Organization");
                        }
                        ResponseTemplate::new(200).set_body_json(json!({
                            "id": super::REPO_ID, "full_name": name, "name": name.split('/').nth(1),
                            "owner": owner,
                        }))
                    }
                    None => not_found(),
                };
            }
            "GET" if r.repo_issues.is_match(path) => {
                let name = r.repo_issues.captures(path).unwrap()[1].to_owned();
                let Some(repo) = m.repos.get(&name) else {
                    return not_found();
                };
                let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
                let state = q.get("state").cloned().unwrap_or_else(|| "open".into());
                let labels: Vec<String> = q
                    .get("labels")
                    .map(|l| l.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                let per_page: usize = q
                    .get("per_page")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(30)
                    .clamp(1, 100);
                let page: usize = q
                    .get("page")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1)
                    .max(1);
                let items: Vec<Value> = repo
                    .issues
                    .values()
                    .filter(|i| state == "all" || i.state == state)
                    .filter(|i| {
                        labels
                            .iter()
                            .all(|l| i.labels.iter().any(|x| x.eq_ignore_ascii_case(l)))
                    })
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .map(|i| issue_json(&name, i))
                    .collect();
                return ResponseTemplate::new(200).set_body_json(Value::Array(items));
            }
            "GET" if r.branch.is_match(path) => {
                let c = r.branch.captures(path).unwrap();
                let branch = decode(&c[2]);
                return match m.repos.get(&c[1]).and_then(|repo| repo.branches.get(&branch)) {
                    Some(sha) => ResponseTemplate::new(200).set_body_json(json!({
                        "name": branch,
                        "commit": { "sha": sha, "url": format!("https://api.github.com/repos/{}/commits/{sha}", &c[1]) },
                        "protected": false,
                    })),
                    None => error(404, "Branch not found"),
                };
            }
            "GET" if r.activity.is_match(path) => {
                let name = r.activity.captures(path).unwrap()[1].to_owned();
                return activity(m.repos.get(&name), req);
            }
            "GET" if r.user.is_match(path) => {
                let login = decode(&r.user.captures(path).unwrap()[1]);
                return match m.user(&login) {
                    Some((login, id)) => {
                        ResponseTemplate::new(200).set_body_json(user_json(login, id))
                    }
                    None => not_found(),
                };
            }
            "GET" if path == "/app" => {
                return ResponseTemplate::new(200)
                    .set_body_json(json!({"id": 1, "slug": BOT_LOGIN, "name": "Recovery Bot"}));
            }
            "POST" if r.access_token.is_match(path) => {
                return ResponseTemplate::new(201).set_body_json(json!({
                    "token": "ghs_installation_token",
                    "expires_at": "2099-01-01T00:00:00Z",
                    "permissions": {"issues": "write", "metadata": "read", "members": "read"},
                    "repository_selection": "all",
                }));
            }
            _ => {}
        }
        if let Some(c) = r.repo_labels.captures(path) {
            let Some(repo) = m.repos.get_mut(&c[1]) else {
                return not_found();
            };
            return match method {
                "GET" => ResponseTemplate::new(200)
                    .set_body_json(Value::Array(repo.labels.iter().map(label_json).collect())),
                "POST" => {
                    let (Some(name), color, description) = (
                        body["name"].as_str(),
                        body["color"].as_str(),
                        body["description"].as_str(),
                    ) else {
                        return error(422, "Validation Failed");
                    };
                    if label_refused(Some(name), color, description) {
                        return error(422, "Validation Failed");
                    }
                    if repo
                        .labels
                        .iter()
                        .any(|l| l.name.eq_ignore_ascii_case(name))
                    {
                        return error(422, "Validation Failed: already_exists");
                    }
                    let label = LabelModel {
                        name: name.to_owned(),
                        color: color.unwrap_or("ededed").to_lowercase(),
                        description: description.map(str::to_owned),
                    };
                    let json = label_json(&label);
                    repo.labels.push(label);
                    ResponseTemplate::new(201).set_body_json(json)
                }
                _ => not_found(),
            };
        }
        if let Some(c) = r.repo_label.captures(path) {
            let name = decode(&c[2]);
            let Some(repo) = m.repos.get_mut(&c[1]) else {
                return not_found();
            };
            let Some(pos) = repo
                .labels
                .iter()
                .position(|l| l.name.eq_ignore_ascii_case(&name))
            else {
                return not_found();
            };
            return match method {
                "GET" => ResponseTemplate::new(200).set_body_json(label_json(&repo.labels[pos])),
                "PATCH" => {
                    let new_name = body["new_name"].as_str();
                    let color = body["color"].as_str();
                    let description = body["description"].as_str();
                    if label_refused(new_name, color, description) {
                        return error(422, "Validation Failed");
                    }
                    if let Some(n) = new_name
                        && repo
                            .labels
                            .iter()
                            .enumerate()
                            .any(|(i, l)| i != pos && l.name.eq_ignore_ascii_case(n))
                    {
                        return error(422, "Validation Failed: already_exists");
                    }
                    let label = &mut repo.labels[pos];
                    if let Some(n) = new_name {
                        label.name = n.to_owned();
                    }
                    if let Some(c) = color {
                        label.color = c.to_lowercase();
                    }
                    if let Some(d) = description {
                        label.description = Some(d.to_owned());
                    }
                    ResponseTemplate::new(200).set_body_json(label_json(label))
                }
                "DELETE" => {
                    repo.labels.remove(pos);
                    ResponseTemplate::new(204)
                }
                _ => not_found(),
            };
        }
        if let Some(c) = r.team_membership.captures(path) {
            if method != "GET" {
                return not_found();
            }
            let key = format!("{}/{}", decode(&c[1]), decode(&c[2]));
            let login = decode(&c[3]);
            let member = m
                .teams
                .get(&key)
                .is_some_and(|members| members.iter().any(|l| l.eq_ignore_ascii_case(&login)));
            return if member {
                ResponseTemplate::new(200)
                    .set_body_json(json!({"state": "active", "role": "member"}))
            } else {
                not_found()
            };
        }
        if let Some(c) = r.permission.captures(path) {
            if method != "GET" {
                return not_found();
            }
            let Some(repo) = m.repos.get(&c[1]) else {
                return not_found();
            };
            let login = decode(&c[2]);
            let role = repo
                .roles
                .get(&login)
                .cloned()
                .unwrap_or_else(|| "read".into());
            let permission = match role.as_str() {
                "maintain" => "write",
                "triage" => "read",
                other => other,
            };
            return ResponseTemplate::new(200).set_body_json(json!({
                "permission": permission, "role_name": role, "user": user_json(&login, 1),
            }));
        }
        if let Some(c) = r.comment_reactions.captures(path) {
            if method != "POST" {
                return not_found();
            }
            let id: u64 = c[2].parse().unwrap_or(0);
            let content = body["content"].as_str().unwrap_or("").to_owned();
            if !REACTIONS.contains(&content.as_str()) {
                return error(422, "Validation Failed");
            }
            let Some(repo) = m.repos.get_mut(&c[1]) else {
                return not_found();
            };
            let Some(comment) = repo
                .issues
                .values_mut()
                .flat_map(|i| i.comments.iter_mut())
                .find(|c| c.id == id)
            else {
                return not_found();
            };
            let existed = comment.reactions.contains(&content);
            if !existed {
                comment.reactions.push(content.clone());
            }
            return ResponseTemplate::new(if existed { 200 } else { 201 }).set_body_json(
                json!({"id": 1, "content": content, "user": user_json(BOT_LOGIN, BOT_ID)}),
            );
        }
        if let Some(c) = r.comment.captures(path) {
            let id: u64 = c[2].parse().unwrap_or(0);
            let repo_name = c[1].to_owned();
            let Some(repo) = m.repos.get_mut(&repo_name) else {
                return not_found();
            };
            let Some((number, comment)) = repo.issues.values_mut().find_map(|i| {
                let n = i.number;
                i.comments.iter_mut().find(|c| c.id == id).map(|c| (n, c))
            }) else {
                return not_found();
            };
            return match method {
                "GET" => ResponseTemplate::new(200)
                    .set_body_json(comment_json(&repo_name, number, comment)),
                // octocrab's update_comment sends POST, which GitHub accepts like PATCH.
                "PATCH" | "POST" => {
                    let Some(text) = body["body"].as_str() else {
                        return error(422, "Validation Failed");
                    };
                    if text.chars().count() > 65_536 {
                        return error(
                            422,
                            "Validation Failed: body is too long (maximum is 65536 characters)",
                        );
                    }
                    comment.body = text.to_owned();
                    ResponseTemplate::new(200)
                        .set_body_json(comment_json(&repo_name, number, comment))
                }
                _ => not_found(),
            };
        }
        let issue_of = |m: &mut Model, repo: &str, n: &str| -> Option<(String, u64)> {
            let n: u64 = n.parse().ok()?;
            m.repos.get(repo)?.issues.get(&n)?;
            Some((repo.to_owned(), n))
        };
        if let Some(c) = r.issue_label.captures(path) {
            let Some((repo, n)) = issue_of(m, &c[1], &c[2]) else {
                return not_found();
            };
            let name = decode(&c[3]);
            let issue = m.repos.get_mut(&repo).unwrap().issues.get_mut(&n).unwrap();
            return match method {
                "DELETE" => {
                    let before = issue.labels.len();
                    issue.labels.retain(|l| !l.eq_ignore_ascii_case(&name));
                    if issue.labels.len() == before {
                        error(404, "Label does not exist")
                    } else {
                        ResponseTemplate::new(200).set_body_json(labels_json(issue))
                    }
                }
                _ => not_found(),
            };
        }
        if let Some(c) = r.issue_labels.captures(path) {
            let Some((repo, n)) = issue_of(m, &c[1], &c[2]) else {
                return not_found();
            };
            let issue = m.repos.get_mut(&repo).unwrap().issues.get_mut(&n).unwrap();
            let names: Option<Vec<String>> = body["labels"].as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            });
            return match (method, names) {
                ("GET", _) => ResponseTemplate::new(200).set_body_json(labels_json(issue)),
                ("POST", Some(names)) => {
                    for n in names {
                        if !issue.labels.iter().any(|l| l.eq_ignore_ascii_case(&n)) {
                            issue.labels.push(n);
                        }
                    }
                    ResponseTemplate::new(200).set_body_json(labels_json(issue))
                }
                ("PUT", Some(names)) => {
                    issue.labels = names;
                    ResponseTemplate::new(200).set_body_json(labels_json(issue))
                }
                ("POST" | "PUT", None) => error(422, "Validation Failed"),
                _ => not_found(),
            };
        }
        if let Some(c) = r.issue_comments.captures(path) {
            let Some((repo, n)) = issue_of(m, &c[1], &c[2]) else {
                return not_found();
            };
            let id = m.id();
            let issue = m.repos.get_mut(&repo).unwrap().issues.get_mut(&n).unwrap();
            return match method {
                "GET" => {
                    let q: HashMap<String, String> = req.url.query_pairs().into_owned().collect();
                    let per_page: usize = q
                        .get("per_page")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(30)
                        .clamp(1, 100);
                    let page: usize = q
                        .get("page")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1)
                        .max(1);
                    let items: Vec<Value> = issue
                        .comments
                        .iter()
                        .skip((page - 1) * per_page)
                        .take(per_page)
                        .map(|c| comment_json(&repo, n, c))
                        .collect();
                    ResponseTemplate::new(200).set_body_json(Value::Array(items))
                }
                "POST" => {
                    let Some(text) = body["body"].as_str() else {
                        return error(422, "Validation Failed");
                    };
                    if text.chars().count() > 65_536 {
                        return error(
                            422,
                            "Validation Failed: body is too long (maximum is 65536 characters)",
                        );
                    }
                    let comment = CommentModel {
                        id,
                        body: text.to_owned(),
                        login: BOT_LOGIN.into(),
                        user_id: BOT_ID,
                        reactions: Vec::new(),
                    };
                    let json = comment_json(&repo, n, &comment);
                    issue.comments.push(comment);
                    m.posted.insert(id);
                    ResponseTemplate::new(201).set_body_json(json)
                }
                _ => not_found(),
            };
        }
        if let Some(c) = r.issue_reactions.captures(path) {
            let Some((repo, n)) = issue_of(m, &c[1], &c[2]) else {
                return not_found();
            };
            let content = body["content"].as_str().unwrap_or("").to_owned();
            if method != "POST" {
                return not_found();
            }
            if !REACTIONS.contains(&content.as_str()) {
                return error(422, "Validation Failed");
            }
            let issue = m.repos.get_mut(&repo).unwrap().issues.get_mut(&n).unwrap();
            issue.reactions.push(content.clone());
            return ResponseTemplate::new(201).set_body_json(json!({"id": 1, "content": content}));
        }
        if let Some(c) = r.issue.captures(path) {
            let Some((repo, n)) = issue_of(m, &c[1], &c[2]) else {
                return not_found();
            };
            let issue = m.repos.get_mut(&repo).unwrap().issues.get_mut(&n).unwrap();
            return match method {
                "GET" => ResponseTemplate::new(200).set_body_json(issue_json(&repo, issue)),
                "PATCH" => {
                    if let Some(state) = body.get("state") {
                        match state.as_str() {
                            Some(s @ ("open" | "closed")) => issue.state = s.to_owned(),
                            _ => return error(422, "Validation Failed"),
                        }
                    }
                    match body.get("state_reason") {
                        None => {}
                        Some(Value::Null) => issue.state_reason = None,
                        Some(v) => match v.as_str() {
                            Some(s @ ("completed" | "not_planned" | "reopened" | "duplicate")) => {
                                issue.state_reason = Some(s.to_owned())
                            }
                            _ => return error(422, "Validation Failed"),
                        },
                    }
                    if let Some(b) = body.get("body") {
                        issue.body = b.as_str().map(str::to_owned);
                    }
                    ResponseTemplate::new(200).set_body_json(issue_json(&repo, issue))
                }
                _ => not_found(),
            };
        }
        not_found()
    }
}
