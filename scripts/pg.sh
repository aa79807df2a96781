#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for the tests and prints its URL; `scripts/pg.sh stop DIR`
# stops it. PostgreSQL refuses to run as root, so the cluster runs as the `postgres` user.
# Installs PostgreSQL with apt when `initdb` is missing (a fresh Debian machine).
set -euo pipefail

find_bin() {
  for d in /usr/local/bin /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

if [ "${1:-}" = "stop" ]; then
  bin=$(find_bin) || exit 0
  su postgres -s /bin/sh -c "$bin/pg_ctl -D '$2/data' -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$2"
  exit 0
fi

if ! bin=$(find_bin); then
  echo "installing PostgreSQL (apt)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi
id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres

dir=$(mktemp -d /tmp/leadcast-pg.XXXXXX)
chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
su postgres -s /bin/sh -c "$bin/initdb -D '$dir/data' -U postgres --auth=trust >/dev/null"
su postgres -s /bin/sh -c "$bin/pg_ctl -D '$dir/data' -o \"-k '$dir' -p $port -h 127.0.0.1 -c fsync=off\" -l '$dir/log' -w start >/dev/null"
echo "$dir postgres://postgres@127.0.0.1:$port/postgres"
