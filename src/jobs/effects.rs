//! Carrying decisions out on GitHub, so that a retried job never repeats an
//! effect that already happened: labels and reactions are idempotent, the
//! status comment is found by its hidden marker and edited in place, and a
//! reply carries a marker naming its delivery, checked before posting again.

use crate::ids::IssueNumber;
use sqlx::PgConnection;

use super::JobError;
use super::bot::Bot;
use super::outbox::{self, Target};
use crate::config::Timers;
use crate::github::Repo;
use crate::recovery::effects::{Effect, Reaction, reply_marker};
use crate::recovery::messages::{self, CheckLine, ProblemLine, StatusView};
use crate::recovery::moves::Move;
use crate::recovery::ownership::{self, Evidence};
use crate::recovery::state::Flags;
use crate::recovery::timers;
use crate::recovery::transitions::{
    AccountCheck, Awaiting, CheckStatus, EMAIL_CHECK, IssueChange, OWNERSHIP_CHECK, Outcome,
    Situation,
};
use crate::store::jobs::IssueKey;
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
            crate::recovery::rounds::ended_by_check(name, *status),
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
        let to = Move::to(request.before(), state, awaiting, open);
        requests::set_state(&mut *conn, request, &to, open, audit).await?;
    } else if outcome.check.is_none() {
        requests::record(&mut *conn, request, audit).await?;
    }
    Ok(())
}

/// The rules a request is judged by, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// Checks that must pass before `/approve`.
    pub required: &'a [String],
    pub timers: &'a Timers,
    pub index_recover: bool,
    /// Mail and the account directory are configured.
    pub email_available: bool,
    /// An account directory is configured: evidence can be gathered, and
    /// its absence means the waiting period applies.
    pub directory: bool,
}

/// The request as the state machine sees it.
pub fn situation(
    request: &Request,
    checks: Vec<Check>,
    policy: &Policy<'_>,
    account: AccountCheck,
) -> Situation {
    let passed_at = |name: &str| {
        checks
            .iter()
            .find(|c| c.name == name && c.status == CheckStatus::Passed)
            .map(|c| c.updated_at)
    };
    let projects = ownership::projects(
        policy.directory,
        request.ownership.as_ref(),
        request.username.as_deref(),
    );
    let waiting_until = timers::waiting_ends(
        passed_at(EMAIL_CHECK),
        passed_at(OWNERSHIP_CHECK).is_some(),
        projects,
        policy.timers,
    );
    Situation {
        state: request.state(),
        issue_open: request.issue_open,
        author_id: u64::try_from(request.author_id).unwrap_or_default(),
        awaiting: request.awaiting_reason,
        checks: checks.into_iter().map(|c| (c.name, c.status)).collect(),
        required: policy.required.to_vec(),
        email_available: policy.email_available,
        account,
        form_valid: request.form_valid(),
        state_before: request.state_before(),
        now: chrono::Utc::now(),
        waiting_until,
        account_repos: 0,
        index_recover: policy.index_recover,
        checks_reset: request.username_changed,
    }
}

/// The request as the state machine sees it now, with its stored checks.
pub async fn situation_now(
    conn: &mut PgConnection,
    bot: &Bot,
    request: &Request,
    account: AccountCheck,
) -> Result<Situation, JobError> {
    let checks = requests::checks(&mut *conn, request.id).await?;
    Ok(situation(
        request,
        checks,
        &bot.policy(&request.index_key),
        account,
    ))
}

/// Which issue a job works on.
#[derive(Debug, Clone)]
pub struct IssueRef<'a> {
    pub repo: &'a str,
    pub number: IssueNumber,
    /// GitHub's id of the repository (it survives renames): with the
    /// number, the key that orders the issue's jobs and effects.
    pub repository_id: i64,
    /// The GitHub App installation the delivery came through.
    pub installation_id: Option<i64>,
}

/// One issue being worked on by one job. Reads go to GitHub at once;
/// writes are stored as effects (`outbox`) and run after the job commits.
pub struct IssueHandle<'a> {
    pub bot: &'a Bot,
    pub gh: Repo,
    pub repo: &'a str,
    pub number: IssueNumber,
    /// Names this job's effects (a delivery id, or a job's own key): the
    /// reply's marker.
    pub delivery_id: &'a str,
    /// An earlier attempt of this job may have done part of the work.
    pub retrying: bool,
    /// No other attempt of this job follows: a fact that cannot be read
    /// now is answered for (refused) rather than retried. Set by the
    /// delivery handler; false elsewhere.
    pub last_attempt: bool,
    /// The GitHub App installation the delivery came through.
    pub installation_id: Option<i64>,
    /// This job stored the request for the first time: nothing the bot
    /// wrote about it can be on the issue yet.
    pub new_request: bool,
    key: IssueKey,
}

impl<'a> IssueHandle<'a> {
    pub fn new(
        bot: &'a Bot,
        gh: Repo,
        at: IssueRef<'a>,
        delivery_id: &'a str,
        retrying: bool,
    ) -> Self {
        Self {
            bot,
            gh,
            repo: at.repo,
            number: at.number,
            delivery_id,
            retrying,
            last_attempt: false,
            installation_id: at.installation_id,
            new_request: false,
            key: IssueKey::new(at.repository_id, at.number),
        }
    }

    /// Where this issue's effects go.
    pub fn target(&self) -> Target {
        Target {
            repository: self.repo.to_owned(),
            issue_number: self.number,
            installation_id: self.installation_id,
            key: Some(self.key.clone()),
        }
    }

    /// Stores one effect on this issue, to run after the job commits.
    pub async fn push(&self, conn: &mut PgConnection, effect: Effect) -> Result<(), JobError> {
        outbox::push(conn, &self.target(), effect, self.bot.max_attempts).await
    }

    /// The issue of a stored request, for a job of its own: `repo` is the
    /// request's repository, `key` names the job's effects.
    pub async fn of_request(
        bot: &'a Bot,
        repo: &'a str,
        request: &Request,
        key: &'a str,
        job: &super::Job,
    ) -> Result<Self, JobError> {
        Ok(Self::new(
            bot,
            bot.github.repo(request.installation_id).await?,
            IssueRef {
                repo,
                number: request.issue_number,
                repository_id: request.repository_id,
                installation_id: request.installation_id,
            },
            key,
            job.retrying(),
        ))
    }

    /// Brings the tracker in line with the database: the earlier open
    /// request this one duplicates (if any) as it is now, exactly the
    /// state's label and the flags that apply (computed against the labels
    /// the issue carries now, as the add-labels answer lists them), and the
    /// status comment. Every job that changes a request ends here.
    pub async fn sync_tracker(
        &mut self,
        conn: &mut PgConnection,
        request: &Request,
    ) -> Result<(), JobError> {
        let request = settle_duplicate(conn, request, &self.bot.login).await?;
        let state = request.state();
        let flags = Flags {
            duplicate: request.duplicate_of.is_some(),
            fasttrack: request.fasttrack,
        };
        let labels = &self.bot.labels;
        // What to remove is every label of the bot's that must not be
        // there; the executor removes those the add-labels answer lists.
        let every: Vec<String> = labels
            .all()
            .into_iter()
            .map(|(_, l)| l.to_owned())
            .collect();
        let effect = Effect::Labels {
            add: labels
                .wanted(state, flags)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            remove: labels.changes(&every, state, flags).remove,
        };
        self.push(&mut *conn, effect).await?;
        self.refresh_status(conn, &request).await?;
        refresh_duplicates_of(conn, &request, self.bot).await
    }

    /// The status comment, edited in place when it exists.
    async fn refresh_status(
        &mut self,
        conn: &mut PgConnection,
        request: &Request,
    ) -> Result<(), JobError> {
        let body = self.status_body(conn, request).await?;
        let effect = Effect::StatusComment {
            request_id: request.id,
            body,
            // A new request on its first attempt has no comment yet: no
            // need to look.
            may_exist: self.retrying || !self.new_request,
        };
        self.push(conn, effect).await
    }

    async fn status_body(
        &self,
        conn: &mut PgConnection,
        request: &Request,
    ) -> Result<String, JobError> {
        // One read of the checks: for the table and for the waiting period.
        let stored_checks = requests::checks(&mut *conn, request.id).await?;
        let checks = check_lines_of(&stored_checks);
        // The round waited for is the bot's own when it recorded it as sent.
        let round_by_bot = stored_checks.iter().any(|c| {
            c.status == CheckStatus::Sent
                && c.actor_login
                    .as_deref()
                    .is_some_and(|l| l.eq_ignore_ascii_case(&self.bot.login))
        });
        let sit = situation(
            request,
            stored_checks,
            &self.bot.policy(&request.index_key),
            AccountCheck::NotLookedUp,
        );
        let stored = StoredProblems::from_json(&request.problems);
        let duplicate_of = match request.duplicate_of {
            Some(id) => requests::issue_number_of(&mut *conn, id)
                .await?
                .and_then(|n| u64::try_from(n).ok()),
            None => None,
        };
        let skeleton = messages::form_skeleton(&self.bot.template);
        let ahead = match self.bot.queue_position {
            true => Some(requests::ahead_of(&mut *conn, request).await?),
            false => None,
        };
        // Evidence gathered for another username is not shown.
        let ownership: Option<Evidence> =
            ownership::current(request.ownership.as_ref(), request.username.as_deref());
        let account = request.account_facts();
        let sightings = request.secret_sightings();
        let mut secrets: Vec<_> = sightings.iter().flat_map(|s| s.kinds.clone()).collect();
        secrets.sort();
        secrets.dedup();
        let link_expired = crate::store::tokens::latest_expired(&mut *conn, request.id).await?;
        Ok(messages::status_comment(&StatusView {
            state: request.state(),
            awaiting_email: sit.awaiting == Some(Awaiting::Email),
            awaiting_repo: sit.awaiting == Some(Awaiting::Repo),
            round_by_bot,
            waiting_until: sit
                .waiting_until
                .filter(|until| *until > sit.now)
                .map(|until| messages::utc(&until)),
            link_expired,
            author: &request.author_login,
            from_form: stored.from_form,
            problems: &stored.items,
            skeleton: (!stored.from_form).then_some(skeleton.as_str()),
            duplicate_of,
            ahead,
            username_read: stored.username_read.as_deref(),
            username_is_email: stored.username_is_email,
            username_changed: request.username_changed,
            index: self
                .bot
                .indexes
                .set
                .several()
                .then(|| self.bot.indexes.get(&request.index_key).name.as_str()),
            ownership: ownership.as_ref(),
            account: account.as_ref(),
            secrets: &secrets,
            secrets_redacted: sightings.iter().all(|s| s.redacted),
            checks: &checks,
            required: &self.bot.required_checks,
            labels: &self.bot.labels,
        }))
    }

    /// Stores what the outcome changes (with its audit rows; the outcome's
    /// note goes in them) and opens or closes the issue on GitHub; `request`
    /// is reloaded afterwards.
    pub async fn apply(
        &self,
        conn: &mut PgConnection,
        request: &mut Request,
        outcome: &Outcome,
        audit_base: &Audit,
    ) -> Result<(), JobError> {
        let mut audit = Audit {
            action: outcome.action.to_owned(),
            ..audit_base.clone()
        };
        let note = match &outcome.check {
            Some((_, _, Some(note))) => Some(note),
            _ => outcome.note.as_ref(),
        };
        if let Some(note) = note {
            audit.details["note"] = serde_json::Value::from(note.as_str());
        }
        store_outcome(&mut *conn, request, outcome, &audit).await?;
        let change = match outcome.issue {
            Some(IssueChange::CloseCompleted) => Some((false, Some("completed"))),
            Some(IssueChange::CloseNotPlanned) => Some((false, Some("not_planned"))),
            Some(IssueChange::Reopen) => Some((true, None)),
            None => None,
        };
        if let Some((open, reason)) = change {
            let effect = Effect::IssueState {
                open,
                reason: reason.map(str::to_owned),
            };
            self.push(&mut *conn, effect).await?;
        }
        if let Some(reloaded) = requests::lock(&mut *conn, request.id).await? {
            *request = reloaded;
        }
        Ok(())
    }

    /// This job's one reply, posted once even across retries: it carries
    /// a marker naming the job, which a retried effect looks for first.
    pub async fn reply_once(&self, conn: &mut PgConnection, text: &str) -> Result<(), JobError> {
        let marker = reply_marker(self.delivery_id);
        let body = crate::recovery::echo::fit(format!("{marker}\n{text}"));
        self.push(conn, Effect::Reply { marker, body }).await
    }

    /// 👀 on a comment just received: stored on its own, so that it stays
    /// when the job fails, and runs while the job is still deciding; once,
    /// on the job's first start. When no second connection comes in time,
    /// it goes with the job's own writes instead (`conn`).
    pub async fn acknowledge(
        &self,
        conn: &mut PgConnection,
        comment_id: u64,
    ) -> Result<(), JobError> {
        if self.retrying {
            return Ok(());
        }
        match self.bot.side_connection().await {
            Some(mut own) => self.react(&mut own, comment_id, Reaction::Eyes).await,
            None => self.react(conn, comment_id, Reaction::Eyes).await,
        }
    }

    pub async fn react(
        &self,
        conn: &mut PgConnection,
        comment_id: u64,
        reaction: Reaction,
    ) -> Result<(), JobError> {
        self.push(
            conn,
            Effect::React {
                comment_id,
                reaction,
            },
        )
        .await
    }
}

/// Points the request at the earlier open request for the same account as
/// it is now (or at none), with an audit row when that changes.
pub(super) async fn settle_duplicate(
    conn: &mut PgConnection,
    request: &Request,
    bot_login: &str,
) -> Result<Request, JobError> {
    let now = match (&request.username, request.in_open_set()) {
        (Some(u), true) => {
            let open = requests::open_for_account(
                &mut *conn,
                request.repository_id,
                &request.index_key,
                u,
            )
            .await?;
            let by_number = open.iter().map(|(_, n, u)| (*n, u.as_deref()));
            let earlier =
                crate::recovery::intake::duplicate_of(request.issue_number, Some(u), by_number);
            earlier.and_then(|n| open.iter().find(|(_, m, _)| *m == n).map(|(id, _, _)| *id))
        }
        _ => None,
    };
    if now == request.duplicate_of {
        return Ok(request.clone());
    }
    let audit = Audit {
        actor_id: None,
        actor_login: bot_login.to_owned(),
        action: if now.is_some() {
            "duplicate_flagged"
        } else {
            "duplicate_cleared"
        }
        .to_owned(),
        delivery_id: None,
        details: serde_json::json!({ "duplicate_of_request": now }),
    };
    requests::set_duplicate(&mut *conn, request, now, &audit).await?;
    Ok(requests::lock(&mut *conn, request.id)
        .await?
        .unwrap_or_else(|| request.clone()))
}

/// Requests flagged as duplicates of `request` whose flag no longer holds
/// (it closed, left, or names another account now) are brought in line by
/// a job of their own, in their issue's order.
pub(super) async fn refresh_duplicates_of(
    conn: &mut PgConnection,
    request: &Request,
    bot: &Bot,
) -> Result<(), JobError> {
    for dependent in requests::duplicates_of(&mut *conn, request.id).await? {
        let still = request.in_open_set()
            && dependent.index_key == request.index_key
            && crate::recovery::intake::same_account(
                dependent.username.as_deref(),
                request.username.as_deref(),
            );
        if !still {
            super::refresh::enqueue(&mut *conn, &dependent, bot.max_attempts).await?;
        }
    }
    Ok(())
}

/// The problems as stored with a request.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct StoredProblems {
    pub from_form: bool,
    pub items: Vec<ProblemLine>,
    /// The username as read (valid or not; never an email address).
    #[serde(default)]
    pub username_read: Option<String>,
    #[serde(default)]
    pub username_is_email: bool,
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
    Ok(check_lines_of(
        &requests::checks(&mut *conn, request_id).await?,
    ))
}

/// The stored checks, as the tables show them.
fn check_lines_of(checks: &[Check]) -> Vec<CheckLine> {
    checks
        .iter()
        .map(|c| CheckLine {
            status: c.status,
            name: c.name.clone(),
            actor: c.actor_login.clone(),
            note: c.note.clone(),
            when: messages::utc(&c.updated_at),
        })
        .collect()
}
