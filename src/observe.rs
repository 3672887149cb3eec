//! Every metric the bot exports on `GET /metrics`, named and described in
//! one place (the operator guide lists the same names). Counters and
//! histograms are recorded where things happen; gauges that describe the
//! database (the queue, the requests) are read at scrape time, so every
//! replica reports the same truth.

use std::time::Duration;

use sqlx::PgPool;

use crate::recovery::state::State;

pub const WEBHOOK_DELIVERIES: &str = "recovery_bot_webhook_deliveries_total";
pub const JOBS: &str = "recovery_bot_jobs_total";
pub const JOB_DURATION: &str = "recovery_bot_job_duration_seconds";
pub const JOBS_PENDING: &str = "recovery_bot_jobs_pending";
pub const JOBS_DEAD: &str = "recovery_bot_jobs_dead";
pub const JOBS_OLDEST_PENDING_AGE: &str = "recovery_bot_jobs_oldest_pending_age_seconds";
pub const GITHUB_REQUESTS: &str = "recovery_bot_github_requests_total";
pub const GITHUB_RATE_LIMIT_REMAINING: &str = "recovery_bot_github_rate_limit_remaining";
pub const REQUESTS: &str = "recovery_bot_requests";
pub const OPEN_REQUEST_OLDEST_AGE: &str = "recovery_bot_open_request_oldest_age_seconds";
pub const MAILS: &str = "recovery_bot_mails_sent_total";

/// The buckets of `recovery_bot_job_duration_seconds`.
pub const JOB_DURATION_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0];

/// Help texts, shown in the exposition.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook deliveries by event and outcome (accepted, duplicate, ignored, ping, bad_signature, malformed, too_large, unavailable)"
    );
    describe_counter!(JOBS, "Finished job attempts by outcome (done, retry, dead)");
    describe_histogram!(
        JOB_DURATION,
        Unit::Seconds,
        "How long a job attempt ran, by kind"
    );
    describe_gauge!(JOBS_PENDING, "Jobs waiting to run (due or not)");
    describe_gauge!(
        JOBS_DEAD,
        "Jobs kept as dead after their last attempt (see `jobs list --status dead`)"
    );
    describe_gauge!(
        JOBS_OLDEST_PENDING_AGE,
        Unit::Seconds,
        "Age of the oldest pending job (0 when none)"
    );
    describe_counter!(
        GITHUB_REQUESTS,
        "Calls to the GitHub API by operation and answer status (`error` when there was none)"
    );
    describe_gauge!(
        GITHUB_RATE_LIMIT_REMAINING,
        "x-ratelimit-remaining of GitHub's latest answer"
    );
    describe_gauge!(REQUESTS, "Requests by state");
    describe_gauge!(
        OPEN_REQUEST_OLDEST_AGE,
        Unit::Seconds,
        "Age of the oldest open request in each state (0 when none)"
    );
    describe_counter!(
        MAILS,
        "Mails handed to the SMTP server, by outcome (sent, failed)"
    );
}

/// One job attempt ran for `took`.
pub fn job_ran(kind: &str, took: Duration) {
    // Job kinds are the bot's own names: a bounded set.
    metrics::histogram!(JOB_DURATION, "kind" => kind.to_owned()).record(took.as_secs_f64());
}

/// Reads the gauges that describe the database; a database that does not
/// answer leaves the last values (`/readyz` says it is down).
pub async fn read_gauges(pool: &PgPool) {
    let queue: Result<(i64, i64, f64), _> = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'pending'),
                count(*) FILTER (WHERE status = 'dead'),
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8
         FROM jobs",
    )
    .fetch_one(pool)
    .await;
    if let Ok((pending, dead, oldest)) = queue {
        metrics::gauge!(JOBS_PENDING).set(pending as f64);
        metrics::gauge!(JOBS_DEAD).set(dead as f64);
        metrics::gauge!(JOBS_OLDEST_PENDING_AGE).set(oldest);
    }
    let by_state: Result<Vec<(String, i64, f64)>, _> = sqlx::query_as(
        "SELECT state, count(*),
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE issue_open)), 0)::float8
         FROM requests WHERE removed_at IS NULL GROUP BY state",
    )
    .fetch_all(pool)
    .await;
    if let Ok(rows) = by_state {
        for state in State::ALL {
            let (count, oldest) = rows
                .iter()
                .find(|(s, _, _)| s == state.as_str())
                .map_or((0, 0.0), |(_, c, o)| (*c, *o));
            metrics::gauge!(REQUESTS, "state" => state.as_str()).set(count as f64);
            metrics::gauge!(OPEN_REQUEST_OLDEST_AGE, "state" => state.as_str()).set(oldest);
        }
    }
}

/// The operation a GitHub API path names, for the label: the path's shape
/// with its names and numbers left out (a bounded set).
pub fn github_operation(path: &str) -> &'static str {
    let path = path.split('?').next().unwrap_or("");
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["user"] => "user",
        ["app"] => "app",
        ["app", "installations", _, "access_tokens"] => "installation_token",
        ["repos", _, _, "installation"] => "repo_installation",
        ["users", _] => "user_by_login",
        ["orgs", _, "teams", _, "memberships", _] => "team_membership",
        ["repos", _, _] => "repo",
        ["repos", _, _, "issues"] => "issues",
        ["repos", _, _, "issues", "comments", _] => "comment",
        ["repos", _, _, "issues", "comments", _, "reactions"] => "comment_reactions",
        ["repos", _, _, "issues", _] => "issue",
        ["repos", _, _, "issues", _, "labels"] => "issue_labels",
        ["repos", _, _, "issues", _, "labels", _] => "issue_label",
        ["repos", _, _, "issues", _, "comments"] => "issue_comments",
        ["repos", _, _, "issues", _, "reactions"] => "issue_reactions",
        ["repos", _, _, "collaborators", _, "permission"] => "permission",
        ["repos", _, _, "branches", _] => "branch",
        ["repos", _, _, "activity"] => "activity",
        ["repos", _, _, "labels"] => "labels",
        ["repos", _, _, "labels", _] => "label",
        _ => "other",
    }
}

/// The event of a delivery, for the label: GitHub's known names only.
pub fn event_label(event: Option<&str>) -> &'static str {
    match event {
        Some("issues") => "issues",
        Some("issue_comment") => "issue_comment",
        Some("ping") => "ping",
        Some(_) => "other",
        None => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_leave_names_and_numbers_out() {
        assert_eq!(
            github_operation("/repos/pypi/support/issues/12/labels"),
            "issue_labels"
        );
        assert_eq!(
            github_operation("/repos/pypi/support/issues/12/labels/needs%20fix"),
            "issue_label"
        );
        assert_eq!(
            github_operation("/repos/a/b/issues/comments/9/reactions"),
            "comment_reactions"
        );
        assert_eq!(github_operation("/repos/a/b/branches/abc"), "branch");
        assert_eq!(
            github_operation("/repos/a/b/issues?state=open&page=2"),
            "issues"
        );
        assert_eq!(github_operation("/something/else"), "other");
        assert_eq!(event_label(Some("issues")), "issues");
        assert_eq!(event_label(Some("<script>")), "other");
    }
}
