//! Who is an admin, recognised by GitHub user id: the users who hold the
//! configured logins, and, on the trackers named in `RECOVERY_BOT_REPOS`
//! only, members of configured teams and collaborators at or above a
//! configured role.
//!
//! A configured login is pinned to one user id: the one the setting gives
//! (`alice:12345`), else the one it resolved to the first time, kept in
//! `admin_pins` so every replica and restart judges by the same id. Someone
//! else holding the login later is not an admin (and is logged).
//!
//! Look-ups are cached in bounded caches. A fresh answer (younger than the
//! TTL, `admin_cache_secs`) is used as is; an older one is refreshed. When a
//! refresh fails, the cached answer is used only while it is younger than
//! twice the TTL; after that the error is returned, so a broken look-up never
//! keeps a stale answer forever. Pins hold past the TTL.

use std::future::Future;
use std::hash::Hash;
use std::time::{Duration, Instant};

use moka::sync::Cache;
use sqlx::PgConnection;
use tracing::warn;

use super::JobError;
use crate::config::{AdminLogin, Permission, Settings, Trackers};
use crate::github::{ApiError, Repo};
use crate::store::admin_pins;

/// Entries per cache; the least used go first beyond this.
const CAPACITY: u64 = 10_000;

pub struct Admins {
    /// Configured logins, lowercased, with the id the setting pins each to.
    logins: Vec<AdminLogin>,
    /// Where a team or a role counts: the trackers named.
    trackers: Trackers,
    teams: Vec<(String, String)>,
    min_permission: Option<Permission>,
    /// Configured login (lowercased) → the id of the user holding it now,
    /// asked until the login is pinned.
    ids: AnswerCache<String, Option<u64>>,
    /// (repository lowercased, user id) → team membership or role answer.
    roles: AnswerCache<(String, u64), bool>,
}

impl Admins {
    pub fn new(settings: &Settings) -> Self {
        let mut logins: Vec<AdminLogin> = settings
            .admins
            .iter()
            .map(|a| AdminLogin {
                login: a.login.to_lowercase(),
                id: a.id,
            })
            .collect();
        logins.sort_by(|a, b| a.login.cmp(&b.login).then(b.id.cmp(&a.id)));
        logins.dedup_by(|a, b| a.login == b.login);
        Self {
            logins,
            trackers: settings.repos.clone(),
            teams: settings
                .admin_teams
                .iter()
                .filter_map(|t| t.split_once('/'))
                .map(|(o, t)| (o.to_owned(), t.to_owned()))
                .collect(),
            min_permission: settings.admin_min_permission,
            ids: AnswerCache::new(settings.admin_cache),
            roles: AnswerCache::new(settings.admin_cache),
        }
    }

    /// Whether the user `id`, whose current login is `login`, is an admin of
    /// `repo` (`owner/name`). The login is only what GitHub's look-ups take;
    /// the answer is about the id. An error is never a yes: the caller
    /// retries, or refuses.
    pub async fn is_admin(
        &self,
        client: &Repo,
        conn: &mut PgConnection,
        repo: &str,
        login: &str,
        id: u64,
    ) -> Result<bool, JobError> {
        let by_login = self.holds_a_configured_login(client, conn, login, id).await;
        if let Ok(true) = by_login {
            return Ok(true);
        }
        let by_role = if !self.roles_count(repo) {
            Ok(false)
        } else {
            let key = (repo.to_lowercase(), id);
            self.roles
                .get_or_refresh(key, self.look_up(client, repo, login))
                .await
                .map_err(JobError::from)
        };
        match (by_login, by_role) {
            (_, Ok(true)) => Ok(true),
            (Err(e), _) | (_, Err(e)) => Err(e),
            _ => Ok(false),
        }
    }

    /// Whether a team or a role can make an admin of `repo`: one is
    /// configured, and the repository is a tracker named in
    /// `RECOVERY_BOT_REPOS` (never under `*`, never elsewhere).
    fn roles_count(&self, repo: &str) -> bool {
        (!self.teams.is_empty() || self.min_permission.is_some()) && self.trackers.lists(repo)
    }

    /// Whether the user `id` holds a configured login: the commenter's
    /// login is configured and pinned to their id. Logins are unique on
    /// GitHub, so only a configured login equal to the commenter's current
    /// one is asked about.
    async fn holds_a_configured_login(
        &self,
        client: &Repo,
        conn: &mut PgConnection,
        login: &str,
        id: u64,
    ) -> Result<bool, JobError> {
        let lower = login.to_lowercase();
        let Some(configured) = self.logins.iter().find(|a| a.login == lower) else {
            return Ok(false);
        };
        let pinned = match configured.id {
            Some(pinned) => pinned,
            None => match self.pin(client, conn, &lower).await? {
                Some(pinned) => pinned,
                None => return Ok(false),
            },
        };
        if pinned != id {
            warn!(
                login = %lower,
                pinned_id = pinned,
                commenter_id = id,
                "a configured admin login is held by another GitHub user id: not an admin"
            );
        }
        Ok(pinned == id)
    }

    /// The id `login` (lowercase) is pinned to: the stored pin, else the
    /// id it resolves to now, pinned from here on. `None`: no one holds
    /// the login (nothing is pinned).
    /// Read and written on the job's own connection: a second one, taken
    /// while the job holds its locks, could wait on those very locks.
    async fn pin(
        &self,
        client: &Repo,
        conn: &mut PgConnection,
        login: &str,
    ) -> Result<Option<u64>, JobError> {
        if let Some(pinned) = admin_pins::pinned(&mut *conn, login).await? {
            return Ok(u64::try_from(pinned).ok());
        }
        let Some(resolved) = self
            .ids
            .get_or_refresh(login.to_owned(), client.user_id(login))
            .await?
        else {
            return Ok(None);
        };
        let Ok(as_stored) = i64::try_from(resolved) else {
            return Ok(None);
        };
        // Another replica may have pinned it meanwhile: its pin holds.
        let pinned = admin_pins::pin(&mut *conn, login, as_stored).await?;
        Ok(u64::try_from(pinned).ok())
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

/// An answer and when it was obtained.
#[derive(Debug, Clone)]
struct Answer<V> {
    value: V,
    at: Instant,
}

/// A bounded cache of answers that are fresh for `ttl` and may stand in for a
/// failed refresh until they are `2 × ttl` old. Entries leave the cache at
/// `2 × ttl` (at least a second) whatever happens.
struct AnswerCache<K, V> {
    entries: Cache<K, Answer<V>>,
    ttl: Duration,
}

impl<K, V> AnswerCache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn new(ttl: Duration) -> Self {
        // moka refuses lifetimes beyond 1000 years.
        let lifetime = ttl.saturating_mul(2).clamp(
            Duration::from_secs(1),
            Duration::from_secs(100 * 365 * 86_400),
        );
        Self {
            entries: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(lifetime)
                .build(),
            ttl,
        }
    }

    /// The cached answer for `key` when it is fresh; otherwise `refresh`'s,
    /// which is stored. When `refresh` fails, the cached answer if it was
    /// younger than `2 × ttl` when asked, else the error.
    async fn get_or_refresh(
        &self,
        key: K,
        refresh: impl Future<Output = Result<V, ApiError>>,
    ) -> Result<V, ApiError> {
        let asked = Instant::now();
        let cached = self.entries.get(&key);
        let age = |a: &Answer<V>| asked.saturating_duration_since(a.at);
        if let Some(a) = &cached
            && age(a) < self.ttl
        {
            return Ok(a.value.clone());
        }
        match refresh.await {
            Ok(value) => {
                let answer = Answer {
                    value: value.clone(),
                    at: Instant::now(),
                };
                self.entries.insert(key, answer);
                Ok(value)
            }
            Err(e) => match cached {
                Some(a) if age(&a) < self.ttl.saturating_mul(2) => {
                    tracing::warn!(error = %e, age = ?age(&a), "admin look-up failed; using the cached answer");
                    Ok(a.value)
                }
                _ => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const TTL: Duration = Duration::from_millis(300);

    /// A cache, and a count of the refreshes it awaited.
    struct Asker {
        cache: AnswerCache<u64, bool>,
        refreshes: AtomicUsize,
    }

    impl Asker {
        fn new(ttl: Duration) -> Self {
            Self {
                cache: AnswerCache::new(ttl),
                refreshes: AtomicUsize::new(0),
            }
        }

        /// Asks about `user`; a refresh, if awaited, answers `fresh`.
        async fn ask(&self, user: u64, fresh: Result<bool, &str>) -> Result<bool, String> {
            let refresh = async {
                self.refreshes.fetch_add(1, Ordering::SeqCst);
                fresh.map_err(ApiError::permanent)
            };
            self.cache
                .get_or_refresh(user, refresh)
                .await
                .map_err(|e| e.to_string())
        }

        fn refreshes(&self) -> usize {
            self.refreshes.load(Ordering::SeqCst)
        }
    }

    #[tokio::test]
    async fn fresh_answers_are_reused_and_stale_ones_refreshed() {
        let a = Asker::new(TTL);
        assert_eq!(a.ask(7, Ok(true)).await, Ok(true));
        assert_eq!(a.ask(7, Ok(false)).await, Ok(true), "fresh: not asked");
        assert_eq!(a.ask(8, Ok(false)).await, Ok(false), "an answer per user");
        assert_eq!(a.refreshes(), 2);
        tokio::time::sleep(TTL + Duration::from_millis(50)).await;
        assert_eq!(a.ask(7, Ok(false)).await, Ok(false), "stale: asked again");
        assert_eq!(a.refreshes(), 3);
    }

    #[tokio::test]
    async fn a_failed_refresh_uses_the_answer_only_within_twice_the_ttl() {
        let a = Asker::new(TTL);
        assert_eq!(
            a.ask(7, Err("down")).await,
            Err("down".into()),
            "no answer yet"
        );
        assert_eq!(a.ask(7, Ok(true)).await, Ok(true));
        tokio::time::sleep(TTL + Duration::from_millis(50)).await;
        assert_eq!(a.ask(7, Err("down")).await, Ok(true), "within the grace");
        // A failure does not make the old answer fresh again.
        tokio::time::sleep(TTL).await;
        assert_eq!(a.ask(7, Err("still down")).await, Err("still down".into()));
        assert_eq!(a.refreshes(), 4);
    }

    #[tokio::test]
    async fn with_no_ttl_every_question_is_asked_and_has_no_grace() {
        let a = Asker::new(Duration::ZERO);
        assert_eq!(a.ask(7, Ok(true)).await, Ok(true));
        assert_eq!(a.ask(7, Err("down")).await, Err("down".into()));
        assert_eq!(a.refreshes(), 2);
    }

    #[test]
    fn a_huge_ttl_is_accepted() {
        let _ = AnswerCache::<u64, bool>::new(Duration::from_secs(u64::MAX));
    }
}
