//! The outbox: a job stores its effects (`recovery::effects::Effect`) as
//! jobs of kind `effect` in its own transaction, and they run after it
//! commits, in order, before the issue's next job (`store::jobs::claim`),
//! each retried on its own. The executor is chosen once, at start: `Live`
//! writes to GitHub, mails and calls the index; `Shadow` (`serve
//! --dry-run`) records what it would have done, and reads only. No other
//! code asks whether it is a dry run.

use serde_json::json;
use sqlx::PgConnection;
use tracing::info;

use super::{Job, JobError, bot::Bot};
use crate::github::{self, PostedComment, Repo};
use crate::ids::IssueNumber;
use crate::recovery::effects::{Effect, Reaction, RedactIn, reply_marker};
use crate::recovery::messages::STATUS_MARKER;
use crate::recovery::messages::{self as messages, NotMailed};
use crate::store::jobs;
use crate::store::requests;
use crate::store::shadow::{self, Recorded};
pub use crate::store::tasks::Target;
use crate::store::tasks::{EffectTask, Task};
use crate::verify::directory::{DirectoryError, Recovered};
use crate::verify::{Delivery, RoundError};

/// How effects are carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executor {
    /// Write to GitHub, mail, call the index.
    Live,
    /// Record what would have been done (`serve --dry-run`).
    Shadow,
}

/// Stores `effect` to run after the caller's transaction commits.
pub async fn push(
    conn: &mut PgConnection,
    target: &Target,
    effect: Effect,
    max_attempts: i32,
) -> Result<(), JobError> {
    let Some(key) = &target.key else {
        return Err(JobError::Permanent(anyhow::anyhow!(
            "an effect names no issue"
        )));
    };
    let task = Task::Effect(Box::new(EffectTask {
        target: target.clone(),
        effect,
    }));
    jobs::enqueue_effect(conn, key, &task.args(), max_attempts).await?;
    Ok(())
}

/// Runs one effect job.
pub async fn run(
    bot: &Bot,
    job: &Job,
    task: &EffectTask,
    conn: &mut PgConnection,
) -> Result<(), JobError> {
    let EffectTask { mut target, effect } = task.clone();
    // Follow-up effects (a notice after a mail that never left) go to the
    // same issue, in order.
    target.key = job.issue_key.clone().map(jobs::IssueKey::stored);
    let gh = bot.github.repo(target.installation_id).await?;
    let mut run = Run {
        bot,
        gh,
        target: &target,
        retrying: job.retrying(),
        last_attempt: job.last_attempt(),
        comments: None,
    };
    match bot.executor {
        Executor::Live => {
            let comment = match &effect {
                Effect::React { comment_id, .. }
                | Effect::Redact {
                    place: RedactIn::Comment { comment_id },
                    ..
                } => Some(*comment_id),
                _ => None,
            };
            match run.live(conn, effect).await {
                // The issue (or the comment) was deleted or moved away
                // before the effect ran, as GitHub confirms when asked:
                // there is nothing left to write to. A 404 for anything
                // else (lost access) stays an error.
                Err(JobError::Permanent(e)) if not_found(&e) && run.gone(comment).await? => {
                    info!(
                        repository = %target.repository,
                        issue = %target.issue_number,
                        "the issue or comment is gone; effect dropped"
                    );
                    Ok(())
                }
                other => other,
            }
        }
        Executor::Shadow => {
            let recorded = run.shadow(conn, effect).await?;
            shadow::insert(conn, job.id, &recorded).await?;
            Ok(())
        }
    }
}

/// The index's recover call, made by the live executor and recorded by
/// the shadow one (which answers as the index would on success, so the
/// trail shows what the bot would have done).
pub async fn recover(
    bot: &Bot,
    conn: &mut PgConnection,
    job: &Job,
    target: &Target,
    (index_key, username): (&str, &str),
    key: &str,
) -> Result<Result<Recovered, DirectoryError>, JobError> {
    let index = bot.indexes.get(index_key);
    let Some(directory) = &index.directory else {
        return Err(JobError::Permanent(anyhow::anyhow!(
            "index_recover is on but the index {} has no account directory",
            index.key
        )));
    };
    match bot.executor {
        Executor::Live => Ok(directory.recover(username, key).await),
        Executor::Shadow => {
            let recorded = Recorded {
                kind: "recover",
                repository: target.repository.clone(),
                issue_number: Some(target.issue_number),
                detail: json!({ "username": username, "index": index.key }),
            };
            recorded.log();
            shadow::insert(conn, job.id, &[recorded]).await?;
            Ok(Ok(Recovered::Done))
        }
    }
}

/// GitHub answered that what the effect writes to does not exist (404) or
/// no longer does (410).
fn not_found(e: &anyhow::Error) -> bool {
    e.downcast_ref::<github::ApiError>()
        .and_then(github::ApiError::status)
        .is_some_and(|s| matches!(s, 404 | 410))
}

fn reaction(r: Reaction) -> github::Reaction {
    match r {
        Reaction::Eyes => github::Reaction::Eyes,
        Reaction::Rocket => github::Reaction::Rocket,
        Reaction::Confused => github::Reaction::Confused,
    }
}

/// One effect being carried out.
struct Run<'a> {
    bot: &'a Bot,
    gh: Repo,
    target: &'a Target,
    /// An earlier attempt may have done it already.
    retrying: bool,
    /// No attempt comes after this one.
    last_attempt: bool,
    comments: Option<Vec<PostedComment>>,
}

impl Run<'_> {
    /// The effect's issue is gone, or (`comment`) the comment it is on.
    async fn gone(&self, comment: Option<u64>) -> Result<bool, JobError> {
        if self.gh.issue(self.repo(), self.number()).await?.is_none() {
            return Ok(true);
        }
        Ok(match comment {
            Some(id) => self.gh.comment(self.repo(), id).await?.is_none(),
            None => false,
        })
    }

    fn repo(&self) -> &str {
        &self.target.repository
    }

    fn number(&self) -> IssueNumber {
        self.target.issue_number
    }

    async fn live(&mut self, conn: &mut PgConnection, effect: Effect) -> Result<(), JobError> {
        let (repo, number) = (self.target.repository.clone(), self.number());
        match effect {
            Effect::Labels { add, remove } => {
                let add: Vec<&str> = add.iter().map(String::as_str).collect();
                let now = self.gh.add_labels(&repo, number, &add).await?;
                for label in remove
                    .iter()
                    .filter(|l| now.iter().any(|n| n.eq_ignore_ascii_case(l)))
                {
                    self.gh.remove_label(&repo, number, label).await?;
                }
            }
            Effect::StatusComment {
                request_id,
                body,
                may_exist,
            } => {
                self.status_comment(conn, request_id, &body, may_exist)
                    .await?
            }
            Effect::Reply { marker, body } => {
                if !(self.retrying && self.find_own(&marker).await?.is_some()) {
                    self.gh.create_comment(&repo, number, &body).await?;
                }
            }
            Effect::IssueState { open, reason } => {
                self.gh
                    .set_issue_state(&repo, number, open, reason.as_deref())
                    .await?;
            }
            Effect::React {
                comment_id,
                reaction: r,
            } => {
                self.gh
                    .react_to_comment(&repo, number, comment_id, reaction(r))
                    .await?;
            }
            Effect::Redact { place, spare } => self.redact(place, &spare).await?,
            Effect::Mail { token_id } => {
                let Some(verifier) = &self.bot.verifier else {
                    return Err(JobError::Permanent(anyhow::anyhow!(
                        "a round's mail, but mail is not configured"
                    )));
                };
                let issue_url = self.bot.issue_url(&repo, number);
                let why = match verifier
                    .deliver(
                        &self.bot.pool,
                        |key| {
                            let index = self.bot.indexes.get(key);
                            Some((index.directory.as_ref()?, index.name.as_str()))
                        },
                        token_id,
                        &issue_url,
                    )
                    .await
                {
                    Ok(Delivery::Sent | Delivery::Ended) => return Ok(()),
                    Ok(Delivery::NotMailed(why)) => why,
                    // The round ends rather than the job dying: a dead mail
                    // would leave admins believing the owner was written to.
                    Err(RoundError::Mail(e)) if self.last_attempt => {
                        tracing::warn!(round = token_id, error = %e, "the round's mail never left; the round ends");
                        verifier.give_up(&self.bot.pool, token_id).await?;
                        NotMailed::MailFailed
                    }
                    Err(e) => return Err(e.into()),
                };
                self.tell_not_mailed(conn, token_id, why).await?;
            }
        }
        Ok(())
    }

    /// Tells admins, once, that round `token_id`'s mail did not leave
    /// (a reply effect, after this one).
    async fn tell_not_mailed(
        &self,
        conn: &mut PgConnection,
        token_id: i64,
        why: NotMailed,
    ) -> Result<(), JobError> {
        let marker = reply_marker(&format!("not-mailed-{token_id}"));
        let body = format!("{marker}\n{}", messages::not_mailed(why));
        push(
            conn,
            self.target,
            Effect::Reply { marker, body },
            self.bot.max_attempts,
        )
        .await
    }

    /// Writes the status comment: edited in place when it exists.
    async fn status_comment(
        &mut self,
        conn: &mut PgConnection,
        request_id: i64,
        body: &str,
        may_exist: bool,
    ) -> Result<(), JobError> {
        let (repo, number) = (self.target.repository.clone(), self.number());
        let stored = requests::get(&mut *conn, request_id)
            .await?
            .and_then(|r| r.status_comment_id);
        let known = match stored {
            Some(id) => u64::try_from(id).ok(),
            None if may_exist || self.retrying => self.find_own(STATUS_MARKER).await?,
            None => None,
        };
        let id = match known {
            Some(id) => match self.gh.update_comment(&repo, number, id, body).await {
                Ok(c) => c.id,
                // Deleted by someone: write a new one.
                Err(e) if e.status() == Some(404) => {
                    self.gh.create_comment(&repo, number, body).await?.id
                }
                Err(e) => return Err(e.into()),
            },
            None => self.gh.create_comment(&repo, number, body).await?.id,
        };
        if stored != i64::try_from(id).ok() {
            let id = i64::try_from(id).unwrap_or_default();
            requests::set_status_comment(&mut *conn, request_id, id).await?;
        }
        Ok(())
    }

    /// The bot's own comment carrying `marker`: written by the bot's login
    /// (a marker typed by anyone else counts for nothing).
    async fn find_own(&mut self, marker: &str) -> Result<Option<u64>, JobError> {
        if self.comments.is_none() {
            let (repo, number) = (self.target.repository.clone(), self.number());
            self.comments = Some(self.gh.list_comments(&repo, number).await?);
        }
        let login = &self.bot.login;
        Ok(self.comments.iter().flatten().find_map(|c| {
            let own = c
                .user
                .as_ref()
                .is_some_and(|u| u.login.eq_ignore_ascii_case(login));
            // The bot writes its marker first; a marker anywhere else (a
            // username echoed in a code span) is someone else's text.
            (own && c.body.as_deref().is_some_and(|b| b.starts_with(marker))).then_some(c.id)
        }))
    }

    /// Replaces secrets in the text as it is now (the author may have
    /// edited it since the decision).
    async fn redact(&self, place: RedactIn, spare: &[String]) -> Result<(), JobError> {
        let (repo, number) = (self.repo(), self.number());
        match place {
            RedactIn::Body => {
                if let Some(now) = self.gh.issue(repo, number).await?
                    && let Some(clean) = crate::recovery::secrets::redact_sparing(
                        now.body.as_deref().unwrap_or(""),
                        spare,
                    )
                {
                    self.gh.set_issue_body(repo, number, &clean).await?;
                }
            }
            RedactIn::Comment { comment_id } => {
                if let Some(now) = self.gh.comment(repo, comment_id).await?
                    && let Some(clean) = crate::recovery::secrets::redact_sparing(
                        now.body.as_deref().unwrap_or(""),
                        spare,
                    )
                {
                    self.gh
                        .update_comment(repo, number, comment_id, &clean)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// What the effect would have written, as `requests show` lists it.
    /// Reads still happen (the labels the issue carries now).
    async fn shadow(
        &mut self,
        conn: &mut PgConnection,
        effect: Effect,
    ) -> Result<Vec<Recorded>, JobError> {
        let recorded = match effect {
            Effect::Labels { add, remove } => self.shadow_labels(add, remove).await?,
            Effect::StatusComment {
                request_id, body, ..
            } => vec![self.shadow_status_comment(conn, request_id, body).await?],
            Effect::Reply { body, .. } => {
                vec![self.record("create_comment", json!({ "body": body }))]
            }
            Effect::IssueState { open, reason } => {
                let mut detail = json!({ "state": if open { "open" } else { "closed" } });
                if let Some(reason) = reason {
                    detail["state_reason"] = json!(reason);
                }
                vec![self.record("set_issue_state", detail)]
            }
            Effect::React {
                comment_id,
                reaction: r,
            } => vec![self.record(
                "react",
                json!({ "comment_id": comment_id, "content": reaction(r).content() }),
            )],
            Effect::Redact {
                place: RedactIn::Body,
                ..
            } => vec![self.record("set_issue_body", json!({}))],
            Effect::Redact {
                place: RedactIn::Comment { comment_id },
                ..
            } => {
                vec![self.record("update_comment", json!({ "comment_id": comment_id }))]
            }
            Effect::Mail { token_id } => vec![self.shadow_mail(conn, token_id).await?],
        };
        for r in &recorded {
            r.log();
        }
        info!(effects = recorded.len(), "dry run: recorded, not run");
        Ok(recorded)
    }

    /// One recorded effect on this issue.
    fn record(&self, kind: &'static str, detail: serde_json::Value) -> Recorded {
        Recorded {
            kind,
            repository: self.target.repository.clone(),
            issue_number: Some(self.number()),
            detail,
        }
    }

    /// The labels added, and each label removed that the issue carries now.
    async fn shadow_labels(
        &self,
        add: Vec<String>,
        remove: Vec<String>,
    ) -> Result<Vec<Recorded>, JobError> {
        let now = self.gh.issue_labels(self.repo(), self.number()).await?;
        let mut out = vec![self.record("add_labels", json!({ "labels": add }))];
        out.extend(
            remove
                .iter()
                .filter(|l| now.iter().any(|n| n.eq_ignore_ascii_case(l)))
                .map(|l| self.record("remove_label", json!({ "label": l }))),
        );
        Ok(out)
    }

    /// An update of the stored status comment, or its creation (a synthetic
    /// id is stored for the comment that was never made).
    async fn shadow_status_comment(
        &self,
        conn: &mut PgConnection,
        request_id: i64,
        body: String,
    ) -> Result<Recorded, JobError> {
        let stored = requests::get(&mut *conn, request_id)
            .await?
            .and_then(|r| r.status_comment_id);
        match stored {
            Some(id) => {
                Ok(self.record("update_comment", json!({ "comment_id": id, "body": body })))
            }
            None => {
                // A comment that was never made: its id is far
                // above any GitHub hands out, so it stays one.
                let id = i64::try_from(shadow::synthetic_comment_id()).unwrap_or_default();
                requests::set_status_comment(&mut *conn, request_id, id).await?;
                Ok(self.record("create_comment", json!({ "body": body })))
            }
        }
    }

    /// The mail that would have been sent: to whom (never the address), for
    /// which issue, with which proof.
    async fn shadow_mail(
        &self,
        conn: &mut PgConnection,
        token_id: i64,
    ) -> Result<Recorded, JobError> {
        let token = crate::store::tokens::get(&mut *conn, token_id).await?;
        let username = token.as_ref().and_then(|t| t.username.clone());
        let proof = match token.as_ref().and_then(|t| t.branch.as_ref()) {
            Some(_) => "branch",
            None => "link",
        };
        let issue_url = self.bot.issue_url(self.repo(), self.number());
        Ok(self.record(
            "mail",
            json!({
                "username": username,
                "to": "the account's verified primary address",
                "issue": issue_url,
                "proof": proof,
            }),
        ))
    }
}
