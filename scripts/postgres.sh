#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests, in a folder of its own.
#
#   scripts/postgres.sh start DIR   initdb into DIR/data, listen on 127.0.0.1 at a free port (no unix socket),
#                                   trust authentication, create the database benchhub_test; prints its URL
#                                   (postgresql+psycopg://benchhub@127.0.0.1:PORT/benchhub_test), also kept in DIR/url
#   scripts/postgres.sh stop DIR    stops that server and removes DIR; safe to repeat
#   scripts/postgres.sh run CMD...  runs CMD with BENCHHUB_TEST_POSTGRES_URL set: kept when already set, else the URL
#                                   of a throwaway server started for CMD and stopped after it
#
# The server binaries come from $PG_BIN, default /usr/lib/postgresql/15/bin (Debian's postgresql-15 package).
# PostgreSQL refuses to run as root: run as root, the server runs as $PG_USER, default `postgres` when that
# user exists, else a system user `benchhub-pg` created on first use.
# The server is for tests only: trust authentication, fsync off.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
DB_USER=benchhub
DB_NAME=benchhub_test
MARKER=.benchhub-postgres

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

has_binaries() {
    [[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl && -x $PG_BIN/createdb ]]
}

require_binaries() {
    has_binaries || die "no PostgreSQL server binaries (initdb, pg_ctl, createdb) in $PG_BIN. Install PostgreSQL 15 \
with \`apt-get install postgresql-15\`, set PG_BIN to the folder holding them, or point the tests at your own server \
with BENCHHUB_TEST_POSTGRES_URL=postgresql+psycopg://USER@HOST:PORT/DB."
}

server_user() {
    if [[ -n ${PG_USER:-} ]]; then
        id -u "$PG_USER" >/dev/null 2>&1 || die "PG_USER=$PG_USER is not a user on this machine."
        echo "$PG_USER"
    elif id -u postgres >/dev/null 2>&1; then
        echo postgres
    else
        id -u benchhub-pg >/dev/null 2>&1 ||
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin benchhub-pg ||
            die "cannot create the user benchhub-pg to run PostgreSQL as (it refuses to run as root); set PG_USER to an unprivileged user."
        echo benchhub-pg
    fi
}

# Runs a command as the server's user: that user when we are root, ourselves otherwise.
as_server() {
    local user=$1
    shift
    if [[ $(id -u) -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null; then
        runuser -u "$user" -- "$@"
    else
        setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"
    fi
}

free_port() {
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    else
        echo $((20000 + RANDOM % 40000))
    fi
}

start() {
    local dir=$1 user port attempt
    require_binaries
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ ! -e $dir/data ]] || die "$dir/data exists already; stop that server first (scripts/postgres.sh stop $dir) or use another folder."
    touch "$dir/$MARKER"
    user=$(id -un)
    if [[ $(id -u) -eq 0 ]]; then
        user=$(server_user)
        chown "$user" "$dir"
        as_server "$user" test -w "$dir" ||
            die "the user $user cannot write to $dir (a parent folder is closed to it); use a folder under /tmp."
    fi
    echo "$user" >"$dir/user"
    cd "$dir"
    as_server "$user" "$PG_BIN/initdb" --pgdata="$dir/data" --username="$DB_USER" --auth=trust --encoding=UTF8 \
        --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
        die "initdb failed (as $user):"$'\n'"$(tail -n 20 "$dir/initdb.log")"
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        # Later settings win: each attempt appends its port.
        cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
        if as_server "$user" "$PG_BIN/pg_ctl" start --pgdata="$dir/data" --log="$dir/postgres.log" --wait --timeout=60 \
            >"$dir/pg_ctl.log" 2>&1; then
            "$PG_BIN/createdb" --host=127.0.0.1 --port="$port" --username="$DB_USER" "$DB_NAME" ||
                die "the server started on port $port but createdb $DB_NAME failed."
            echo "postgresql+psycopg://$DB_USER@127.0.0.1:$port/$DB_NAME" | tee "$dir/url"
            return 0
        fi
        # Another process may have taken the port between picking and binding it: try another one.
        grep -q "could not bind\|Address already in use" "$dir/postgres.log" 2>/dev/null || break
    done
    die "PostgreSQL did not start (as $user, data in $dir/data):"$'\n'"$(tail -n 20 "$dir/pg_ctl.log" "$dir/postgres.log" 2>/dev/null)"
}

stop() {
    local dir=$1 user
    [[ -d $dir ]] || return 0
    rmdir "$dir" 2>/dev/null && return 0 # an empty folder: start failed before it wrote anything
    [[ -e $dir/$MARKER ]] || die "$dir was not made by scripts/postgres.sh start; not touching it."
    if [[ -f $dir/data/postmaster.pid ]] && has_binaries; then
        user=$(cat "$dir/user" 2>/dev/null || id -un)
        cd "$dir"
        # A server that is gone already (a stale postmaster.pid) is as good as stopped.
        if ! as_server "$user" "$PG_BIN/pg_ctl" stop --pgdata="$dir/data" --mode=fast --wait --timeout=60 >/dev/null 2>&1 &&
            as_server "$user" "$PG_BIN/pg_ctl" status --pgdata="$dir/data" >/dev/null 2>&1; then
            die "could not stop the server in $dir/data (pg_ctl stop failed; see $dir/postgres.log)."
        fi
        cd /
    fi
    rm -rf "$dir"
}

run() {
    [[ $# -gt 0 ]] || die "usage: scripts/postgres.sh run COMMAND [ARGS...]"
    if [[ -n ${BENCHHUB_TEST_POSTGRES_URL:-} ]]; then
        exec "$@"
    fi
    if ! has_binaries; then
        echo "postgres.sh: no PostgreSQL server binaries in $PG_BIN, so the PostgreSQL tests will fail. Install them with \
\`apt-get install postgresql-15\`, set PG_BIN, or set BENCHHUB_TEST_POSTGRES_URL to your own server." >&2
        exec "$@"
    fi
    local dir status
    dir=$(mktemp -d "${TMPDIR:-/tmp}/benchhub-pg.XXXXXX")
    touch "$dir/$MARKER"
    trap 'stop "$dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    BENCHHUB_TEST_POSTGRES_URL=$(start "$dir")
    export BENCHHUB_TEST_POSTGRES_URL
    echo "postgres.sh: throwaway PostgreSQL for the tests at $BENCHHUB_TEST_POSTGRES_URL" >&2
    status=0
    "$@" || status=$?
    exit "$status"
}

case ${1:-} in
    start | stop)
        [[ $# -eq 2 ]] || die "usage: scripts/postgres.sh $1 DIR"
        "$1" "$2"
        ;;
    run)
        shift
        run "$@"
        ;;
    *)
        die "usage: scripts/postgres.sh start DIR | stop DIR | run COMMAND [ARGS...]"
        ;;
esac
