#!/usr/bin/env bash
# Connected-calendar benchmarks: time-slots of a host whose calendar holds EVENTS events, and a
# full read of a SYNC_EVENTS-event feed; on SQLite and PostgreSQL.
# Usage: bench/calendars.sh [events] [sync_events] [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
EVENTS=${1:-5000}
SYNC=${2:-10000}
REQUESTS=${3:-500}
cargo build --release --locked -q --bin slotline --example calendar_bench
BIN=${SLOTLINE_BIN:-target/release/slotline}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18192

run_backend() {
  local name=$1 url=$2
  # --allow-http-webhooks: the feed is served on loopback over plain http (development only).
  "$BIN" demo --database-url "$url" --listen "127.0.0.1:$PORT" --rate-limit 0 --allow-http-webhooks \
    --key-file "$WORK/key" --secret-key-file "$WORK/secret.key" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do [ -s "$WORK/key" ] && curl -fs "http://127.0.0.1:$PORT/v2/openapi.json" >/dev/null && break; sleep 0.1; done
  echo "## $name"
  target/release/examples/calendar_bench "http://127.0.0.1:$PORT" "$(cat "$WORK/key")" "$EVENTS" "$SYNC" "$REQUESTS"
  kill $pid; wait $pid 2>/dev/null || true
  rm -f "$WORK/key"
}

run_backend sqlite "$WORK/bench.db"
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS slotline_calbench WITH (FORCE)" -c "CREATE DATABASE slotline_calbench"
run_backend postgres "postgres://postgres@127.0.0.1:5432/slotline_calbench"
