#!/usr/bin/env bash
# A real PostgreSQL for the tests: `server.sh start DIR` runs initdb and pg_ctl into
# DIR on a free loopback port, as an unprivileged user when run as root (CI), with
# password authentication over TCP; it writes DIR/url and DIR/password for the tests
# (tests/testing: testing::postgresDatabase()). `server.sh stop DIR` stops it and
# removes DIR. CTest runs both as the fixture `postgres` (tests/CMakeLists.txt).
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
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    printf '%s\n' "$password" >"$dir/password"
    chmod 600 "$dir/password"
    cp "$dir/password" "$dir/pwfile"
    [ "$(id -u)" -eq 0 ] && chown -R nobody "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U wayhome --pwfile="$dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    # Tests make many small databases and connections; durability of the test server
    # itself does not matter (fsync off), its behaviour does.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
      "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off \
       -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 \
       -c shared_buffers=32MB" >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    # The tests run as root in CI: the password file they read is theirs.
    [ "$(id -u)" -eq 0 ] && chown root "$dir/password"
    echo "postgresql://wayhome@127.0.0.1:$port/postgres" >"$dir/url"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
