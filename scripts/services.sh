#!/usr/bin/env bash
# Local services for nest-at-scale on 127.0.0.1: a PostgreSQL 15 primary, one
# streaming replica (physical slot "replica1") and Redis.
#
# Used by `npm start`, the Jest global setup, the fault tests and CI, so it must
# be idempotent, fast (~2 s cold), leave no process behind, and let several
# stacks (one per --dir) run side by side.
#
#   services.sh up      [--dir DIR]   start whatever is not running; print the env
#   services.sh down    [--dir DIR] [--purge]   stop everything (--purge: delete data)
#   services.sh status  [--dir DIR]   exit 0 if all three run, else 3
#   services.sh env     [--dir DIR]   print DIR/env (exit 1 if the stack is not up)
#   services.sh stop-replica [--mode fast|immediate] | start-replica
#   services.sh pause-replica (SIGSTOP, every replica process: a hung host) | resume-replica (SIGCONT)
#   services.sh pause-primary | resume-primary (the same for the primary)
#   services.sh stop-primary [--mode fast|immediate] | start-primary
#   services.sh stop-redis (SIGKILL) | start-redis | pause-redis (SIGSTOP) | resume-redis (SIGCONT)
#   services.sh psql primary|replica [psql args...]
#
# stdout carries only machine-readable output (the env lines, status, psql);
# progress and errors go to stderr.
set -Eeuo pipefail  # -E: the ERR trap below also reports failures inside functions

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
readonly SLOT=replica1
readonly DB_NAME=app
readonly PG_SUPERUSER=postgres
# Preferred ports for the developer's default stack, so URLs stay memorable.
readonly DEFAULT_PORTS=(54320 54321 63790)
readonly SOCKET_PATH_MAX=107

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }
# set -e exits silently; say which command failed.
on_error() { printf 'services: error: "%s" failed (line %s, exit %s)\n' "$BASH_COMMAND" "$1" "$2" >&2; }
trap 'on_error "$LINENO" "$?"' ERR

# ---------------------------------------------------------------- arguments

usage() {
  sed -n '2,/^set -E/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

COMMAND=""
DIR="$REPO_ROOT/.local/services"
PURGE=0
STOP_MODE=fast
PSQL_TARGET=""
PSQL_ARGS=()

parse_args() {
  while (($#)); do
    # After `psql <target>`, leading --dir options are still ours (psql has
    # none of that name); everything from the first other argument is psql's.
    if [[ $COMMAND == psql && -n $PSQL_TARGET && $1 != --dir && $1 != --dir=* ]]; then
      PSQL_ARGS=("$@")
      return
    fi
    case $1 in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; DIR=$2; shift ;;
      --dir=*) DIR=${1#--dir=} ;;
      --purge) PURGE=1 ;;
      --mode) [[ $# -ge 2 ]] || die "--mode needs a value"; STOP_MODE=$2; shift ;;
      --mode=*) STOP_MODE=${1#--mode=} ;;
      -h | --help) usage ;;
      *)
        if [[ -z $COMMAND ]]; then COMMAND=$1
        elif [[ $COMMAND == psql ]]; then PSQL_TARGET=$1
        else die "unexpected argument '$1' (try --help)"; fi ;;
    esac
    shift
  done
  [[ -n $COMMAND ]] || usage
  [[ $STOP_MODE == fast || $STOP_MODE == immediate ]] || die "--mode must be fast or immediate"
}

# ---------------------------------------------------------------- layout
#
# DIR/ports         ports chosen at first start; reused so restarts keep the same URLs
# DIR/env           written by `up`, removed by `down`
# DIR/redis/        pidfile, log, working dir of redis-server
# DIR/pg/           owned by the Postgres OS user: primary/ replica/ *.log *.ready sock/
#                   (a symlink into /tmp when that user cannot reach DIR, see ensure_pg_root)

init_paths() {
  DIR=$(realpath -m "$DIR")
  DEFAULT_DIR=$(realpath -m "$REPO_ROOT/.local/services")
  # Per-stack name for anything that must live in the system temp dir.
  TMP_BASE="/tmp/nest-at-scale-$(printf '%s' "$DIR" | sha1sum | cut -c1-10)"
  PORTS_FILE=$DIR/ports
  ENV_FILE=$DIR/env
  REDIS_DIR=$DIR/redis
  REDIS_PIDFILE=$REDIS_DIR/redis.pid
  PG_LINK=$DIR/pg
  if [[ -L $PG_LINK ]]; then set_pg_root "$(readlink "$PG_LINK")"; else set_pg_root "$PG_LINK"; fi
}

# Postgres tools get the real path: when DIR/pg is a symlink into /tmp, the
# link itself sits where the Postgres OS user cannot go.
set_pg_root() {
  PG_ROOT=$1
  PRIMARY_DATA=$PG_ROOT/primary
  REPLICA_DATA=$PG_ROOT/replica
}

# ---------------------------------------------------------------- prerequisites

find_pg_bindir() {
  local dir=${PG_BINDIR:-}
  if [[ -z $dir ]] && command -v pg_config >/dev/null; then dir=$(pg_config --bindir); fi
  [[ -x $dir/initdb ]] || dir=/usr/lib/postgresql/15/bin
  [[ -x $dir/initdb ]] ||
    die "PostgreSQL 15 server binaries (initdb) not found: install them with 'apt-get install -y postgresql-15' or set PG_BINDIR"
  PG_BIN=$dir
}

ensure_redis_server() {
  command -v redis-server >/dev/null && return
  if ((EUID == 0)); then
    log "redis-server is missing: installing it with apt-get"
    apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server >&2
    # Debian's package starts a system-wide instance on 6379; ours run on their own ports.
  else
    echo "redis-server is missing: run 'sudo apt-get install -y redis-server'" >&2
    exit 1
  fi
}

# PostgreSQL refuses to run as root, so root hands the server tools to the
# `postgres` OS user; anyone else runs them as themselves.
as_pg() {
  if ((EUID == 0)); then
    # cd / so the tools never start in a directory that user cannot enter (e.g. /root).
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    "$@"
  fi
}

init_pg_user() {
  PG_OS_USER=$(id -un)
  if ((EUID == 0)); then
    PG_OS_USER=postgres
    id "$PG_OS_USER" >/dev/null 2>&1 ||
      die "running as root needs a '$PG_OS_USER' OS user for the database server (it comes with the postgresql-15 package)"
  fi
}

# Make a directory owned by the user that runs Postgres.
mkdir_pg() {
  mkdir -p "$@"
  if ((EUID == 0)); then chown "$PG_OS_USER:" "$@"; fi
}

# A /tmp directory we are about to use must be ours, not planted by someone else.
ensure_tmp_base() {
  [[ -d $TMP_BASE ]] || mkdir -m 0755 "$TMP_BASE"
  [[ -O $TMP_BASE && ! -L $TMP_BASE ]] || die "$TMP_BASE exists but is not owned by $(id -un)"
}

# The Postgres OS user must be able to enter every directory above its data
# (a checkout under a 0700 home is not). When it cannot, keep the data under
# /tmp and leave a symlink in DIR so `down --purge` and humans can find it.
ensure_pg_root() {
  if [[ -L $PG_LINK ]]; then
    # Earlier fallback: the /tmp target may have been cleaned since.
    ensure_tmp_base
    mkdir_pg "$PG_ROOT"
    return
  fi
  mkdir_pg "$PG_LINK"
  if ((EUID == 0)) && ! runuser -u "$PG_OS_USER" -- test -w "$PG_LINK" -a -x "$PG_LINK" 2>/dev/null; then
    rmdir "$PG_LINK"
    ensure_tmp_base
    set_pg_root "$TMP_BASE/pg"
    mkdir_pg "$PG_ROOT"
    ln -s "$PG_ROOT" "$PG_LINK"
    log "user $PG_OS_USER cannot reach $DIR: keeping Postgres data in $PG_ROOT"
  fi
  if ((EUID != 0)) && [[ -e $PRIMARY_DATA && ! -O $PRIMARY_DATA ]]; then
    die "$PRIMARY_DATA belongs to another user (created as root?): run 'down --purge' as that user first"
  fi
}

# Unix socket paths are limited to 107 bytes; Postgres appends "/.s.PGSQL.NNNNN".
socket_dir() {
  local dir=$PG_ROOT/sock
  if ((${#dir} + 16 > SOCKET_PATH_MAX)); then
    ensure_tmp_base
    dir=$TMP_BASE/sock
  fi
  mkdir_pg "$dir"
  printf '%s\n' "$dir"
}

# ---------------------------------------------------------------- ports

# Prints one free 127.0.0.1 port per argument: the argument itself when it can
# be bound (0 = no preference), else a random one. Random ports come from below
# the kernel's ephemeral range, so an outgoing connection cannot take the port
# while a server is briefly stopped by a fault test. All are held until the
# end so the answers are distinct.
pick_free_ports() {
  if command -v node >/dev/null; then
    node -e '
      const net = require("net"), fs = require("fs");
      let low = 32768;
      try { low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(/\s+/)[0]); } catch {}
      const held = [];
      const bind = (port) => new Promise((done) => {
        const server = net.createServer();
        server.once("error", () => done(0));
        server.listen({ port, host: "127.0.0.1", exclusive: true }, () => { held.push(server); done(server.address().port); });
      });
      (async () => {
        const ports = [];
        for (const wanted of process.argv.slice(1).map(Number)) {
          let port = wanted > 0 ? await bind(wanted) : 0;
          for (let i = 0; !port && i < 50 && low > 11000; i++) port = await bind(10000 + Math.floor(Math.random() * (low - 10000)));
          if (!port) port = await bind(0);
          ports.push(port);
        }
        held.forEach((s) => s.close());
        console.log(ports.join(" "));
      })();' "$@"
  elif command -v python3 >/dev/null; then
    python3 - "$@" <<'PY'
import random, socket, sys
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except OSError:
    low = 32768
held, ports = [], []
def bind(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); s.listen(1)
    except OSError:
        s.close(); return 0
    held.append(s); return s.getsockname()[1]
for wanted in map(int, sys.argv[1:]):
    port = bind(wanted) if wanted > 0 else 0
    for _ in range(50 if low > 11000 else 0):
        if port: break
        port = bind(random.randrange(10000, low))
    ports.append(port or bind(0))
print(*ports)
PY
  else
    die "need node or python3 to find free ports"
  fi
}

# Sets PG_PRIMARY_PORT, PG_REPLICA_PORT, REDIS_PORT and records them in DIR/ports.
choose_ports() {
  local fresh=$1
  if [[ $fresh == no && -f $PORTS_FILE ]]; then
    # The replica's primary_conninfo and both postgresql.conf files hold these
    # ports, so an existing data dir keeps them whatever the environment says.
    local env_primary=${PG_PRIMARY_PORT:-} env_replica=${PG_REPLICA_PORT:-} env_redis=${REDIS_PORT:-}
    # shellcheck source=/dev/null
    source "$PORTS_FILE"
    if [[ -n $env_primary$env_replica$env_redis &&
          "${env_primary:-$PG_PRIMARY_PORT} ${env_replica:-$PG_REPLICA_PORT} ${env_redis:-$REDIS_PORT}" != "$PG_PRIMARY_PORT $PG_REPLICA_PORT $REDIS_PORT" ]]; then
      log "ignoring port variables: $DIR already holds data for ports $PG_PRIMARY_PORT/$PG_REPLICA_PORT/$REDIS_PORT (use 'down --purge' to change them)"
    fi
    return
  fi
  local wanted=(0 0 0)
  [[ $DIR == "$DEFAULT_DIR" ]] && wanted=("${DEFAULT_PORTS[@]}")
  local picked=("${PG_PRIMARY_PORT:-}" "${PG_REPLICA_PORT:-}" "${REDIS_PORT:-}")
  if [[ -z ${PG_PRIMARY_PORT:-} || -z ${PG_REPLICA_PORT:-} || -z ${REDIS_PORT:-} ]]; then
    read -r -a picked <<<"$(pick_free_ports "${wanted[@]}")"
  fi
  PG_PRIMARY_PORT=${PG_PRIMARY_PORT:-${picked[0]:-}}
  PG_REPLICA_PORT=${PG_REPLICA_PORT:-${picked[1]:-}}
  REDIS_PORT=${REDIS_PORT:-${picked[2]:-}}
  local port
  for port in "$PG_PRIMARY_PORT" "$PG_REPLICA_PORT" "$REDIS_PORT"; do
    if [[ ! $port =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
      die "bad port '$port' (from PG_PRIMARY_PORT/PG_REPLICA_PORT/REDIS_PORT or the port picker)"
    fi
  done
  printf 'PG_PRIMARY_PORT=%s\nPG_REPLICA_PORT=%s\nREDIS_PORT=%s\n' \
    "$PG_PRIMARY_PORT" "$PG_REPLICA_PORT" "$REDIS_PORT" >"$PORTS_FILE"
}

load_ports() {
  [[ -f $PORTS_FILE ]] || die "no stack in $DIR: run 'services.sh up --dir $DIR' first"
  # shellcheck source=/dev/null
  source "$PORTS_FILE"
}

# ---------------------------------------------------------------- process checks

# Prints the state letter of a process (R, S, T = stopped, Z = zombie...).
pid_state() {
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat=${stat##*) }
  printf '%s\n' "${stat%% *}"
}

# A dead server lingers as a zombie until its parent reaps it, and daemons are
# reparented to PID 1, which in some containers/VMs reaps only every second or
# so: a zombie counts as gone.
pid_alive() {
  local state
  [[ $1 =~ ^[0-9]+$ ]] && state=$(pid_state "$1") && [[ $state != Z ]]
}

# True when PID is alive and is the program we expect (pids get reused).
pid_is() {
  local pid=$1 program=$2 comm
  pid_alive "$pid" || return 1
  { comm=$(<"/proc/$pid/comm"); } 2>/dev/null || return 1
  [[ $comm == "$program"* ]]
}

postmaster_pid() {
  local pidfile=$1/postmaster.pid pid
  [[ -f $pidfile ]] || return 1
  read -r pid <"$pidfile" || return 1
  pid_is "$pid" postgres && printf '%s\n' "$pid"
}

pg_running() { postmaster_pid "$1" >/dev/null; }

redis_pid() {
  local pid
  [[ -f $REDIS_PIDFILE ]] || return 1
  read -r pid <"$REDIS_PIDFILE" || return 1
  pid_is "$pid" redis-server && printf '%s\n' "$pid"
}

redis_running() { redis_pid >/dev/null; }

redis_paused() {
  local pid
  pid=$(redis_pid) || return 1
  [[ $(pid_state "$pid") == T ]]
}

# Speaks RESP over bash's /dev/tcp: no dependency on redis-cli, and `read -t`
# keeps a paused (SIGSTOPped) server from hanging us.
redis_ping() {
  local reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 1 reply <&3 || true
  exec 3<&- 3>&-
  [[ $reply == +PONG* ]]
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 1; }

# wait_until SECONDS DESCRIPTION COMMAND... : polls every 50 ms.
wait_until() {
  local seconds=$1 what=$2 tries
  shift 2
  for ((tries = seconds * 20; tries > 0; tries--)); do
    "$@" && return 0
    sleep 0.05
  done
  die "$what did not come up within ${seconds}s"
}

wait_gone() {
  local pid=$1 tries
  for ((tries = 200; tries > 0; tries--)); do
    pid_alive "$pid" || return 0
    sleep 0.05
  done
  return 1
}

# Runs a setup step quietly; shows its output only when it fails.
run_logged() {
  local what=$1 out
  shift
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" >&2
    die "$what failed"
  fi
}

show_log_tail() {
  if [[ -f $1 ]]; then tail -n 20 "$1" >&2; fi
}

# ---------------------------------------------------------------- postgres

pg_sql() {
  local port=$1
  shift
  "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d postgres "$@"
}

pg_start() {
  local data=$1 name=$2 port=$3
  pg_running "$data" && return
  log "starting $name on 127.0.0.1:$port"
  # 9>&-: the server must not inherit (and so hold forever) the lock on DIR.
  if ! as_pg "$PG_BIN/pg_ctl" start -s -w -t 60 -D "$data" -l "$PG_ROOT/$name.log" >&2 9>&-; then
    show_log_tail "$PG_ROOT/$name.log"
    die "$name did not start (log: $PG_ROOT/$name.log)"
  fi
}

pg_stop() {
  local data=$1 name=$2 mode=${3:-fast} pid
  pid=$(postmaster_pid "$data") || return 0
  log "stopping $name ($mode)"
  if ! as_pg "$PG_BIN/pg_ctl" stop -s -w -t 20 -m "$mode" -D "$data" >&2; then
    log "$name did not stop in time: stopping it immediately"
    as_pg "$PG_BIN/pg_ctl" stop -s -w -t 20 -m immediate -D "$data" >&2 || true
  fi
  wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; }
}

write_primary_config() {
  local sockdir
  sockdir=$(socket_dir)
  cat >"$PRIMARY_DATA/pg_hba.conf" <<'EOF'
# Local development/test stack: trust, and only over loopback.
local   all          all                 trust
local   replication  all                 trust
host    all          all   127.0.0.1/32  trust
host    replication  all   127.0.0.1/32  trust
EOF
  cat >>"$PRIMARY_DATA/postgresql.conf" <<EOF

# ---- nest-at-scale local stack (scripts/services.sh) ----
listen_addresses = '127.0.0.1'
port = $PG_PRIMARY_PORT
unix_socket_directories = '$sockdir'
max_connections = 200
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
# Keeps long replica reads in tests from being cancelled by vacuum on the primary.
hot_standby_feedback = on
# Local/test data only: trade crash safety for speed (throwaway data, no fsync waits).
fsync = off
full_page_writes = off
# synchronous_commit stays on: with fsync off it costs nothing, while "off"
# leaves commits for the WAL writer (every 200 ms), and the walsender ships only
# flushed WAL, so the replica would trail every write by ~200 ms.
synchronous_commit = on
EOF
}

# initdb plus CREATE DATABASE take ~1.5 s (most of a cold `up`) and give the
# same files every time, so a fresh cluster is made once per machine, Postgres
# build and OS user, kept in /tmp, and copied (~0.1 s) for every new stack.
# Changing the recipe below: bump TEMPLATE_RECIPE so old copies are not reused.
readonly TEMPLATE_RECIPE="v2 UTF8 C.UTF-8 trust wal-segsize=1 $PG_SUPERUSER $DB_NAME"

build_cluster() {
  local data=$1
  run_logged "initdb" as_pg "$PG_BIN/initdb" -D "$data" -U "$PG_SUPERUSER" \
    -E UTF8 --locale=C.UTF-8 --auth=trust --no-sync --no-instructions --wal-segsize=1
  # Single-user mode: no server, port or socket needed to create the database.
  run_logged "creating database $DB_NAME" as_pg "$PG_BIN/postgres" --single -D "$data" -F \
    -c exit_on_error=true postgres <<<"CREATE DATABASE $DB_NAME OWNER $PG_SUPERUSER"
}

# Prints the data dir of the shared template, building it if needed; prints
# nothing when the shared path is unusable (made by someone else).
template_cluster() {
  local key tpl building
  key=$(printf '%s %s' "$("$PG_BIN/postgres" --version)" "$TEMPLATE_RECIPE" | sha1sum | cut -c1-10)
  tpl=/tmp/nest-at-scale-pgtemplate-$PG_OS_USER-$key
  if [[ ! -e $tpl ]]; then
    log "initdb (one-time template in $tpl)"
    building=$(mktemp -d "$tpl.XXXXXX")
    chmod 0755 "$building"
    if ((EUID == 0)); then chown "$PG_OS_USER:" "$building"; fi
    build_cluster "$building/data"
    # rename(2) is atomic: a concurrent builder that lost the race drops its copy.
    mv -T "$building" "$tpl" 2>/dev/null || rm -rf "$building"
  fi
  [[ ! -L $tpl && -d $tpl/data && $(stat -c %U "$tpl") == "$PG_OS_USER" ]] && printf '%s\n' "$tpl/data"
}

create_primary() {
  local template
  # A half-made stack (interrupted earlier run) is rebuilt from scratch.
  rm -rf "$PRIMARY_DATA" "$REPLICA_DATA" "$PG_ROOT/primary.ready" "$PG_ROOT/replica.ready"
  if template=$(template_cluster); then
    as_pg cp -a "$template" "$PRIMARY_DATA"
  else
    log "initdb primary"
    build_cluster "$PRIMARY_DATA"
  fi
  write_primary_config
  pg_start "$PRIMARY_DATA" primary "$PG_PRIMARY_PORT"
  touch "$PG_ROOT/primary.ready"
}

create_replica() {
  log "pg_basebackup replica (slot $SLOT)"
  rm -rf "$REPLICA_DATA" "$PG_ROOT/replica.ready"
  # A slot left by a replica that was thrown away would make -C fail.
  pg_sql "$PG_PRIMARY_PORT" -c \
    "SELECT pg_drop_replication_slot('$SLOT') FROM pg_replication_slots WHERE slot_name = '$SLOT'" >/dev/null
  run_logged "pg_basebackup" as_pg "$PG_BIN/pg_basebackup" -D "$REPLICA_DATA" -R -X stream -C -S "$SLOT" \
    -h 127.0.0.1 -p "$PG_PRIMARY_PORT" -U "$PG_SUPERUSER" --checkpoint=fast --no-sync
  # The backup copied the primary's postgresql.conf; a later setting wins.
  printf '\n# replica\nport = %s\n' "$PG_REPLICA_PORT" >>"$REPLICA_DATA/postgresql.conf"
  touch "$PG_ROOT/replica.ready"
}

# ---------------------------------------------------------------- redis

redis_start() {
  if redis_paused; then
    log "resuming paused redis"
    kill -CONT "$(redis_pid)"
  fi
  redis_running && return
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$REDIS_DIR"
  rm -f "$REDIS_PIDFILE"
  # No persistence: the cache, throttle counters and queues are throwaway locally.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_DIR/redis.log" \
    --dir "$REDIS_DIR" >&2 9>&- || { show_log_tail "$REDIS_DIR/redis.log"; die "redis-server did not start"; }
  wait_until 10 "redis pidfile" redis_running
}

redis_stop() {
  local pid
  pid=$(redis_pid) || { rm -f "$REDIS_PIDFILE"; return 0; }
  log "stopping redis"
  # A paused server cannot act on SIGTERM; with --save '' SIGTERM exits without writing.
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" || true; }
  rm -f "$REDIS_PIDFILE"
}

# ---------------------------------------------------------------- env

print_env() {
  cat <<EOF
DATABASE_URL=postgres://$PG_SUPERUSER@127.0.0.1:$PG_PRIMARY_PORT/$DB_NAME
DATABASE_REPLICA_URLS=postgres://$PG_SUPERUSER@127.0.0.1:$PG_REPLICA_PORT/$DB_NAME
REDIS_URL=redis://127.0.0.1:$REDIS_PORT
PG_PRIMARY_PORT=$PG_PRIMARY_PORT
PG_REPLICA_PORT=$PG_REPLICA_PORT
REDIS_PORT=$REDIS_PORT
EOF
}

# ---------------------------------------------------------------- commands

# Concurrent runs on one DIR (parallel test setups, a developer's shell) queue up.
lock_dir() {
  exec 9>"$DIR/.lock"
  flock -w 120 9 || die "another services.sh is busy with $DIR"
}

cmd_up() {
  find_pg_bindir
  ensure_redis_server
  init_pg_user
  mkdir -p "$DIR"
  lock_dir
  ensure_pg_root

  local fresh=no
  [[ -f $PG_ROOT/primary.ready ]] || fresh=yes
  choose_ports "$fresh"

  if [[ $fresh == yes ]]; then create_primary; else pg_start "$PRIMARY_DATA" primary "$PG_PRIMARY_PORT"; fi
  [[ -f $PG_ROOT/replica.ready ]] || create_replica
  pg_start "$REPLICA_DATA" replica "$PG_REPLICA_PORT"
  redis_start

  wait_until 30 "primary on port $PG_PRIMARY_PORT" pg_ready "$PG_PRIMARY_PORT"
  wait_until 30 "replica on port $PG_REPLICA_PORT" pg_ready "$PG_REPLICA_PORT"
  wait_until 10 "redis on port $REDIS_PORT" redis_ping

  print_env >"$ENV_FILE"
  print_env
}

cmd_down() {
  if [[ ! -d $DIR ]]; then
    log "nothing in $DIR"
    if ((PURGE)); then rm -rf "$TMP_BASE"; fi
    return
  fi
  find_pg_bindir
  init_pg_user
  lock_dir
  pg_stop "$REPLICA_DATA" replica fast
  pg_stop "$PRIMARY_DATA" primary fast
  redis_stop
  rm -f "$ENV_FILE"
  if ((PURGE)); then
    log "removing $DIR"
    rm -rf "$DIR" "$TMP_BASE"
  fi
}

cmd_status() {
  local all=0 state
  PG_PRIMARY_PORT="" PG_REPLICA_PORT="" REDIS_PORT=""
  if [[ -f $PORTS_FILE ]]; then load_ports; fi
  if pg_running "$PRIMARY_DATA"; then state=running; else state=stopped; all=3; fi
  printf 'primary  %-8s 127.0.0.1:%s\n' "$state" "${PG_PRIMARY_PORT:--}"
  if pg_running "$REPLICA_DATA"; then state=running; else state=stopped; all=3; fi
  printf 'replica  %-8s 127.0.0.1:%s\n' "$state" "${PG_REPLICA_PORT:--}"
  if redis_paused; then state=paused; all=3
  elif redis_running; then state=running
  else state=stopped; all=3; fi
  printf 'redis    %-8s 127.0.0.1:%s\n' "$state" "${REDIS_PORT:--}"
  return "$all"
}

cmd_env() {
  if [[ ! -f $ENV_FILE ]] || ! pg_running "$PRIMARY_DATA"; then
    log "stack in $DIR is not up: run 'services.sh up --dir $DIR'"
    exit 1
  fi
  cat "$ENV_FILE"
}

cmd_stop_replica() {
  find_pg_bindir
  init_pg_user
  [[ -d $DIR ]] || die "no stack in $DIR"
  lock_dir
  pg_stop "$REPLICA_DATA" replica "$STOP_MODE"
}

cmd_start_replica() {
  find_pg_bindir
  init_pg_user
  load_ports
  lock_dir
  [[ -f $PG_ROOT/replica.ready ]] || die "no replica in $DIR: run 'services.sh up' first"
  pg_start "$REPLICA_DATA" replica "$PG_REPLICA_PORT"
  wait_until 30 "replica on port $PG_REPLICA_PORT" pg_ready "$PG_REPLICA_PORT"
}

cmd_stop_primary() {
  find_pg_bindir
  init_pg_user
  [[ -d $DIR ]] || die "no stack in $DIR"
  lock_dir
  pg_stop "$PRIMARY_DATA" primary "$STOP_MODE"
}

cmd_start_primary() {
  find_pg_bindir
  init_pg_user
  load_ports
  lock_dir
  pg_start "$PRIMARY_DATA" primary "$PG_PRIMARY_PORT"
  wait_until 30 "primary on port $PG_PRIMARY_PORT" pg_ready "$PG_PRIMARY_PORT"
}

cmd_stop_redis() {
  local pid
  pid=$(redis_pid) || { log "redis is not running"; return 0; }
  log "killing redis (SIGKILL)"
  kill -KILL "$pid"
  wait_gone "$pid" || die "redis pid $pid survived SIGKILL"
  rm -f "$REDIS_PIDFILE"
}

cmd_start_redis() {
  ensure_redis_server
  load_ports
  lock_dir
  redis_start
  wait_until 10 "redis on port $REDIS_PORT" redis_ping
}

cmd_signal_redis() {
  local signal=$1 pid
  pid=$(redis_pid) || die "redis is not running in $DIR"
  kill "-$signal" "$pid"
}

# A server's postmaster and every process it forked: a hung host answers nothing but keeps its sockets.
cmd_signal_pg() {
  local data=$1 name=$2 signal=$3 pid
  [[ -f $data/postmaster.pid ]] || die "the $name is not running in $DIR"
  pid=$(head -n 1 "$data/postmaster.pid")
  kill "-$signal" "$pid" $(pgrep -P "$pid")
}

cmd_psql() {
  local port
  find_pg_bindir
  load_ports
  case $PSQL_TARGET in
    primary) port=$PG_PRIMARY_PORT ;;
    replica) port=$PG_REPLICA_PORT ;;
    *) die "usage: services.sh psql primary|replica [psql args...]" ;;
  esac
  # Trust auth over loopback, so any OS user can connect as the postgres role.
  exec "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d "$DB_NAME" "${PSQL_ARGS[@]}"
}

main() {
  parse_args "$@"
  init_paths
  case $COMMAND in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status || exit "$?" ;; # exit 3 is an answer, not an error
    env) cmd_env ;;
    stop-primary) cmd_stop_primary ;;
    start-primary) cmd_start_primary ;;
    stop-replica) cmd_stop_replica ;;
    start-replica) cmd_start_replica ;;
    stop-redis) cmd_stop_redis ;;
    start-redis) cmd_start_redis ;;
    pause-redis) cmd_signal_redis STOP ;;
    resume-redis) cmd_signal_redis CONT ;;
    pause-replica) cmd_signal_pg "$REPLICA_DATA" replica STOP ;;
    resume-replica) cmd_signal_pg "$REPLICA_DATA" replica CONT ;;
    pause-primary) cmd_signal_pg "$PRIMARY_DATA" primary STOP ;;
    resume-primary) cmd_signal_pg "$PRIMARY_DATA" primary CONT ;;
    psql) cmd_psql ;;
    *) die "unknown command '$COMMAND' (try --help)" ;;
  esac
}

main "$@"
