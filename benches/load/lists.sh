#!/usr/bin/env bash
# Lists as bulk output: police-api's `GET /api/v2/crimes` against PostgreSQL's
# `COPY (SELECT …) TO STDOUT` on the same rows, one core each, and police-api's memory while
# it streams.
#
#   benches/load/lists.sh [--months N] [--circles K] [--debug]
#
# N national months are generated (12 by default; cached like run.sh's archives, under
# $POLICE_LOAD_DIR or target/load-bench, or in $POLICE_LOAD_ARCHIVE), imported into a fresh
# PostgreSQL cluster, and laid out for PostGIS by postgis.sql (run.sh's tables). Then:
#
# * police-api serve (one worker, on core 0; curl on core 1): K one-mile circles centred on
#   the snap points of crimes of the latest month (drawn at random, seeded, in proportion to
#   crimes) as `format=geojson&limit=all` over the N months, one keep-alive connection; the
#   latest month of the whole country as `format=csv&limit=all`, then all N months. Each
#   answer's bytes and time as curl sees them; the server's VmRSS before and after each
#   national answer and its peak while streaming (VmHWM, reset before each).
# * PostgreSQL (every backend on core 0, psql on core 1): the same circles as one COPY each
#   of GeoJSON Features (json_build_object per row, gis_crime_json's properties, in
#   police-api's order), and the national month as COPY … (FORMAT csv, HEADER) in
#   police.uk's street columns from the store's own tables (crimes, locations), no ORDER BY.
#   Timed by psql's \timing in one session, output to /dev/null.
#
# Results: $work/lists.md (the table) and the logs under $work. Needs PostGIS (see run.sh).
set -euo pipefail

months=12
circles=50
profile=release
while [ $# -gt 0 ]; do
    case "$1" in
        --months) months=${2:?--months needs a number}; shift ;;
        --circles) circles=${2:?--circles needs a number}; shift ;;
        --debug) profile=debug ;;
        -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
seed=20261121
base=${POLICE_LOAD_DIR:-$root/target/load-bench}
work=$base/lists
archive=${POLICE_LOAD_ARCHIVE:-$base/archive-presetnationalmonths$months-$seed}
mkdir -p "$base"
rm -rf "$work"
mkdir -p "$work/logs"
: >"$work/cpu-ticks.txt"
chmod 755 "$base" "$work"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

pg_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
[ -x "$pg_bin/postgres" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }
pg_major=$(basename "$(dirname "$pg_bin")")
[ -f "/usr/share/postgresql/$pg_major/extension/postgis.control" ] ||
    { echo "PostGIS missing: postgresql-$pg_major-postgis-3 (run.sh installs it)" >&2; exit 1; }
cores=$(nproc)
if [ "$cores" -ge 2 ]; then server_cpu=0 client_cpu=1; else server_cpu=0 client_cpu=0; fi

log "building police-api ($profile)"
if [ "$profile" = release ]; then
    (cd "$root" && cargo build --release -q -p police-api)
else
    (cd "$root" && cargo build -q -p police-api)
fi
bin=${CARGO_TARGET_DIR:-$root/target}/$profile/police-api

if [ ! -f "$archive/.complete" ]; then
    log "generating $months national months into $archive"
    rm -rf "$archive"
    "$bin" generate --out "$archive" --seed "$seed" --preset national --months "$months" 2>&1 | tail -1
    touch "$archive/.complete"
fi

# --- a PostgreSQL cluster of our own (cluster.sh, as run.sh's) -------------------------
. "$here/cluster.sh"
start_cluster <<EOF
shared_buffers = 4GB
work_mem = 256MB
maintenance_work_mem = 1GB
effective_cache_size = 16GB
max_wal_size = 4GB
checkpoint_timeout = 30min
random_page_cost = 1.1
jit = off
autovacuum = off
max_parallel_workers_per_gather = 0
EOF

log "importing $months months"
paths=()
for path in "$archive"/[0-9][0-9][0-9][0-9]-[0-9][0-9] "$archive/api" "$archive/boundaries"; do
    [ -d "$path" ] && paths+=("$path")
done
"$bin" import --database-url "$database_url" "${paths[@]}" >"$work/logs/import.log" 2>&1
tail -1 "$work/logs/import.log"
log "building the PostGIS tables (postgis.sql)"
"${psql[@]}" -f "$here/postgis.sql" >"$work/logs/postgis.log" 2>&1

latest=$("${psql[@]}" -At -c "SELECT to_char(max(month), 'YYYY-MM') FROM crimes")
first=$("${psql[@]}" -At -c "SELECT to_char(max(month) - interval '$((months - 1)) months', 'YYYY-MM') FROM crimes")
latest_key=${latest/-/}
first_key=${first/-/}
# The circles' centres: snap points of the latest month's crimes, each crime equally likely.
"${psql[@]}" -At -F ' ' -c "SELECT setseed(0.$seed)" -c "
    SELECT latitude, longitude FROM gis_crimes WHERE month_key = $latest_key
    ORDER BY random() LIMIT $circles" | grep -v '^$' >"$work/circles.txt"
log "$(wc -l <"$work/circles.txt") circles, $first to $latest"

# --- police-api -------------------------------------------------------------------------
http_port=$((40000 + RANDOM % 20000))
url=http://127.0.0.1:$http_port
log "starting police-api serve"
"$bin" serve --database-url "$database_url" --bind "127.0.0.1:$http_port" --workers 1 \
    >"$work/logs/serve.log" 2>&1 &
server_pid=$!
python3 "$here/report.py" ready --url "$url"
taskset -a -p -c "$server_cpu" "$server_pid" >/dev/null
grep 'snapshot loaded in' "$work/logs/serve.log" | head -1
status_kib() { awk -v key="$1:" '$1 == key {print $2}' "/proc/$server_pid/status"; }

: >"$work/circles.curl"
while read -r lat lng; do
    printf 'url = "%s/api/v2/crimes?lat=%s&lng=%s&from=%s&to=%s&format=geojson&limit=all"\noutput = "/dev/null"\n' \
        "$url" "$lat" "$lng" "$first" "$latest" >>"$work/circles.curl"
done <"$work/circles.txt"
curl_circles() {
    taskset -c "$client_cpu" curl -sS --fail -K "$work/circles.curl" \
        -w '%{size_download} %{time_total}\n'
}
# CPU seconds (utime + stime, 1/100 s): wall times mean little on a shared machine.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
curl_circles >/dev/null # unmeasured
ticks=$(cpu_ticks)
curl_circles >"$work/api-circles.txt"
echo "api circles $(( $(cpu_ticks) - ticks ))" >>"$work/cpu-ticks.txt"

# One national answer: bytes, seconds, rows, VmRSS before/after and the peak in between.
national() {
    local name=$1 path=$2 before after peak figures
    curl -sS --fail "$url$path" -o /dev/null # unmeasured
    before=$(status_kib VmRSS)
    ticks=$(cpu_ticks)
    echo 5 >"/proc/$server_pid/clear_refs" # VmHWM := VmRSS
    figures=$(taskset -c "$client_cpu" curl -sS --fail "$url$path" -o "$work/$name.csv" \
        -w '%{size_download} %{time_total}')
    after=$(status_kib VmRSS)
    echo "api national-$name $(( $(cpu_ticks) - ticks ))" >>"$work/cpu-ticks.txt"
    peak=$(status_kib VmHWM)
    echo "$name $figures $(($(wc -l <"$work/$name.csv") - 1)) $before $after $peak" >>"$work/api-national.txt"
    rm -f "$work/$name.csv"
}
: >"$work/api-national.txt"
echo "api rss-before-any-list $(status_kib VmRSS)" >>"$work/cpu-ticks.txt"
log "police-api: national month as CSV"
national month "/api/v2/crimes?from=$latest&to=$latest&format=csv&limit=all"
log "police-api: national $months months as CSV"
national period "/api/v2/crimes?from=$first&to=$latest&format=csv&limit=all"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=

# --- PostgreSQL COPY ---------------------------------------------------------------------
log "PostgreSQL: prewarming, then COPY with every backend on core $server_cpu"
"${psql[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" \
    -c "SELECT count(pg_prewarm(c.oid)) FROM pg_class c WHERE c.relkind IN ('r', 'i')
        AND (c.relname LIKE 'gis_crimes%' OR c.relname IN ('crimes', 'locations'))" \
    -c "CHECKPOINT" >/dev/null
for pid in $(head -1 "$pgdata/postmaster.pid") $(pgrep -P "$(head -1 "$pgdata/postmaster.pid")"); do
    taskset -a -p -c "$server_cpu" "$pid" >/dev/null 2>&1 || true
done

circle_copy() { # lat lng: one circle's Features, police-api's order
    cat <<EOF
COPY (SELECT json_build_object(
          'type', 'Feature',
          'geometry', json_build_object('type', 'Point', 'coordinates',
                                        json_build_array(ST_X(c.geom), ST_Y(c.geom))),
          'properties', gis_crime_json(c))
      FROM gis_crimes c
      WHERE c.month_key BETWEEN $first_key AND $latest_key
        AND c.geom && ST_Expand(ST_SetSRID(ST_MakePoint($2, $1), 4326),
                                degrees(1609.344 / 6371008.8)
                                / cos(radians(abs($1) + degrees(1609.344 / 6371008.8))))
        AND ST_DWithin(c.geom::geography, ST_SetSRID(ST_MakePoint($2, $1), 4326)::geography,
                       1609.344, false)
      ORDER BY c.month_key, c.location_id, c.id) TO STDOUT;
EOF
}
national_copy="COPY (SELECT c.persistent_id, to_char(c.month, 'YYYY-MM'), c.reported_by,
          c.falls_within, round(l.longitude::numeric, 6), round(l.latitude::numeric, 6),
          coalesce(l.name, 'No Location'), c.lsoa_code, c.lsoa_name, k.name, c.last_outcome,
          c.context
      FROM crimes c
      LEFT JOIN locations l ON l.id = c.location_id
      JOIN (VALUES ('anti-social-behaviour', 'Anti-social behaviour'),
                   ('bicycle-theft', 'Bicycle theft'), ('burglary', 'Burglary'),
                   ('criminal-damage-arson', 'Criminal damage and arson'), ('drugs', 'Drugs'),
                   ('other-theft', 'Other theft'),
                   ('possession-of-weapons', 'Possession of weapons'),
                   ('public-order', 'Public order'), ('robbery', 'Robbery'),
                   ('shoplifting', 'Shoplifting'),
                   ('theft-from-the-person', 'Theft from the person'),
                   ('vehicle-crime', 'Vehicle crime'),
                   ('violent-crime', 'Violence and sexual offences'),
                   ('other-crime', 'Other crime'),
                   ('public-disorder-weapons', 'Public disorder and weapons'))
           AS k (slug, name) ON k.slug = c.category
      WHERE c.month = to_date('$latest', 'YYYY-MM'))
  TO STDOUT WITH (FORMAT csv, HEADER)"

# Bytes: each statement once into wc. Time: one session, \timing, output to /dev/null.
: >"$work/copy-circles.sql"
while read -r lat lng; do circle_copy "$lat" "$lng" >>"$work/copy-circles.sql"; done <"$work/circles.txt"
: >"$work/copy-circle-bytes.txt"
while read -r lat lng; do
    circle_copy "$lat" "$lng" | taskset -c "$client_cpu" "${psql[@]}" | wc -c >>"$work/copy-circle-bytes.txt"
done <"$work/circles.txt"
# The backends' CPU: the postmaster's reaped children (cutime + cstime) and its own.
postgres_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$(head -1 "$pgdata/postmaster.pid")/stat"; }
timed() { # a script: \timing's milliseconds per statement
    { echo '\o /dev/null'; echo '\timing on'; cat "$1"; } >"$1.timed"
    taskset -c "$client_cpu" "${psql[@]}" -f "$1.timed" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
log "PostgreSQL: circles"
timed "$work/copy-circles.sql" >/dev/null # unmeasured
ticks=$(postgres_ticks)
timed "$work/copy-circles.sql" >"$work/copy-circle-ms.txt"
sleep 1 # the session's backend exits and is reaped
echo "postgres circles $(( $(postgres_ticks) - ticks ))" >>"$work/cpu-ticks.txt"
log "PostgreSQL: national month"
echo "$national_copy;" >"$work/copy-national.sql"
national_bytes=$(taskset -c "$client_cpu" "${psql[@]}" -f "$work/copy-national.sql" | wc -c)
national_rows=$(($(taskset -c "$client_cpu" "${psql[@]}" -f "$work/copy-national.sql" | wc -l) - 1))
{ cat "$work/copy-national.sql"; cat "$work/copy-national.sql"; cat "$work/copy-national.sql"; } \
    >"$work/copy-national-3.sql"
ticks=$(postgres_ticks)
timed "$work/copy-national-3.sql" >"$work/copy-national-ms.txt"
sleep 1
echo "postgres national-month-x3 $(( $(postgres_ticks) - ticks ))" >>"$work/cpu-ticks.txt"

# --- the table -----------------------------------------------------------------------------
python3 - "$work" "$national_bytes" "$national_rows" "$months" <<'EOF' | tee "$work/lists.md"
import statistics, sys
work, national_bytes, national_rows, months = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def rows(name):
    return [line.split() for line in open(f"{work}/{name}") if line.strip()]
api = [(int(b), float(s)) for b, s in rows("api-circles.txt")]
pg_bytes = [int(b) for (b,) in rows("copy-circle-bytes.txt")]
pg_ms = [float(ms) for (ms,) in rows("copy-circle-ms.txt")]
def line(what, side, answers):  # answers: (bytes, seconds)
    total = sum(b for b, _ in answers)
    seconds = sum(s for _, s in answers)
    p50 = statistics.median(s for _, s in answers)
    print(f"| {what} | {side} | {len(answers)} | {total / len(answers) / 1e6:.2f} | "
          f"{p50 * 1e3:.1f} | {total / seconds / 1e6:.0f} |")
print("| list | side | answers | MB each | p50 ms | MB/s |")
print("|---|---|---:|---:|---:|---:|")
line(f"1-mile circle, {months} months, GeoJSON", "police-api (HTTP, curl)", api)
line(f"1-mile circle, {months} months, GeoJSON Features", "PostgreSQL COPY", list(zip(pg_bytes, (ms / 1e3 for ms in pg_ms))))
pg_national = [float(ms) / 1e3 for (ms,) in rows("copy-national-ms.txt")]
for name, size, seconds, crimes, before, after, peak in rows("api-national.txt"):
    what = "national month, CSV" if name == "month" else f"national {months} months, CSV"
    line(what, "police-api (HTTP, curl)", [(int(size), float(seconds))])
    if name == "month":
        line(what, "PostgreSQL COPY (median of 3)", [(national_bytes, statistics.median(pg_national))])
print()
print("| national CSV | crimes | VmRSS before | VmRSS after | peak (VmHWM) while streaming |")
print("|---|---:|---:|---:|---:|")
for name, size, seconds, crimes, before, after, peak in rows("api-national.txt"):
    mib = lambda kib: f"{int(kib) / 1024:.1f} MiB"
    print(f"| {name} | {crimes} | {mib(before)} | {mib(after)} | {mib(peak)} (+{(int(peak) - int(before)) / 1024:.1f}) |")
print()
print(f"PostgreSQL's national month: {national_rows} rows, {national_bytes} bytes")
EOF
echo "CPU (1/100 s; RSS in KiB):" | tee -a "$work/lists.md"
sed 's/^/    /' "$work/cpu-ticks.txt" | tee -a "$work/lists.md"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $cores cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r)" | tee -a "$work/lists.md"
echo "written: $work/lists.md"
