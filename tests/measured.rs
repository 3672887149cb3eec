//! Issue #21 item 10, measured end to end through the real router,
//! PostgreSQL, the fake GitHub, the loopback SMTP server and the loopback
//! account directory:
//!
//! - how many admin commands four kinds of request need from intake to a
//!   decision, before the evidence-first work and after it (asserted: the
//!   counts are deterministic);
//! - what GitHub calls an automatic round adds to the intake (none), and
//!   what a `/verify-repo` branch check costs (asserted);
//! - how long the owner waits for the mail after the intake was accepted
//!   (timed, never asserted: `mail_latency_for_the_linked_account`, an
//!   ignored test that prints its numbers).

mod common;

use std::time::{Duration, Instant};

use common::email::{Env, account, nth_link_path, start, token_in};
use common::smtp::SmtpSink;
use common::*;
use http::StatusCode;
use recovery_bot::config::AutoVerify;
use serde_json::{Value, json};
use sqlx::PgPool;

const PUBLIC: &str = "https://recovery.example.org";

/// The kinds of request issue #21 item 10 measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The author is the GitHub account linked to the index account (its
    /// one project's repository is the author's by login only: that alone
    /// proves nothing).
    Linked,
    /// The one project's GitHub trusted publisher recorded the author's id,
    /// and the repository's owner is the author.
    Published,
    /// The directory answered an empty `projects` list.
    NoProjects,
    /// Like `Published`, and the account has unused recovery codes.
    UnusedCodes,
}

impl Kind {
    const ALL: [Kind; 4] = [
        Kind::Linked,
        Kind::Published,
        Kind::NoProjects,
        Kind::UnusedCodes,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Linked => "linked",
            Kind::Published => "published",
            Kind::NoProjects => "noprojects",
            Kind::UnusedCodes => "codes",
        }
    }

    /// The directory's answer for account `name`. Without `evidence` it
    /// leaves out what the evidence-first bot acts on (`linked_accounts`,
    /// `publishers`, `recovery_codes`): the admin learns those by hand, in
    /// the index's admin tool.
    fn answer(self, name: &str, evidence: bool) -> Value {
        let repo = format!("locked-out/{name}");
        let mut project = json!({"name": format!("{name}-lib"),
                                 "repository_url": format!("https://github.com/{repo}")});
        if evidence && matches!(self, Kind::Published | Kind::UnusedCodes) {
            project["publishers"] = json!([{"kind": "github", "repository": repo,
                                            "repository_owner_id": REQUESTER.id}]);
        }
        let mut body = json!({
            "username": name,
            "emails": [{"address": address(name), "verified": true, "primary": true}],
            "projects": [project],
        });
        match self {
            Kind::Linked if evidence => {
                body["linked_accounts"] =
                    json!([{"service": "github", "id": REQUESTER.id, "login": REQUESTER.login}]);
            }
            Kind::NoProjects => body["projects"] = json!([]),
            Kind::UnusedCodes if evidence => {
                body["recovery_codes"] = json!({"generated": "2023-10-27T09:00:00Z", "unused": 3});
            }
            _ => {}
        }
        body
    }

    /// An admin who looks in the index's admin tool can see who owns the
    /// account's projects (the linked GitHub account, the publisher).
    fn ownership_seen_by_hand(self) -> bool {
        matches!(self, Kind::Linked | Kind::Published)
    }
}

fn address(name: &str) -> String {
    format!("{name}.owner@example.net")
}

/// How the bot runs and what it is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Before the evidence-first work: `auto_verify = "off"` and no
    /// evidence acted on (the directory's answer without it); the admin
    /// does everything by hand, as the admin guide says.
    Before,
    /// `auto_verify = "off"`, the evidence read and acted on (ownership
    /// passes by itself), every round started by an admin.
    Off,
    /// The default: `auto_verify = "evidence"`.
    After,
}

impl Mode {
    const ALL: [Mode; 3] = [Mode::Before, Mode::Off, Mode::After];

    fn name(self) -> &'static str {
        match self {
            Mode::Before => "before",
            Mode::Off => "off",
            Mode::After => "after",
        }
    }

    fn auto_verify(self) -> AutoVerify {
        match self {
            Mode::Before | Mode::Off => AutoVerify::Off,
            Mode::After => AutoVerify::default(),
        }
    }

    fn evidence(self) -> bool {
        self != Mode::Before
    }
}

/// What one request cost from the `opened` delivery to its decision.
#[derive(Debug)]
struct Decided {
    /// The admin's commands (one a comment), in order.
    commands: Vec<&'static str>,
    /// The GitHub calls of the intake, with the issue number and the
    /// account's repository made generic.
    intake_calls: Vec<String>,
    /// Every GitHub call from the delivery to the decision.
    calls: usize,
    /// The bot started a round itself at intake.
    automatic_round: bool,
    /// The account directory's answers read at intake.
    directory_reads: usize,
    /// The account directory's answers read from the delivery to the
    /// decision.
    directory_reads_in_all: usize,
    state: String,
}

/// How many times the directory was asked for account `name`.
async fn reads_of(directory: &wiremock::MockServer, name: &str) -> usize {
    directory
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path() == format!("/{name}"))
        .count()
}

/// Opens issue `number` for a fresh account of `kind` and plays the admin
/// (and the owner) until the request is decided. The admin follows the
/// admin guide and reads only what the bot shows, plus what `Before` has
/// them look up by hand: unused codes → `/deny` telling them to use one;
/// pending → `/verify-email`; verified with a waiting period →
/// `/confirm project-ownership <note>` when the admin tool shows the owner
/// (else `/approve --now`); verified → `/approve`. The owner confirms every
/// link mailed to the account. Each command must succeed (👀 🚀): a refused
/// one would be a wasted command, not a needed one.
async fn decide(
    bot: &TestBot,
    smtp: &SmtpSink,
    env_directory: &wiremock::MockServer,
    number: u64,
    kind: Kind,
    mode: Mode,
) -> Decided {
    let name = format!("{}-{}", kind.name(), mode.name());
    account(env_directory, &name, kind.answer(&name, mode.evidence())).await;
    bot.github
        .add_repo(&format!("locked-out/{name}"), REQUESTER.login, REQUESTER.id);
    let first_call = bot.github.requests().len();
    let mails_before = smtp.mails().len();
    bot.open(number, REQUESTER, Some(&form_body(&name, "Lost my phone.")))
        .await;
    let generic = regex::Regex::new(r"/issues/\d+").unwrap();
    let intake_calls = calls_since(bot, first_call)
        .into_iter()
        .map(|c| {
            generic
                .replace(&c, "/issues/N")
                .replace(&format!("locked-out/{name}"), "locked-out/ACCOUNT")
        })
        .collect();
    let automatic_round = smtp.mails().len() > mails_before;
    let directory_reads = reads_of(env_directory, &name).await;
    let mut commands = Vec::new();
    let mut confirmed = 0;
    for _ in 0..10 {
        let state = bot.state(number).await;
        let status = bot.status_comment(number);
        let codes = status.contains("the account still has unused recovery codes")
            || (mode == Mode::Before && kind == Kind::UnusedCodes);
        let command = match state.as_str() {
            "approved" | "denied" => break,
            "awaiting_user" => {
                // The owner opens the newest link mailed to the account.
                let mails = smtp.mails();
                let n = mails
                    .iter()
                    .rposition(|m| m.to == [address(&name)])
                    .unwrap_or_else(|| panic!("{name}: awaiting_user with no mail"));
                let (code, page) = bot.post(&nth_link_path(smtp, PUBLIC, n)).await;
                assert_eq!(code, StatusCode::OK, "{name}: {page}");
                bot.drain().await;
                bot.assert_reply(number, CONFIRMED_FROM_LINK);
                confirmed += 1;
                assert!(confirmed <= 1, "{name}: a second round");
                continue;
            }
            "pending" if codes => {
                "/deny The account still has unused recovery codes: log in with one of them."
            }
            "pending" => "/verify-email",
            "verified" if status.contains("**Waiting period:**") => {
                if kind.ownership_seen_by_hand() {
                    "/confirm project-ownership the admin tool shows the requester owns the account's project"
                } else {
                    "/approve --now checked by hand"
                }
            }
            "verified" => "/approve",
            other => panic!("{name}: unexpected state {other}"),
        };
        let c = bot.comment(number, ADMIN, command).await;
        let replies = bot.new_replies(number);
        assert_eq!(
            bot.reactions(number, c),
            ["eyes", "rocket"],
            "{name}: {command} was refused: {replies:?}"
        );
        commands.push(command.split_whitespace().next().unwrap());
    }
    let state = bot.state(number).await;
    let directory_reads_in_all = reads_of(env_directory, &name).await;
    // Counted on the tracker too: the comments by an admin.
    let by_admins = bot
        .github
        .issue(REPO, number)
        .comments
        .iter()
        .filter(|c| [ADMIN.id, OTHER_ADMIN.id].contains(&c.user_id))
        .count();
    assert_eq!(by_admins, commands.len(), "{name}");
    assert!(
        state == "approved" || state == "denied",
        "{name}: not decided after {commands:?}: {state}"
    );
    Decided {
        commands,
        intake_calls,
        calls: bot.github.requests().len() - first_call,
        automatic_round,
        directory_reads,
        directory_reads_in_all,
        state,
    }
}

/// (a) and (c): the admin commands each kind needs before and after, and
/// that the automatic round adds no GitHub call to the intake.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn admin_commands_from_intake_to_decision_before_and_after(pool: PgPool) {
    let Env {
        mut bot,
        smtp,
        directory,
    } = start(pool.clone(), PUBLIC, |s| s.auto_verify = AutoVerify::Off).await;
    let mut results = Vec::new();
    for (m, mode) in Mode::ALL.into_iter().enumerate() {
        bot = bot
            .restart_with(|s| s.auto_verify = mode.auto_verify())
            .await;
        for (k, kind) in Kind::ALL.into_iter().enumerate() {
            let number = (10 * (m + 1) + k) as u64;
            let decided = decide(&bot, &smtp, &directory, number, kind, mode).await;
            results.push((kind, mode, decided));
        }
    }
    let get = |kind: Kind, mode: Mode| {
        results
            .iter()
            .find(|(k, m, _)| *k == kind && *m == mode)
            .map(|(_, _, d)| d)
            .unwrap()
    };
    println!(
        "kind        | before | off (evidence, no auto round) | after | GitHub calls before/off/after | directory reads before/off/after"
    );
    for kind in Kind::ALL {
        let [b, o, a] = Mode::ALL.map(|m| get(kind, m));
        println!(
            "{:<11} | {} {:?} | {} {:?} | {} {:?} -> {} | {}/{}/{} | {}/{}/{}",
            kind.name(),
            b.commands.len(),
            b.commands,
            o.commands.len(),
            o.commands,
            a.commands.len(),
            a.commands,
            a.state,
            b.calls,
            o.calls,
            a.calls,
            b.directory_reads_in_all,
            o.directory_reads_in_all,
            a.directory_reads_in_all,
        );
    }

    // The counts, per kind: (before, off, after).
    let counts = |kind| Mode::ALL.map(|m| get(kind, m).commands.len());
    assert_eq!(counts(Kind::Linked), [3, 2, 1]);
    assert_eq!(counts(Kind::Published), [3, 2, 1]);
    // No projects is the fast path (no waiting period) but not evidence
    // that points at the author: `evidence` starts no round (SPEC).
    assert_eq!(counts(Kind::NoProjects), [2, 2, 2]);
    // Unused codes: the admin denies, telling the requester to use one;
    // no round starts by itself (SPEC).
    assert_eq!(counts(Kind::UnusedCodes), [1, 1, 1]);
    for kind in [Kind::Linked, Kind::Published] {
        let [before, _, after] = counts(kind);
        assert!(before > after, "{kind:?}: the evidence saves commands");
        assert_eq!(get(kind, Mode::After).commands, ["/approve"]);
    }
    for mode in Mode::ALL {
        assert_eq!(get(Kind::UnusedCodes, mode).state, "denied");
        for kind in [Kind::Linked, Kind::Published, Kind::NoProjects] {
            assert_eq!(get(kind, mode).state, "approved", "{kind:?} {mode:?}");
        }
    }

    // (c) The automatic round costs no GitHub call beyond the intake: the
    // same calls as the intake of the same kind of request without it.
    for kind in [Kind::Linked, Kind::Published] {
        let (off, after) = (get(kind, Mode::Off), get(kind, Mode::After));
        assert!(!off.automatic_round && after.automatic_round, "{kind:?}");
        println!(
            "{}: intake without a round {:?} ({} directory reads), with the automatic round {:?} ({} directory reads)",
            kind.name(),
            off.intake_calls,
            off.directory_reads,
            after.intake_calls,
            after.directory_reads,
        );
        assert_eq!(after.intake_calls, off.intake_calls, "{kind:?}");
    }
    assert_eq!(
        get(Kind::Linked, Mode::After).intake_calls,
        [
            "GET /repos/locked-out/ACCOUNT",
            "POST /repos/pypi/support/issues/N/labels",
            "POST /repos/pypi/support/issues/N/comments",
        ]
    );
    for kind in [Kind::NoProjects, Kind::UnusedCodes] {
        assert!(!get(kind, Mode::After).automatic_round, "{kind:?}");
    }
}

/// The `/verify-repo` branch calls since the `before`th.
fn branch_reads(bot: &TestBot, before: usize) -> Vec<String> {
    calls_since(bot, before)
        .into_iter()
        .filter(|c| c.contains("/branches/") || c.ends_with("/activity"))
        .collect()
}

/// Whether issue `number`'s `project-ownership` check passed.
async fn ownership_passed(pool: &PgPool, number: u64) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM request_checks c JOIN requests r ON r.id = c.request_id
                        WHERE r.issue_number = $1 AND c.name = 'project-ownership'
                          AND c.status = 'passed')",
    )
    .bind(number as i64)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The most a branch check may cost (SPEC): one branch GET for each of at
/// most 5 repositories of the round, and one activity GET.
const MAX_BRANCH_CHECK_CALLS: usize = 6;

/// (c) A branch check costs the branch GET and the activity GET: on
/// `/status`, and when the timer looks.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn a_branch_check_costs_two_calls_on_status_and_on_the_timer(pool: PgPool) {
    // No look by the timer (1h) while `/status` is measured.
    let Env {
        bot,
        smtp,
        directory,
    } = start(pool.clone(), PUBLIC, |_| {}).await;
    // `/status`: bob's one repository.
    bot.open(1, REQUESTER, Some(&form_body("bob", "Lost my phone.")))
        .await;
    bot.comment(1, ADMIN, "/verify-repo").await;
    bot.assert_reply(1, "emailed instructions");
    let token = token_in(&smtp.mails()[0]);
    let commit = "4f2a9c1e0b7d3a5f6e8c9d0a1b2c3d4e5f6a7b8c";
    bot.github.add_branch("bob/bobs-lib", &token, commit);
    let before = bot.github.requests().len();
    bot.comment(1, ADMIN, "/status").await;
    bot.assert_reply(1, "was found in");
    assert!(ownership_passed(&pool, 1).await);
    let on_status = branch_reads(&bot, before);
    println!("a branch check on /status: {} calls", on_status.len());
    assert_eq!(
        on_status,
        [
            format!("GET /repos/bob/bobs-lib/branches/{token}"),
            "GET /repos/bob/bobs-lib/activity".to_owned(),
        ]
    );

    // The timer, looking every second: a second request, its branch pushed
    // before the look that finds it.
    let bot = bot
        .restart_with(|s| s.timers.repo_check_interval = Duration::from_secs(1))
        .await;
    account(
        &directory,
        "carol",
        json!({"username": "carol",
               "emails": [{"address": "carol@example.net", "verified": true, "primary": true}],
               "projects": [{"name": "carols-lib", "repository_url": "https://github.com/carol/carols-lib"}]}),
    )
    .await;
    bot.github.add_repo("carol/carols-lib", "carol", 4005);
    bot.open(2, REQUESTER, Some(&form_body("carol", "Lost my phone.")))
        .await;
    bot.comment(2, ADMIN, "/verify-repo").await;
    bot.assert_reply(2, "emailed instructions");
    let token = token_in(&smtp.mails()[1]);
    bot.github.add_branch("carol/carols-lib", &token, commit);
    // Every look from here on sees the branch: the first one finds it.
    let before = bot.github.requests().len();
    bot.eventually("the timer to find the branch", || async {
        ownership_passed(&pool, 2).await
    })
    .await;
    bot.assert_reply(2, "was found in");
    let on_timer = branch_reads(&bot, before);
    println!("a branch check by the timer: {} calls", on_timer.len());
    assert_eq!(
        on_timer,
        [
            format!("GET /repos/carol/carols-lib/branches/{token}"),
            "GET /repos/carol/carols-lib/activity".to_owned(),
        ]
    );
    assert!(on_status.len() <= MAX_BRANCH_CHECK_CALLS && on_timer.len() <= MAX_BRANCH_CHECK_CALLS);
}

/// (c) The worst branch check: an account with six projects, so the round
/// holds five repositories, and the branch in the last of them: five
/// branch GETs and one activity GET, SPEC's bound.
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_worst_branch_check_costs_six_calls(pool: PgPool) {
    let Env {
        bot,
        smtp,
        directory,
    } = start(pool.clone(), PUBLIC, |_| {}).await;
    let repos: Vec<String> = (1..=6).map(|i| format!("dave/lib-{i}")).collect();
    for r in &repos {
        bot.github.add_repo(r, "dave", 4006);
    }
    let projects: Vec<Value> = repos
        .iter()
        .map(|r| json!({"name": r.replace('/', "-"), "repository_url": format!("https://github.com/{r}")}))
        .collect();
    account(
        &directory,
        "dave",
        json!({"username": "dave",
               "emails": [{"address": "dave@example.net", "verified": true, "primary": true}],
               "projects": projects}),
    )
    .await;
    bot.open(1, REQUESTER, Some(&form_body("dave", "Lost my phone.")))
        .await;
    bot.comment(1, ADMIN, "/verify-repo").await;
    bot.assert_reply(1, "emailed instructions");
    let mail = smtp.mails()[0].text();
    let in_round: Vec<&String> = repos
        .iter()
        .filter(|r| mail.contains(&format!("https://github.com/{r}")))
        .collect();
    assert_eq!(in_round.len(), 5, "{mail}");
    let last = in_round[4];
    let token = token_in(&smtp.mails()[0]);
    bot.github
        .add_branch(last, &token, "0123456789abcdef0123456789abcdef01234567");
    let before = bot.github.requests().len();
    bot.comment(1, ADMIN, "/status").await;
    assert!(bot.last_reply(1).contains("was found in"));
    let reads = branch_reads(&bot, before);
    let shown: Vec<String> = reads.iter().map(|c| c.replace(&token, "<token>")).collect();
    println!("the worst branch check: {} calls: {shown:?}", reads.len());
    let mut expected: Vec<String> = in_round
        .iter()
        .map(|r| format!("GET /repos/{r}/branches/{token}"))
        .collect();
    expected.push(format!("GET /repos/{last}/activity"));
    assert_eq!(reads, expected);
    assert_eq!(reads.len(), MAX_BRANCH_CHECK_CALLS);
}

// ---- (b) Timed, not asserted ---------------------------------------------------

/// The `p`th percentile (nearest rank) of sorted `v`.
fn percentile(v: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn summary(what: &str, mut v: Vec<f64>, unit: &str) {
    v.sort_by(f64::total_cmp);
    println!(
        "{what:<58} median {:>7.2} {unit}  p90 {:>7.2} {unit}  (min {:.2}, max {:.2}, N={})",
        percentile(&v, 50.0),
        percentile(&v, 90.0),
        v[0],
        v[v.len() - 1],
        v.len()
    );
}

/// Opens issue `number` for `username` and answers when the delivery was
/// sent and when its 202 came back.
async fn open_timed(bot: &TestBot, number: u64, username: &str) -> (Instant, Instant) {
    bot.github.add_issue(
        REPO,
        number,
        REQUESTER.login,
        REQUESTER.id,
        Some(&form_body(username, "Lost my phone.")),
        &[INTAKE],
    );
    let event = bot.delivery_of("opened", number, REQUESTER);
    let sent = Instant::now();
    let (status, text) = bot.send("issues", &event).await;
    let accepted = Instant::now();
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    (sent, accepted)
}

/// When the status comment of issue `number` was first posted.
fn status_posted(bot: &TestBot, number: u64) -> Instant {
    first_call(
        bot,
        "POST",
        &format!("/repos/{REPO}/issues/{number}/comments"),
    )
}

/// When the bot first wrote to issue `number` (its labels).
fn first_write(bot: &TestBot, number: u64) -> Instant {
    first_call(
        bot,
        "POST",
        &format!("/repos/{REPO}/issues/{number}/labels"),
    )
}

fn first_call(bot: &TestBot, method: &str, path: &str) -> Instant {
    bot.github
        .requests()
        .iter()
        .find(|r| r.method == method && r.path == path)
        .map(|r| r.at)
        .unwrap_or_else(|| panic!("no {method} {path}"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// (b) With `auto_verify = "evidence"`, how long after the `opened`
/// delivery is accepted (its 202) the owner's mail of a linked-account
/// request reaches the SMTP server, over `MEASURE_RUNS` requests (30 by
/// default), each for an account of its own. Beside it, measured in the
/// same run: the same request's status comment reaching GitHub, and the
/// whole intake of the same kind of request that starts no round (the
/// account also has unused recovery codes: 202 → its status comment).
/// Prints; asserts no time.
///
/// `scripts/test --test measured -- --ignored --nocapture mail_latency`
#[ignore = "a measurement: prints times, run it by hand"]
#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn mail_latency_for_the_linked_account(pool: PgPool) {
    let runs: u64 = std::env::var("MEASURE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let Env {
        bot,
        smtp,
        directory,
    } = start(pool.clone(), PUBLIC, |s| {
        s.auto_verify = AutoVerify::Evidence
    })
    .await;
    let (mut ack, mut mail, mut status, mut mail_vs_status) = (vec![], vec![], vec![], vec![]);
    let (mut plain, mut mail_vs_plain) = (vec![], vec![]);
    let (mut labels, mut plain_labels, mut data) = (vec![], vec![], vec![]);
    // One request of each, alternating, so both see the same machine.
    for i in 0..runs {
        let linked = format!("timed-linked-{i}");
        account(&directory, &linked, Kind::Linked.answer(&linked, true)).await;
        bot.github.add_repo(
            &format!("locked-out/{linked}"),
            REQUESTER.login,
            REQUESTER.id,
        );
        let number = 2 * i + 1;
        let (sent, accepted) = open_timed(&bot, number, &linked).await;
        bot.drain().await;
        let to_owner = smtp
            .mails()
            .into_iter()
            .find(|m| m.to == [address(&linked)])
            .expect("the automatic round's mail");
        let m = ms(to_owner.at - accepted);
        data.push(ms(to_owner.at - to_owner.data_at));
        let s = ms(status_posted(&bot, number) - accepted);
        ack.push(ms(accepted - sent));
        labels.push(ms(first_write(&bot, number) - accepted));
        mail.push(m);
        status.push(s);
        mail_vs_status.push(m / s);

        // The same kind of request that starts no round: the account also
        // has unused recovery codes.
        let held = format!("timed-codes-{i}");
        let mut answer = Kind::Linked.answer(&held, true);
        answer["recovery_codes"] = json!({"generated": true, "unused": 2});
        account(&directory, &held, answer).await;
        bot.github
            .add_repo(&format!("locked-out/{held}"), REQUESTER.login, REQUESTER.id);
        let number = 2 * i + 2;
        let (_, accepted) = open_timed(&bot, number, &held).await;
        bot.drain().await;
        assert_eq!(bot.state(number).await, "pending", "no round");
        let p = ms(status_posted(&bot, number) - accepted);
        plain.push(p);
        plain_labels.push(ms(first_write(&bot, number) - accepted));
        mail_vs_plain.push(m / p);
    }
    assert_eq!(
        count(&pool, "SELECT count(*) FROM auto_rounds").await,
        runs as i64,
        "one automatic round per linked-account request, none for the others"
    );
    println!("auto_verify = \"evidence\", linked-account requests, {runs} runs of each:");
    summary("delivery sent -> 202", ack, "ms");
    summary("202 -> the owner's mail at the SMTP server", mail, "ms");
    summary("  of which SMTP DATA -> end of data", data, "ms");
    summary(
        "202 -> the same request's first write (labels) at GitHub",
        labels,
        "ms",
    );
    summary(
        "202 -> the same request's status comment at GitHub",
        status,
        "ms",
    );
    summary(
        "202 -> first write (labels), the same kind with no round",
        plain_labels,
        "ms",
    );
    summary(
        "202 -> status comment, the same kind with no round",
        plain,
        "ms",
    );
    summary(
        "ratio mail / the same request's status comment",
        mail_vs_status,
        "x",
    );
    summary(
        "ratio mail / the no-round request's status comment",
        mail_vs_plain,
        "x",
    );
}
