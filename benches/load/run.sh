#!/usr/bin/env bash
# Load benchmark: police-api against PostgreSQL + PostGIS, same generated archive, same
# queries, same concurrency, one machine.
#
#   benches/load/run.sh --quick   one national month (500,000 crimes), 8 s runs: ~5 minutes
#   benches/load/run.sh --full    36 national months, measured at 1, 12 and 36 loaded, 20 s runs
#   benches/load/run.sh --smoke   a small demo archive and 1 s runs: checks that it all works
#   benches/load/run.sh --real    the real police.uk rows of ../shared/data/police-uk (City of
#                                 London, Surrey, Metropolitan stops), all months at once, 8 s
#                                 runs; skipped, saying so, where that folder is absent
#   add --debug to use a debug build (CI's smoke run: the figures then mean nothing)
#   --encodings LIST  Accept-Encoding values each police-api kind is also run with
#                 (comma-separated; identity = no header; default identity,gzip,zstd); the
#                 PostGIS side answers uncompressed either way
#   --kinds LIST  only these query kinds (comma-separated; default all): street, polygon,
#                 location, locate, mix (and the paced mix), counts_circle12,
#                 counts_circle36, counts_polygon, counts_force, counts_mix
#   --stages LIST months loaded at each measured stage (comma-separated, e.g. 36), instead
#                 of the mode's
#   --months N    generate N months instead of the mode's (measured at N unless --stages),
#                 e.g. --quick --months 12 --kinds counts_circle12,counts_mix
#
# Steps: generate the archive (cached under target/load-bench/, the generator is
# deterministic), start a fresh PostgreSQL cluster, and for each stage: import more months
# with `police-api import`, build the PostGIS tables from the store's rows (postgis.sql),
# draw the seeded query sets (queries.sql), serve them with `police-api serve` and drive it
# with wrk, check that its answers equal PostGIS's, then drive PostGIS with pgbench.
#
# Cores (2 here): the server under test gets core 0 (police-api with one worker thread,
# moved there once its snapshot is loaded; every PostgreSQL process during the PostGIS
# runs), the load generator core 1 (wrk -t1, pgbench -j1). Both sides see the same number
# of connections.
#
# Results: target/load-bench/<mode>/results.md (the table), results.jsonl and stages.jsonl
# (the raw figures), and the logs. Needs wrk and PostGIS: installed from Debian's packages
# when missing and running as root.
set -euo pipefail

mode=quick
profile=release
all_kinds=(street polygon location locate mix
           counts_circle12 counts_circle36 counts_polygon counts_force counts_mix)
kinds=("${all_kinds[@]}")
stages_given=
months_given=
kinds_given=
encodings=(identity gzip zstd)
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) mode=quick ;;
        --full) mode=full ;;
        --smoke) mode=smoke ;;
        --real) mode=real ;;
        --debug) profile=debug ;;
        --kinds)
            IFS=, read -r -a kinds <<<"${2:?--kinds needs a list}"; shift; kinds_given=1
            for kind in "${kinds[@]}"; do
                [[ " ${all_kinds[*]} " == *" $kind "* ]] || { echo "unknown kind: $kind" >&2; exit 2; }
            done ;;
        --encodings) IFS=, read -r -a encodings <<<"${2:?--encodings needs a list}"; shift ;;
        --stages) stages_given=${2:?--stages needs a list}; shift ;;
        --months) months_given=${2:?--months needs a number}; shift ;;
        -h | --help) sed -n '2,37p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seed=20261121
connections=8
# Connections for the run at half the maximum throughput: many mostly idle connections,
# so that the think time (whole milliseconds in wrk) can be set finely.
paced_connections=64
case $mode in
    smoke)
        generate=(--preset demo --months 2) stages=(1 2) seconds=1 queries=100
        shared_buffers=128MB compare=10 ;;
    quick)
        generate=(--preset national --months 1) stages=(1) seconds=8 queries=5000
        shared_buffers=2GB compare=25 ;;
    full)
        generate=(--preset national --months 36) stages=(1 12 36) seconds=20 queries=20000
        shared_buffers=8GB compare=25 ;;
    real)
        generate=() stages=() seconds=8 queries=5000 shared_buffers=2GB compare=25
        # No neighbourhood boundaries in the real data: nothing to locate.
        if [ -z "$kinds_given" ]; then
            kinds=(street polygon location counts_circle12 counts_circle36 counts_polygon counts_force)
        fi ;;
esac

if [ -n "$months_given" ]; then
    generate[3]=$months_given
    stages=("$months_given")
fi
if [ -n "$stages_given" ]; then IFS=, read -r -a stages <<<"$stages_given"; fi

# Every measured run follows an unmeasured one of this many seconds, on both sides.
warmup=$(( seconds >= 10 ? 3 : 1 ))
base=${POLICE_LOAD_DIR:-$root/target/load-bench}
work=$base/$mode
archive=$base/archive-$(echo "${generate[*]}" | tr -d ' -')-$seed
if [ "$mode" = real ]; then
    archive=${POLICE_REAL_DATA:-$root/../shared/data/police-uk}
    if [ ! -d "$archive" ]; then
        echo "skipped: no real police.uk data at $archive (set POLICE_REAL_DATA)"
        exit 0
    fi
    archive=$(cd "$archive" && pwd)
fi
mkdir -p "$base"
rm -rf "$work"
mkdir -p "$work/queries" "$work/logs"
chmod 755 "$base" "$work"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# --- tools -----------------------------------------------------------------------------
pg_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$pg_bin/postgres" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
pg_major=$(basename "$(dirname "$pg_bin")")
missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -f "/usr/share/postgresql/$pg_major/extension/postgis.control" ] ||
    missing+=("postgresql-$pg_major-postgis-3")
command -v taskset >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "missing: ${missing[*]} (install them, or run as root)" >&2; exit 1; }
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >"$work/logs/apt.log" 2>&1 ||
        { apt-get update -q >>"$work/logs/apt.log" 2>&1 &&
          apt-get install -y -q "${missing[@]}" >>"$work/logs/apt.log" 2>&1; }
fi
cores=$(nproc)
if [ "$cores" -ge 2 ]; then server_cpu=0 load_cpu=1; else server_cpu=0 load_cpu=0; fi

log "building police-api ($profile)"
if [ "$profile" = release ]; then
    (cd "$root" && cargo build --release -q -p police-api)
else
    (cd "$root" && cargo build -q -p police-api)
fi
bin=$root/target/$profile/police-api

# --- the archive -----------------------------------------------------------------------
if [ "$mode" != real ] && [ ! -f "$archive/.complete" ]; then
    log "generating the archive (${generate[*]}) into $archive"
    rm -rf "$archive"
    "$bin" generate --out "$archive" --seed "$seed" "${generate[@]}" 2>&1 | tail -1
    touch "$archive/.complete"
fi
mapfile -t month_dirs < <(find "$archive" -mindepth 1 -maxdepth 1 -type d -name '[0-9][0-9][0-9][0-9]-[0-9][0-9]' | sort)
# The real data is measured with everything it holds loaded.
if [ "$mode" = real ] && [ -z "$stages_given" ]; then stages=("${#month_dirs[@]}"); fi

# --- a PostgreSQL cluster of our own ---------------------------------------------------
. "$here/cluster.sh"
start_cluster <<EOF
max_connections = 100
shared_buffers = $shared_buffers
work_mem = 64MB
maintenance_work_mem = 1GB
effective_cache_size = 16GB
max_wal_size = 4GB
checkpoint_timeout = 30min
random_page_cost = 1.1
jit = off
# Nothing of the database's own housekeeping during measurements: tables are vacuumed and
# analysed explicitly once loaded, and a checkpoint runs before each side's runs.
autovacuum = off
EOF

postgres_pids() {
    local postmaster
    postmaster=$(head -1 "$pgdata/postmaster.pid")
    echo "$postmaster" $(pgrep -P "$postmaster")
}
pin_postgres() {
    for pid in $(postgres_pids); do taskset -a -p -c "$1" "$pid" >/dev/null 2>&1 || true; done
}

results=$work/results.jsonl
stages_file=$work/stages.jsonl
: >"$results"
: >"$stages_file"
http_port=$((40000 + RANDOM % 20000))
url=http://127.0.0.1:$http_port
imported=0

for stage in "${stages[@]}"; do
    log "=== stage: $stage month(s) loaded ==="
    paths=("${month_dirs[@]:imported:stage-imported}")
    # The generator's forces and boundaries (the real data's api/ holds saved answers).
    if [ "$imported" = 0 ] && [ "$mode" != real ]; then
        for extra in api boundaries; do [ -d "$archive/$extra" ] && paths+=("$archive/$extra"); done
    fi
    log "importing ${#paths[@]} folders"
    "$bin" import --database-url "$database_url" "${paths[@]}" >"$work/logs/import-$stage.log" 2>&1
    tail -1 "$work/logs/import-$stage.log"
    import_rate=$(grep -o '[0-9]* rows/s' "$work/logs/import-$stage.log" | tail -1 | cut -d' ' -f1)
    imported=$stage

    log "building the PostGIS tables"
    started=$(date +%s.%N)
    "${psql[@]}" -f "$here/postgis.sql" >"$work/logs/postgis-$stage.log" 2>&1
    postgis_seconds=$(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $started}")
    postgis_bytes=$("${psql[@]}" -At -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
        WHERE c.relkind = 'r' AND (c.relname LIKE 'gis_crimes_%' OR c.relname = 'gis_neighbourhoods')")
    log "  $postgis_seconds s, $((postgis_bytes / 1048576)) MiB"

    log "drawing $queries queries of each kind (seed $seed)"
    "${psql[@]}" -v count="$queries" -v seed="$seed" -v out="$work/queries" -f "$here/queries.sql" >/dev/null
    python3 "$here/report.py" mix --queries "$work/queries"

    # The snapshot loads with the whole machine (its COPY streams and PostgreSQL's side run
    # in parallel), then the server is moved to its one core for the measurements.
    log "starting police-api serve"
    "$bin" serve --database-url "$database_url" --bind "127.0.0.1:$http_port" \
        --workers 1 >"$work/logs/serve-$stage.log" 2>&1 &
    server_pid=$!
    python3 "$here/report.py" ready --url "$url"
    taskset -a -p -c "$server_cpu" "$server_pid" >/dev/null
    snapshot_line=$(grep 'snapshot loaded in' "$work/logs/serve-$stage.log" | head -1)
    echo "  $snapshot_line"
    snapshot_seconds=$(echo "$snapshot_line" | sed -E 's/.*loaded in ([0-9.]+) s.*/\1/')
    crimes=$(echo "$snapshot_line" | sed -E 's/.*: ([0-9]+) crimes.*/\1/')
    rss_kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")

    "${psql[@]}" -c "CHECKPOINT"
    log "checking police-api's answers against PostGIS's"
    python3 "$here/report.py" check --url "$url" --psql "${psql[*]}" --scripts "$here" \
        --queries "$work/queries" --compare "$compare" --sizes "$work/sizes-$stage.json" \
        --encodings "$(IFS=,; echo "${encodings[*]}")"

    for kind in "${kinds[@]}"; do
        for encoding in "${encodings[@]}"; do
            # Uncompressed runs keep the kind's own name; the others are kind@coding.
            label=$kind
            [ "$encoding" = identity ] || label=$kind@$encoding
            # An unmeasured warm-up first, on both sides.
            taskset -c "$load_cpu" wrk -t1 -c"$connections" -d"${warmup}s" --timeout 10s \
                -s "$here/paths.lua" "$url" -- "$work/queries/$kind.paths" 0 "$encoding" >/dev/null
            taskset -c "$load_cpu" wrk -t1 -c"$connections" -d"${seconds}s" --timeout 10s \
                -s "$here/paths.lua" "$url" -- "$work/queries/$kind.paths" 0 "$encoding" \
                >"$work/logs/wrk-$stage-$label.txt"
            python3 "$here/report.py" record --results "$results" --figures "$work/logs/wrk-$stage-$label.txt" \
                --stage "$stage" --side police-api --kind "$label"
        done
    done
    # Half the maximum throughput of the mix: each of N connections waits so that together
    # they offer ~half the measured maximum (a request's own service time is ~1/max).
    if [[ " ${kinds[*]} " == *" mix "* ]]; then
        max_rps=$(python3 -c "import json; r = json.loads(open('$work/logs/wrk-$stage-mix.txt').read().strip().splitlines()[-1]); print(r['requests'] / (r['duration_us'] / 1e6))")
        think_ms=$(python3 -c "print(max(1, round((2 * $paced_connections - 1) * 1000 / $max_rps)))")
        taskset -c "$load_cpu" wrk -t1 -c"$paced_connections" -d"${seconds}s" --timeout 10s \
            -s "$here/paced.lua" "$url" -- "$work/queries/mix.paths" "$think_ms" >"$work/logs/wrk-$stage-mix-paced.txt"
        python3 "$here/report.py" record --results "$results" --figures "$work/logs/wrk-$stage-mix-paced.txt" \
            --stage "$stage" --side police-api --kind mix-paced --think-ms "$think_ms" --connections "$paced_connections"
    fi
    peak_rss_kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$server_pid/status")
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=

    log "PostGIS: prewarming, then pgbench with PostgreSQL on core $server_cpu"
    "${psql[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
        -c "SELECT count(pg_prewarm(c.oid)) FROM pg_class c WHERE c.relkind IN ('r', 'i')
            AND (c.relname LIKE 'gis_%' OR c.relname LIKE 'bench_%')" -c "CHECKPOINT" >/dev/null
    pin_postgres "$server_cpu"
    for kind in "${kinds[@]}"; do
        # A kind's script, or a mix's scripts with the weights report.py gives them.
        mapfile -t scripts < <(python3 "$here/report.py" pgbench-scripts --scripts "$here" --kind "$kind")
        prefix=$work/logs/pgbench-$stage-$kind
        taskset -c "$load_cpu" pgbench -h "$socket_dir" -p "$port" -U police -n -M prepared \
            -c "$connections" -j 1 -T "$warmup" -D queries="$queries" "${scripts[@]}" police >/dev/null 2>&1
        (cd "$work/logs" && taskset -c "$load_cpu" pgbench -h "$socket_dir" -p "$port" -U police -n \
            -M prepared -c "$connections" -j 1 -T "$seconds" --random-seed "$seed" \
            -D queries="$queries" "${scripts[@]}" -l --log-prefix "$prefix" police \
            >"$prefix.txt" 2>&1)
        python3 "$here/report.py" pgbench --log-prefix "$prefix" --output "$prefix.txt" >"$prefix.json"
        python3 "$here/report.py" record --results "$results" --figures "$prefix.json" \
            --stage "$stage" --side postgis --kind "$kind"
        rm -f "$prefix".[0-9]*
    done
    pin_postgres "0-$((cores - 1))"

    sizes=$(cat "$work/sizes-$stage.json")
    cat >>"$stages_file" <<EOF
{"stage": $stage, "data": "$mode", "crimes": $crimes, "import_rows_per_second": ${import_rate:-0}, "snapshot_seconds": $snapshot_seconds, "rss_bytes": $((rss_kib * 1024)), "peak_rss_bytes": $((peak_rss_kib * 1024)), "postgis_build_seconds": $postgis_seconds, "postgis_bytes": $postgis_bytes, "sizes": $sizes}
EOF
done

log "results"
python3 "$here/report.py" table --results "$results" --stages "$stages_file" \
    --connections "$connections" --output "$work/results.md"
echo
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $cores cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)"
echo "written: $work/results.md"
