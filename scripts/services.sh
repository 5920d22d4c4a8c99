#!/usr/bin/env bash
# Servers for sdg's integration tests and load tests, on loopback only:
#   PostgreSQL 15 (Debian package), Redis (speaks Dragonfly's protocol), and
#   tansu, a Kafka-protocol broker (crates.io, in-memory storage).
#
#   scripts/services.sh up       install what is missing, start what is not running
#   scripts/services.sh down     stop what this script started
#   scripts/services.sh status   one line per server
#   scripts/services.sh stop|start postgres|redis|kafka   one server (tests use it for outages)
#   scripts/services.sh freeze|thaw kafka   SIGSTOP/SIGCONT the broker: it stops answering but keeps
#                                           its in-memory topics (a restart of tansu's memory:// storage loses them)
#   scripts/services.sh env      the environment the tests read (eval "$(scripts/services.sh env)")
#
# Starting is idempotent: a server already listening on its port is left alone.
set -euo pipefail

PG_PORT="${SDG_PG_PORT:-5432}"
REDIS_PORT="${SDG_REDIS_PORT:-6379}"
KAFKA_PORT="${SDG_KAFKA_PORT:-9092}"
RUN_DIR="${SDG_SERVICES_DIR:-${TMPDIR:-/tmp}/sdg-services}"
PG_PASSWORD="${SDG_PG_PASSWORD:-postgres}"
mkdir -p "$RUN_DIR"

log() { printf 'services: %s\n' "$*" >&2; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name seconds
  for _ in $(seq 1 $(( $3 * 10 ))); do
    listening "$1" && return 0
    sleep 0.1
  done
  log "$2 did not start listening on 127.0.0.1:$1 within $3 s"
  return 1
}

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

postgres_up() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
    log "installing PostgreSQL"
    apt_install postgresql
  fi
  if ! listening "$PG_PORT"; then
    local version
    version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
    pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$version main$" || pg_createcluster "$version" main >&2
    log "starting PostgreSQL $version"
    pg_ctlcluster "$version" main start >&2
    wait_port "$PG_PORT" PostgreSQL 30
  fi
  # Tests connect over TCP as postgres with a password.
  su postgres -c "psql -qtA -p $PG_PORT -c \"ALTER USER postgres PASSWORD '$PG_PASSWORD'\"" >/dev/null
}

redis_up() {
  command -v redis-server >/dev/null 2>&1 || { log "installing redis-server"; apt_install redis-server redis-tools; }
  if ! listening "$REDIS_PORT"; then
    log "starting Redis"
    # Append-only persistence, so a test that restarts the server finds its data again.
    mkdir -p "$RUN_DIR/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save '' \
      --appendonly yes --appendfsync everysec --dir "$RUN_DIR/redis" \
      --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" >&2
    wait_port "$REDIS_PORT" Redis 15
  fi
  # Ready means answering PING (not LOADING its append-only file).
  for _ in $(seq 1 150); do
    [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  log "Redis is not answering PING on 127.0.0.1:$REDIS_PORT"
  return 1
}

kafka_up() {
  local tansu="${CARGO_HOME:-$HOME/.cargo}/bin/tansu"
  if [ ! -x "$tansu" ]; then
    log "installing tansu (a Kafka-protocol broker) from crates.io: about 12 minutes on 2 cores, once"
    cargo install tansu --locked --features dynostore >&2
  fi
  if ! listening "$KAFKA_PORT"; then
    log "starting tansu"
    nohup "$tansu" broker \
      --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
      --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
      --storage-engine memory://tansu/ >"$RUN_DIR/tansu.log" 2>&1 &
    echo $! >"$RUN_DIR/tansu.pid"
    wait_port "$KAFKA_PORT" tansu 30
  fi
}

stop_pidfile() {
  local f="$RUN_DIR/$1.pid"
  if [ -f "$f" ]; then
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  fi
}

status_line() {
  if listening "$2"; then echo "$1: up (127.0.0.1:$2)"; else echo "$1: down"; fi
}

case "${1:-}" in
  up)
    postgres_up
    redis_up
    kafka_up
    "$0" status
    ;;
  down)
    stop_pidfile tansu
    if [ -f "$RUN_DIR/redis.pid" ]; then redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || stop_pidfile redis; rm -f "$RUN_DIR/redis.pid"; fi
    for v in $(ls /usr/lib/postgresql 2>/dev/null); do pg_ctlcluster "$v" main stop 2>/dev/null || true; done
    "$0" status
    ;;
  stop)
    case "${2:-}" in
      postgres) for v in $(ls /usr/lib/postgresql 2>/dev/null); do pg_ctlcluster "$v" main stop 2>/dev/null || true; done ;;
      redis) redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || stop_pidfile redis; rm -f "$RUN_DIR/redis.pid" ;;
      kafka) stop_pidfile tansu ;;
      *) log "stop what? postgres, redis or kafka"; exit 2 ;;
    esac
    for _ in $(seq 1 50); do
      case "${2}" in postgres) p=$PG_PORT ;; redis) p=$REDIS_PORT ;; kafka) p=$KAFKA_PORT ;; esac
      listening "$p" || break
      sleep 0.1
    done
    ;;
  freeze|thaw)
    [ "${2:-}" = kafka ] || { log "only kafka can be frozen"; exit 2; }
    [ -f "$RUN_DIR/tansu.pid" ] || { log "tansu was not started by this script"; exit 1; }
    if [ "$1" = freeze ]; then kill -STOP "$(cat "$RUN_DIR/tansu.pid")"; else kill -CONT "$(cat "$RUN_DIR/tansu.pid")"; fi
    ;;
  start)
    case "${2:-}" in
      postgres) postgres_up ;;
      redis) redis_up ;;
      kafka) kafka_up ;;
      *) log "start what? postgres, redis or kafka"; exit 2 ;;
    esac
    ;;
  status)
    status_line postgres "$PG_PORT"
    status_line redis "$REDIS_PORT"
    status_line kafka "$KAFKA_PORT"
    ;;
  env)
    echo "export SDG_TEST_POSTGRES_URL=postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
    echo "export SDG_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
    echo "export SDG_TEST_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
    echo "export SDG_SERVICES=$(cd "$(dirname "$0")" && pwd)/services.sh"
    ;;
  *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
