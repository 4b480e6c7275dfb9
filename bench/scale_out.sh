#!/usr/bin/env bash
# Scale-out on PostgreSQL: events written through the API at steady rates, by one `slotline
# serve` process, then by 2 `--role api` processes (writes spread over both) with 2 `--role
# worker` processes; commit-to-first-attempt latency, API latency, all servers' RSS.
# Usage: bench/scale_out.sh [seconds] [rates…]   (default: 10 s at 1000 2000 3000 events/s)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
shift || true
RATES=${*:-1000 2000 3000}
cargo build --release --locked -q --bin slotline --example delivery_bench
BIN=${SLOTLINE_BIN:-target/release/slotline}
BENCH=${SLOTLINE_DELIVERY_BENCH:-target/release/examples/delivery_bench}
for rate in $RATES; do
  for shape in "" "2 2"; do
    psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS slotline_scale WITH (FORCE)" -c "CREATE DATABASE slotline_scale"
    # shellcheck disable=SC2086
    "$BENCH" "$BIN" postgres://postgres@127.0.0.1:5432/slotline_scale latency "$rate" "$SECS" $shape
  done
done
