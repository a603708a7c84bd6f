#!/bin/bash
# Entrypoint of the offline postgres stand-in, following the official image's
# contract: on an empty $PGDATA, initdb as $POSTGRES_USER with the password
# from POSTGRES_PASSWORD or the file POSTGRES_PASSWORD_FILE names, create
# $POSTGRES_DB, run /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz once on a
# server that listens on a private Unix socket only, then exec postgres.
set -euo pipefail

if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
if [ "$#" -gt 0 ]; then shift; fi

file_env() { # file_env VAR: VAR from $VAR or from the file $VAR_FILE, not both.
  local var=$1 fvar=${1}_FILE
  if [ -n "${!var:-}" ] && [ -n "${!fvar:-}" ]; then
    echo "postgres: both $var and $fvar are set; set one" >&2; exit 1
  fi
  if [ -n "${!fvar:-}" ]; then
    local v; v=$(<"${!fvar}"); export "$var=$v"; unset "$fvar"
  fi
}
file_env POSTGRES_PASSWORD
file_env POSTGRES_USER
file_env POSTGRES_DB
export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD-}" ]; then
    echo "postgres: POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE must be set on first start (empty $PGDATA)" >&2
    exit 1
  fi
  mkdir -p "$PGDATA"; chmod 700 "$PGDATA"
  pwfile=$(mktemp); printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a word list by contract
  initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-} >/dev/null
  rm -f "$pwfile"
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

  # The init server's socket is private: pg_isready (the health check) on
  # the usual socket must not report ready before initialisation is done.
  PGHOST=$(mktemp -d); export PGHOST
  pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$PGHOST" start >/dev/null
  psql=(psql -v ON_ERROR_STOP=1 -X -q --username "$POSTGRES_USER" --no-password --dbname postgres)
  if [ "$POSTGRES_DB" != postgres ]; then
    "${psql[@]}" --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        echo "postgres: running $f"
        # shellcheck source=/dev/null
        if [ -x "$f" ]; then "$f"; else . "$f"; fi
        ;;
      *.sql) echo "postgres: running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" ;;
      *.sql.gz) echo "postgres: running $f"; gunzip -c "$f" | "${psql[@]}" --dbname "$POSTGRES_DB" ;;
      *) ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  rmdir "$PGHOST" 2>/dev/null || true; unset PGHOST
  echo "postgres: init done"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
