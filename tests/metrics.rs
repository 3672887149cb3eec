//! `GET /metrics` scraped and parsed after real work: the exposition is
//! valid Prometheus text and every metric operators alert on is there with
//! the values this database and this run give. One test in its own binary,
//! so that no other test's work lands in the process-wide recorder.

mod common;

use std::collections::BTreeMap;

use common::email::{Env, start};
use common::*;
use http::StatusCode;
use sqlx::PgPool;

/// One sample of the text exposition.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text format: `# HELP`/`# TYPE` lines and
/// `name{k="v",...} value` samples. Panics on a line that is neither.
fn parse(text: &str) -> (Vec<Sample>, BTreeMap<String, String>) {
    let mut samples = Vec::new();
    let mut types = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("sample: {line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("labels: {line}"));
                let labels = inner
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        let (k, v) = p
                            .split_once("=\"")
                            .unwrap_or_else(|| panic!("label: {line}"));
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
            None => (series.to_owned(), BTreeMap::new()),
        };
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name: {line}"
        );
        samples.push(Sample {
            name,
            labels,
            value,
        });
    }
    (samples, types)
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn metrics_operators_alert_on_are_scraped_and_parse(pool: PgPool) {
    let Env { bot, smtp, .. } = start(pool, "https://recovery.example.org", |_| {}).await;
    bot.pending_request(1).await;
    bot.comment(1, ADMIN, "/verify-email").await;
    assert_eq!(smtp.mails().len(), 1);
    bot.assert_reply(1, "I have emailed a confirmation link");
    // A forged delivery.
    let forged = http::Request::post("/webhook")
        .header("x-github-event", "issues")
        .header("x-github-delivery", "forged-1")
        .header("x-hub-signature-256", "sha256=00")
        .body(axum::body::Body::from("{}"))
        .unwrap();
    assert_eq!(bot.request(forged).await.0, StatusCode::UNAUTHORIZED);
    // A job that dies: GitHub refuses the labels for good.
    bot.github
        .fail_next("POST", "/issues/2/labels", 422, &[], 1);
    bot.expect_dead(1);
    bot.open(
        2,
        REQUESTER,
        Some(&form_body("noprojects", "Lost my phone.")),
    )
    .await;

    let (status, text) = bot.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let (samples, types) = parse(&text);
    let v = |name: &str, labels: &[(&str, &str)]| {
        value(&samples, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{text}"))
    };
    for (name, kind) in [
        ("recovery_bot_webhook_deliveries_total", "counter"),
        ("recovery_bot_jobs_total", "counter"),
        ("recovery_bot_job_duration_seconds", "histogram"),
        ("recovery_bot_jobs_pending", "gauge"),
        ("recovery_bot_jobs_dead", "gauge"),
        ("recovery_bot_jobs_oldest_pending_age_seconds", "gauge"),
        ("recovery_bot_github_requests_total", "counter"),
        ("recovery_bot_github_rate_limit_remaining", "gauge"),
        ("recovery_bot_requests", "gauge"),
        ("recovery_bot_open_request_oldest_age_seconds", "gauge"),
        ("recovery_bot_mails_sent_total", "counter"),
    ] {
        assert_eq!(types.get(name).map(String::as_str), Some(kind), "{name}");
    }
    let deliveries = "recovery_bot_webhook_deliveries_total";
    assert_eq!(
        v(deliveries, &[("event", "issues"), ("outcome", "accepted")]),
        2.0
    );
    assert_eq!(
        v(
            deliveries,
            &[("event", "issue_comment"), ("outcome", "accepted")]
        ),
        1.0
    );
    assert_eq!(
        v(
            deliveries,
            &[("event", "unknown"), ("outcome", "bad_signature")]
        ),
        1.0
    );
    // Three decisions (two intakes, one command) and their effects, each a
    // job of its own: issue 1's labels and status comment; the command's
    // 👀, mail, reply, labels, status comment and 🚀; issue 2's status
    // comment. Issue 2's labels are the job that died.
    assert_eq!(
        v("recovery_bot_jobs_total", &[("outcome", "done")]),
        3.0 + 2.0 + 6.0 + 1.0
    );
    assert_eq!(v("recovery_bot_jobs_total", &[("outcome", "dead")]), 1.0);
    assert_eq!(v("recovery_bot_jobs_dead", &[]), 1.0);
    assert_eq!(v("recovery_bot_jobs_pending", &[]), 0.0);
    assert_eq!(v("recovery_bot_jobs_oldest_pending_age_seconds", &[]), 0.0);
    assert_eq!(
        v(
            "recovery_bot_job_duration_seconds_count",
            &[("kind", "process_delivery")]
        ),
        3.0
    );
    assert!(
        v(
            "recovery_bot_github_requests_total",
            &[("operation", "issue_labels"), ("status", "200")]
        ) >= 2.0
    );
    assert_eq!(
        v(
            "recovery_bot_github_requests_total",
            &[("operation", "issue_labels"), ("status", "422")]
        ),
        1.0
    );
    let calls = bot.github.requests().len() as f64;
    let remaining = v("recovery_bot_github_rate_limit_remaining", &[]);
    assert!(
        remaining < 5_000.0 && remaining >= 5_000.0 - calls,
        "{remaining}"
    );
    assert_eq!(
        v("recovery_bot_requests", &[("state", "awaiting_user")]),
        1.0
    );
    // Issue 2's decision was stored; only its labels' effect died.
    assert_eq!(v("recovery_bot_requests", &[("state", "pending")]), 1.0);
    assert_eq!(v("recovery_bot_requests", &[("state", "no_response")]), 0.0);
    assert!(
        v(
            "recovery_bot_open_request_oldest_age_seconds",
            &[("state", "awaiting_user")]
        ) > 0.0
    );
    assert_eq!(
        v(
            "recovery_bot_open_request_oldest_age_seconds",
            &[("state", "verified")]
        ),
        0.0
    );
    assert_eq!(
        v("recovery_bot_mails_sent_total", &[("outcome", "sent")]),
        1.0
    );
    // No address, token or username in the exposition.
    for secret in [
        common::email::ADDRESS,
        "alice",
        "dir-token",
        "ghp_test_token",
    ] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
}
