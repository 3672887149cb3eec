//! What each kind of job carries: one struct per kind, written and read
//! here only. A job whose kind is unknown or whose arguments do not fit its
//! kind is an error, never a default.

use crate::ids::IssueNumber;
use serde::{Deserialize, Serialize};

use super::jobs::{IssueKey, Job, NewJob};
use crate::commands::Command;
use crate::github::payload;
use crate::recovery::effects::Effect;

pub const PROCESS_DELIVERY: &str = "process_delivery";
pub const EMAIL_CONFIRMED: &str = "email_confirmed";
pub const SWEEP_REPO: &str = "sweep_repo";
pub const SYNC_ISSUE: &str = "sync_issue";
pub const CHECK_ISSUE: &str = "check_issue";
pub const REFRESH_ISSUE: &str = "refresh_issue";
pub const RECOVER_ACCOUNT: &str = "recover_account";
pub const REQUEST_TIMERS: &str = "request_timers";
pub const EFFECT: &str = "effect";

/// A job about one stored request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForRequest {
    pub request_id: i64,
}

/// The owner confirmed round `token_id` of `request_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailConfirmed {
    pub request_id: i64,
    pub token_id: i64,
}

/// Sweep one repository's open intake issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRepo {
    pub repo: String,
    pub installation_id: Option<i64>,
}

/// Look at one issue whose request is open but which the sweep no longer
/// lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIssue {
    pub repo: String,
    pub repo_id: i64,
    pub installation_id: Option<i64>,
    pub number: IssueNumber,
}

/// Take in one issue as the sweep found it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncIssue {
    pub repo: String,
    pub repo_id: i64,
    pub installation_id: Option<i64>,
    pub issue: payload::Issue,
}

fn default_index_key() -> String {
    crate::recovery::indexes::SINGLE_INDEX_KEY.to_owned()
}

/// The reset an admin's `/approve` asked the index for, bound to the
/// account approved: the username on its index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverAccount {
    pub request_id: i64,
    pub username: String,
    /// The index approved (`[indexes.<key>]`); a task queued before
    /// indexes were stored is the one index's, `default`.
    #[serde(default = "default_index_key")]
    pub index_key: String,
    pub admin_id: u64,
    pub admin_login: String,
    pub note: Option<String>,
    #[serde(default)]
    pub now: bool,
    /// The index's `Idempotency-Key`: `directory::approval_key`, fixed when
    /// the approval is queued.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// When the `/approve` comment was written: the reset holds only while
    /// the request has not changed since (`recovery::bound`).
    #[serde(default)]
    pub written_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl RecoverAccount {
    /// The `/approve` it carries out.
    pub fn approve(&self) -> Command {
        Command::Approve {
            note: self.note.clone(),
            now: self.now,
        }
    }
}

/// The issue an effect is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub repository: String,
    pub issue_number: IssueNumber,
    pub installation_id: Option<i64>,
    #[serde(skip)]
    pub key: Option<IssueKey>,
}

/// One effect of a job that committed: where, and what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EffectTask {
    #[serde(flatten)]
    pub target: Target,
    #[serde(rename = "do")]
    pub effect: Effect,
}

/// Every kind of job.
#[derive(Debug, Clone)]
pub enum Task {
    /// A stored delivery (the job's `delivery_id`).
    ProcessDelivery,
    EmailConfirmed(EmailConfirmed),
    SweepRepo(SweepRepo),
    SyncIssue(Box<SyncIssue>),
    CheckIssue(CheckIssue),
    RefreshIssue(ForRequest),
    RecoverAccount(RecoverAccount),
    RequestTimers(ForRequest),
    Effect(Box<EffectTask>),
}

/// A job that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("unknown job kind {0:?}")]
    UnknownKind(String),
    #[error("malformed {kind} job: {source}")]
    Malformed {
        kind: String,
        source: serde_json::Error,
    },
}

impl Task {
    pub fn kind(&self) -> &'static str {
        match self {
            Task::ProcessDelivery => PROCESS_DELIVERY,
            Task::EmailConfirmed(_) => EMAIL_CONFIRMED,
            Task::SweepRepo(_) => SWEEP_REPO,
            Task::SyncIssue(_) => SYNC_ISSUE,
            Task::CheckIssue(_) => CHECK_ISSUE,
            Task::RefreshIssue(_) => REFRESH_ISSUE,
            Task::RecoverAccount(_) => RECOVER_ACCOUNT,
            Task::RequestTimers(_) => REQUEST_TIMERS,
            Task::Effect(_) => EFFECT,
        }
    }

    /// The job's `args` column.
    pub fn args(&self) -> serde_json::Value {
        let value = match self {
            Task::ProcessDelivery => Ok(serde_json::json!({})),
            Task::EmailConfirmed(a) => serde_json::to_value(a),
            Task::SweepRepo(a) => serde_json::to_value(a),
            Task::SyncIssue(a) => serde_json::to_value(a),
            Task::CheckIssue(a) => serde_json::to_value(a),
            Task::RefreshIssue(a) | Task::RequestTimers(a) => serde_json::to_value(a),
            Task::RecoverAccount(a) => serde_json::to_value(a),
            Task::Effect(a) => serde_json::to_value(a),
        };
        // Plain data with string keys: serializing cannot fail.
        value.unwrap_or_default()
    }

    /// The row to enqueue.
    pub fn job(&self, issue_key: Option<IssueKey>, max_attempts: i32) -> NewJob {
        NewJob {
            kind: self.kind().to_owned(),
            issue_key,
            delivery_id: None,
            args: self.args(),
            max_attempts,
        }
    }

    /// Reads a stored job.
    pub fn read(job: &Job) -> Result<Task, TaskError> {
        Self::parse(&job.kind, &job.args)
    }

    pub fn parse(kind: &str, args: &serde_json::Value) -> Result<Task, TaskError> {
        fn de<T: serde::de::DeserializeOwned>(
            kind: &str,
            args: &serde_json::Value,
        ) -> Result<T, TaskError> {
            serde_json::from_value(args.clone()).map_err(|source| TaskError::Malformed {
                kind: kind.to_owned(),
                source,
            })
        }
        Ok(match kind {
            PROCESS_DELIVERY => Task::ProcessDelivery,
            EMAIL_CONFIRMED => Task::EmailConfirmed(de(kind, args)?),
            SWEEP_REPO => Task::SweepRepo(de(kind, args)?),
            SYNC_ISSUE => Task::SyncIssue(Box::new(de(kind, args)?)),
            CHECK_ISSUE => Task::CheckIssue(de(kind, args)?),
            REFRESH_ISSUE => Task::RefreshIssue(de(kind, args)?),
            RECOVER_ACCOUNT => Task::RecoverAccount(de(kind, args)?),
            REQUEST_TIMERS => Task::RequestTimers(de(kind, args)?),
            EFFECT => Task::Effect(Box::new(de(kind, args)?)),
            other => return Err(TaskError::UnknownKind(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_what_it_wrote() {
        let tasks = [
            Task::ProcessDelivery,
            Task::EmailConfirmed(EmailConfirmed {
                request_id: 1,
                token_id: 2,
            }),
            Task::SweepRepo(SweepRepo {
                repo: "a/b".into(),
                installation_id: Some(3),
            }),
            Task::CheckIssue(CheckIssue {
                repo: "a/b".into(),
                repo_id: 4,
                installation_id: None,
                number: 5.into(),
            }),
            Task::RefreshIssue(ForRequest { request_id: 6 }),
            Task::RequestTimers(ForRequest { request_id: 7 }),
            Task::RecoverAccount(RecoverAccount {
                request_id: 8,
                username: "alice".into(),
                index_key: "testpypi".into(),
                admin_id: 9,
                admin_login: "root".into(),
                note: None,
                now: true,
                idempotency_key: Some("recovery-bot-approve-1-2-0".into()),
                written_at: chrono::DateTime::from_timestamp(1_800_000_000, 0),
            }),
            Task::Effect(Box::new(EffectTask {
                target: Target {
                    repository: "a/b".into(),
                    issue_number: 10.into(),
                    installation_id: None,
                    key: None,
                },
                effect: Effect::Mail { token_id: 11 },
            })),
        ];
        for task in tasks {
            let back = Task::parse(task.kind(), &task.args()).unwrap();
            assert_eq!(back.kind(), task.kind());
            assert_eq!(back.args(), task.args());
        }
    }

    #[test]
    fn unknown_kinds_and_wrong_arguments_are_errors() {
        assert!(matches!(
            Task::parse("approve_everyone", &serde_json::json!({})),
            Err(TaskError::UnknownKind(_))
        ));
        assert!(matches!(
            Task::parse(RECOVER_ACCOUNT, &serde_json::json!({ "request_id": 1 })),
            Err(TaskError::Malformed { .. })
        ));
        assert!(matches!(
            Task::parse(REFRESH_ISSUE, &serde_json::json!({ "request_id": "1" })),
            Err(TaskError::Malformed { .. })
        ));
    }
}
