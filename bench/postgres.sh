# Sourced by bench/intake/run and bench/router/run for `--state postgres`: starts the
# tests' PostgreSQL (tests/postgres/server.sh) under $1, makes a database and a
# person_ref key there, and sets STATE_JSON to the config members that point a
# `wayhome serve` at them. Stop it with pg_stop $1.
pg_start() {
  local work=$1
  tests/postgres/server.sh start "$work/pg" >/dev/null
  local url password
  url=$(cat "$work/pg/url")
  password=$(cat "$work/pg/password")
  PGPASSWORD=$password psql -q "$url" -c "CREATE DATABASE bench;" >/dev/null
  printf '%s\n' "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" >"$work/pg/person_ref.key"
  chmod 600 "$work/pg/person_ref.key"
  STATE_JSON="\"state\": {\"postgres\": {\"url\": \"${url%/postgres}/bench\", \"password_file\": \"$work/pg/password\"}}, \"identity\": {\"key_file\": \"$work/pg/person_ref.key\"},"
}
pg_stop() { tests/postgres/server.sh stop "$1/pg" >/dev/null 2>&1 || true; }
