//! The real octocrab-based client against the fake GitHub: the calls the bot
//! makes, and the retry policy (5xx and 429 retried, honouring retry-after;
//! other 4xx not retried).

mod common;

use common::{FakeGitHub, settings};
use recovery_bot::github::{GitHub, Reaction};
use recovery_bot::jobs::JobError;

const REPO: &str = "pypi/support";

async fn client() -> (FakeGitHub, GitHub) {
    let fake = FakeGitHub::start().await;
    fake.add_issue(
        REPO,
        7,
        "requester",
        42,
        Some("body"),
        &["account-recovery"],
    );
    let github = GitHub::new(&settings(&fake.uri())).unwrap();
    (fake, github)
}

#[tokio::test]
async fn identity_comments_labels_reactions_and_state() {
    let (fake, github) = client().await;
    assert_eq!(
        github.identity().await.unwrap().login,
        common::fake_github::BOT_LOGIN
    );

    let repo = github.repo(None).await.unwrap();
    let c = repo.create_comment(REPO, 7.into(), "hello").await.unwrap();
    repo.update_comment(REPO, 7.into(), c.id, "hello again")
        .await
        .unwrap();
    repo.add_labels(REPO, 7.into(), &["needs-fix"])
        .await
        .unwrap();
    repo.remove_label(REPO, 7.into(), "account-recovery")
        .await
        .unwrap();
    // Removing a label that is not there is fine.
    repo.remove_label(REPO, 7.into(), "not there")
        .await
        .unwrap();
    repo.react_to_comment(REPO, 7.into(), c.id, Reaction::Rocket)
        .await
        .unwrap();
    repo.set_issue_state(REPO, 7.into(), false, Some("not_planned"))
        .await
        .unwrap();

    let issue = fake.issue(REPO, 7);
    assert_eq!(issue.labels, ["needs-fix"]);
    assert_eq!(issue.comments.len(), 1);
    assert_eq!(issue.comments[0].body, "hello again");
    assert_eq!(issue.comments[0].reactions, ["rocket"]);
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("not_planned"))
    );

    let listed = repo.list_comments(REPO, 7.into()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].user.as_ref().unwrap().login,
        common::fake_github::BOT_LOGIN
    );
    fake.set_role(REPO, "admin-user", "maintain");
    assert_eq!(
        repo.permission(REPO, "admin-user").await.unwrap(),
        "maintain"
    );
}

#[tokio::test]
async fn comments_are_listed_across_pages() {
    let (fake, github) = client().await;
    let repo = github.repo(None).await.unwrap();
    for i in 0..130 {
        repo.create_comment(REPO, 7.into(), &format!("c{i}"))
            .await
            .unwrap();
    }
    let listed = repo.list_comments(REPO, 7.into()).await.unwrap();
    assert_eq!(listed.len(), 130);
    assert_eq!(listed[129].body.as_deref(), Some("c129"));
    let gets = fake.requests().iter().filter(|r| r.method == "GET").count();
    assert_eq!(gets, 2);
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried() {
    let (fake, github) = client().await;
    let repo = github.repo(None).await.unwrap();
    fake.fail_next("POST", "/labels", 502, &[], 2);
    repo.add_labels(REPO, 7.into(), &["needs-fix"])
        .await
        .unwrap();
    fake.fail_next("POST", "/labels", 429, &[("retry-after", "1")], 1);
    let started = std::time::Instant::now();
    repo.add_labels(REPO, 7.into(), &["needs-fix"])
        .await
        .unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "retry-after not honoured"
    );
    let posts = fake.writes().len();
    assert_eq!(posts, 3 + 2, "each failure retried once");
}

#[tokio::test]
async fn a_comment_is_never_re_sent_blindly() {
    let (fake, github) = client().await;
    let repo = github.repo(None).await.unwrap();
    // GitHub made the comment, then the answer was a 502: sending it again
    // would post it twice. The call fails; the job's retry looks first.
    fake.fail_after_applying("POST", "/comments", 502);
    let err = repo
        .create_comment(REPO, 7.into(), "once")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(matches!(JobError::from(err), JobError::Retry { .. }));
    assert_eq!(fake.writes().len(), 1, "sent once");
    assert_eq!(fake.issue(REPO, 7).comments.len(), 1);
}

#[tokio::test]
async fn validation_errors_are_not_retried_and_long_waits_go_to_the_queue() {
    let (fake, github) = client().await;
    let repo = github.repo(None).await.unwrap();
    let err = repo
        .create_comment(REPO, 7.into(), &"x".repeat(70_000))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert_eq!(fake.writes().len(), 1, "a 422 is not retried");
    assert!(matches!(JobError::from(err), JobError::Permanent(_)));

    // A rate limit that resets in ten minutes is not slept through here.
    let reset = (chrono::Utc::now().timestamp() + 600).to_string();
    fake.fail_next(
        "POST",
        "/comments",
        403,
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ],
        1,
    );
    let err = repo
        .create_comment(REPO, 7.into(), "later")
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    match JobError::from(err) {
        JobError::Retry {
            after: Some(after), ..
        } => assert!(after.as_secs() >= 590),
        other => panic!("expected a retry hint, got {other:?}"),
    }
    // Persistent 500s give up after the in-process retries.
    fake.fail_next("POST", "/comments", 500, &[], 5);
    let err = repo
        .create_comment(REPO, 7.into(), "down")
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(fake.issue(REPO, 7).comments.len(), 0);
}

#[tokio::test]
async fn unknown_routes_are_404_like_github() {
    let (_fake, github) = client().await;
    let repo = github.repo(None).await.unwrap();
    let err = repo
        .create_comment(REPO, 999.into(), "no such issue")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

#[tokio::test]
async fn as_a_github_app_the_bot_uses_installation_tokens() {
    let fake = FakeGitHub::start().await;
    fake.add_issue(REPO, 7, "requester", 42, Some("body"), &[]);
    let mut s = settings(&fake.uri());
    let key = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/test-app-key.pem"
    ))
    .unwrap();
    s.github_auth = Some(recovery_bot::config::GitHubAuth::App {
        app_id: 12345,
        private_key: key.into(),
    });
    let github = GitHub::new(&s).unwrap();
    assert_eq!(
        github.identity().await.unwrap().login,
        format!("{}[bot]", common::fake_github::BOT_LOGIN)
    );
    assert!(
        github.repo(None).await.is_err(),
        "an App needs the delivery's installation"
    );
    let repo = github.repo(Some(99)).await.unwrap();
    repo.create_comment(REPO, 7.into(), "hello").await.unwrap();
    repo.create_comment(REPO, 7.into(), "again").await.unwrap();
    let requests = fake.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/app",
            "/app/installations/99/access_tokens",
            "/repos/pypi/support/issues/7/comments",
            "/repos/pypi/support/issues/7/comments"
        ],
        "one installation token, reused"
    );
    assert!(
        requests[0]
            .authorization
            .as_deref()
            .unwrap()
            .starts_with("Bearer ey")
    );
    assert!(
        requests[2]
            .authorization
            .as_deref()
            .unwrap()
            .ends_with("ghs_installation_token")
    );
}

#[tokio::test]
async fn label_calls_and_what_the_fake_refuses_as_github_does() {
    let github = FakeGitHub::start().await;
    github.add_repo(common::REPO, "pypi", 1);
    let gh = GitHub::new(&settings(&github.uri()))
        .unwrap()
        .repo(None)
        .await
        .unwrap();
    let repo = common::REPO;
    assert_eq!(gh.label(repo, "needs fix").await.unwrap(), None);
    gh.create_label(repo, "needs fix", "d93f0b", "fix it")
        .await
        .unwrap();
    let label = gh.label(repo, "Needs Fix").await.unwrap().unwrap();
    assert_eq!(
        (label.name.as_str(), label.color.as_str()),
        ("needs fix", "d93f0b")
    );
    let status = |r: Result<_, recovery_bot::github::ApiError>| r.unwrap_err().status();
    // An existing name, a long name, a long description: 422.
    assert_eq!(
        status(gh.create_label(repo, "NEEDS FIX", "ffffff", "x").await),
        Some(422)
    );
    let long_name = "n".repeat(51);
    assert_eq!(
        status(gh.create_label(repo, &long_name, "ffffff", "x").await),
        Some(422)
    );
    let long_text = "d".repeat(101);
    assert_eq!(
        status(
            gh.update_label(repo, "needs fix", "ffffff", &long_text)
                .await
        ),
        Some(422)
    );
    let label = gh
        .update_label(repo, "needs fix", "FFFFFF", "new")
        .await
        .unwrap();
    assert_eq!(
        (label.color.as_str(), label.description.as_deref()),
        ("ffffff", Some("new"))
    );
}
