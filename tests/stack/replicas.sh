#!/usr/bin/env bash
# tests/stack/replicas.sh - deploy/local's replicas on the running test stack: up with more
# starts the extra one (its own pid, log, URL in local.env), leaves the running ones alone and
# returns once the three share the group's partitions (/readyz);
# a bad count is refused before anything changes; up with the default again stops the surplus
# and returns once the two left have taken over its partitions.
# Needs the stack tests/run starts (SB_VAR, SB_BUILD); exits 77 (skip) without it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ -z "${SB_VAR:-}" ] || [ ! -f "$SB_VAR/local.env" ]; then
  echo "replicas: no stack (run through tests/run)" >&2
  exit 77
fi
env_file="$SB_VAR/local.env"
fails=0

# Prints a failure and counts it.
fail() {
  echo "replicas: FAIL: $*" >&2
  fails=$((fails + 1))
}

# Prints the pid of a running instance, empty when none.
pid_of() {
  local f="$SB_VAR/run/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(head -n 1 "$f")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
  return 0
}

# Succeeds while classify and classify-2 are the processes they were at the start.
same_two() {
  [ "$(pid_of classify)" = "$first" ] && [ "$(pid_of classify-2)" = "$second" ]
}

# deploy/local/up on the running stack, its output kept for a failure's message.
up() {
  env "$@" SB_NO_BUILD=1 "$root/deploy/local/up" >"$SB_VAR/replicas-up.log" 2>&1
}

unset SB_CLASSIFY_REPLICAS
first="$(pid_of classify)" second="$(pid_of classify-2)"
if [ -z "$first" ] || [ -z "$second" ]; then
  fail "the stack does not run classify and classify-2"
fi

# The partitions instances $@ hold between them, per their /readyz (0 for one not ready).
held() {
  local inst var iurl
  for inst in "$@"; do
    var="SB_$(tr 'a-z-' 'A-Z_' <<<"$inst")_URL"
    iurl="$(sed -n "s/^$var='\(.*\)'$/\1/p" "$env_file")"
    curl -fsS --max-time 5 "$iurl/readyz" 2>/dev/null || echo '{"partitions":0}'
  done | grep -o '"partitions":[0-9]*' | awk -F: '{n += $2} END {print n + 0}'
}
all_partitions="$(held classify classify-2)"
[ "$all_partitions" -gt 0 ] || fail "classify and classify-2 hold no partitions at the start"

# Three: a third instance, healthy, with its URL; the two running ones untouched.
up SB_CLASSIFY_REPLICAS=3 || fail "up with three replicas failed: $(tail -5 "$SB_VAR/replicas-up.log")"
third="$(pid_of classify-3)"
[ -n "$third" ] || fail "classify-3 does not run"
url="$(sed -n "s/^SB_CLASSIFY_3_URL='\(.*\)'$/\1/p" "$env_file")"
[ -n "$url" ] || fail "local.env has no SB_CLASSIFY_3_URL"
[ -z "$url" ] || curl -fsS -o /dev/null --max-time 5 "$url/healthz" || fail "classify-3 is not healthy at $url"
same_two || fail "up with three restarted a running replica"
# up returns once the group has settled: each of the three holds a share of the partitions.
for inst in classify classify-2 classify-3; do
  var="SB_$(tr 'a-z-' 'A-Z_' <<<"$inst")_URL"
  iurl="$(sed -n "s/^$var='\(.*\)'$/\1/p" "$env_file")"
  ready="$(curl -sS --max-time 5 -w ' %{http_code}' "$iurl/readyz" 2>&1 || true)"
  grep -Eq '"partitions":[1-9][0-9]*.* 200$' <<<"$ready" ||
    fail "$inst holds no share of the group right after up: $ready"
done
status="$(SB_CLASSIFY_REPLICAS=3 "$root/deploy/local/status" || true)"
grep -Eq '^classify-3 +running .* ok$' <<<"$status" ||
  fail "status does not show classify-3 running and healthy: $status"

# A bad count: refused, naming the variable, nothing stopped.
if up SB_CLASSIFY_REPLICAS=9; then
  fail "up accepted SB_CLASSIFY_REPLICAS=9"
fi
grep -q "SB_CLASSIFY_REPLICAS must be 1 to 8, got '9'" "$SB_VAR/replicas-up.log" ||
  fail "the refusal does not name the variable: $(tail -2 "$SB_VAR/replicas-up.log")"
[ "$(pid_of classify-3)" = "$third" ] || fail "a refused up changed classify-3"

# Back to the default (two): the surplus replica stops, its pid file and URL go.
up || fail "up with the default failed: $(tail -5 "$SB_VAR/replicas-up.log")"
[ -z "$(pid_of classify-3)" ] || fail "classify-3 still runs"
[ ! -e "$SB_VAR/run/classify-3.pid" ] || fail "classify-3's pid file is left"
if [ -r "/proc/$third/stat" ] && [ "$(sed 's/^.*) //' "/proc/$third/stat" | cut -c1)" != Z ]; then
  fail "classify-3's process $third is still alive"
fi
if grep -q '^SB_CLASSIFY_3_URL=' "$env_file"; then
  fail "local.env still names SB_CLASSIFY_3_URL"
fi
same_two || fail "scaling down restarted a replica that stays"
# up returns once the two have taken over classify-3's share: a rebalance, not just ready.
now_held="$(held classify classify-2)"
[ "$now_held" = "$all_partitions" ] ||
  fail "right after scaling down the two hold $now_held of $all_partitions partitions"
"$root/deploy/local/status" >/dev/null || fail "status is not healthy after scaling back"

rm -f "$SB_VAR/replicas-up.log"
[ "$fails" -eq 0 ] && echo "replicas: ok" || exit 1
