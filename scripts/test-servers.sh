#!/usr/bin/env bash
# Starts or stops the PostgreSQL and Redis servers the tests use: on loopback, on free ports,
# in a temporary directory, nothing kept.
#   eval "$(scripts/test-servers.sh start DIR)"   prints CBCS_TEST_POSTGRES / CBCS_TEST_REDIS
#   scripts/test-servers.sh stop DIR
set -euo pipefail
cmd=${1:?usage: test-servers.sh start|stop DIR}
dir=${2:?usage: test-servers.sh start|stop DIR}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

as_owner() {  # PostgreSQL refuses to run as root: run it as the postgres user then
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
  start)
    [ -x "$pgbin/initdb" ] || { echo "test-servers: PostgreSQL is not installed (scripts/install-system-deps.sh)" >&2; exit 1; }
    command -v redis-server >/dev/null || { echo "test-servers: redis-server is not installed (scripts/install-system-deps.sh)" >&2; exit 1; }
    mkdir -p "$dir/pg" "$dir/redis"
    [ "$(id -u)" = 0 ] && chown postgres "$dir" "$dir/pg"
    pg_port=$(free_port)
    as_owner "$pgbin/initdb" -D "$dir/pg/data" -U cbcs -A trust -E UTF8 --no-sync >"$dir/pg/initdb.log" 2>&1 \
      || { cat "$dir/pg/initdb.log" >&2; exit 1; }
    as_owner "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories=$dir/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null \
      || { cat "$dir/pg/server.log" >&2; exit 1; }
    "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U cbcs cbcs
    redis_port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --save '' --appendonly no \
      --daemonize yes --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" >/dev/null
    for _ in $(seq 50); do
      redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    echo "export CBCS_TEST_POSTGRES=postgresql://cbcs@127.0.0.1:$pg_port/cbcs"
    echo "export CBCS_TEST_REDIS=redis://127.0.0.1:$redis_port/0"
    ;;
  stop)
    if [ -d "$dir/pg/data" ]; then
      as_owner "$pgbin/pg_ctl" -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/redis/redis.pid" ]; then
      kill "$(cat "$dir/redis/redis.pid")" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: test-servers.sh start|stop DIR" >&2; exit 2 ;;
esac
