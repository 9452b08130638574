#!/usr/bin/env bash
# A real PostgreSQL for the tests: `server.sh start DIR` runs initdb and pg_ctl (its
# files in a fresh /tmp/wayhome-pg.* folder, named in DIR/home) on a free loopback port,
# as an unprivileged user when run as root (CI), with password authentication over TCP;
# it writes DIR/url and DIR/password for the tests (tests/testing:
# testing::postgresDatabase()). `server.sh stop DIR` stops it and removes both folders. CTest runs both as the fixture `postgres` (tests/CMakeLists.txt).
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?folder}

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/initdb" ] && bin=$candidate
done
if [ -z "$bin" ]; then
  bin=$(dirname "$(command -v initdb || echo /nonexistent/initdb)")
fi
[ -x "$bin/initdb" ] || { echo "no PostgreSQL server found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    rm -rf "$dir"
    mkdir -p "$dir"
    # The server's own files live under /tmp: the unprivileged owner may not be able
    # to reach a build folder under a private home (CI clones anywhere).
    home=$(mktemp -d /tmp/wayhome-pg.XXXXXX)
    echo "$home" >"$dir/home"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    printf '%s\n' "$password" >"$dir/password"
    chmod 600 "$dir/password"
    printf '%s\n' "$password" >"$home/pwfile"
    [ "$(id -u)" -eq 0 ] && chown -R nobody "$home"
    as_owner "$bin/initdb" -D "$home/data" -U wayhome --pwfile="$home/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$home/initdb.log" 2>&1 \
      || { cat "$home/initdb.log" >&2; exit 1; }
    rm -f "$home/pwfile"
    # Tests make many small databases and connections; durability of the test server
    # itself does not matter (fsync off), its behaviour does.
    as_owner "$bin/pg_ctl" -D "$home/data" -l "$home/server.log" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$home -c fsync=off \
       -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
       -c shared_buffers=32MB" >/dev/null \
      || { cat "$home/server.log" >&2; exit 1; }
    echo "postgresql://wayhome@127.0.0.1:$port/postgres" >"$dir/url"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($home)"
    ;;
  stop)
    home=$(cat "$dir/home" 2>/dev/null || true)
    if [ -n "$home" ] && [ -f "$home/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$home/data" -m immediate -w stop >/dev/null || true
    fi
    case "$home" in /tmp/wayhome-pg.*) rm -rf "$home" ;; esac
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
