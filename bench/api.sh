#!/usr/bin/env bash
# API throughput and latency: GET /v2/test and GET /v2/contacts?limit=100 over 10,000 contacts,
# on SQLite and PostgreSQL, with the rate limit off. Needs wrk (apt-get install wrk) and
# PostgreSQL at 127.0.0.1:5432. Usage: bench/api.sh [seconds-per-run] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONNS=${2:-64}
# SLOTLINE_BIN runs another build (e.g. an older commit's) for a before/after comparison.
if [ -n "${SLOTLINE_BIN:-}" ]; then BIN=$SLOTLINE_BIN; else cargo build --release --locked -q; BIN=target/release/slotline; fi
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18190

run_backend() {
  local name=$1 url=$2
  "$BIN" demo --database-url "$url" --listen "127.0.0.1:$PORT" --rate-limit 0 --key-file "$WORK/key" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do [ -s "$WORK/key" ] && curl -fs "http://127.0.0.1:$PORT/v2/openapi.json" >/dev/null && break; sleep 0.1; done
  local key; key=$(cat "$WORK/key")
  python3 bench/seed_contacts.py "http://127.0.0.1:$PORT" "$key" 10000
  for path in "/v2/test" "/v2/contacts?limit=100"; do
    echo "## $name GET $path ($CONNS connections, ${SECS}s)"
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "API-Key: $key" "http://127.0.0.1:$PORT$path" | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors'
    echo "server RSS: $(ps -o rss= -p $pid | awk '{printf "%.1f MB", $1/1024}')"
  done
  kill $pid; wait $pid 2>/dev/null || true
  rm -f "$WORK/key"
}

run_backend sqlite "$WORK/bench.db"
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS slotline_bench WITH (FORCE)" -c "CREATE DATABASE slotline_bench"
run_backend postgres "postgres://postgres@127.0.0.1:5432/slotline_bench"
