//! Who is an admin: configured logins, members of configured teams, and
//! collaborators at or above a configured role. Team and role look-ups are
//! cached for a while, and a cached answer is kept when a refresh fails.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::{ApiError, Repo};
use crate::config::{Permission, Settings};

pub struct Admins {
    logins: Vec<String>,
    teams: Vec<(String, String)>,
    min_permission: Option<Permission>,
    ttl: Duration,
    cache: Mutex<HashMap<(String, String), (bool, Instant)>>,
}

impl Admins {
    pub fn new(settings: &Settings) -> Self {
        Self {
            logins: settings.admins.iter().map(|l| l.to_lowercase()).collect(),
            teams: settings
                .admin_teams
                .iter()
                .filter_map(|t| t.split_once('/'))
                .map(|(o, t)| (o.to_owned(), t.to_owned()))
                .collect(),
            min_permission: settings.admin_min_permission,
            ttl: settings.admin_cache,
            cache: Mutex::default(),
        }
    }

    /// Whether `login` is an admin of `repo` (`owner/name`).
    pub async fn is_admin(&self, client: &Repo, repo: &str, login: &str) -> Result<bool, ApiError> {
        if self.logins.iter().any(|l| l.eq_ignore_ascii_case(login)) {
            return Ok(true);
        }
        if self.teams.is_empty() && self.min_permission.is_none() {
            return Ok(false);
        }
        let key = (repo.to_lowercase(), login.to_lowercase());
        let cached = self.cache.lock().await.get(&key).copied();
        if let Some((answer, at)) = cached
            && at.elapsed() < self.ttl
        {
            return Ok(answer);
        }
        match self.look_up(client, repo, login).await {
            Ok(answer) => {
                self.cache
                    .lock()
                    .await
                    .insert(key, (answer, Instant::now()));
                Ok(answer)
            }
            Err(e) => match cached {
                Some((answer, _)) => {
                    tracing::warn!(error = %e, "admin look-up failed; using the cached answer");
                    Ok(answer)
                }
                None => Err(e),
            },
        }
    }

    async fn look_up(&self, client: &Repo, repo: &str, login: &str) -> Result<bool, ApiError> {
        for (org, team) in &self.teams {
            if client.is_team_member(org, team, login).await? {
                return Ok(true);
            }
        }
        if let Some(min) = self.min_permission {
            let role = client.permission(repo, login).await?;
            return Ok(Permission::from_role(&role) >= min);
        }
        Ok(false)
    }
}
