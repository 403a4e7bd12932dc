#!/usr/bin/env bash
# Start Redis and PostgreSQL on 127.0.0.1 if they are not answering (CI machines start them,
# but a developer's may have stopped them). Idempotent; prints what it did.
set -u

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 6379; then
  if command -v redis-server >/dev/null; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log && echo "started redis"
  else
    echo "redis-server missing: installing" && apt-get update -qq && apt-get install -y -qq redis-server \
      && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  fi
fi

start_postgres() {
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start \
    && echo "started postgresql"
}

if ! port_open 5432; then
  if ! { command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; }; then
    echo "postgresql missing: installing"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
    # The suite connects as postgres over TCP without a password, as on the CI machines.
    hba="$(ls -d /etc/postgresql/*/main | head -1)/pg_hba.conf"
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  start_postgres
fi
for _ in $(seq 1 30); do port_open 5432 && port_open 6379 && break; sleep 1; done
port_open 5432 || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
port_open 6379 || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
exit 0
