#!/usr/bin/env bash
# PostgreSQL's share of a webhook drain: deliveries/s and the execution time of the worker's
# statements per delivery (pg_stat_statements), for 1 and 10 webhooks. Needs PostgreSQL started
# with shared_preload_libraries = 'pg_stat_statements' (the script creates the extension).
# Usage: bench/pg_drain_cost.sh [deliveries]; SLOTLINE_BIN and SLOTLINE_DELIVERY_BENCH run
# another build (e.g. an older commit's) for a before/after comparison, as in deliveries.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
TOTAL=${1:-50000}
if [ -z "${SLOTLINE_BIN:-}" ]; then
  cargo build --release --locked -q --bin slotline --example delivery_bench
fi
BIN=${SLOTLINE_BIN:-target/release/slotline}
BENCH=${SLOTLINE_DELIVERY_BENCH:-target/release/examples/delivery_bench}
P="psql -h 127.0.0.1 -U postgres -d postgres -q"
$P -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
for hooks in 1 10; do
  $P -c "DROP DATABASE IF EXISTS slotline_dbench WITH (FORCE)" -c "CREATE DATABASE slotline_dbench"
  # Counted from the worker's start: the events written before it are not its work.
  (while ! pgrep -f "$BIN serve" >/dev/null; do sleep 0.05; done; $P -c "SELECT pg_stat_statements_reset()" >/dev/null) &
  "$BENCH" "$BIN" postgres://postgres@127.0.0.1:5432/slotline_dbench throughput "$hooks" "$TOTAL"
  wait
  $P -Atc "SELECT '  PostgreSQL per delivery: ' || round(sum(total_exec_time)::numeric / $TOTAL * 1000, 1) || ' µs' \
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'slotline_dbench')"
done
