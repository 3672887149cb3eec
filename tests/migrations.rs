//! Every migration applies on a database that already holds data, and every
//! down migration undoes its up migration.

mod common;

use recovery_bot::store::MIGRATOR;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn migrations_apply_over_data_and_revert(pool: PgPool) {
    // Apply one migration at a time, putting data in after each, so every
    // later migration meets a non-empty database.
    let ups: Vec<_> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .collect();
    for (i, m) in ups.iter().enumerate() {
        let mut partial = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/migrations"
        )))
        .await
        .unwrap();
        partial.set_ignore_missing(true);
        let target = m.version;
        // Run up to and including `target`.
        let keep: Vec<_> = partial
            .migrations
            .iter()
            .filter(|x| x.version <= target)
            .cloned()
            .collect();
        partial.migrations = keep.into();
        partial
            .run(&pool)
            .await
            .unwrap_or_else(|e| panic!("migration {} failed: {e}", m.description));
        if i == 0 {
            sqlx::query(
                "INSERT INTO deliveries (hook_id, delivery_id, event, payload) VALUES ('1', 'd', 'issues', '{}')",
            )
            .execute(&pool)
            .await
            .unwrap();
        }
    }
    assert!(common::count(&pool, "SELECT count(*) FROM deliveries").await >= 1);

    // Down to nothing, and up again.
    MIGRATOR.undo(&pool, 0).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "down migrations left tables behind");
    MIGRATOR.run(&pool).await.unwrap();
}
