#!/usr/bin/env bash
# Webhook delivery benchmarks on SQLite and PostgreSQL: deliveries/s to a local keep-alive
# receiver with 1 and 10 webhooks, then commit-to-first-attempt latency, API latency and RSS at a
# steady event rate. Everything (receiver, server processes, databases) is started here.
# Usage: bench/deliveries.sh [deliveries] [rate] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
TOTAL=${1:-50000}
RATE=${2:-1000}
SECS=${3:-10}
cargo build --release --locked -q --bin slotline --example delivery_bench
# SLOTLINE_BIN (and SLOTLINE_DELIVERY_BENCH, the client of the same commit, which migrates the
# database) run another build (e.g. an older commit's) for a before/after comparison.
BIN=${SLOTLINE_BIN:-target/release/slotline}
BENCH=${SLOTLINE_DELIVERY_BENCH:-target/release/examples/delivery_bench}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

pg() {
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS slotline_dbench WITH (FORCE)" -c "CREATE DATABASE slotline_dbench"
  echo "postgres://postgres@127.0.0.1:5432/slotline_dbench"
}

for backend in sqlite postgres; do
  echo "## $backend"
  for hooks in 1 10; do
    if [ $backend = sqlite ]; then url="$WORK/t$hooks.db"; else url=$(pg); fi
    "$BENCH" "$BIN" "$url" throughput "$hooks" "$TOTAL"
  done
  if [ $backend = sqlite ]; then url="$WORK/l.db"; else url=$(pg); fi
  "$BENCH" "$BIN" "$url" latency "$RATE" "$SECS"
done
