#!/usr/bin/env bash
# The integrators' console at scale, on SQLite and PostgreSQL:
# - a webhook with ATTEMPTS recorded attempts (ATTEMPTS/2 deliveries of two attempts each, 1 %
#   failed): its health summary and delivery log (API and app), p50/p99;
# - SUBSCRIBERS concurrent `GET /v2/events/stream` subscribers receiving bookings: latency
#   p50/p99 and the server's resident memory.
# Usage: [BACKENDS='sqlite postgres'] bench/console.sh [attempts] [requests] [subscribers] [bookings]
set -euo pipefail
cd "$(dirname "$0")/.."
ATTEMPTS=${1:-1000000}
REQUESTS=${2:-300}
SUBSCRIBERS=${3:-1000}
BOOKINGS=${4:-20}
cargo build --release --locked -q --bin slotline --example console_bench
BIN=${SLOTLINE_BIN:-target/release/slotline}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18194
ulimit -n "$(ulimit -Hn)"
DELIVERIES=$((ATTEMPTS / 2))

# Deliveries made 100 ms apart, each with a failed first attempt (500) and a second one that
# succeeded, but every hundredth, which failed twice and gave up. Seeded in SQL: the endpoints
# read deliveries and attempts, which is what a webhook's history is made of.
seed_sql() {
  local hook=$1 account=$2 series=$3
  cat <<SQL
INSERT INTO deliveries (id, event_id, webhook_id, account_id, event_type, status, attempts, last_attempt_time, last_status_code, delivered_time, creation_time)
SELECT 'DLV-B' || i, 'EVNT-B' || i, '$hook', '$account',
       CASE WHEN i % 3 = 0 THEN 'booking.canceled' ELSE 'booking.scheduled' END,
       CASE WHEN i % 100 = 0 THEN 'failed' ELSE 'delivered' END, 2, 1700000000000 + i * 100 + 50,
       CASE WHEN i % 100 = 0 THEN 500 ELSE 200 END,
       CASE WHEN i % 100 = 0 THEN NULL ELSE 1700000000000 + i * 100 + 50 END, 1700000000000 + i * 100
FROM $series;
INSERT INTO delivery_attempts (delivery_seq, attempt_time, duration_ms, status_code, error_kind, error, response_headers, response_body, next_attempt_time, worker)
SELECT seq, creation_time, 30 + seq % 50, 500, 'status', 'the endpoint answered 500', '{"content-type":"text/plain"}', 'busy', creation_time + 35000, 'bench'
FROM deliveries WHERE webhook_id = '$hook';
INSERT INTO delivery_attempts (delivery_seq, attempt_time, duration_ms, status_code, error_kind, error, response_headers, response_body, next_attempt_time, worker)
SELECT seq, creation_time + 50, 20 + seq % 80, CASE WHEN status = 'failed' THEN 500 ELSE 200 END,
       CASE WHEN status = 'failed' THEN 'status' END, CASE WHEN status = 'failed' THEN 'the endpoint answered 500' END,
       '{"content-type":"application/json"}', '{"ok":true}', NULL, 'bench'
FROM deliveries WHERE webhook_id = '$hook';
SQL
}

run_backend() {
  local name=$1 url=$2 sql=$3 series=$4
  "$BIN" demo --database-url "$url" --listen "127.0.0.1:$PORT" --rate-limit 0 --role api \
    --max-connections-per-address $((SUBSCRIBERS + 100)) \
    --key-file "$WORK/key" --password-file "$WORK/password" --secret-key-file "$WORK/secret.key" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do [ -s "$WORK/key" ] && [ -s "$WORK/password" ] && curl -fs "http://127.0.0.1:$PORT/v2/openapi.json" >/dev/null && break; sleep 0.1; done
  local key hook account
  key=$(cat "$WORK/key")
  hook=$(curl -fsS -H "API-Key: $key" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/v2/webhooks" \
    -d '{"name":"Bench","url":"https://hooks.example/bench","events":["booking"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  account=$($sql "SELECT account_id FROM webhooks WHERE id = '$hook'")
  echo "## $name"
  local t0=$SECONDS
  seed_sql "$hook" "$account" "$series" | $sql >/dev/null
  [ "$name" = postgres ] && $sql "ANALYZE" >/dev/null
  echo "seeded $DELIVERIES deliveries, $($sql "SELECT COUNT(*) FROM delivery_attempts") attempts in $((SECONDS - t0)) s"
  target/release/examples/console_bench log "http://127.0.0.1:$PORT" "$key" "$(cat "$WORK/password")" "$hook" "$REQUESTS"
  echo
  target/release/examples/console_bench stream "http://127.0.0.1:$PORT" "$key" "$SUBSCRIBERS" "$BOOKINGS" "$pid"
  kill $pid; wait $pid 2>/dev/null || true
  rm -f "$WORK/key" "$WORK/password"
  echo
}

sqlite_sql() { sqlite3 -cmd ".timeout 10000" "$WORK/bench.db" "$@"; }
postgres_sql() { if [ $# -gt 0 ]; then psql -h 127.0.0.1 -U postgres -d slotline_consolebench -Atqc "$1"; else psql -h 127.0.0.1 -U postgres -d slotline_consolebench -q; fi; }

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(nproc) cores"
BACKENDS=${BACKENDS:-sqlite postgres}
[[ " $BACKENDS " == *" sqlite "* ]] && run_backend sqlite "$WORK/bench.db" sqlite_sql \
  "(WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $DELIVERIES) SELECT i FROM n)"
[[ " $BACKENDS " == *" postgres "* ]] || exit 0
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS slotline_consolebench WITH (FORCE)" -c "CREATE DATABASE slotline_consolebench"
run_backend postgres "postgres://postgres@127.0.0.1:5432/slotline_consolebench" postgres_sql \
  "generate_series(1, $DELIVERIES) AS g(i)"
