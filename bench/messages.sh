#!/usr/bin/env bash
# Message benchmarks (crates/server/examples/message_bench.rs), on SQLite and PostgreSQL:
# emails/s from pending messages to a local SMTP server (a minimal one inside the benchmark, and
# Python's aiosmtpd when .venv has it), and the cost of reminders for N upcoming bookings.
# Usage: bench/messages.sh [emails] [reminders]
set -euo pipefail
cd "$(dirname "$0")/.."
EMAILS=${1:-20000}
REMINDERS=${2:-100000}
cargo build --release --locked -q --bin slotline --example message_bench
BIN=${SLOTLINE_BIN:-target/release/slotline}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"

fresh_pg() {
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS slotline_msg_bench WITH (FORCE)" -c "CREATE DATABASE slotline_msg_bench"
  echo "postgres://postgres@127.0.0.1:5432/slotline_msg_bench"
}

AIOSMTPD=""
if [ -x .venv/bin/python ] && .venv/bin/python -c 'import aiosmtpd' 2>/dev/null; then
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  .venv/bin/python crates/server/tests/support/smtp_sink.py "$PORT" "$WORK/mail" >/dev/null &
  sleep 1
  AIOSMTPD="smtp://127.0.0.1:$PORT"
fi

for backend in sqlite postgres; do
  echo "## $backend"
  url() { if [ $backend = sqlite ]; then f="$WORK/$1.db"; rm -f "$f"*; echo "$f"; else fresh_pg; fi; }
  target/release/examples/message_bench "$BIN" "$(url email)" email "$EMAILS"
  if [ -n "$AIOSMTPD" ]; then
    target/release/examples/message_bench "$BIN" "$(url aiosmtpd)" email 3000 "$AIOSMTPD"
    echo "  (aiosmtpd, Python, writing each message to a file)"
  fi
  target/release/examples/message_bench "$BIN" "$(url reminders)" reminders "$REMINDERS"
done
