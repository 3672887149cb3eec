//! The `deliveries` table: what GitHub sent, stored before we acknowledge it.

use crate::ids::IssueNumber;
use sqlx::{FromRow, PgExecutor};

/// A delivery as it arrives, before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub hook_id: String,
    pub delivery_id: String,
    pub event: String,
    pub action: Option<String>,
    pub repository: Option<String>,
    pub repository_id: Option<i64>,
    pub issue_number: Option<IssueNumber>,
    pub installation_id: Option<i64>,
    pub payload: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct Delivery {
    pub id: i64,
    pub hook_id: String,
    pub delivery_id: String,
    pub event: String,
    pub action: Option<String>,
    pub repository: Option<String>,
    pub repository_id: Option<i64>,
    pub issue_number: Option<IssueNumber>,
    pub installation_id: Option<i64>,
    pub payload: String,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub processed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Inserts the delivery; `None` when the same (hook id, delivery id) is
/// already stored. No secret pasted on the tracker is kept: each in the
/// payload is replaced by a marker of its kind, which the job still warns
/// about (`secrets::redact_payload`).
pub async fn insert(e: impl PgExecutor<'_>, d: &NewDelivery) -> sqlx::Result<Option<i64>> {
    let clean = crate::recovery::secrets::redact_payload(&d.payload);
    sqlx::query_scalar(
        "INSERT INTO deliveries
             (hook_id, delivery_id, event, action, repository, repository_id,
              issue_number, installation_id, payload)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (hook_id, delivery_id) DO NOTHING
         RETURNING id",
    )
    .bind(&d.hook_id)
    .bind(&d.delivery_id)
    .bind(&d.event)
    .bind(&d.action)
    .bind(&d.repository)
    .bind(d.repository_id)
    .bind(d.issue_number)
    .bind(d.installation_id)
    .bind(clean.as_deref().unwrap_or(&d.payload))
    .fetch_optional(e)
    .await
}

pub async fn get(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Delivery>> {
    sqlx::query_as("SELECT * FROM deliveries WHERE id = $1")
        .bind(id)
        .fetch_optional(e)
        .await
}

pub async fn mark_processed(e: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE deliveries SET processed_at = now() WHERE id = $1")
        .bind(id)
        .execute(e)
        .await?;
    Ok(())
}
