//! `POST /webhook`, `/healthz`, `/readyz`, `/metrics`: every row of SPEC's
//! answer table, through the real router and a real database.

mod common;

use axum::body::Body;
use common::{SECRET, TestBot, count, payload, signed};
use http::{Request, StatusCode};
use recovery_bot::store::MIGRATOR;
use recovery_bot::webhook::signature;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

const DELIVERIES: &str = "SELECT count(*) FROM deliveries";
const JOBS: &str = "SELECT count(*) FROM jobs";

#[sqlx::test(migrator = "MIGRATOR")]
async fn stored_delivery_is_accepted_then_processed(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let (status, _) = bot.send("issues", &payload("issues.opened")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(count(&pool, DELIVERIES).await, 1);

    let row: (String, Option<String>, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT event, action, repository, issue_number FROM deliveries")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        row,
        (
            "issues".into(),
            Some("opened".into()),
            Some("Codertocat/Hello-World".into()),
            Some(1)
        )
    );
    bot.drain().await;
    assert_eq!(count(&pool, JOBS).await, 0);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM deliveries WHERE processed_at IS NOT NULL"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn stored_payload_is_byte_for_byte_what_github_sent(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let body = serde_json::to_vec_pretty(&payload("issue_comment.created")).unwrap();
    let (status, _) = bot
        .request(signed(
            "issue_comment",
            "d-raw",
            "hook-1",
            "application/json",
            body.clone(),
        ))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let stored: String = sqlx::query_scalar("SELECT payload FROM deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored.as_bytes(), body.as_slice());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn duplicate_delivery_is_200_and_not_enqueued_twice(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let p = payload("issues.opened");
    assert_eq!(
        bot.send_as("issues", "same-id", &p).await.0,
        StatusCode::ACCEPTED
    );
    let (status, text) = bot.send_as("issues", "same-id", &p).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(count(&pool, DELIVERIES).await, 1);
    // One statement, one snapshot: the job may finish between two queries.
    assert_eq!(
        count(
            &pool,
            "SELECT (SELECT count(*) FROM jobs)
                  + (SELECT count(*) FROM deliveries WHERE processed_at IS NOT NULL)"
        )
        .await,
        1
    );

    // The same delivery id from another hook is another delivery.
    let body = serde_json::to_vec(&p).unwrap();
    let (status, _) = bot
        .request(signed(
            "issues",
            "same-id",
            "hook-2",
            "application/json",
            body,
        ))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(count(&pool, DELIVERIES).await, 2);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn ping_is_200_and_not_stored(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let (status, _) = bot.send("ping", &payload("ping")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&pool, DELIVERIES).await, 0);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn ignored_events_actions_and_repositories_are_200(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| {
        s.repos = recovery_bot::config::Trackers::Listed(vec!["pypi/support".into()])
    })
    .await;
    // An event the bot does not handle at all.
    assert_eq!(
        bot.send("star", &serde_json::json!({"action": "created"}))
            .await
            .0,
        StatusCode::OK
    );
    // Actions that cannot change a request.
    assert_eq!(
        bot.send("issues", &payload("issues.assigned")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        bot.send("issue_comment", &payload("issue_comment.edited"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        bot.send("issue_comment", &payload("issue_comment.deleted"))
            .await
            .0,
        StatusCode::OK
    );
    // A repository outside RECOVERY_BOT_REPOS.
    assert_eq!(
        bot.send("issues", &payload("issues.opened")).await.0,
        StatusCode::OK
    );
    assert_eq!(count(&pool, DELIVERIES).await, 0);

    let mut p = payload("issues.opened");
    p["repository"]["full_name"] = "PyPI/Support".into();
    assert_eq!(bot.send("issues", &p).await.0, StatusCode::ACCEPTED);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn missing_or_wrong_signature_is_401(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let body = serde_json::to_vec(&payload("issues.opened")).unwrap();

    let unsigned = Request::post("/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", "d1")
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(bot.request(unsigned).await.0, StatusCode::UNAUTHORIZED);

    let wrong = Request::post("/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", "d2")
        .header(
            "x-hub-signature-256",
            signature::sign("not-the-secret", &body),
        )
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(bot.request(wrong).await.0, StatusCode::UNAUTHORIZED);

    // Signed over other bytes than those sent.
    let mut tampered = body.clone();
    tampered.push(b' ');
    let forged = Request::post("/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", "d3")
        .header("x-hub-signature-256", signature::sign(SECRET, &body))
        .body(Body::from(tampered))
        .unwrap();
    assert_eq!(bot.request(forged).await.0, StatusCode::UNAUTHORIZED);

    // The other secret of a rotation is accepted.
    let rotated = Request::post("/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", "d4")
        .header("x-hub-signature-256", signature::sign("old-secret", &body))
        .body(Body::from(body))
        .unwrap();
    assert_eq!(bot.request(rotated).await.0, StatusCode::ACCEPTED);
    assert_eq!(count(&pool, DELIVERIES).await, 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn malformed_bodies_and_headers_are_400(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("issues", "application/json", b"{not json".to_vec()),
        ("issues", "application/json", b"[1,2,3]".to_vec()),
        (
            "issues",
            "application/json",
            br#"{"action":"opened","issue":{"number":1}}"#.to_vec(),
        ),
        ("issues", "application/json", vec![0xff, 0xfe, 0x00]),
        (
            "issues",
            "application/x-www-form-urlencoded",
            b"nothing=here".to_vec(),
        ),
        ("issues", "text/plain", b"{}".to_vec()),
    ];
    for (i, (event, ct, body)) in cases.into_iter().enumerate() {
        let (status, text) = bot
            .request(signed(event, &format!("m{i}"), "hook-1", ct, body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "case {i}: {text}");
    }
    let body = b"{}".to_vec();
    let no_event = Request::post("/webhook")
        .header("x-github-delivery", "x")
        .header("x-hub-signature-256", signature::sign(SECRET, &body))
        .body(Body::from(body))
        .unwrap();
    assert_eq!(bot.request(no_event).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(count(&pool, DELIVERIES).await, 0);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn form_encoded_deliveries_are_accepted(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    let json = serde_json::to_string(&payload("issues.opened")).unwrap();
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &json)
        .finish();
    let (status, _) = bot
        .request(signed(
            "issues",
            "form-1",
            "hook-1",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
        ))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let stored: String = sqlx::query_scalar("SELECT payload FROM deliveries")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, json);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn bodies_over_the_cap_are_413(pool: PgPool) {
    let bot = TestBot::start_with(pool.clone(), |s| s.webhook_max_body_bytes = 16 * 1024).await;
    let mut p = payload("issues.opened");
    p["issue"]["body"] = "x".repeat(20_000).into();
    let (status, _) = bot.send("issues", &p).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    // Streamed with no Content-Length: the cap still holds.
    let body = serde_json::to_vec(&p).unwrap();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    let req = Request::post("/webhook")
        .header("content-type", "application/json")
        .header("x-github-event", "issues")
        .header("x-github-delivery", "stream")
        .header("x-hub-signature-256", signature::sign(SECRET, &body))
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    assert_eq!(bot.request(req).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(count(&pool, DELIVERIES).await, 0);

    // Under the cap is fine.
    assert_eq!(
        bot.send("issues", &payload("issues.reopened")).await.0,
        StatusCode::ACCEPTED
    );
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn health_readiness_and_metrics(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    assert_eq!(bot.get("/healthz").await.0, StatusCode::OK);
    assert_eq!(bot.get("/readyz").await.0, StatusCode::OK);
    bot.send("issues", &payload("issues.opened")).await;
    let (status, text) = bot.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("recovery_bot_webhook_deliveries_total"),
        "{text}"
    );
    assert!(text.contains("recovery_bot_jobs_pending"), "{text}");
}

/// Takes the test database away: no new connections, existing ones killed.
async fn set_database_reachable(opts: &PgConnectOptions, db: &str, reachable: bool) {
    let mut admin = opts.clone().database("postgres").connect().await.unwrap();
    sqlx::query(&format!(
        "ALTER DATABASE \"{db}\" WITH ALLOW_CONNECTIONS {reachable}"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    if !reachable {
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
            .bind(db)
            .execute(&mut admin)
            .await
            .unwrap();
    }
    admin.close().await.unwrap();
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn database_away_is_503_and_recovers_without_restart(
    _: PgPoolOptions,
    opts: PgConnectOptions,
) {
    let pool = recovery_bot::store::pool_options(4)
        .connect_with(opts.clone())
        .await
        .unwrap();
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&pool)
        .await
        .unwrap();
    let bot = TestBot::start(pool.clone()).await;
    assert_eq!(
        bot.send("issues", &payload("issues.opened")).await.0,
        StatusCode::ACCEPTED
    );
    bot.drain().await;

    set_database_reachable(&opts, &db, false).await;
    let (status, text) = bot
        .send_as("issues", "while-down", &payload("issues.edited"))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert_eq!(bot.get("/readyz").await.0, StatusCode::SERVICE_UNAVAILABLE);

    set_database_reachable(&opts, &db, true).await;
    // GitHub's redelivery of the failed one, then a new one: both stored.
    assert_eq!(
        bot.send_as("issues", "while-down", &payload("issues.edited"))
            .await
            .0,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        bot.send("issues", &payload("issues.reopened")).await.0,
        StatusCode::ACCEPTED
    );
    assert_eq!(bot.get("/readyz").await.0, StatusCode::OK);
    bot.drain().await;
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM deliveries WHERE processed_at IS NOT NULL"
        )
        .await,
        3
    );
    bot.stop().await;
}
