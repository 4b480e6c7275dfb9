#!/usr/bin/env bash
# The hosts' app under a full account (50 hosts, 10,000 bookings): the bookings list, a search,
# a booking's page and the availability preview, p50/p99 and page size; on SQLite and PostgreSQL.
# Usage: bench/app.sh [hosts] [bookings] [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-50}
BOOKINGS=${2:-10000}
REQUESTS=${3:-300}
cargo build --release --locked -q --bin slotline --example app_bench
BIN=${SLOTLINE_BIN:-target/release/slotline}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18193

run_backend() {
  local name=$1 url=$2
  # --role api: no worker, so no email is sent for the seeded bookings while measuring.
  "$BIN" demo --database-url "$url" --listen "127.0.0.1:$PORT" --rate-limit 0 --role api \
    --key-file "$WORK/key" --password-file "$WORK/password" --secret-key-file "$WORK/secret.key" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do [ -s "$WORK/key" ] && [ -s "$WORK/password" ] && curl -fs "http://127.0.0.1:$PORT/v2/openapi.json" >/dev/null && break; sleep 0.1; done
  echo "## $name"
  if [ "$name" = postgres ] && [ "$(psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SHOW autovacuum')" = off ]; then
    # Without autovacuum PostgreSQL never learns the tables' sizes (BENCHMARKS.md).
    export APP_BENCH_AFTER_SEED="psql -h 127.0.0.1 -U postgres -d slotline_appbench -qc ANALYZE"
  fi
  target/release/examples/app_bench "http://127.0.0.1:$PORT" "$(cat "$WORK/key")" "$(cat "$WORK/password")" "$HOSTS" "$BOOKINGS" "$REQUESTS"
  kill $pid; wait $pid 2>/dev/null || true
  rm -f "$WORK/key" "$WORK/password"
}

run_backend sqlite "$WORK/bench.db"
psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS slotline_appbench WITH (FORCE)" -c "CREATE DATABASE slotline_appbench"
run_backend postgres "postgres://postgres@127.0.0.1:5432/slotline_appbench"
