#!/usr/bin/env bash
# tests/compose/check.sh - the production-like docker-compose.yml must parse and validate.
# Exits 0 when `docker-compose config -q` accepts it, 1 with a message when it does not,
# 77 (CTest SKIP_RETURN_CODE) when no docker-compose is installed.
set -u

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
file="$root/docker-compose.yml"

if [[ ! -f "$file" ]]; then
  echo "compose check: $file is missing" >&2
  exit 1
fi
if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  echo "compose check: skipped, neither docker-compose nor 'docker compose' is installed" >&2
  exit 77
fi

# No .env and none of the SB_* variables: every ${VAR:-default} must stand on its own.
empty_env="$(mktemp)"
trap 'rm -f "$empty_env"' EXIT
unset_sb=()
while read -r name; do unset_sb+=(-u "$name"); done < <(compgen -e | grep '^SB_' || true)
if ! out="$(cd "$root" && env "${unset_sb[@]}" \
            "${compose[@]}" --env-file "$empty_env" -f "$file" config -q 2>&1)"; then
  echo "compose check: '${compose[*]} -f $file config -q' failed:" >&2
  echo "$out" >&2
  exit 1
fi
if [[ -n "$out" ]]; then   # warnings (e.g. an unset variable without a default) count as failures
  echo "compose check: $file validates with warnings:" >&2
  echo "$out" >&2
  exit 1
fi
echo "compose check: $file is valid"
