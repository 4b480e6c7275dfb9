#!/usr/bin/env bash
# Every page of the hosts' app as the browser receives it (gzip), for an account set up to the
# large side: a booking calendar and a booking page with 20 questions of 10 choices, 5
# reminders and their own words for every message, and a bot of 40 steps. SQLite; sizes only.
# Usage: bench/app_pages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# The same build as bench/app.sh (examples share the features of the dev-dependencies).
cargo build --release --locked -q --bin slotline --example app_bench
BIN=${SLOTLINE_BIN:-target/release/slotline}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18194
BASE="http://127.0.0.1:$PORT"
"$BIN" demo --database-url "$WORK/app.db" --listen "127.0.0.1:$PORT" --rate-limit 0 --role api \
  --key-file "$WORK/key" --password-file "$WORK/password" --secret-key-file "$WORK/secret.key" >"$WORK/log" 2>&1 &
for _ in $(seq 1 100); do [ -s "$WORK/key" ] && [ -s "$WORK/password" ] && curl -fs "$BASE/v2/openapi.json" >/dev/null && break; sleep 0.1; done
KEY=$(cat "$WORK/key")
api() { curl -fs -X "$1" "$BASE$2" -H "API-Key: $KEY" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
OWNER=$(api GET /v2/users | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
SETTINGS=$(python3 - <<'PY'
import json
questions = [{"name": f"q{i}", "label": f"Question number {i} about your needs", "type": "single_select",
              "required": i % 2 == 0, "options": [f"Choice {j} of question {i}" for j in range(10)]} for i in range(20)]
reminders = [{"minutes_before": m, "to": "guest", "channel": "email"} for m in (15, 60, 240, 1440, 2880)]
kinds = ["guest.scheduled", "guest.requested", "guest.approved", "guest.declined", "guest.rescheduled",
         "guest.canceled", "guest.reassigned", "guest.reschedule_requested", "guest.reminder", "guest.follow_up",
         "host.scheduled", "host.requested", "host.canceled", "host.rescheduled", "host.reassigned_away",
         "host.reassigned_to", "host.reminder"]
templates = {k: {"subject": f"Our own words: {k} {{subject}}", "body": ("Hello {guest_name}, " + "our own words. " * 40)} for k in kinds}
print(json.dumps({"questions": questions, "notifications": {"reminders": reminders, "templates": templates},
                  "locations": [{"type": "physical", "value": "1 Main Street, Springfield"}, {"type": "guest_phone"}]}))
PY
)
CAL=$(api POST /v2/booking-calendars "{\"host\": \"$OWNER\", \"name\": \"Large calendar\", \"settings\": $SETTINGS}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
PAGE=$(api POST /v2/booking-pages "{\"owner\": \"$OWNER\", \"name\": \"Large page\", \"settings\": $SETTINGS}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
FLOW=$(python3 -c 'import json; print(json.dumps({"steps": [{"id": f"s{i}", "type": "message", "text": "A message the bot says, of some length. " * 3} for i in range(40)]}))')
BOT=$(api POST /v2/bots "{\"name\": \"Large bot\", \"owner\": \"$OWNER\", \"flow\": $FLOW}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
printf '| page | as received (gzip) | uncompressed |\n|---|---:|---:|\n'
size() {
  local gz raw
  gz=$(curl -fs "${@:2}" -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$BASE$1")
  raw=$(curl -fs "${@:2}" -o /dev/null -w '%{size_download}' "$BASE$1")
  printf '| `%s` | %.1f KB | %.1f KB |\n' "$(echo "$1" | sed -E 's/(BKC|BP|BOT)-[A-Z0-9]+/\1-…/')" "$(echo "$gz/1024" | bc -l)" "$(echo "$raw/1024" | bc -l)"
}
size /app/sign-in
# Sign in as a browser does.
JAR="$WORK/jar"
TOKEN=$(curl -fs -c "$JAR" "$BASE/app/sign-in" | python3 -c 'import re,sys; print(re.search(r"name=\"form_token\" value=\"([^\"]+)\"", sys.stdin.read()).group(1))')
curl -fs -b "$JAR" -c "$JAR" -o /dev/null -H "Origin: $BASE" --data-urlencode "form_token=$TOKEN" \
  --data-urlencode "email=demo@slotline.example" --data-urlencode "password=$(cat "$WORK/password")" "$BASE/app/sign-in"
for path in /app/bookings /app/availability /app/calendars /app/calendars/new "/app/calendars/$CAL" \
  /app/pages /app/pages/new "/app/pages/$PAGE" /app/master-pages /app/event-types /app/chatbots "/app/chatbots/bots/$BOT" \
  /app/calendar-connections /app/users /app/teams /app/custom-fields /app/profile; do
  size "$path" -b "$JAR"
done
