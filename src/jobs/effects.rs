//! Carrying decisions out on GitHub, so that a retried job never repeats an
//! effect that already happened: labels and reactions are idempotent, the
//! status comment is found by its hidden marker and edited in place, and a
//! reply carries a marker naming its delivery, checked before posting again.

use sqlx::PgConnection;

use super::JobError;
use super::bot::Bot;
use crate::github::{Reaction, Repo};
use crate::recovery::messages::{self, CheckLine, ProblemLine, STATUS_MARKER, StatusView};
use crate::recovery::state::State;
use crate::recovery::transitions::{
    AccountCheck, Awaiting, CheckStatus, IssueChange, Outcome, Situation,
};
use crate::store::requests::{self, Audit, Check, Request};

/// Stores what a decision changes (check, state, whether the issue is open),
/// with its audit rows; a decision that changes neither is still logged.
pub async fn store_outcome(
    conn: &mut PgConnection,
    request: &Request,
    outcome: &Outcome,
    audit: &Audit,
) -> sqlx::Result<()> {
    if let Some((name, status, note)) = &outcome.check {
        requests::set_check(
            &mut *conn,
            request,
            name,
            status.as_str(),
            note.as_deref(),
            audit,
        )
        .await?;
    }
    if let Some((state, awaiting)) = outcome.to {
        let open = match outcome.issue {
            Some(IssueChange::CloseCompleted | IssueChange::CloseNotPlanned) => false,
            Some(IssueChange::Reopen) => true,
            None => request.issue_open,
        };
        requests::set_state(
            &mut *conn,
            request,
            state,
            awaiting.map(Awaiting::as_str),
            open,
            audit,
        )
        .await?;
    } else if outcome.check.is_none() {
        requests::record(&mut *conn, request, audit).await?;
    }
    Ok(())
}

/// The request as the state machine sees it.
pub fn situation(
    request: &Request,
    checks: Vec<Check>,
    required: &[String],
    email_available: bool,
    account: AccountCheck,
) -> Situation {
    Situation {
        state: request.state(),
        issue_open: request.issue_open,
        author_id: u64::try_from(request.author_id).unwrap_or_default(),
        awaiting: request.awaiting_reason.as_deref().and_then(Awaiting::parse),
        checks: checks
            .into_iter()
            .filter_map(|c| Some((c.name, CheckStatus::parse(&c.status)?)))
            .collect(),
        required: required.to_vec(),
        email_available,
        account,
    }
}

/// One issue being worked on by one job.
pub struct Issue<'a> {
    pub bot: &'a Bot,
    pub gh: Repo,
    pub repo: &'a str,
    pub number: u64,
    pub delivery_id: &'a str,
    /// An earlier attempt of this job may have done part of the work.
    pub retrying: bool,
    /// The labels the issue carried when the event was sent.
    pub labels: Vec<String>,
    /// The GitHub App installation the delivery came through.
    pub installation_id: Option<i64>,
}

impl Issue<'_> {
    /// Leaves exactly the state's label (and the duplicate flag if needed).
    pub async fn sync_labels(&mut self, state: State, duplicate: bool) -> Result<(), JobError> {
        let changes = self.bot.labels.changes(&self.labels, state, duplicate);
        if !changes.add.is_empty() {
            let add: Vec<&str> = changes.add.iter().map(String::as_str).collect();
            self.gh.add_labels(self.repo, self.number, &add).await?;
        }
        for label in &changes.remove {
            self.gh.remove_label(self.repo, self.number, label).await?;
        }
        self.labels
            .retain(|l| !changes.remove.iter().any(|r| r.eq_ignore_ascii_case(l)));
        self.labels.extend(changes.add);
        Ok(())
    }

    /// Writes the status comment: edited in place when it exists.
    pub async fn refresh_status(
        &self,
        conn: &mut PgConnection,
        request: &Request,
        checks_reset: bool,
    ) -> Result<(), JobError> {
        let body = self.status_body(conn, request, checks_reset).await?;
        let known = match request.status_comment_id {
            Some(id) => u64::try_from(id).ok(),
            None => self.find_status_comment().await?,
        };
        let id = match known {
            Some(id) => match self.gh.update_comment(self.repo, id, &body).await {
                Ok(c) => c.id,
                // Deleted by someone: write a new one.
                Err(e) if e.status() == Some(404) => {
                    self.gh
                        .create_comment(self.repo, self.number, &body)
                        .await?
                        .id
                }
                Err(e) => return Err(e.into()),
            },
            None => {
                self.gh
                    .create_comment(self.repo, self.number, &body)
                    .await?
                    .id
            }
        };
        if request.status_comment_id != i64::try_from(id).ok() {
            requests::set_status_comment(
                &mut *conn,
                request.id,
                i64::try_from(id).unwrap_or_default(),
            )
            .await?;
        }
        Ok(())
    }

    async fn find_status_comment(&self) -> Result<Option<u64>, JobError> {
        let comments = self.gh.list_comments(self.repo, self.number).await?;
        Ok(comments
            .into_iter()
            .find(|c| {
                c.user
                    .as_ref()
                    .is_some_and(|u| u.login.eq_ignore_ascii_case(&self.bot.login))
                    && c.body.as_deref().is_some_and(|b| b.contains(STATUS_MARKER))
            })
            .map(|c| c.id))
    }

    async fn status_body(
        &self,
        conn: &mut PgConnection,
        request: &Request,
        checks_reset: bool,
    ) -> Result<String, JobError> {
        let checks = check_lines(conn, request.id).await?;
        let stored = StoredProblems::from_json(&request.problems);
        let duplicate_of = match request.duplicate_of {
            Some(id) => requests::issue_number_of(&mut *conn, id)
                .await?
                .and_then(|n| u64::try_from(n).ok()),
            None => None,
        };
        let skeleton = messages::form_skeleton(&self.bot.template);
        let ahead = requests::ahead_of(&mut *conn, request).await?;
        Ok(messages::status_comment(&StatusView {
            state: request.state(),
            awaiting_email: request.awaiting_reason.as_deref() == Some("email"),
            author: &request.author_login,
            from_form: stored.from_form,
            problems: &stored.items,
            skeleton: (!stored.from_form).then_some(skeleton.as_str()),
            duplicate_of,
            ahead,
            checks_reset,
            checks: &checks,
            required: &self.bot.required_checks,
            labels: &self.bot.labels,
        }))
    }

    /// Posts a reply once per (delivery, index), even across retries.
    pub async fn reply_once(&self, index: usize, text: &str) -> Result<(), JobError> {
        let marker = format!("<!-- recovery-bot:reply {}:{index} -->", self.delivery_id);
        if self.retrying {
            let comments = self.gh.list_comments(self.repo, self.number).await?;
            if comments
                .iter()
                .any(|c| c.body.as_deref().is_some_and(|b| b.contains(&marker)))
            {
                return Ok(());
            }
        }
        let body = crate::recovery::echo::fit(format!("{marker}\n{text}"));
        self.gh
            .create_comment(self.repo, self.number, &body)
            .await?;
        Ok(())
    }

    pub async fn react(&self, comment_id: u64, reaction: Reaction) -> Result<(), JobError> {
        Ok(self
            .gh
            .react_to_comment(self.repo, comment_id, reaction)
            .await?)
    }
}

/// The problems as stored with a request.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct StoredProblems {
    pub from_form: bool,
    pub items: Vec<ProblemLine>,
}

impl StoredProblems {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn from_json(v: &serde_json::Value) -> Self {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }
}

pub async fn check_lines(
    conn: &mut PgConnection,
    request_id: i64,
) -> Result<Vec<CheckLine>, JobError> {
    Ok(requests::checks(&mut *conn, request_id)
        .await?
        .into_iter()
        .map(|c| CheckLine {
            status: CheckStatus::parse(&c.status).unwrap_or(CheckStatus::Sent),
            name: c.name,
            actor: c.actor_login,
            note: c.note,
            when: c.updated_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect())
}
