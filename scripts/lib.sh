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

# database_url PORT TRUSTED_DB OWN_DB ROLE ROLE_OPTIONS: prints a URL that
# works here. With trust authentication, TRUSTED_DB as `postgres`; otherwise
# (Debian's default peer and scram-sha-256) OWN_DB, owned by ROLE with
# ROLE_OPTIONS (e.g. CREATEDB) and a fresh random password, both made through
# the postgres system user. scripts/run and scripts/test each have a role of
# their own, so that a test run resetting its password never locks out a
# running bot.
database_url() {
  local port="$1" trusted_db="$2" db="$3" role="$4" options="$5"
  if PGCONNECT_TIMEOUT=5 psql -w -q -X "postgres://postgres@127.0.0.1:$port/postgres" -c 'SELECT 1' >/dev/null 2>&1; then
    echo "postgres://postgres@127.0.0.1:$port/$trusted_db"
    return
  fi
  local password
  password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  as_postgres psql -w -q -X -p "$port" -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN;
  END IF;
END \$\$;
ALTER ROLE $role WITH LOGIN $options PASSWORD '$password';
SELECT 'CREATE DATABASE $db OWNER $role'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db') \gexec
SQL
  echo "$SCRIPT: the server does not trust local TCP connections; using role $role (password reset for this run)" >&2
  echo "postgres://$role:$password@127.0.0.1:$port/$db"
}
