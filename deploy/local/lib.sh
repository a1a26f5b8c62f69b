# shellcheck shell=bash
# deploy/local/lib.sh - shared functions of the embedded local stack (up, down, status, service).
#
# Sourced, never run. Everything the stack creates lives under SB_VAR (default <root>/var):
#   local.env        the contract file (DESIGN.md "Fixed contracts"), KEY='value' lines
#   log/<name>.log   service, broker and (symlinked) PostgreSQL logs
#   run/<name>.pid   pid files; run/broker.addr the broker's bootstrap address
#   pg/              the PostgreSQL data directory, or pgdata.path naming a private one
# Binaries come from SB_BUILD (default <root>/build).

SB_SCRIPT="$(basename "$0")"
SB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
SB_VAR="${SB_VAR:-$SB_ROOT/var}"
SB_BUILD_GIVEN="${SB_BUILD:-}"
SB_BUILD="${SB_BUILD:-$SB_ROOT/build}"
SB_ALL_SERVICES="ingest classify dispatch sla survey analytics desk"
SB_SERVICES="${SB_SERVICES-$SB_ALL_SERVICES}"
SB_LOG_LEVEL="${SB_LOG_LEVEL:-info}"
SB_HEALTH_TIMEOUT="${SB_HEALTH_TIMEOUT:-60}"
SB_SQL_DIR="${SB_SQL_DIR:-$SB_ROOT/deploy/sql}"
SB_ENV_FILE="$SB_VAR/local.env"
SB_RUN="$SB_VAR/run"
SB_LOGDIR="$SB_VAR/log"
SB_PG_USER_OS=postgres          # the unprivileged system user that runs PostgreSQL under root
SB_PG_DEFAULT_PORT=55432
SB_PORTS_TAKEN=" "              # ports handed out during this run, not yet bound by anyone

# Prints a progress message on stderr, prefixed with the calling script's name.
sb_say() {
  printf '%s: %s\n' "$SB_SCRIPT" "$*" >&2
}

# Prints an error on stderr and exits 1.
sb_die() {
  printf '%s: error: %s\n' "$SB_SCRIPT" "$*" >&2
  exit 1
}

# Makes SB_VAR and SB_BUILD absolute and creates SB_VAR's folders.
sb_init_dirs() {
  mkdir -p "$SB_VAR" "$SB_RUN" "$SB_LOGDIR" || sb_die "cannot create $SB_VAR"
  SB_VAR="$(cd "$SB_VAR" && pwd -P)"
  case "$SB_BUILD" in /*) ;; *) SB_BUILD="$PWD/$SB_BUILD" ;; esac
  SB_ENV_FILE="$SB_VAR/local.env"
  SB_RUN="$SB_VAR/run"
  SB_LOGDIR="$SB_VAR/log"
}

# Uses the SB_BUILD that up recorded in local.env unless the caller set SB_BUILD.
sb_use_recorded_build() {
  local b
  [ -z "$SB_BUILD_GIVEN" ] || return 0
  b="$(sb_env_get SB_BUILD)"
  [ -z "$b" ] || SB_BUILD="$b"
}

# Takes the per-SB_VAR lock so two scripts never change the same stack at once.
sb_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$SB_RUN/.lock"
  flock -w 300 9 || sb_die "another deploy/local script holds $SB_RUN/.lock"
}

# Runs a command as root: directly when root, else through sudo when it exists.
sb_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    sb_die "need root (or sudo) to run: $*"
  fi
}

# Installs the build and runtime packages, plus any named as arguments, with apt-get: only
# those not installed yet.
sb_install_deps() {
  local pkgs="build-essential cmake pkg-config librdkafka-dev libpq-dev libjansson-dev
    libevent-dev libgmime-3.0-dev libcriterion-dev postgresql postgresql-client uuid-dev
    libssl-dev libexpat1-dev libpcre2-dev curl docker-compose clang valgrind jq $*"
  local missing=() p
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || sb_die "missing packages (${missing[*]}) and no apt-get"
  sb_say "installing ${missing[*]}"
  sb_as_root apt-get update -q >&2 || sb_die "apt-get update failed"
  sb_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2 || sb_die "apt-get install ${missing[*]} failed"
}

# Configures (when not yet configured, or when extra cmake args are given) and builds the repo.
# Usage: sb_build [builddir] [extra cmake args...]
sb_build() {
  local dir="${1:-$SB_BUILD}"
  [ "$#" -gt 0 ] && shift
  if [ ! -f "$dir/CMakeCache.txt" ] || [ "$#" -gt 0 ]; then
    cmake -S "$SB_ROOT" -B "$dir" "$@" >&2 || sb_die "cmake configure failed ($dir)"
  fi
  cmake --build "$dir" -j "${SB_JOBS:-2}" >&2 || sb_die "build failed ($dir)"
}

# Succeeds when something listens on TCP port $1 (any local address).
sb_port_busy() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [ -n "$(ss -Htln "sport = :$port" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# Sets SB_FREE_PORT to a free port on 127.0.0.1: $1 (the preferred one) or the next free one
# after it when given, else a random one below the kernel's ephemeral range; never a port
# handed out earlier in this run. (A variable, not output: $(...) would lose SB_PORTS_TAKEN.)
sb_free_port() {
  local want="${1:-}" port i
  if [ -n "$want" ]; then
    for ((i = 0; i < 100; i++)); do
      port=$((want + i))
      [ "$port" -le 65535 ] || break
      if sb_port_usable "$port"; then
        SB_PORTS_TAKEN="$SB_PORTS_TAKEN$port "
        SB_FREE_PORT="$port"
        return 0
      fi
    done
  fi
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + RANDOM % 12000))
    if sb_port_usable "$port"; then
      SB_PORTS_TAKEN="$SB_PORTS_TAKEN$port "
      SB_FREE_PORT="$port"
      return 0
    fi
  done
  sb_die "no free TCP port found on 127.0.0.1"
}

# Succeeds when port $1 is neither listened on nor handed out earlier in this run.
sb_port_usable() {
  case "$SB_PORTS_TAKEN" in *" $1 "*) return 1 ;; esac
  ! sb_port_busy "$1"
}

# Marks a port as handed out in this run (so sb_free_port skips it).
sb_take_port() {
  SB_PORTS_TAKEN="$SB_PORTS_TAKEN$1 "
}

# Waits until URL answers 2xx, for at most TIMEOUT seconds. Usage: sb_wait_http URL TIMEOUT
sb_wait_http() {
  local url="$1" timeout="${2:-60}" deadline
  deadline=$(($(date +%s) + timeout))
  while :; do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# Succeeds when something accepts TCP connections at HOST:PORT ($1) within 2 s.
sb_tcp_ok() {
  local host="${1%:*}" port="${1##*:}"
  # shellcheck disable=SC2016 # $0/$1 expand in the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
}

# Prints 32 random bytes (or $1 bytes) as hex.
sb_random_hex() {
  od -An -tx1 -N"${1:-32}" /dev/urandom | tr -d ' \n'
}

# Prints the value of KEY from local.env (empty when absent). Usage: sb_env_get KEY
sb_env_get() {
  [ -f "$SB_ENV_FILE" ] || return 0
  sed -n "s/^$1='\\(.*\\)'\$/\\1/p" "$SB_ENV_FILE" | tail -n 1
}

# Prints the port of a URL or host:port ("http://127.0.0.1:8081" -> 8081).
sb_port_of() {
  local s="${1%/}"
  echo "${s##*:}"
}

# Prints the pid in pid file $1 when that process is alive (not a zombie) and its command line
# mentions $2; fails otherwise.
sb_pid_alive() {
  local file="$1" name="$2" pid state cmd
  [ -f "$file" ] || return 1
  pid="$(head -n 1 "$file" 2>/dev/null)" || return 1
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/stat" ]; then
    state="$(sed 's/^.*) //' "/proc/$pid/stat" | cut -c1)"
    [ "$state" != Z ] || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
    case "$cmd" in *"$name"*) ;; *) return 1 ;; esac
  fi
  echo "$pid"
}

# Starts a program detached (own session, stdin closed, output appended to a log) and writes
# its pid once the child has left this shell for the program. Until its exec the child is a
# copy of this shell, whose command line does not name the program, so sb_pid_alive would call
# a healthy start "exited" (seen on a loaded CI box). Usage: sb_spawn PIDFILE LOGFILE PROGRAM [ARGS...]
sb_spawn() {
  local pidfile="$1" log="$2" pid self i
  shift 2
  setsid "$@" </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  self="$(tr '\0' ' ' <"/proc/$$/cmdline" 2>/dev/null)" || self=""
  for ((i = 0; i < 500; i++)); do
    [ "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" = "$self" ] || break
    sleep 0.01
  done
  echo "$pid" >"$pidfile"
}

# Stops the processes of the given pid files: SIGTERM, up to 10 s, then SIGKILL; removes the
# files. Usage: sb_stop_pids NAME=PIDFILE...
sb_stop_pids() {
  local spec name file pid deadline left i
  local -a pids=() names=()
  for spec in "$@"; do
    name="${spec%%=*}"
    file="${spec#*=}"
    if pid="$(sb_pid_alive "$file" "$name")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$name")
      sb_say "stopping $name (pid $pid)"
    fi
    rm -f "$file"
  done
  [ "${#pids[@]}" -eq 0 ] && return 0
  deadline=$(($(date +%s) + ${SB_STOP_TIMEOUT:-10}))
  while :; do
    left=0
    for pid in "${pids[@]}"; do
      sb_pid_is_running "$pid" && left=1
    done
    [ "$left" -eq 0 ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    if sb_pid_is_running "${pids[$i]}"; then
      sb_say "${names[$i]} (pid ${pids[$i]}) ignored SIGTERM for ${SB_STOP_TIMEOUT:-10} s: SIGKILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
}

# Succeeds while pid $1 exists and is not a zombie.
sb_pid_is_running() {
  kill -0 "$1" 2>/dev/null || return 1
  [ -r "/proc/$1/stat" ] || return 0
  [ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

# Prints the last 20 lines of log file $1 on stderr, framed.
sb_log_tail() {
  [ -f "$1" ] || { sb_say "(no log at $1)"; return 0; }
  printf -- '----- last 20 lines of %s -----\n' "$1" >&2
  tail -n 20 "$1" >&2
  printf -- '-----\n' >&2
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

# Prints the folder holding PostgreSQL 15's programs (initdb, pg_ctl, postgres).
sb_pg_bindir() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  d="$(command -v pg_ctl 2>/dev/null)" && { dirname "$d"; return 0; }
  sb_die "PostgreSQL server programs (pg_ctl) not found: install postgresql"
}

# Runs a command as the user that owns the cluster: `postgres` when we are root (PostgreSQL
# refuses to run as root), else ourselves. Runs from / so the user never needs our cwd.
sb_pg_run() {
  if [ "$(id -u)" -eq 0 ]; then
    local runuser
    runuser="$(command -v runuser || echo /usr/sbin/runuser)"
    (cd / && "$runuser" -u "$SB_PG_USER_OS" -- "$@") 9>&-
  else
    (cd / && "$@") 9>&-
  fi
}

# Prints the data directory: the private one named in pgdata.path, else SB_VAR/pg.
sb_pg_datadir() {
  if [ -f "$SB_VAR/pgdata.path" ]; then
    head -n 1 "$SB_VAR/pgdata.path"
  else
    echo "$SB_VAR/pg"
  fi
}

# Creates an empty data directory the server user can use and prints it: SB_VAR/pg when that
# user can write there, else a private mktemp folder recorded in SB_VAR/pgdata.path.
sb_pg_make_datadir() {
  local dir="$SB_VAR/pg"
  rm -f "$SB_VAR/pgdata.path"
  if [ "$(id -u)" -ne 0 ]; then
    if ! { mkdir -p "$dir" && chmod 700 "$dir"; }; then sb_die "cannot create $dir"; fi
    echo "$dir"
    return 0
  fi
  id "$SB_PG_USER_OS" >/dev/null 2>&1 || sb_die "system user $SB_PG_USER_OS missing (install postgresql)"
  if ! { mkdir -p "$dir" && chown "$SB_PG_USER_OS:" "$dir" && chmod 700 "$dir"; }; then
    sb_die "cannot create $dir"
  fi
  if sb_pg_run test -w "$dir"; then
    echo "$dir"
    return 0
  fi
  # The server user cannot reach the checkout (e.g. a private home or CI folder): hand it a
  # private folder of its own instead.
  rmdir "$dir" 2>/dev/null || true
  dir="$(mktemp -d /tmp/switchboard-pg.XXXXXX)" || sb_die "mktemp failed"
  if ! { chown "$SB_PG_USER_OS:" "$dir" && chmod 700 "$dir"; }; then
    sb_die "cannot hand $dir to $SB_PG_USER_OS"
  fi
  sb_pg_run test -w "$dir" || sb_die "$SB_PG_USER_OS cannot write $dir"
  echo "$dir" >"$SB_VAR/pgdata.path"
  sb_say "PostgreSQL data in $dir ($SB_PG_USER_OS cannot enter $SB_VAR)"
  echo "$dir"
}

# Prints the port configured in data directory $1 (empty when none).
sb_pg_conf_port() {
  [ -f "$1/switchboard.conf" ] || return 0
  sed -n "s/^port = \\([0-9]*\\)\$/\\1/p" "$1/switchboard.conf" | tail -n 1
}

# Writes the cluster's settings and access rules into data directory $1 for port $2.
sb_pg_configure() {
  local data="$1" port="$2"
  sb_pg_run tee "$data/switchboard.conf" >/dev/null <<EOF || sb_die "cannot write $data/switchboard.conf"
# Written by deploy/local/up: the local development cluster (rewritten on every start).
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
# A peak's working set stays in memory: with 256MB a 150,000-message peak (a 1 GB database)
# had backends evicting and writing pages themselves, and classify's cost per message doubled.
shared_buffers = 2GB
wal_level = minimal
max_wal_senders = 0
# A peak writes ~13 kB of WAL per message: at the 1GB default a 150,000-message peak forced three
# checkpoints, each followed by a storm of full-page images (~550 MB of them).
max_wal_size = 3GB
checkpoint_timeout = 15min
EOF
  # Local development only: loopback-only listener, demo data, no passwords ("trust").
  # Never copy this to a machine that other people can log in to.
  sb_pg_run tee "$data/pg_hba.conf" >/dev/null <<'EOF' || sb_die "cannot write $data/pg_hba.conf"
# Written by deploy/local/up. LOCAL DEVELOPMENT ONLY: trust on 127.0.0.1, nothing else.
host    all    all    127.0.0.1/32    trust
EOF
  if ! grep -q "^include_if_exists = 'switchboard.conf'" "$data/postgresql.conf"; then
    printf "\ninclude_if_exists = 'switchboard.conf'\n" |
      sb_pg_run tee -a "$data/postgresql.conf" >/dev/null || sb_die "cannot edit postgresql.conf"
  fi
}

# Succeeds when the cluster in data directory $1 is running.
sb_pg_running() {
  [ -f "$1/PG_VERSION" ] || return 1
  sb_pg_run "$(sb_pg_bindir)/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# Prints the postmaster pid of data directory $1 (empty when none).
sb_pg_pid() {
  [ -f "$1/postmaster.pid" ] && head -n 1 "$1/postmaster.pid"
  return 0
}

# Runs SQL as the superuser on 127.0.0.1:$1 and prints the unaligned result.
sb_pg_sql() {
  PGCONNECT_TIMEOUT=5 "$(sb_pg_bindir)/psql" -X -q -tA -v ON_ERROR_STOP=1 \
    "postgresql://postgres@127.0.0.1:$1/postgres" -c "$2"
}

# Initialises (once), configures and starts PostgreSQL, creates the switchboard role and
# database; sets SB_PG_PORT. Idempotent: a running healthy cluster is left alone.
sb_pg_up() {
  local bindir data port
  bindir="$(sb_pg_bindir)"
  data="$(sb_pg_datadir)"
  if [ -f "$SB_VAR/pgdata.path" ] && [ ! -f "$data/PG_VERSION" ]; then
    sb_say "private data directory $data is gone (temp folder cleaned?): initialising a new one"
    rm -f "$SB_VAR/pgdata.path"
    data="$SB_VAR/pg"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    if [ -d "$data" ] && [ -n "$(ls -A "$data" 2>/dev/null)" ]; then
      sb_die "$data is not empty and not a PostgreSQL data directory: remove it or run down --purge"
    fi
    [ -d "$data" ] && rmdir "$data"
    data="$(sb_pg_make_datadir)"
    sb_say "initdb $data"
    sb_pg_run "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale \
      >>"$SB_LOGDIR/initdb.log" 2>&1 || { sb_log_tail "$SB_LOGDIR/initdb.log"; sb_die "initdb failed"; }
  fi
  ln -sfn "$data/server.log" "$SB_LOGDIR/postgres.log"

  port="$(sb_pg_conf_port "$data")"
  if sb_pg_running "$data"; then
    [ -n "$port" ] || sb_die "PostgreSQL runs in $data but switchboard.conf has no port"
    sb_take_port "$port"
    sb_say "PostgreSQL already running on 127.0.0.1:$port"
  else
    if [ -z "$port" ] || sb_port_busy "$port"; then
      [ -n "$port" ] && sb_say "port $port is taken by something else: moving PostgreSQL"
      sb_free_port "$SB_PG_DEFAULT_PORT"
      port="$SB_FREE_PORT"
    else
      sb_take_port "$port"
    fi
    sb_pg_configure "$data" "$port"
    sb_say "starting PostgreSQL on 127.0.0.1:$port"
    if ! sb_pg_run "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 -s start; then
      sb_log_tail "$SB_LOGDIR/postgres.log"
      sb_die "PostgreSQL did not start"
    fi
  fi
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 || sb_die "PostgreSQL on port $port is not ready"

  if [ "$(sb_pg_sql "$port" "SELECT count(*) FROM pg_roles WHERE rolname = 'switchboard'")" = 0 ]; then
    sb_pg_sql "$port" "CREATE ROLE switchboard LOGIN" >/dev/null || sb_die "cannot create role switchboard"
  fi
  if [ "$(sb_pg_sql "$port" "SELECT count(*) FROM pg_database WHERE datname = 'switchboard'")" = 0 ]; then
    sb_pg_sql "$port" "CREATE DATABASE switchboard OWNER switchboard" >/dev/null ||
      sb_die "cannot create database switchboard"
  fi
  # shellcheck disable=SC2034 # read by up
  SB_PG_PORT="$port"
}

# Stops PostgreSQL (fast shutdown) when it runs; safe when there is nothing.
sb_pg_down() {
  local data
  data="$(sb_pg_datadir)"
  sb_pg_running "$data" || return 0
  sb_say "stopping PostgreSQL (pid $(sb_pg_pid "$data"))"
  sb_pg_run "$(sb_pg_bindir)/pg_ctl" -D "$data" -m fast -w -t 60 -s stop ||
    sb_die "pg_ctl stop failed for $data"
}

# ---------------------------------------------------------------------------------------------
# Broker

# Prints the running broker's address; fails when it is not running and reachable.
sb_broker_addr() {
  local addr
  sb_pid_alive "$SB_RUN/devbroker.pid" sb-devbroker >/dev/null || return 1
  [ -f "$SB_RUN/broker.addr" ] || return 1
  addr="$(head -n 1 "$SB_RUN/broker.addr")"
  [ -n "$addr" ] && sb_tcp_ok "$addr" || return 1
  echo "$addr"
}

# Starts sb-devbroker unless it already runs; sets SB_BROKER_ADDR.
sb_broker_up() {
  local bin="$SB_BUILD/tools/devbroker/sb-devbroker" pid i
  if SB_BROKER_ADDR="$(sb_broker_addr)"; then
    sb_say "broker already running at $SB_BROKER_ADDR"
    return 0
  fi
  # Alive but refusing connections: most likely set down on purpose (SIGUSR1, a resilience
  # test); keep it and its address rather than replacing it.
  if sb_pid_alive "$SB_RUN/devbroker.pid" sb-devbroker >/dev/null && [ -s "$SB_RUN/broker.addr" ]; then
    SB_BROKER_ADDR="$(head -n 1 "$SB_RUN/broker.addr")"
    sb_say "broker at $SB_BROKER_ADDR runs but refuses connections (set down? SIGUSR2 brings it up)"
    return 0
  fi
  [ -x "$bin" ] || sb_die "broker not built: $bin is missing (build the repo, or set SB_BUILD)"
  sb_stop_pids devbroker="$SB_RUN/devbroker.pid"
  rm -f "$SB_RUN/broker.addr"
  sb_spawn "$SB_RUN/devbroker.pid" "$SB_LOGDIR/devbroker.log" \
    "$bin" --bootstrap-file "$SB_RUN/broker.addr"
  pid="$(cat "$SB_RUN/devbroker.pid")"
  for ((i = 0; i < 150; i++)); do
    [ -s "$SB_RUN/broker.addr" ] && break
    sb_pid_is_running "$pid" || break
    sleep 0.1
  done
  if ! SB_BROKER_ADDR="$(sb_broker_addr)"; then
    sb_log_tail "$SB_LOGDIR/devbroker.log"
    sb_die "broker did not start"
  fi
  sb_say "broker started at $SB_BROKER_ADDR (pid $pid)"
}

# ---------------------------------------------------------------------------------------------
# Services

# Prints the default HTTP port of service $1.
sb_default_port() {
  case "$1" in
    desk) echo 8080 ;; ingest) echo 8081 ;; survey) echo 8082 ;; analytics) echo 8083 ;;
    classify) echo 8084 ;; dispatch) echo 8085 ;; sla) echo 8086 ;;
    *) sb_die "unknown service '$1' (one of: $SB_ALL_SERVICES)" ;;
  esac
}

# Prints the local.env variable holding instance $1's URL (SB_INGEST_URL, SB_CLASSIFY_2_URL, ...).
sb_url_var() {
  echo "SB_$(echo "$1" | tr '[:lower:]-' '[:upper:]_')_URL"
}

# Prints how many replicas of service $1 the stack runs: SB_<NAME>_REPLICAS (1..8), else 2 for
# classify and 1 for the others. Classify spends about half of each batch waiting for
# PostgreSQL and the broker; on a small box a second replica (a member of the same consumer
# group, with its own partitions) works in those waits. tests/bench/peak measured it.
sb_replicas() {
  local var n
  var="SB_$(echo "$1" | tr '[:lower:]' '[:upper:]')_REPLICAS"
  n="${!var:-}"
  [ -n "$n" ] || { [ "$1" = classify ] && n=2 || n=1; }
  case "$n" in [1-8]) echo "$n" ;; *) sb_die "$var must be 1 to 8, got '$n'" ;; esac
}

# Dies unless every SB_<NAME>_REPLICAS set is valid (sb_replicas, called inside $(...), cannot
# stop the script itself).
sb_check_replicas() {
  local name
  for name in $SB_ALL_SERVICES; do
    sb_replicas "$name" >/dev/null
  done
}

# Prints the instances of service $1, one per replica: the service's own name, then
# <name>-2 ... <name>-N. Each has its pid file, log and URL (SB_CLASSIFY_2_URL).
sb_instances() {
  local i n
  n="$(sb_replicas "$1")"
  echo "$1"
  for ((i = 2; i <= n; i++)); do
    echo "$1-$i"
  done
}

# Prints the service of instance $1 (classify-2 -> classify).
sb_instance_service() {
  echo "${1%%-*}"
}

# Prints the pid files of every instance of service $1 there are, running or not, wanted or
# not (a replica left from a run with more replicas included).
sb_instance_pidfiles() {
  local f
  for f in "$SB_RUN/$1.pid" "$SB_RUN/$1"-[0-9]*.pid; do
    [ -e "$f" ] && echo "$f"
  done
  return 0
}

# Fails (exit 1) unless $1 is one of the seven services.
sb_check_service_name() {
  case " $SB_ALL_SERVICES " in *" $1 "*) ;; *) sb_die "unknown service '$1' (one of: $SB_ALL_SERVICES)" ;; esac
}

# Prints the path of the binary of service (or instance) $1.
sb_service_bin() {
  local svc
  svc="$(sb_instance_service "$1")"
  echo "$SB_BUILD/services/$svc/sb-$svc"
}

# Prints instance $1's port as recorded in local.env (empty when not recorded).
sb_service_port() {
  local url
  url="$(sb_env_get "$(sb_url_var "$1")")"
  [ -n "$url" ] && sb_port_of "$url"
  return 0
}

# Prints the pid of instance $1 (a service's first instance has the service's name) when it runs.
sb_service_pid() {
  sb_pid_alive "$SB_RUN/$1.pid" "sb-$(sb_instance_service "$1")"
}

# Waits up to 10 s for port $2 of service $1 to be free. A killed service's listening socket
# lives until its last thread has exited, a moment after its main thread is a zombie; a new
# one started before could not listen. Dies naming the port when something keeps it.
sb_wait_port_free() {
  local i
  for ((i = 0; i < 100; i++)); do
    sb_port_busy "$2" || return 0
    sleep 0.1
  done
  sb_die "port $2 of $1 is still in use by another program (ss -tlnp 'sport = :$2' shows which)"
}

# Starts every instance of service $1 that does not run, and stops the replicas beyond its
# count.
sb_service_start() {
  local inst f wanted surplus=() files=() seen=()
  for inst in $(sb_instances "$1"); do
    sb_instance_start "$inst"
  done
  wanted=" $(sb_instances "$1" | tr '\n' ' ')"
  mapfile -t files < <(sb_instance_pidfiles "$1")
  for f in "${files[@]}"; do
    inst="$(basename "$f" .pid)"
    case "$wanted" in *" $inst "*) ;; *) surplus+=("sb-$1=$f") ;; esac
  done
  [ "${#surplus[@]}" -eq 0 ] && return 0
  for inst in $wanted; do
    seen+=("$inst=$(sb_instance_assignments "$inst")")
  done
  sb_stop_pids "${surplus[@]}"
  sb_wait_regrouped "${seen[@]}"
}

# Prints the assignments instance $1's consumers have received so far (the sum of /readyz's
# "assignments"), empty when it does not answer or does not count them (an older build).
sb_instance_assignments() {
  local body
  body="$(curl -sS --max-time 2 "http://127.0.0.1:$(sb_service_port "$1")/readyz" 2>/dev/null)" ||
    return 0
  { grep -o '"assignments":[0-9]*' <<<"$body" || true; } | awk -F: '{n += $2} END {if (NR) print n}'
}

# After replicas left a group: waits (SB_HEALTH_TIMEOUT) until each remaining instance, given as
# <instance>=<assignments before>, has been assigned again. A member that leaves makes the group
# rebalance, but the others only notice at their next heartbeat: until then they still answer
# /readyz with their old share, and a wait for readiness alone would return too early.
sb_wait_regrouped() {
  local pair inst before now deadline=$(($(date +%s) + SB_HEALTH_TIMEOUT))
  for pair in "$@"; do
    inst="${pair%%=*}" before="${pair#*=}"
    [ -n "$before" ] || continue
    while now="$(sb_instance_assignments "$inst")"; [ "${now:-0}" -le "$before" ]; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        sb_say "$inst was not assigned again within ${SB_HEALTH_TIMEOUT}s (assignments: $before)"
        break
      fi
      sleep 0.2
    done
  done
}

# Starts instance $1 in the background with local.env's environment, unless it already runs.
sb_instance_start() {
  local name="$1" bin port
  bin="$(sb_service_bin "$name")"
  if sb_service_pid "$name" >/dev/null; then
    return 0
  fi
  [ -x "$bin" ] || sb_die "service $name not built: $bin is missing"
  [ -f "$SB_ENV_FILE" ] || sb_die "$SB_ENV_FILE missing (run deploy/local/up)"
  port="$(sb_service_port "$name")"
  [ -n "$port" ] || sb_die "no port for $name in $SB_ENV_FILE (run deploy/local/up)"
  sb_wait_port_free "$name" "$port"
  # shellcheck disable=SC1090 # local.env is written by up
  (
    set -a
    . "$SB_ENV_FILE"
    set +a
    export SB_HTTP_ADDR="127.0.0.1:$port" SB_LOG_LEVEL SB_SQL_DIR
    # SB_SERVICE_WRAP: a command prefix for the services named in SB_WRAP_SERVICES (all when
    # unset), e.g. valgrind; word-split on purpose.
    local wrap=()
    if [ -n "${SB_SERVICE_WRAP:-}" ] && { [ -z "${SB_WRAP_SERVICES:-}" ] ||
        [[ " ${SB_WRAP_SERVICES//,/ } " == *" $(sb_instance_service "$name") "* ]]; }; then
      read -r -a wrap <<<"$SB_SERVICE_WRAP"
    fi
    sb_spawn "$SB_RUN/$name.pid" "$SB_LOGDIR/$name.log" "${wrap[@]}" "$bin"
  )
  sb_say "started $name (pid $(cat "$SB_RUN/$name.pid"), http://127.0.0.1:$port)"
}

# Stops every instance of service $1 (SIGTERM, then SIGKILL after 10 s).
sb_service_stop() {
  local f specs=() files=()
  mapfile -t files < <(sb_instance_pidfiles "$1")
  for f in "${files[@]}"; do
    specs+=("sb-$1=$f")
  done
  [ "${#specs[@]}" -eq 0 ] || sb_stop_pids "${specs[@]}"
}

# Waits (SB_HEALTH_TIMEOUT seconds in all) until every instance of the named services answers
# GET $1 with a 2xx: /healthz (the process works) or /readyz (its consumers hold their share of
# their groups); says "<instance> $2" for each. On a failure prints that instance's log tail (and
# for /readyz its last answer) and exits 1. Usage: sb_services_wait PATH WORD NAME...
sb_services_wait() {
  local path="$1" word="$2" deadline name inst port pending=""
  shift 2
  deadline=$(($(date +%s) + SB_HEALTH_TIMEOUT))
  for name in "$@"; do
    for inst in $(sb_instances "$name"); do
      pending="${pending:+$pending }$inst"
    done
  done
  while [ -n "$pending" ]; do
    local still=""
    for name in $pending; do
      port="$(sb_service_port "$name")"
      if ! sb_service_pid "$name" >/dev/null; then
        sb_log_tail "$SB_LOGDIR/$name.log"
        sb_die "service $name exited during start-up (log: $SB_LOGDIR/$name.log)"
      fi
      if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port$path" 2>/dev/null; then
        sb_say "$name $word"
      else
        still="$still $name"
      fi
    done
    pending="${still# }"
    [ -z "$pending" ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      for name in $pending; do
        sb_log_tail "$SB_LOGDIR/$name.log"
        [ "$path" = /healthz ] ||
          echo "$name: $(curl -sS --max-time 2 "http://127.0.0.1:$(sb_service_port "$name")$path" 2>&1)" >&2
      done
      sb_die "not $word within ${SB_HEALTH_TIMEOUT}s: $pending"
    fi
    sleep 0.2
  done
}

# Every instance of the named services answers /healthz.
sb_services_wait_healthy() {
  sb_services_wait /healthz healthy "$@"
}

# Every instance of the named services consumes: each of its consumers holds its share of its
# group. A group that gains a member rebalances, and the local broker's rebalance lasts up to
# its session timeout, during which the group reads nothing; a stack is not up until that is
# over, or its first seconds of traffic wait on it.
sb_services_wait_ready() {
  sb_services_wait /readyz ready "$@"
}

# Waits until $3 messages whose external_id is LIKE $2 are assigned tickets (or $4 seconds
# pass), printing progress; fails when some never were. Usage: sb_wait_dispatched DSN LIKE N SECS
sb_wait_dispatched() {
  local dsn="$1" like="$2" want="$3" secs="$4" got=0 last=-1 start=$SECONDS
  while [ $((SECONDS - start)) -le "$secs" ]; do
    got=$(psql "$dsn" -X -At -v like="$like" <<'SQL'
SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id
 WHERE m.external_id LIKE :'like' AND t.dispatched_at IS NOT NULL;
SQL
)
    if [ "$got" != "$last" ]; then
      sb_say "dispatched $got of $want (assigned, or queued for a full department)"
      last=$got
    fi
    [ "$got" -ge "$want" ] && return 0
    sleep 1
  done
  sb_say "only $got of $want messages became dispatched tickets within ${secs}s"
  return 1
}
