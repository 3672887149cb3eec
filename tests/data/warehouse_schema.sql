-- Warehouse's (PyPI's) tables as its SQLAlchemy models define them, for the
-- columns recovery-bot reads (src/verify/warehouse.rs, READS), plus the
-- secret columns it must never read (users.password, users.totp_secret,
-- user_recovery_codes.code), with the indexes and unique constraints the
-- models declare on them.
--
-- Transcribed from pypi/warehouse at commit
-- 6b62157124ab7865029afeeadf282bce27d601d9 (2026-08-21):
--   warehouse/db.py                 db.Model: id uuid DEFAULT gen_random_uuid()
--   warehouse/utils/db/types.py     bool_false: boolean NOT NULL DEFAULT false;
--                                   datetime_now: timestamp (no time zone, UTC)
--                                   NOT NULL DEFAULT now()
--   warehouse/accounts/models.py    User, Email, RecoveryCode,
--                                   AccountAssociation, OAuthAccountAssociation
--   warehouse/packaging/models.py   Role, Project, Release, ReleaseURL
--   warehouse/oidc/models/_core.py  OIDCPublisher, OIDCPublisherProjectAssociation
--   warehouse/oidc/models/github.py GitHubPublisher
-- Columns the bot does not read are left out, except NOT NULL ones that a
-- row cannot be written without where they matter (names, versions).
-- Left out on purpose: users' gin_trgm_ops index (username search, not
-- equality) and the triggers that fill projects.normalized_name.

CREATE EXTENSION IF NOT EXISTS citext SCHEMA public;

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username citext NOT NULL UNIQUE,
    name varchar(100) NOT NULL DEFAULT '',
    password varchar(128) NOT NULL,
    is_active boolean NOT NULL DEFAULT false,
    is_frozen boolean NOT NULL DEFAULT false,
    totp_secret bytea,
    CONSTRAINT users_valid_username_length CHECK (length(username) <= 50),
    CONSTRAINT users_valid_username CHECK (username ~* '^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$')
);

CREATE TABLE user_emails (
    id serial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED,
    email varchar(254) NOT NULL,
    "primary" boolean NOT NULL,
    verified boolean NOT NULL,
    public boolean NOT NULL DEFAULT false,
    CONSTRAINT user_emails_email_key UNIQUE (email)
);
CREATE INDEX user_emails_user_id ON user_emails (user_id);

CREATE TABLE user_recovery_codes (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED,
    code varchar(128) NOT NULL,
    generated timestamp NOT NULL DEFAULT now(),
    burned timestamp
);
CREATE INDEX ix_user_recovery_codes_user_id ON user_recovery_codes (user_id);

CREATE TABLE projects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    normalized_name text NOT NULL UNIQUE,
    created timestamp DEFAULT now()
);
CREATE INDEX ix_projects_created ON projects (created);

CREATE TABLE roles (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role_name text NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id uuid NOT NULL REFERENCES projects (id) ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT _roles_user_project_uc UNIQUE (user_id, project_id)
);
CREATE INDEX roles_user_id_idx ON roles (user_id);
CREATE INDEX roles_project_id_idx ON roles (project_id);

CREATE TABLE releases (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id uuid NOT NULL REFERENCES projects (id) ON UPDATE CASCADE ON DELETE CASCADE,
    version text NOT NULL,
    canonical_version text NOT NULL,
    home_page text,
    home_page_verified boolean NOT NULL DEFAULT false,
    download_url text,
    download_url_verified boolean NOT NULL DEFAULT false,
    _pypi_ordering integer,
    created timestamp NOT NULL DEFAULT now(),
    yanked boolean NOT NULL DEFAULT false,
    UNIQUE (project_id, version)
);
CREATE INDEX release_created_idx ON releases (created DESC);
CREATE INDEX release_project_created_idx ON releases (project_id, created DESC);
CREATE INDEX release_version_idx ON releases (version);
CREATE INDEX release_canonical_version_idx ON releases (canonical_version);

CREATE TABLE release_urls (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    release_id uuid NOT NULL REFERENCES releases (id) ON UPDATE CASCADE ON DELETE CASCADE,
    name varchar(32) NOT NULL,
    url text NOT NULL,
    verified boolean NOT NULL DEFAULT false,
    UNIQUE (release_id, name),
    CONSTRAINT release_urls_valid_name CHECK (char_length(name) BETWEEN 1 AND 32)
);
CREATE INDEX ix_release_urls_release_id ON release_urls (release_id);

CREATE TABLE oidc_publishers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    discriminator varchar
);

CREATE TABLE github_oidc_publishers (
    id uuid PRIMARY KEY REFERENCES oidc_publishers (id),
    repository_name varchar NOT NULL,
    repository_owner varchar NOT NULL,
    repository_owner_id varchar NOT NULL,
    workflow_filename varchar NOT NULL,
    environment varchar NOT NULL,
    CONSTRAINT _github_oidc_publisher_uc
        UNIQUE (repository_name, repository_owner, workflow_filename, environment)
);

CREATE TABLE oidc_publisher_project_association (
    oidc_publisher_id uuid NOT NULL REFERENCES oidc_publishers (id),
    project_id uuid NOT NULL REFERENCES projects (id) ON UPDATE CASCADE ON DELETE CASCADE,
    PRIMARY KEY (oidc_publisher_id, project_id)
);

CREATE TABLE account_associations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    association_type varchar(50) NOT NULL,
    created timestamp NOT NULL DEFAULT now(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX ix_account_associations_user_id ON account_associations (user_id);

CREATE TABLE oauth_account_associations (
    id uuid PRIMARY KEY REFERENCES account_associations (id) ON DELETE CASCADE,
    service varchar(50) NOT NULL,
    external_user_id varchar(255) NOT NULL,
    external_username varchar(255) NOT NULL,
    CONSTRAINT oauth_account_associations_service_external_user_id
        UNIQUE (service, external_user_id)
);
