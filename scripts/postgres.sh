#!/usr/bin/env bash
# Starts (or reuses) a throwaway PostgreSQL server for the store tests and prints its URL on stdout.
#
#   export FLUX_TEST_POSTGRES_URL="$(bash scripts/postgres.sh)"   # start, or reuse the running one
#   bash scripts/postgres.sh stop                                 # stop it (the data stays in .build/pg-data)
#
# The cluster lives in .build/pg-data (socket and log beside it; under /var/tmp when run as root from a
# directory the postgres user cannot reach), listens on 127.0.0.1 only, on port
# FLUX_TEST_POSTGRES_PORT (default 54329), with user flux / password flux (SCRAM) and database flux_test.
# It is tuned for tests, not for data you want to keep: fsync and synchronous_commit are off.
# Installs Debian's postgresql package when no PostgreSQL binaries are found. initdb refuses to run as
# root, so as root the cluster belongs to the postgres user (created by the package).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD/.build"
data="$root/pg-data"
run="$root/pg-run"
log="$root/pg.log"
port="${FLUX_TEST_POSTGRES_PORT:-54329}"
user=flux
password=flux
database=flux_test

say() { echo "postgres.sh: $*" >&2; }

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

if [ "${1:-}" = "stop" ] && ! find_bin >/dev/null; then exit 0; fi
if ! bin="$(find_bin)"; then
  say "installing PostgreSQL (Debian package postgresql)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
  bin="$(find_bin)" || { say "error: PostgreSQL is installed but no initdb was found under /usr/lib/postgresql/*/bin"; exit 1; }
fi

# As root, run the server tools as the postgres user; otherwise as ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")   # from /: the checkout may be closed to that user
  else
    "$@"
  fi
}

mkdir -p "$root" "$run"
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  chown postgres "$run"
  # The postgres user must reach .build/ (every parent directory searchable). A checkout under a private
  # directory (mode 700) does not allow that: keep the cluster under /var/tmp then, one per checkout.
  if ! runuser -u postgres -- test -w "$run"; then
    root="/var/tmp/flux-test-postgres-$(printf '%s' "$PWD" | cksum | cut -d' ' -f1)"
    data="$root/pg-data"
    run="$root/pg-run"
    log="$root/pg.log"
    mkdir -p "$root" "$run"
    chown postgres "$root" "$run"
    say "the postgres user cannot reach $PWD/.build; using $root instead"
  fi
fi

if [ "${1:-}" = "stop" ]; then
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >&2 || true
  fi
  exit 0
fi

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ ! -f "$data/PG_VERSION" ]; then
  # Another checkout's test server (or anything else) may hold the default port: take a free one then.
  if [ -z "${FLUX_TEST_POSTGRES_PORT:-}" ] && port_taken "$port"; then
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    say "port 54329 is taken; this cluster uses $port"
  fi
  say "initialising a cluster in $data"
  rm -rf "$data"
  mkdir -p "$data"
  [ "$(id -u)" -eq 0 ] && chown postgres "$data"
  chmod 700 "$data"
  pwfile="$run/pwfile"
  echo "$password" > "$pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
  as_owner "$bin/initdb" -D "$data" -U "$user" --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$log.initdb" 2>&1 || { cat "$log.initdb" >&2; exit 1; }
  rm -f "$pwfile"
  cat >> "$data/postgresql.conf" <<CONF
# scripts/postgres.sh: a test server on loopback
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
fi

# A cluster made earlier keeps the port it was given (the last `port = ` line of its configuration).
if [ -z "${FLUX_TEST_POSTGRES_PORT:-}" ] && [ -f "$data/postgresql.conf" ]; then
  configured="$(as_owner grep -E '^port = [0-9]+' "$data/postgresql.conf" | tail -1 | awk '{print $3}')" || true
  [ -n "${configured:-}" ] && port="$configured"
fi
ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" >/dev/null 2>&1; }

if ! as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  say "starting PostgreSQL on 127.0.0.1:$port (log: $log)"
  touch "$log"
  [ "$(id -u)" -eq 0 ] && chown postgres "$log"
  as_owner "$bin/pg_ctl" -D "$data" -l "$log" -o "-p $port" -w -t 60 start >&2 || { tail -20 "$log" >&2; exit 1; }
fi
for _ in $(seq 1 60); do
  ready && break
  sleep 0.5
done
ready || { say "error: the server did not become ready on 127.0.0.1:$port; see $log"; tail -20 "$log" >&2; exit 1; }

psql_local() { as_owner "$bin/psql" -h "$run" -p "$port" -U "$user" -d postgres -v ON_ERROR_STOP=1 -tAq "$@"; }
if [ "$(psql_local -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" != "1" ]; then
  psql_local -c "CREATE DATABASE $database" >&2
fi
echo "postgresql://$user:$password@127.0.0.1:$port/$database?sslmode=disable"
