//! Issue #20 item 4 ("Only the tracker's admins decide"): each replayed
//! through the real binary, or the real router, PostgreSQL, workers and the
//! fake GitHub, and what the bot now does instead.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;
use http::StatusCode;
use recovery_bot::config::{Permission, Trackers};
use sqlx::PgPool;

const BIN: &str = env!("CARGO_BIN_EXE_recovery-bot");

/// The binary with only `env` (and PATH) set; exit code, stdout, stderr.
fn run(env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What `serve` needs but the trackers; GitHub on a port nothing listens
/// on, so a `serve` that gets past its settings stops at GitHub.
fn serve_env(github: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", "postgres://127.0.0.1:1/none".to_owned()),
        (
            "GITHUB_WEBHOOK_SECRET",
            "a-webhook-secret-long-enough-not-to-be-warned-about".to_owned(),
        ),
        ("GITHUB_TOKEN", "ghp_not_a_real_token".to_owned()),
        ("GITHUB_API_URL", github.to_owned()),
    ]
}

fn closed_port_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

fn with<'a>(
    base: &'a [(&'static str, String)],
    more: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(more.iter().copied())
        .collect()
}

// ---- The trackers: required, and `*` only without roles -------------------

/// Before: without RECOVERY_BOT_REPOS the bot served every repository its
/// credentials reached, and a maintainer of any of them was an admin there.
#[test]
fn serve_without_the_trackers_refuses_to_start_naming_the_setting() {
    let base = serve_env(&closed_port_url());
    let (code, _, err) = run(&with(&base, &[]), &["serve"]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("missing setting: RECOVERY_BOT_REPOS"), "{err}");
    // An empty list is no list.
    let (code, _, err) = run(&with(&base, &[("RECOVERY_BOT_REPOS", " , ")]), &["serve"]);
    assert_ne!(code, 0);
    assert!(err.contains("missing setting: RECOVERY_BOT_REPOS"), "{err}");
    // `config check` says the same, with exit 2.
    let (code, _, err) = run(&with(&base, &[]), &["config", "check"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("missing setting: RECOVERY_BOT_REPOS"), "{err}");
    // Named, the settings pass; so does `*` with configured logins only.
    for repos in ["pypi/support", "*"] {
        let env = with(
            &base,
            &[
                ("RECOVERY_BOT_REPOS", repos),
                ("RECOVERY_BOT_ADMINS", "alice:12345"),
            ],
        );
        let (code, _, err) = run(&env, &["config", "check"]);
        assert_eq!(code, 0, "{repos}: {err}");
    }
}

/// `*` would make a team member or a role holder an admin on every
/// repository the credentials reach, and a directory (or the index's
/// reset) would serve them all: each is named, at start and by `config
/// check`.
#[test]
fn every_repository_is_refused_with_roles_index_recover_or_a_directory() {
    let base = serve_env(&closed_port_url());
    let mut config = tempfile::NamedTempFile::new().unwrap();
    writeln!(
        config,
        "admin_teams = [\"pypi/admins\"]\nadmin_min_permission = \"maintain\"\nindex_recover = true"
    )
    .unwrap();
    let path = config.path().to_str().unwrap().to_owned();
    let env = with(
        &base,
        &[
            ("RECOVERY_BOT_REPOS", "*"),
            ("RECOVERY_BOT_CONFIG", &path),
            (
                "ACCOUNT_DIRECTORY_URL",
                "https://index.example.org/accounts",
            ),
        ],
    );
    let want = "RECOVERY_BOT_REPOS=* (every repository the credentials reach) cannot be used with \
                admin_min_permission, admin_teams, index_recover, ACCOUNT_DIRECTORY_URL";
    let (code, _, err) = run(&env, &["serve"]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(want), "{err}");
    let (code, _, err) = run(&env, &["config", "check"]);
    assert_eq!(code, 2);
    assert!(err.contains(want), "{err}");
    // One of them is enough, and is the one named.
    let env = with(
        &base,
        &[
            ("RECOVERY_BOT_REPOS", "*"),
            (
                "ACCOUNT_DIRECTORY_URL",
                "https://index.example.org/accounts",
            ),
        ],
    );
    let (code, _, err) = run(&env, &["serve"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("cannot be used with ACCOUNT_DIRECTORY_URL:"),
        "{err}"
    );
    // `*` beside names is a mistake, not every repository.
    let env = with(&base, &[("RECOVERY_BOT_REPOS", "*,pypi/support")]);
    let (code, _, err) = run(&env, &["config", "check"]);
    assert_eq!(code, 2);
    assert!(err.contains("`*` (every repository) stands alone"), "{err}");
}

/// The other subcommands do not need the trackers.
#[sqlx::test(migrations = false)]
async fn other_subcommands_run_without_the_trackers(pool: PgPool) {
    let url = database_url(&pool).await;
    let (code, out, err) = run(&[("DATABASE_URL", &url)], &["migrate"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("migrations applied"), "{out}");
    let (code, _, err) = run(&[("DATABASE_URL", &url)], &["jobs", "list"]);
    assert_eq!(code, 0, "{err}");
}

// ---- A role counts on the named trackers only -----------------------------

fn permission_look_ups(bot: &TestBot) -> Vec<String> {
    bot.github
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/permission"))
        .map(|r| r.path)
        .collect()
}

/// Before: with no allow-list, a maintainer of any repository the App
/// reached was an admin there. Now a delivery from a repository that is no
/// named tracker is dropped at the door, and a role elsewhere makes no
/// admin on the tracker.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_role_counts_on_the_named_tracker_only(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins.clear();
        s.admin_min_permission = Some(Permission::Maintain);
        s.repos = Trackers::Listed(vec![REPO.to_owned()]);
    })
    .await;
    bot.github.set_role("evil/tracker", STRANGER.login, "admin");
    bot.github.set_role(REPO, STRANGER.login, "triage");
    bot.github.set_role(REPO, ADMIN.login, "maintain");
    bot.pending_request(1).await;

    // The same command on the stranger's own repository: never stored,
    // never judged.
    let stored = count(&pool, "SELECT count(*) FROM deliveries").await;
    let mut p = comment_event(1, REQUESTER, STRANGER, 501, "/deny mine now", &[]);
    p["repository"]["full_name"] = "evil/tracker".into();
    p["repository"]["id"] = 6_666.into();
    let (status, _) = bot.send("issue_comment", &p).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM deliveries").await,
        stored
    );
    assert!(permission_look_ups(&bot).is_empty());

    // On the tracker, their role there is what counts.
    let c = bot.comment(1, STRANGER, "/deny x").await;
    assert_eq!(bot.reactions(1, c), ["eyes", "confused"]);
    bot.assert_reply(1, "@passer-by, only the tracker's admins can run commands");
    assert_eq!(bot.state(1).await, "pending");
    bot.comment(1, ADMIN, "/deny x").await;
    assert_eq!(bot.state(1).await, "denied");
    bot.assert_reply(1, "this request was denied and closed");
    let asked = permission_look_ups(&bot);
    assert!(
        asked
            .iter()
            .all(|p| p.starts_with(&format!("/repos/{REPO}/"))),
        "{asked:?}"
    );
}

/// Under `*` only the configured logins decide: start refuses a role with
/// it, and even a role set behind start's back is never asked.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn under_every_repository_only_configured_logins_decide(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.repos = Trackers::Every;
        s.admin_min_permission = Some(Permission::Maintain);
        s.admin_teams = vec!["pypi/admins".into()];
    })
    .await;
    bot.github.set_role(REPO, STRANGER.login, "admin");
    bot.github.add_team_member("pypi/admins", STRANGER.login);
    bot.pending_request(2).await;
    let c = bot.comment(2, STRANGER, "/deny x").await;
    assert_eq!(bot.reactions(2, c), ["eyes", "confused"]);
    bot.assert_reply(2, "@passer-by, only the tracker's admins can run commands");
    assert_eq!(bot.state(2).await, "pending");
    bot.comment(2, ADMIN, "/deny x").await;
    assert_eq!(bot.state(2).await, "denied");
    bot.assert_reply(2, "this request was denied and closed");
    assert!(permission_look_ups(&bot).is_empty());
    assert!(
        !bot.github
            .requests()
            .iter()
            .any(|r| r.path.contains("/memberships/"))
    );
}

// ---- An answer that cannot be read is never a yes -------------------------

/// GitHub answers 502 to every try of every attempt at the permission
/// look-up. Before: the job went dead (and a cached yes could stand in).
/// Now the job is retried like any GitHub error, and its last attempt
/// refuses the command with "could not check permission": nothing changes,
/// no job is dead, and the next comment, GitHub back, runs.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_permission_that_cannot_be_read_is_refused_after_the_retries(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins.clear();
        s.admin_min_permission = Some(Permission::Maintain);
        s.admin_cache = std::time::Duration::ZERO;
    })
    .await;
    bot.github.set_role(REPO, ADMIN.login, "maintain");
    bot.pending_request(3).await;
    let attempts = bot.settings.jobs.max_attempts as usize;
    // The client tries each call three times.
    bot.github
        .fail_next("GET", "/collaborators/", 502, &[], 3 * attempts);
    let c = bot.comment(3, ADMIN, "/deny x").await;
    assert_eq!(permission_look_ups(&bot).len(), 3 * attempts);
    assert_eq!(bot.reactions(3, c), ["eyes", "confused"]);
    bot.assert_reply(3, "@the-admin, I could not check permission");
    assert_eq!(bot.state(3).await, "pending");
    assert_eq!(bot.github.issue(REPO, 3).state, "open");
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await,
        0
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'permission_unchecked'"
        )
        .await,
        1
    );

    // Fewer failures than attempts: the retried job runs the command.
    bot.github.fail_next("GET", "/collaborators/", 502, &[], 3);
    bot.comment(3, ADMIN, "/deny x").await;
    assert_eq!(bot.state(3).await, "denied");
    bot.assert_reply(3, "this request was denied and closed");
}

/// A plain 403 (the credentials may not read teams) cannot pass by being
/// retried: the command is refused at once, and the job is not dead.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_team_answer_refused_by_github_is_refused_at_once(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins.clear();
        s.admin_teams = vec!["pypi/admins".into()];
    })
    .await;
    bot.github.add_team_member("pypi/admins", ADMIN.login);
    bot.pending_request(4).await;
    bot.github.fail_next("GET", "/memberships/", 403, &[], 1);
    let c = bot.comment(4, ADMIN, "/deny x").await;
    assert_eq!(bot.reactions(4, c), ["eyes", "confused"]);
    bot.assert_reply(4, "could not check permission");
    assert_eq!(bot.state(4).await, "pending");
    let asked = bot
        .github
        .requests()
        .iter()
        .filter(|r| r.path.contains("/memberships/"))
        .count();
    assert_eq!(asked, 1, "a 403 is not tried again");
}

// ---- Admin logins are pinned to one GitHub user id ------------------------

const ALICE_A: Person = Person {
    login: "alice",
    id: 7_001,
};
const ALICE_B: Person = Person {
    login: "alice",
    id: 7_002,
};

fn user_look_ups(bot: &TestBot) -> usize {
    bot.github
        .requests()
        .iter()
        .filter(|r| r.path == "/users/alice")
        .count()
}

async fn pin_of(pool: &PgPool, login: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT github_id FROM admin_pins WHERE login = $1")
        .bind(login)
        .fetch_optional(pool)
        .await
        .unwrap()
}

/// `alice` resolves to A the first time and is pinned there, in the
/// database. After a restart GitHub says `alice` is B (the login was freed
/// and taken): B's command is refused; A's still runs.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_login_stays_pinned_to_its_first_id_across_a_restart(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins = vec!["Alice".parse().unwrap()];
    })
    .await;
    bot.github.add_user(ALICE_A.login, ALICE_A.id);
    bot.pending_request(5).await;
    bot.comment(5, ALICE_A, "/confirm email checked by phone")
        .await;
    bot.assert_reply(5, "Check `email` recorded as passed");
    assert_eq!(bot.state(5).await, "verified");
    assert_eq!(pin_of(&pool, "alice").await, Some(7_001));
    assert_eq!(user_look_ups(&bot), 1);

    // A restart forgets every cached answer; the pin stays.
    let bot = bot.restart_with(|_| {}).await;
    bot.github.add_user(ALICE_B.login, ALICE_B.id);
    let c = bot.comment(5, ALICE_B, "/deny x").await;
    assert_eq!(bot.reactions(5, c), ["eyes", "confused"]);
    bot.assert_reply(5, "@alice, only the tracker's admins can run commands");
    assert_eq!(bot.state(5).await, "verified");
    assert_eq!(pin_of(&pool, "alice").await, Some(7_001));
    assert_eq!(user_look_ups(&bot), 1, "a pinned login is not looked up");
    // A comment of A's (written under the login, delivered late) is A's.
    bot.comment(5, ALICE_A, "/deny x").await;
    assert_eq!(bot.state(5).await, "denied");
    bot.assert_reply(5, "this request was denied and closed");
}

/// `alice:12345`: the setting names the id; GitHub is never asked, nothing
/// is pinned, and whoever else holds the login is no admin.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_login_given_with_its_id_is_that_id_only(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.admins = vec!["alice:12345".parse().unwrap()];
    })
    .await;
    bot.github.add_user(ALICE_B.login, ALICE_B.id);
    bot.pending_request(6).await;
    let c = bot.comment(6, ALICE_B, "/deny x").await;
    assert_eq!(bot.reactions(6, c), ["eyes", "confused"]);
    bot.assert_reply(6, "@alice, only the tracker's admins can run commands");
    assert_eq!(bot.state(6).await, "pending");
    let owner = Person {
        login: "alice",
        id: 12_345,
    };
    bot.comment(6, owner, "/deny x").await;
    assert_eq!(bot.state(6).await, "denied");
    bot.assert_reply(6, "this request was denied and closed");
    assert_eq!(user_look_ups(&bot), 0);
    assert_eq!(pin_of(&pool, "alice").await, None);
}

// ---- A canned reply never approves ----------------------------------------

/// `[replies.*] state` is one of incomplete, pending, awaiting_user and
/// denied: `config check` refuses any other with the reply's name, and so
/// does `serve`.
#[test]
fn a_canned_reply_may_not_approve() {
    let base = serve_env(&closed_port_url());
    let check = |state: &str, command: &str| {
        let mut config = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            config,
            "repos = [\"pypi/support\"]\n[replies.all-good]\ntext = \"Done, {{requester}}.\"\nstate = \"{state}\""
        )
        .unwrap();
        let path = config.path().to_str().unwrap().to_owned();
        let args: &[&str] = if command == "serve" {
            &["serve"]
        } else {
            &["config", "check"]
        };
        run(&with(&base, &[("RECOVERY_BOT_CONFIG", &path)]), args)
    };
    for state in ["approved", "verified", "withdrawn", "no_response"] {
        let (code, _, err) = check(state, "config");
        assert_eq!(code, 2, "{state}: {err}");
        assert!(
            err.contains("[replies.all-good]") && err.contains(&format!("state = \"{state}\"")),
            "{err}"
        );
        let (code, _, err) = check(state, "serve");
        assert_ne!(code, 0);
        assert!(err.contains("[replies.all-good]"), "{err}");
    }
    for state in ["incomplete", "pending", "awaiting_user", "denied"] {
        let (code, _, err) = check(state, "config");
        assert_eq!(code, 0, "{state}: {err}");
    }
}
