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

if ! port_open 5432; then
  if command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start \
      && echo "started postgresql"
  else
    echo "postgresql is not installed here; the tests that need it come with later issues" >&2
  fi
fi
exit 0
