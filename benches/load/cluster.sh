# Sourced by run.sh and lists.sh: a PostgreSQL cluster of the benchmark's own, in $work.
#
#   start_cluster <<EOF
#   shared_buffers = 4GB
#   EOF
#
# Needs $work (with $work/logs), $pg_bin (PostgreSQL's server binaries) and $bin
# (police-api). Appends the caller's postgresql.conf lines (standard input) to a
# socket-only configuration, starts the cluster, creates the database `police` with the
# current schema, and stops it all on exit (police-api serve too, when $server_pid is set).
# Sets pgdata, socket_dir, port, as_postgres, database_url, psql and server_pid.
start_cluster() {
    pgdata=$work/pgdata
    socket_dir=$work/socket
    mkdir -p "$socket_dir" "$pgdata"
    as_postgres=()
    if [ "$(id -u)" = 0 ]; then
        # PostgreSQL refuses to run as root.
        as_postgres=(runuser -u postgres --)
        chown postgres "$socket_dir" "$pgdata" "$work/logs"
    fi
    port=$((20000 + RANDOM % 20000))
    "${as_postgres[@]}" "$pg_bin/initdb" -D "$pgdata" -U police --auth=trust -E UTF8 --locale=C \
        >"$work/logs/initdb.log"
    {
        printf "listen_addresses = ''\nunix_socket_directories = '%s'\nport = %s\n" "$socket_dir" "$port"
        cat
    } >>"$pgdata/postgresql.conf"
    "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pgdata" -l "$work/logs/postgres.log" -w start >/dev/null
    server_pid=
    trap stop_cluster EXIT
    "$pg_bin/createdb" -h "$socket_dir" -p "$port" -U police police
    database_url="postgres://police@/police?host=$socket_dir&port=$port"
    psql=(psql -h "$socket_dir" -p "$port" -U police -d police -X -q -v ON_ERROR_STOP=1)
    "$bin" migrate --database-url "$database_url" 2>/dev/null
}

stop_cluster() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
}
