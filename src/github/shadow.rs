//! Shadow mode (`serve --dry-run`): every write the bot would make to GitHub
//! (and every mail it would send) is recorded instead of made. A job runs
//! inside [`record`], which collects its would-be effects; the job stores
//! them with its own writes, so a failed attempt leaves none behind and a
//! retried one records them once.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// One write that was not made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effect {
    /// `add_labels`, `remove_label`, `create_comment`, `update_comment`,
    /// `react`, `set_issue_state`, `mail`.
    pub kind: &'static str,
    pub repository: String,
    /// The issue, when the effect is on one.
    pub issue_number: Option<u64>,
    /// What would have been sent (a comment's text, the labels, ...).
    /// Never an email address.
    pub detail: serde_json::Value,
}

tokio::task_local! {
    static EFFECTS: RefCell<Vec<Effect>>;
}

/// Runs `f`, collecting the effects it would have made.
pub async fn record<F: Future>(f: F) -> (F::Output, Vec<Effect>) {
    EFFECTS
        .scope(RefCell::new(Vec::new()), async {
            let out = f.await;
            let effects = EFFECTS.with(|e| std::mem::take(&mut *e.borrow_mut()));
            (out, effects)
        })
        .await
}

/// Logs a write that was not made (its kind and where, not its text).
pub fn log(effect: &Effect) {
    tracing::info!(
        kind = effect.kind,
        repository = %effect.repository,
        issue = effect.issue_number,
        "dry run: not written"
    );
}

/// Keeps `effect` for the running job and logs it.
pub fn push(effect: Effect) {
    log(&effect);
    // Outside a job (nothing collects), the log line is all there is.
    let _ = EFFECTS.try_with(|e| e.borrow_mut().push(effect));
}

/// Ids for comments that were never made: far above any id GitHub hands
/// out, so the status comment "edited in place" stays one comment.
pub fn synthetic_comment_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    const BASE: u64 = SYNTHETIC_BIT;
    let seed = u64::try_from(chrono::Utc::now().timestamp_micros()).unwrap_or(0) << 8;
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    BASE | (seed.wrapping_add(n) & (BASE - 1))
}

/// Set in every synthetic comment id, and in no id GitHub hands out.
pub const SYNTHETIC_BIT: u64 = 1 << 62;

pub fn is_synthetic(comment_id: u64) -> bool {
    comment_id & SYNTHETIC_BIT != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn effects_are_collected_per_job() {
        let effect = |n| Effect {
            kind: "react",
            repository: "a/b".into(),
            issue_number: Some(n),
            detail: serde_json::Value::Null,
        };
        let ((), first) = record(async {
            push(effect(1));
            tokio::task::yield_now().await;
            push(effect(2));
        })
        .await;
        assert_eq!(first, [effect(1), effect(2)]);
        let ((), second) = record(async {}).await;
        assert!(second.is_empty());
        push(effect(3)); // outside a job: only logged
        let id = synthetic_comment_id();
        assert!(is_synthetic(id) && !is_synthetic(5_000_001));
        assert_ne!(id, synthetic_comment_id());
    }
}
