#!/usr/bin/env bash
# Make sure the local PostgreSQL and Redis answer; start them if they are installed but down.
# Fails loudly (exit 1) when either cannot be reached: the services suite never skips.
set -uo pipefail

pg_host=${PGHOST:-127.0.0.1}
redis_host=${REDIS_HOST:-127.0.0.1}

wait_for() {  # name, command...: poll a readiness probe for up to 30 s
  local name=$1; shift
  for _ in $(seq 1 60); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "FATAL: $name is not reachable" >&2
  return 1
}

if ! pg_isready -h "$pg_host" -p 5432 >/dev/null 2>&1; then
  echo "PostgreSQL is down; starting it"
  if ls /etc/postgresql >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  wait_for PostgreSQL pg_isready -h "$pg_host" -p 5432 || exit 1
fi

if ! redis-cli -h "$redis_host" -p 6379 ping >/dev/null 2>&1; then
  echo "Redis is down; starting it"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  wait_for Redis redis-cli -h "$redis_host" -p 6379 ping || exit 1
fi
echo "PostgreSQL and Redis are up"
