//! The account directory read straight from PyPI's own (Warehouse)
//! database: `ACCOUNT_DIRECTORY_URL=postgres://…`, a read-only role on a
//! replica. The answer is the same [`Account`] the HTTP directory gives.
//!
//! Only SELECTs, only on the columns in [`READS`] (never `password`,
//! `totp_secret` or the recovery codes' hashes), on a small pool of its own
//! with a statement timeout, in one read-only transaction per lookup. An
//! error says what kind of failure, never a value read or sent.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};

use super::directory::{
    Account, DirectoryError, Email, Generated, LinkedAccount, Project, ProjectUrl, Publisher,
    RecoveryCodes,
};

/// Every table and column a lookup reads, and nothing else: the schema
/// check, the operator guide's `GRANT`s and the tests use this list.
pub const READS: &[(&str, &[&str])] = &[
    ("users", &["id", "username", "is_frozen"]),
    (
        "user_emails",
        &["id", "user_id", "email", "primary", "verified"],
    ),
    ("user_recovery_codes", &["user_id", "generated", "burned"]),
    ("roles", &["user_id", "project_id"]),
    ("projects", &["id", "name", "created"]),
    (
        "releases",
        &[
            "id",
            "project_id",
            "created",
            "_pypi_ordering",
            "yanked",
            "home_page",
            "home_page_verified",
            "download_url",
            "download_url_verified",
        ],
    ),
    ("release_urls", &["release_id", "name", "url", "verified"]),
    (
        "oidc_publisher_project_association",
        &["oidc_publisher_id", "project_id"],
    ),
    (
        "github_oidc_publishers",
        &[
            "id",
            "repository_owner",
            "repository_name",
            "repository_owner_id",
        ],
    ),
    ("account_associations", &["id", "user_id"]),
    (
        "oauth_account_associations",
        &["id", "service", "external_user_id", "external_username"],
    ),
];

/// How long one statement may run before PostgreSQL cancels it.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// A Warehouse database, read through a pool of at most two connections.
#[derive(Clone)]
pub struct Warehouse {
    pool: PgPool,
}

impl Warehouse {
    /// A lazy pool: nothing connects until the first lookup or check.
    /// Every connection runs with a statement timeout and read-only
    /// transactions.
    pub fn new(options: PgConnectOptions) -> Self {
        let timeout = format!("{}ms", STATEMENT_TIMEOUT.as_millis());
        let options = options.options([
            ("statement_timeout", timeout.as_str()),
            ("default_transaction_read_only", "on"),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(300))
            .connect_lazy_with(options);
        Self { pool }
    }

    /// `postgres://` or `postgresql://` URL.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let options: PgConnectOptions = url.parse().map_err(|_| {
            anyhow::anyhow!("ACCOUNT_DIRECTORY_URL is not a PostgreSQL URL that can be read")
        })?;
        Ok(Self::new(options))
    }

    /// Checks that every table and column in [`READS`] exists and this
    /// role may read it; names the first one that does not.
    pub async fn check_schema(&self) -> Result<(), SchemaError> {
        // information_schema.columns lists only the columns this role has
        // a privilege on: a column not granted counts as missing.
        let rows = sqlx::query(
            "SELECT table_name::text AS t, column_name::text AS c
             FROM information_schema.columns
             WHERE table_schema = current_schema()",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| SchemaError::Lookup(db_error(&e)))?;
        let present = rows
            .iter()
            .map(|r| Ok((r.try_get("t")?, r.try_get("c")?)))
            .collect::<Result<Vec<(String, String)>, sqlx::Error>>()
            .map_err(|e| SchemaError::Lookup(db_error(&e)))?;
        first_missing(&present).map_or(Ok(()), Err)
    }

    /// The account by username (case-insensitively, as Warehouse's
    /// `citext`), or `None`.
    pub async fn lookup(&self, username: &str) -> Result<Option<Account>, DirectoryError> {
        let mut tx = self.pool.begin().await.map_err(|e| db_error(&e))?;
        // One snapshot for every statement of the lookup.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(|e| db_error(&e))?;
        let account = read_account(&mut tx, username)
            .await
            .map_err(|e| db_error(&e))?;
        tx.rollback().await.map_err(|e| db_error(&e))?;
        Ok(account)
    }

    /// Closes the pool's connections.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The first table or column of [`READS`] not in `present`.
fn first_missing(present: &[(String, String)]) -> Option<SchemaError> {
    for (table, columns) in READS {
        if !present.iter().any(|(t, _)| t == table) {
            return Some(SchemaError::MissingTable(table));
        }
        for column in *columns {
            if !present.iter().any(|(t, c)| t == table && c == column) {
                return Some(SchemaError::MissingColumn(table, column));
            }
        }
    }
    None
}

/// What the start-up check found.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "the Warehouse database has no table {0} this role may read (missing, or not granted: see the operator guide)"
    )]
    MissingTable(&'static str),
    #[error(
        "the Warehouse database has no column {0}.{1} this role may read (missing, or not granted: see the operator guide)"
    )]
    MissingColumn(&'static str, &'static str),
    #[error("cannot check the Warehouse database's tables: {0}")]
    Lookup(DirectoryError),
}

/// A database error by its kind and SQLSTATE only: PostgreSQL's own
/// message may quote a value (a username, an id).
fn db_error(e: &sqlx::Error) -> DirectoryError {
    let what = match e {
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.into_owned()).unwrap_or_default();
            let kind = match code.as_str() {
                "57014" => "a statement ran past the timeout",
                "42501" => "permission denied on a table or column",
                "42703" => "a column is missing",
                "42P01" => "a table is missing",
                "28P01" | "28000" => "the login was refused",
                _ => "the database refused the lookup",
            };
            format!("{kind} (SQLSTATE {code})")
        }
        sqlx::Error::PoolTimedOut => "no connection free within 10 s".to_owned(),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => "cannot be reached".to_owned(),
        sqlx::Error::ColumnDecode { index, .. } | sqlx::Error::ColumnNotFound(index) => {
            format!("column {index} cannot be read")
        }
        _ => "the lookup failed".to_owned(),
    };
    DirectoryError::Database(what)
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Postgres>;

/// Warehouse stores UTC as `timestamp without time zone`.
fn utc(at: Option<chrono::NaiveDateTime>) -> Option<DateTime<Utc>> {
    at.map(|t| t.and_utc())
}

async fn read_account(tx: &mut Tx<'_>, username: &str) -> Result<Option<Account>, sqlx::Error> {
    let Some(user) = sqlx::query(
        "SELECT u.id::text AS id, u.username::text AS username, u.is_frozen,
                (SELECT count(*) FROM user_recovery_codes c
                  WHERE c.user_id = u.id) AS codes,
                (SELECT count(*) FROM user_recovery_codes c
                  WHERE c.user_id = u.id AND c.burned IS NULL) AS unused,
                (SELECT max(c.generated) FROM user_recovery_codes c
                  WHERE c.user_id = u.id) AS generated
         FROM users u WHERE u.username = $1::text::citext",
    )
    .bind(username)
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(None);
    };
    let id: String = user.try_get("id")?;
    let emails = sqlx::query(
        r#"SELECT email, "primary", verified FROM user_emails
           WHERE user_id = $1::uuid ORDER BY "primary" DESC, id"#,
    )
    .bind(&id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(Email {
            address: r.try_get("email")?,
            primary: r.try_get("primary")?,
            verified: r.try_get("verified")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let codes: i64 = user.try_get("codes")?;
    let unused: i64 = user.try_get("unused")?;
    let recovery_codes = RecoveryCodes {
        // Warehouse replaces the whole set when new codes are made: the
        // newest `generated` is when the current set was.
        generated: Some(match utc(user.try_get("generated")?) {
            Some(at) if codes > 0 => Generated::At(at),
            _ => Generated::Flag(false),
        }),
        unused: u32::try_from(unused).unwrap_or(u32::MAX),
    };
    Ok(Some(Account {
        username: user.try_get("username")?,
        emails,
        projects: read_projects(tx, &id).await?,
        recovery_codes: Some(recovery_codes),
        linked_accounts: read_linked(tx, &id).await?,
        frozen: user.try_get("is_frozen")?,
    }))
}

/// The projects the user has a role on, each with its latest release's
/// URLs (the newest upload that is not yanked) and its GitHub trusted
/// publishers.
async fn read_projects(tx: &mut Tx<'_>, user_id: &str) -> Result<Vec<Project>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT p.id::text AS id, p.name, p.created AS created, r.id::text AS release_id,
                r.home_page, r.home_page_verified, r.download_url, r.download_url_verified
         FROM roles ro JOIN projects p ON p.id = ro.project_id
         LEFT JOIN LATERAL (
             SELECT rel.id, rel.home_page, rel.home_page_verified,
                    rel.download_url, rel.download_url_verified
             FROM releases rel
             WHERE rel.project_id = p.id AND NOT rel.yanked
             ORDER BY rel.created DESC, rel._pypi_ordering DESC NULLS LAST, rel.id DESC
             LIMIT 1) r ON true
         WHERE ro.user_id = $1::uuid
         ORDER BY p.created NULLS LAST, p.name",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let release_ids: Vec<String> = rows
        .iter()
        .filter_map(|r| r.try_get::<Option<String>, _>("release_id").transpose())
        .collect::<Result<_, _>>()?;
    let urls = sqlx::query(
        "SELECT release_id::text AS release_id, name, url, verified FROM release_urls
         WHERE release_id = ANY($1::text[]::uuid[]) ORDER BY release_id, name",
    )
    .bind(&release_ids)
    .fetch_all(&mut **tx)
    .await?;
    // Warehouse indexes the association by publisher first, not by
    // project: joined from `roles`, PostgreSQL reads it once (a hash
    // join); `project_id = ANY(...)` would compare every row with every id.
    let publishers = sqlx::query(
        "SELECT a.project_id::text AS project_id, g.repository_owner, g.repository_name,
                g.repository_owner_id
         FROM roles ro
         JOIN oidc_publisher_project_association a ON a.project_id = ro.project_id
         JOIN github_oidc_publishers g ON g.id = a.oidc_publisher_id
         WHERE ro.user_id = $1::uuid
         ORDER BY g.repository_owner, g.repository_name",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut urls = urls_by_release(&urls)?;
    let mut publishers = publishers_by_project(&publishers)?;
    rows.iter()
        .map(|row| project(row, &mut urls, &mut publishers))
        .collect()
}

/// The latest releases' URL rows, by release id.
fn urls_by_release(
    rows: &[sqlx::postgres::PgRow],
) -> Result<HashMap<String, Vec<ProjectUrl>>, sqlx::Error> {
    let mut by = HashMap::<String, Vec<ProjectUrl>>::new();
    for u in rows {
        by.entry(u.try_get("release_id")?)
            .or_default()
            .push(ProjectUrl {
                label: Some(u.try_get("name")?),
                url: u.try_get("url")?,
                verified: u.try_get("verified")?,
            });
    }
    Ok(by)
}

/// The GitHub trusted publishers, by project id.
fn publishers_by_project(
    rows: &[sqlx::postgres::PgRow],
) -> Result<HashMap<String, Vec<Publisher>>, sqlx::Error> {
    let mut by = HashMap::<String, Vec<Publisher>>::new();
    for p in rows {
        let owner: String = p.try_get("repository_owner")?;
        let name: String = p.try_get("repository_name")?;
        by.entry(p.try_get("project_id")?)
            .or_default()
            .push(Publisher {
                kind: "github".to_owned(),
                repository: Some(format!("{owner}/{name}")),
                // Stored as text: one that is not a number records no
                // owner (it proves nothing).
                repository_owner_id: p.try_get::<&str, _>("repository_owner_id")?.parse().ok(),
            });
    }
    Ok(by)
}

/// One project from its row, with its latest release's URLs (`home_page`
/// and `download_url` first, as Warehouse lists them) and its publishers.
fn project(
    row: &sqlx::postgres::PgRow,
    urls: &mut HashMap<String, Vec<ProjectUrl>>,
    publishers: &mut HashMap<String, Vec<Publisher>>,
) -> Result<Project, sqlx::Error> {
    let id: String = row.try_get("id")?;
    let release: Option<String> = row.try_get("release_id")?;
    let mut list = Vec::new();
    for (label, url, verified) in [
        ("Homepage", "home_page", "home_page_verified"),
        ("Download", "download_url", "download_url_verified"),
    ] {
        if let Some(url) = row.try_get::<Option<String>, _>(url)? {
            list.push(ProjectUrl {
                label: Some(label.to_owned()),
                url,
                verified: row.try_get(verified)?,
            });
        }
    }
    list.extend(release.and_then(|r| urls.remove(&r)).unwrap_or_default());
    Ok(Project {
        name: row.try_get("name")?,
        created: utc(row.try_get("created")?),
        repository_url: None,
        urls: list,
        publishers: publishers.remove(&id).unwrap_or_default(),
    })
}

/// The GitHub accounts linked through an OAuth association (an id that is
/// not a number links nothing).
async fn read_linked(tx: &mut Tx<'_>, user_id: &str) -> Result<Vec<LinkedAccount>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT o.external_user_id, o.external_username
         FROM account_associations a
         JOIN oauth_account_associations o ON o.id = a.id
         WHERE a.user_id = $1::uuid AND lower(o.service) = 'github'
         ORDER BY o.external_user_id",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut linked = Vec::new();
    for r in rows {
        if let Ok(id) = r.try_get::<&str, _>("external_user_id")?.parse() {
            linked.push(LinkedAccount {
                service: "github".to_owned(),
                id,
                login: Some(r.try_get("external_username")?),
            });
        }
    }
    Ok(linked)
}

/// The `GRANT` statements that let `role` read exactly [`READS`].
pub fn grants(role: &str) -> String {
    READS
        .iter()
        .map(|(table, columns)| {
            let columns: Vec<String> = columns.iter().map(|c| format!("\"{c}\"")).collect();
            format!(
                "GRANT SELECT ({}) ON {table} TO {role};\n",
                columns.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_missing_table_or_column_is_named() {
        let mut all: Vec<(String, String)> = READS
            .iter()
            .flat_map(|(t, cs)| cs.iter().map(|c| (t.to_string(), c.to_string())))
            .collect();
        assert!(first_missing(&all).is_none());
        all.retain(|(t, c)| !(t == "users" && c == "is_frozen"));
        assert_eq!(
            first_missing(&all).unwrap().to_string(),
            "the Warehouse database has no column users.is_frozen this role may read (missing, or not granted: see the operator guide)"
        );
        all.retain(|(t, _)| t != "roles");
        assert!(
            first_missing(&all)
                .unwrap()
                .to_string()
                .contains("users.is_frozen")
        );
        all.push(("users".into(), "is_frozen".into()));
        assert!(
            first_missing(&all)
                .unwrap()
                .to_string()
                .contains("no table roles")
        );
    }

    #[test]
    fn no_secret_column_is_read() {
        for (table, columns) in READS {
            for c in *columns {
                assert!(
                    !["password", "totp_secret", "code", "last_totp_value"].contains(c),
                    "{table}.{c}"
                );
            }
        }
    }

    /// The operator guide gives exactly these `GRANT`s.
    #[test]
    fn the_operator_guide_grants_what_is_read() {
        let guide = include_str!("../../docs/operator-guide.md");
        for line in grants("recovery_bot_ro").lines() {
            assert!(guide.contains(line), "the guide lacks: {line}");
        }
    }
}
