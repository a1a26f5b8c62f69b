#!/usr/bin/env bash
# tests/stack/stages.sh - tests/bench/peak --stages on the running test stack: a small burst goes
# through each stage alone (PostgreSQL's timestamps show classify began after the last accept and
# dispatch after the last classification) and every message ends up dispatched once; the stages
# line names a rate for each stage; no service is left paused, whether the run finishes or is
# refused. This is not a timed test: it checks the tool, not the figures.
# Needs the stack tests/run starts (SB_VAR, SB_BUILD); exits 77 (skip) without it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ -z "${SB_VAR:-}" ] || [ ! -f "$SB_VAR/local.env" ]; then
  echo "stages: no stack (run through tests/run)" >&2
  exit 77
fi
fails=0
out="$SB_VAR/stages.out"
err="$SB_VAR/stages.err"

# Prints a failure and counts it.
fail() {
  echo "stages: FAIL: $*" >&2
  fails=$((fails + 1))
}

# The stack's service processes that are stopped (state T), as "name pid" lines.
stopped_services() {
  local f pid state
  for f in "$SB_VAR"/run/*.pid; do
    pid="$(head -n 1 "$f")"
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || continue
    [ "$state" != "T" ] || echo "$(basename "$f" .pid) $pid"
  done
}

# Lets a stopped service go on, so one failure does not freeze the stack for the next suites.
thaw() {
  local _ pid
  while read -r _ pid; do
    [ -z "$pid" ] || kill -CONT "$pid" 2>/dev/null || true
  done < <(stopped_services)
}
trap thaw EXIT

# A refused combination changes nothing: no service is paused by it.
if "$root/tests/bench/peak" --messages 10 --rate 5 --stages >"$out" 2>"$err"; then
  fail "--stages with --rate was accepted"
elif ! grep -q -- "--stages sends flat out" "$err"; then
  fail "--stages with --rate: unexpected error: $(tail -n 3 "$err")"
fi
[ -z "$(stopped_services)" ] || fail "left paused after a refusal: $(stopped_services | tr '\n' ' ')"

if ! "$root/tests/bench/peak" --messages 300 --stages --timeout 180 >"$out" 2>"$err"; then
  fail "peak --stages failed: $(tail -n 5 "$err")"
fi
[ -z "$(stopped_services)" ] || fail "left paused after the run: $(stopped_services | tr '\n' ' ')"

# Each stage ran on its own: nothing was classified before the last accept, nothing dispatched
# before the last classification.
run="$(grep -o 'run peak-[0-9]*-[0-9]*' "$err" | head -n 1 | cut -d' ' -f2)"
set -a
# shellcheck disable=SC1091
. "$SB_VAR/local.env"
set +a
order="$(psql "$SB_PG_DSN" -X -q -A -t -v ON_ERROR_STOP=1 -v like="%$run-%" <<'SQL'
WITH m AS (SELECT ticket_id, received_at FROM messages WHERE external_id LIKE :'like'),
     c AS (SELECT min(occurred_at) AS first, max(occurred_at) AS last FROM ticket_events
            WHERE type = 'classified' AND ticket_id IN (SELECT ticket_id FROM m))
SELECT (SELECT first FROM c) > (SELECT max(received_at) FROM m),
       (SELECT min(dispatched_at) FROM tickets WHERE id IN (SELECT ticket_id FROM m))
         > (SELECT last FROM c);
SQL
)" || fail "cannot read the run $run back"
[ "$order" = "t|t" ] ||
  fail "stages overlapped (classified after the last accept | dispatched after the last classification): $order"

stages="$(grep '^stages: ' "$out" || true)"
if ! grep -Eq '^stages: ingest_rps=[1-9][0-9]* classify_rps=[1-9][0-9]* dispatch_rps=[1-9][0-9]*$' \
  <<<"$stages"; then
  fail "stages line missing or without a rate per stage: '$stages'"
fi
last="$(tail -n 1 "$out")"
grep -Eq '^peak: sent=300 accepted=300 tickets=300 lost=0 dup=0 ' <<<"$last" ||
  fail "summary line: '$last'"

if [ "$fails" -gt 0 ]; then
  echo "stages: $fails failure(s); peak's stderr:" >&2
  tail -n 20 "$err" >&2
  exit 1
fi
echo "stages: ok ($stages)"
