# Shared by scripts/run and scripts/test: a local PostgreSQL that this user
# can reach over TCP, whatever the machine's pg_hba.conf says. Sourced, not
# run. Works as root or as a user with sudo.

# Runs a command as root.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Runs a command as the postgres system user (peer authentication on the
# local socket, which Debian's default pg_hba.conf allows).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

apt_install() {
  echo "$SCRIPT: installing $* (apt, --no-install-recommends)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ensure_postgres PORT: a PostgreSQL server answers on 127.0.0.1:PORT,
# installed and started if need be.
ensure_postgres() {
  local port="$1"
  if pg_isready -h 127.0.0.1 -p "$port" -q 2>/dev/null; then
    return
  fi
  if ! ls /etc/postgresql >/dev/null 2>&1; then
    apt_install postgresql
  fi
  # The cluster listening on PORT (Debian: /etc/postgresql/VERSION/NAME).
  local cluster
  cluster="$(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p { print $1 " " $2; exit }')"
  if [ -z "$cluster" ]; then
    echo "$SCRIPT: no PostgreSQL cluster on port $port (pg_lsclusters lists: $(pg_lsclusters -h | awk '{print $1"/"$2":"$3}' | tr '\n' ' '))" >&2
    exit 1
  fi
  echo "$SCRIPT: starting PostgreSQL cluster $cluster on port $port"
  # shellcheck disable=SC2086
  as_root pg_ctlcluster --skip-systemctl-redirect $cluster start || true
  for _ in $(seq 1 60); do
    pg_isready -h 127.0.0.1 -p "$port" -q && return
    sleep 1
  done
  echo "$SCRIPT: PostgreSQL on 127.0.0.1:$port did not come up" >&2
  exit 1
}

# pg_admin PORT: psql as the PostgreSQL superuser, reading SQL on standard
# input: over TCP when the server trusts it, else as the postgres system user
# on the local socket (peer authentication). Only to make roles and
# databases: the bot and the tests never log in as a superuser.
pg_admin() {
  local port="$1"
  if PGCONNECT_TIMEOUT=5 psql -w -q -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    psql -w -q -X -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1
  else
    as_postgres psql -w -q -X -p "$port" -d postgres -v ON_ERROR_STOP=1
  fi
}

# database_url PORT ROLE DB ROLE_OPTIONS: makes ROLE, a login role that is no
# superuser (ROLE_OPTIONS adds e.g. CREATEDB), with a fresh random password
# for this run, and DB owned by it; prints its URL,
# postgres://ROLE:PASSWORD@127.0.0.1:PORT/DB. The URL is for an exported
# variable only: never put it (or the password) on a command line, where
# every user of the machine can read it. The SQL goes on standard input.
database_url() {
  local port="$1" role="$2" db="$3" options="$4"
  local password
  password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  pg_admin "$port" >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role;
  END IF;
END \$\$;
ALTER ROLE $role WITH LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS $options PASSWORD '$password';
SELECT 'CREATE DATABASE $db OWNER $role'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \gexec
ALTER DATABASE $db OWNER TO $role;
SQL
  echo "$SCRIPT: PostgreSQL role $role (no superuser${options:+, $options}; password reset for this run), database $db" >&2
  echo "postgres://$role:$password@127.0.0.1:$port/$db"
}

# adopt_test_databases PORT ROLE: gives ROLE the test databases that
# #[sqlx::test] left behind under another role (a failed test keeps its
# database, named after the test, and a plain `cargo test` runs as the
# superuser): ROLE drops and makes each again at its next run, which only
# their owner may do. Databases that disappear meanwhile are skipped.
adopt_test_databases() {
  local port="$1" role="$2"
  # Best effort: another run may drop one of them meanwhile.
  pg_admin "$port" >/dev/null 2>&1 <<SQL || true
\set ON_ERROR_STOP 0
SELECT format('ALTER DATABASE %I OWNER TO %I', d.datname, '$role')
FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
WHERE d.datname LIKE '\_sqlx\_test\_%' AND r.rolname <> '$role' \gexec
SQL
}

# with_database_url CMD...: runs CMD, a libpq client such as psql, with
# DATABASE_URL's parts in PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE,
# so that the password stays off the command line.
with_database_url() {
  local rest="${DATABASE_URL#*://}"
  rest="${rest%%\?*}"
  local auth="" hostpart="$rest"
  if [[ "$rest" == *@* ]]; then
    auth="${rest%@*}"
    hostpart="${rest##*@}"
  fi
  local hostport="${hostpart%%/*}" db=""
  if [[ "$hostpart" == */* ]]; then db="${hostpart#*/}"; fi
  local user="${auth%%:*}" password=""
  if [[ "$auth" == *:* ]]; then password="${auth#*:}"; fi
  local host="$hostport" port=5432
  if [[ "$hostport" =~ ^(.*):([0-9]+)$ ]]; then
    host="${BASH_REMATCH[1]}"
    port="${BASH_REMATCH[2]}"
  fi
  PGHOST="${host:-127.0.0.1}" PGPORT="$port" PGUSER="$(printf '%b' "${user//%/\\x}")" \
    PGPASSWORD="$(printf '%b' "${password//%/\\x}")" PGDATABASE="$(printf '%b' "${db//%/\\x}")" "$@"
}

# refuse_superuser: stops when DATABASE_URL logs in as a PostgreSQL
# superuser (one that can read and change every database on the server).
refuse_superuser() {
  local super
  super="$(with_database_url psql -w -X -qtA -c 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user' 2>/dev/null || true)"
  if [ "$super" = t ]; then
    echo "$SCRIPT: DATABASE_URL logs in as a PostgreSQL superuser; use a role without superuser rights (unset DATABASE_URL to have one made)" >&2
    exit 1
  fi
}
