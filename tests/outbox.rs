//! The outbox's executor on its own: an effect whose issue was deleted
//! before it ran is dropped (GitHub confirms the issue is gone), while a
//! 404 for an issue that is still there stays a dead job for an operator.

mod common;

use common::*;
use recovery_bot::recovery::effects::{Effect, Reaction};
use recovery_bot::store::jobs::{IssueKey, enqueue_effect};
use recovery_bot::store::tasks::{EffectTask, Target, Task};
use sqlx::PgPool;

async fn push(pool: &PgPool, number: u32, effect: Effect) {
    let task = Task::Effect(Box::new(EffectTask {
        target: Target {
            repository: REPO.to_owned(),
            issue_number: number.into(),
            installation_id: None,
            key: None,
        },
        effect,
    }));
    let mut conn = pool.acquire().await.unwrap();
    let key = IssueKey::new(REPO_ID, number.into());
    enqueue_effect(&mut conn, &key, &task.args(), 3)
        .await
        .unwrap();
}

#[sqlx::test(migrator = "recovery_bot::store::MIGRATOR")]
async fn an_effect_on_a_deleted_issue_is_dropped_and_a_lost_write_is_not(pool: PgPool) {
    let bot = TestBot::start(pool.clone()).await;
    bot.pending_request(1).await;

    // Issue 99 does not exist (deleted before its effects ran).
    push(
        &pool,
        99,
        Effect::React {
            comment_id: 5,
            reaction: Reaction::Rocket,
        },
    )
    .await;
    push(
        &pool,
        99,
        Effect::Labels {
            add: vec!["needs-fix".into()],
            remove: Vec::new(),
        },
    )
    .await;
    bot.drain().await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs").await,
        0,
        "dropped, not dead"
    );

    // Issue 1 is there: a 404 on its labels is not taken for "gone".
    bot.expect_dead(1);
    bot.github
        .fail_next("POST", "/issues/1/labels", 404, &[], 3);
    push(
        &pool,
        1,
        Effect::Labels {
            add: vec!["verified".into()],
            remove: Vec::new(),
        },
    )
    .await;
    bot.drain().await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM jobs WHERE status = 'dead'").await,
        1
    );
    assert!(!bot.labels(1).contains(&"verified".to_owned()));
}
