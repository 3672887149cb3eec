-- Fills Warehouse's tables (tests/data/warehouse_schema.sql, with the
-- indexes Warehouse's models declare) for benches/warehouse_lookup.rs:
-- 100,000 users and 400,000 projects.
--   users        user-1 .. user-100000, one verified primary address each,
--                an unverified secondary for about half
--   codes        8 recovery codes (2 burned) for about a third
--   projects     project-1 .. project-400000; project-n's owner is
--                user-((n-1) % 100000 + 1): 4 projects each, and user-1 is
--                also a maintainer of every 400th project (1,004 in all)
--   releases     3 per project (1,200,000), the newest yanked for every
--                10th project; one release URL per release
--   publishers   a GitHub trusted publisher for every 4th project
--   links        a GitHub account association for about a third of users

INSERT INTO users (username, password)
SELECT 'user-' || i, 'not-a-hash' FROM generate_series(1, 100000) i;

INSERT INTO user_emails (user_id, email, "primary", verified)
SELECT id, username || '@example.net', true, true FROM users;
INSERT INTO user_emails (user_id, email, "primary", verified)
SELECT id, 'old-' || username || '@example.org', false, false
FROM users WHERE hashtext(username) % 2 = 0;

INSERT INTO user_recovery_codes (user_id, code, generated, burned)
SELECT u.id, 'not-a-hash', '2024-01-01',
       CASE WHEN k <= 2 THEN '2024-06-01'::timestamp END
FROM users u, generate_series(1, 8) k
WHERE hashtext(u.username) % 3 = 0;

INSERT INTO projects (name, normalized_name, created)
SELECT 'project-' || n, 'project-' || n,
       '2010-01-01'::timestamp + n * interval '10 minutes'
FROM generate_series(1, 400000) n;

INSERT INTO roles (role_name, user_id, project_id)
SELECT 'Owner', u.id, p.id
FROM projects p
JOIN users u ON u.username = 'user-' || ((substr(p.name, 9)::int - 1) % 100000 + 1);
INSERT INTO roles (role_name, user_id, project_id)
SELECT 'Maintainer', (SELECT id FROM users WHERE username = 'user-1'), p.id
FROM projects p WHERE substr(p.name, 9)::int % 400 = 0;

INSERT INTO releases (project_id, version, canonical_version, home_page,
                      home_page_verified, download_url, _pypi_ordering, created, yanked)
SELECT p.id, v || '.0', v::text, 'https://example.org/' || p.name, v >= 2,
       CASE WHEN v = 2 THEN 'https://example.org/dl/' || p.name END,
       v, p.created + v * interval '30 days',
       v = 3 AND substr(p.name, 9)::int % 10 = 0
FROM projects p, generate_series(1, 3) v;

INSERT INTO release_urls (release_id, name, url, verified)
SELECT r.id, 'Source', 'https://github.com/owner/' || r.version, r._pypi_ordering >= 2
FROM releases r;

-- A publisher's id is its project's, for brevity.
INSERT INTO oidc_publishers (id, discriminator)
SELECT p.id, 'github_oidc_publishers' FROM projects p
WHERE substr(p.name, 9)::int % 4 = 0;
INSERT INTO github_oidc_publishers (id, repository_name, repository_owner,
                                    repository_owner_id, workflow_filename, environment)
SELECT p.id, p.name, 'owner', substr(p.name, 9), 'release.yml', ''
FROM projects p WHERE substr(p.name, 9)::int % 4 = 0;
INSERT INTO oidc_publisher_project_association (oidc_publisher_id, project_id)
SELECT p.id, p.id FROM projects p WHERE substr(p.name, 9)::int % 4 = 0;

-- An association's id is its user's, for brevity.
INSERT INTO account_associations (id, association_type, user_id)
SELECT u.id, 'oauth', u.id FROM users u WHERE hashtext(u.username) % 3 = 1;
INSERT INTO oauth_account_associations (id, service, external_user_id, external_username)
SELECT u.id, 'github', (1000000 + substr(u.username, 6)::int)::text, u.username
FROM users u WHERE hashtext(u.username) % 3 = 1;

ANALYZE;
