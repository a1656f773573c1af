#!/bin/sh
# As the official postgres image's entrypoint, in short: started as root, it gives the data folder and
# the socket folder to the postgres user (uid 999) and runs itself again as that user (PostgreSQL
# refuses to run as root); on an empty PGDATA it runs initdb with POSTGRES_USER / POSTGRES_PASSWORD,
# creates POSTGRES_DB, runs /docker-entrypoint-initdb.d/* (*.sh, *.sql, *.sql.gz) against a server
# listening on the unix socket only, then starts the real server. A first argument that is a flag
# runs postgres with it.
set -eu
if [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 2777 /var/run/postgresql
  exec /usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'error: the database is uninitialized and POSTGRES_PASSWORD is not set.' >&2
    echo '  Set POSTGRES_PASSWORD to a non-empty value for the superuser, or POSTGRES_HOST_AUTH_METHOD=trust to allow' >&2
    echo '  every connection without a password (never do that for anything but a throwaway database).' >&2
    exit 1
  fi
  user="${POSTGRES_USER:-postgres}"
  db="${POSTGRES_DB:-$user}"
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags, as in the official image
  initdb --username="$user" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  # A server for the init scripts alone: no TCP, so nothing reaches a half-made database.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start
  export PGUSER="$user" PGPASSWORD="${POSTGRES_PASSWORD:-}"
  if [ "$db" != postgres ]; then
    psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname postgres --set db="$db" <<'SQL'
CREATE DATABASE :"db";
SQL
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh)
        if [ -x "$f" ]; then
          echo "$0: running $f"
          "$f"
        else
          echo "$0: sourcing $f"
          . "$f"
        fi
        ;;
      *.sql) echo "$0: running $f"; psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$db" -f "$f" ;;
      *.sql.gz) echo "$0: running $f"; gunzip -c "$f" | psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$db" ;;
      */\*) ;;
      *) echo "$0: ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  unset PGPASSWORD PGUSER
  echo 'PostgreSQL init process complete; ready for start up.'
fi

exec "$@"
