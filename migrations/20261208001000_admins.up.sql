-- Each configured admin login without an id in the settings is pinned to
-- the GitHub user id it resolved to the first time: every replica and every
-- restart judges a commenter against the same id, and a later holder of the
-- login (another id) is not an admin.
CREATE TABLE admin_pins (
    login text PRIMARY KEY CHECK (login = lower(login)),
    github_id bigint NOT NULL,
    pinned_at timestamptz NOT NULL DEFAULT now()
);
