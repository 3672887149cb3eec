//! `recovery-bot report` through the built binary, on a database filled with
//! requests of known ages: every number it prints is one we can work out.

mod common;

use std::process::Command;

use common::database_url;
use sqlx::PgPool;

const BIN: &str = env!("CARGO_BIN_EXE_recovery-bot");

/// A request opened `days` ago (its first delivery `wait` seconds before
/// the bot stored it), answered by an admin `answered_h` hours later.
async fn request(
    pool: &PgPool,
    number: i64,
    state: &str,
    open: bool,
    days: i64,
    wait: i64,
    answered_h: Option<i64>,
) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO requests (repository, repository_id, issue_number, author_id, author_login,
                               body_hash, state, issue_open, created_at, admin_answered_at)
         VALUES ('pypi/support', 7, $1, 1, 'someone', 'h', $2, $3,
                 now() - make_interval(days => $4::int),
                 now() - make_interval(days => $4::int) + make_interval(hours => $5::int))
         RETURNING id",
    )
    .bind(number)
    .bind(state)
    .bind(open)
    .bind(days)
    .bind(answered_h)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO deliveries (hook_id, delivery_id, event, repository_id, issue_number, payload, received_at)
         VALUES ('h', $1, 'issues', 7, $2, '{}',
                 now() - make_interval(days => $3::int) - make_interval(secs => $4::int))",
    )
    .bind(format!("d-{number}"))
    .bind(number)
    .bind(days)
    .bind(wait as f64)
    .execute(pool)
    .await
    .unwrap();
    id
}

async fn audit(pool: &PgPool, request: i64, action: &str, to: Option<&str>, days: i64) {
    sqlx::query(
        "INSERT INTO audit_log (request_id, actor_login, action, from_state, to_state, created_at)
         VALUES ($1, 'the-admin', $2, 'verified', $3, now() - make_interval(days => $4::int))",
    )
    .bind(request)
    .bind(action)
    .bind(to)
    .bind(days)
    .execute(pool)
    .await
    .unwrap();
}

fn report(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("report")
        .args(args)
        .env("DATABASE_URL", url)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn the_report_counts_what_the_database_holds(pool: PgPool) {
    request(&pool, 1, "pending", true, 10, 5, None).await;
    request(&pool, 2, "awaiting_user", true, 3, 15, Some(2)).await;
    let approved = request(&pool, 3, "approved", false, 20, 25, Some(1)).await;
    let denied = request(&pool, 4, "denied", false, 40, 35, Some(1)).await;
    request(&pool, 5, "pending", true, 1, 45, Some(4)).await;
    audit(&pool, approved, "approve", Some("approved"), 15).await;
    audit(&pool, denied, "deny", Some("denied"), 35).await;
    audit(&pool, approved, "reminded", None, 16).await;
    sqlx::query(
        "INSERT INTO verification_tokens (request_id, check_name, token_hash, command_key, expires_at,
                                          mailed_at, used_at)
         VALUES ($1, 'email', 'x', 'k', now(), now() - interval '16 days', now() - interval '16 days')",
    )
    .bind(approved)
    .execute(&pool)
    .await
    .unwrap();
    let url = database_url(&pool).await;

    let (code, json, stderr) = report(&url, &["--since", "30d", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    let open = r["open"].as_array().unwrap();
    assert_eq!(open.len(), 2, "{open:?}");
    let pending = open.iter().find(|o| o["state"] == "pending").unwrap();
    assert_eq!(pending["count"], 2);
    let oldest = pending["oldest_age_seconds"].as_f64().unwrap();
    assert!((oldest - 10.0 * 86_400.0).abs() < 120.0, "{oldest}");
    assert_eq!(
        open.iter().find(|o| o["state"] == "awaiting_user").unwrap()["count"],
        1
    );
    // Requests 1, 2, 3 and 5 are in the window (4 is 40 days old).
    let first = &r["first_answer"];
    assert_eq!(first["count"], 4);
    // 5, 15, 25, 45 s: median 20, p90 = 25 + 0.7 * 20 = 39.
    assert!(
        (first["median_seconds"].as_f64().unwrap() - 20.0).abs() < 0.5,
        "{first}"
    );
    assert!(
        (first["p90_seconds"].as_f64().unwrap() - 39.0).abs() < 0.5,
        "{first}"
    );
    // Admins answered 2, 3 and 5 after 2 h, 1 h, 4 h: median 2 h, p90 3.6 h.
    let admin = &r["first_admin_command"];
    assert_eq!(admin["count"], 3);
    assert!((admin["median_seconds"].as_f64().unwrap() - 7_200.0).abs() < 1.0);
    assert!((admin["p90_seconds"].as_f64().unwrap() - 12_960.0).abs() < 1.0);
    // The denial 35 days ago is outside the window.
    let decisions = r["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert_eq!(decisions[0]["actor"], "the-admin");
    assert_eq!(
        (
            decisions[0]["approved"].as_i64(),
            decisions[0]["denied"].as_i64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(r["proofs"]["links_sent"], 1);
    assert_eq!(r["proofs"]["links_confirmed"], 1);
    assert_eq!(r["proofs"]["reminders"], 1);

    // A wider window takes the denial in; the text says the same for people.
    let (code, json, _) = report(&url, &["--since", "60d", "--format", "json"]);
    assert_eq!(code, 0);
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["decisions"].as_array().unwrap().len(), 2);
    let (code, text, _) = report(&url, &[]);
    assert_eq!(code, 0);
    assert!(
        text.contains("pending") && text.contains("oldest 10.0 days"),
        "{text}"
    );
    assert!(
        text.contains("median 2.0 h, p90 3.6 h (3 requests)"),
        "{text}"
    );
    assert!(
        text.contains("the-admin") && text.contains("1 approved"),
        "{text}"
    );

    let (code, _, stderr) = report(&url, &["--since", "soon"]);
    assert_eq!(code, 2, "{stderr}");
}
