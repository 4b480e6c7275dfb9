#!/usr/bin/env bash
# Scheduling benchmarks over HTTP: bookings/s with CLIENTS clients on distinct slots, and 64
# clients racing for 8 slots; on SQLite and PostgreSQL, rate limit off.
# Needs wrk (apt-get install wrk) for the second throughput figure.
# Usage: bench/schedule.sh [clients] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${1:-32}
SECS=${2:-10}
cargo build --release --locked -q --bin slotline --example schedule_bench
# SLOTLINE_BIN runs another server build (e.g. an older commit's) for a before/after comparison.
BIN=${SLOTLINE_BIN:-target/release/slotline}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18191

run_backend() {
  local name=$1 url=$2
  "$BIN" demo --database-url "$url" --listen "127.0.0.1:$PORT" --rate-limit 0 --key-file "$WORK/key" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do [ -s "$WORK/key" ] && curl -fs "http://127.0.0.1:$PORT/v2/openapi.json" >/dev/null && break; sleep 0.1; done
  echo "## $name"
  target/release/examples/schedule_bench "http://127.0.0.1:$PORT" "$(cat "$WORK/key")" "$CLIENTS" "$SECS"
  # The same throughput measured with wrk, a lighter load generator than the Rust client.
  read -r cal first < <(target/release/examples/schedule_bench "http://127.0.0.1:$PORT" "$(cat "$WORK/key")" setup Wrk)
  if [ "$name" = postgres ] && [ "$(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SHOW autovacuum')" = off ]; then
    # Without autovacuum PostgreSQL never learns the tables' sizes and plans as if they were
    # empty (BENCHMARKS.md); a server with the default settings has statistics within a minute.
    echo "autovacuum is off: ANALYZE before the wrk run"
    psql -h 127.0.0.1 -U postgres -d slotline_bench -qc ANALYZE
  fi
  echo "wrk: $CLIENTS connections, ${SECS}s, distinct slots"
  wrk -t2 -c"$CLIENTS" -d"${SECS}s" --latency -s bench/schedule.lua "http://127.0.0.1:$PORT" -- "$cal" "$first" "$(cat "$WORK/key")" \
    | grep -E 'Requests/sec|50%|99%|Non-2xx|Socket errors'
  echo "server RSS: $(ps -o rss= -p $pid | awk '{printf "%.1f MB", $1/1024}')"
  kill $pid; wait $pid 2>/dev/null || true
  rm -f "$WORK/key"
}

run_backend sqlite "$WORK/bench.db"
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS slotline_bench WITH (FORCE)" -c "CREATE DATABASE slotline_bench"
run_backend postgres "postgres://postgres@127.0.0.1:5432/slotline_bench"
