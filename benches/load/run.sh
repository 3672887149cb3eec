#!/usr/bin/env bash
# Load test: signed deliveries against `recovery-bot serve` (release build)
# with wrk, and, as a baseline in the same run on the same database, pgbench
# running the same two INSERTs per transaction. Loopback only, bounded in
# time. Usage: benches/load/run.sh [seconds] [connections] [issues]
# (the deliveries cycle over that many issues; 1 is a flood on one issue)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-15}"
conns="${2:-16}"
issues="${3:-200}"
db=recovery_bot_load
pg="postgres://postgres@127.0.0.1:5432"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
cargo build --release --quiet
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
export DATABASE_URL="$pg/$db"
target/release/recovery-bot migrate >/dev/null

gh_port=38111; bot_port=38112
python3 benches/load/fake_github.py $gh_port & gh=$!
for _ in $(seq 1 50); do curl -s -o /dev/null http://127.0.0.1:$gh_port/user && break; sleep 0.1; done
secret=load-test-secret
GITHUB_WEBHOOK_SECRET=$secret GITHUB_TOKEN=x GITHUB_API_URL=http://127.0.0.1:$gh_port \
  BIND_ADDR=127.0.0.1:$bot_port RUST_LOG=warn target/release/recovery-bot serve 2>/tmp/recovery-bot-load.log & bot=$!
trap 'kill $bot $gh 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:$bot_port/healthz >/dev/null && break; sleep 0.2; done

export BODIES_FILE=/tmp/recovery-bot-load-bodies.txt
python3 - "$secret" "$issues" > "$BODIES_FILE" <<'PY'
import hashlib, hmac, json, sys
secret, issues = sys.argv[1].encode(), int(sys.argv[2])
payload = json.load(open("tests/data/webhooks/issues.opened.json"))
for n in range(1, issues + 1):
    payload["issue"]["number"] = n
    body = json.dumps(payload, separators=(",", ":"))
    sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    print(f"sha256={sig}\t{body}")
PY
echo "rss before: $(ps -o rss= -p $bot) KiB"
wrk -t2 -c"$conns" -d"${secs}s" -s benches/load/webhook.lua http://127.0.0.1:$bot_port/ | grep -E "^webhook|Non-2xx"
echo "rss after:  $(ps -o rss= -p $bot) KiB"
accepted=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM deliveries")
echo "deliveries stored: $accepted"
echo "slow-statement warnings: $(grep -c 'slow statement' /tmp/recovery-bot-load.log || true)"
pgbench -n -c"$conns" -j2 -T"$secs" -f benches/load/insert.sql "$DATABASE_URL" 2>/dev/null | grep -E "^tps|latency average"
