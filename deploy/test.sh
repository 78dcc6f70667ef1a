#!/usr/bin/env bash
# The deployment recipe end to end (issue 16, 4), on small generated data: a PostgreSQL
# cluster of its own with a hot standby (streaming replication), two `police-api serve`
# replicas (the second loading its snapshots from the standby, --snapshot-database-url), and
# Debian's nginx in front with deploy/nginx/police-api.conf as written (only its ports
# changed). Checks:
#   1. an import is seen by both replicas (and through nginx); the one reading the standby
#      waits until the standby has replayed it (replay paused: it keeps the old snapshot);
#   2. under wrk load through nginx, one replica killed with kill -9 costs no request beyond
#      those in flight on it (nginx retries the others on the live replica);
#   3. the killed replica, started again, rejoins: nginx sends it requests.
#
#   deploy/test.sh [police-api binary]     (default target/debug/police-api)
#
# Installs nginx-light and wrk from Debian's packages where missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-target/debug/police-api}")

missing=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    sudo_cmd=""
    [[ $(id -u) -eq 0 ]] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
pg_bin=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)
[[ -x $pg_bin/postgres ]] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql" >&2; exit 1; }

work=$(mktemp -d /tmp/police-deploy.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/logs" "$work/nginx"
fail() {
    echo "FAIL: $*" >&2
    for log in "$work"/logs/*.log; do
        echo "--- $log (last lines)" >&2
        tail -n 20 "$log" >&2
    done
    exit 1
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# shellcheck source=../benches/load/cluster.sh
source benches/load/cluster.sh
start_cluster <<'EOF' # sets database_url; stop_cluster on exit
max_connections = 60
EOF
replica_pids=(0 0)
nginx_pid=""
stop_all() {
    for pid in "${replica_pids[@]}"; do
        [[ $pid != 0 ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    [[ -f $work/standby/postmaster.pid ]] &&
        "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$work/standby" -m fast -w stop >/dev/null 2>&1
    stop_cluster
    rm -rf "$work"
}
trap stop_all EXIT

# Two months of two forces; the second is imported while the replicas serve.
archive=$work/archive
"$bin" generate --out "$archive" --preset demo --months 2 --forces city-of-london,west-yorkshire \
    --crimes-per-month 20000 >"$work/logs/generate.log" 2>&1
"$bin" --database-url "$database_url" import "$archive/boundaries" "$archive/api" "$archive/2024-01" \
    >"$work/logs/import-1.log" 2>&1 || fail "the first import failed"

# A hot standby of the cluster, streaming from it (what a read replica is). A fast
# checkpoint: the default spread one can hold the backup for minutes.
standby=$work/standby
mkdir -m 700 "$standby"
[[ ${#as_postgres[@]} -gt 0 ]] && chown postgres "$standby"
"${as_postgres[@]}" "$pg_bin/pg_basebackup" -D "$standby" -h "$socket_dir" -p "$port" -U police -R -X stream \
    --checkpoint=fast \
    >"$work/logs/basebackup.log" 2>&1 || fail "pg_basebackup failed"
standby_port=$((port + 1))
echo "port = $standby_port" >>"$standby/postgresql.conf"
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$standby" -l "$work/logs/standby.log" -w start >/dev/null ||
    fail "the standby did not start"
standby_url="postgres://police@/police?host=$socket_dir&port=$standby_port"
standby_psql=(psql -h "$socket_dir" -p "$standby_port" -U police -d police -X -q -t -A -v ON_ERROR_STOP=1)
[[ $("${standby_psql[@]}" -c "SELECT pg_is_in_recovery()") == t ]] || fail "the standby is not in recovery"

ports=("$(free_port)" "$(free_port)")
# Replica 0 reads the primary; replica 1 loads its snapshots from the standby.
replica_options=("" "--snapshot-database-url=$standby_url")
start_replica() { # index
    local i=$1
    # shellcheck disable=SC2086 # an empty option is no word
    "$bin" --database-url "$database_url" --log-format json serve --bind "127.0.0.1:${ports[$i]}" \
        --max-connections-per-client 4096 ${replica_options[$i]} >>"$work/logs/replica-$i.log" 2>&1 &
    replica_pids[i]=$!
}
wait_ready() { # url
    for _ in $(seq 600); do
        curl -sf "$1/readyz" >/dev/null && return 0
        sleep 0.2
    done
    fail "$1/readyz did not answer 200"
}
start_replica 0
start_replica 1
replica_urls=("http://127.0.0.1:${ports[0]}" "http://127.0.0.1:${ports[1]}")
wait_ready "${replica_urls[0]}"
wait_ready "${replica_urls[1]}"

# nginx with the recipe's server block, its ports changed; files under $work.
nginx_port=$(free_port)
front=http://127.0.0.1:$nginx_port
sed -e "s/listen 80;/listen 127.0.0.1:$nginx_port;/" \
    -e "s/127.0.0.1:8081/127.0.0.1:${ports[0]}/" -e "s/127.0.0.1:8082/127.0.0.1:${ports[1]}/" \
    deploy/nginx/police-api.conf >"$work/nginx/police-api.conf"
grep -q "127.0.0.1:${ports[1]}" "$work/nginx/police-api.conf" || fail "the recipe's upstream ports were not found"
for dir in body proxy fastcgi uwsgi scgi; do mkdir -p "$work/nginx/$dir"; done
chmod -R 777 "$work/nginx" # workers run as nobody when nginx starts as root
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/logs/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    include $work/nginx/police-api.conf;
}
EOF
"$nginx_bin" -e "$work/logs/nginx-error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -sf "$front/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$front/readyz" >/dev/null || fail "nginx does not answer on $front"
echo "PostgreSQL, replicas on ${ports[*]}, nginx on $nginx_port"

# 1. An import while both replicas serve: each sees the new month (LISTEN/NOTIFY on the
# primary). The standby's replay is paused first: replica 1 must keep its snapshot until the
# standby has the import, then load it without another notification.
dates() { curl -sf "$1/api/crimes-street-dates" | python3 -c 'import json, sys; print(" ".join(sorted(d["date"] for d in json.load(sys.stdin))))'; }
for i in 0 1; do
    [[ $(dates "${replica_urls[$i]}") == "2024-01" ]] || fail "before the import replica $i holds $(dates "${replica_urls[$i]}")"
done
"${standby_psql[@]}" -c "SELECT pg_wal_replay_pause()" >/dev/null
"$bin" --database-url "$database_url" import "$archive/2024-02" >"$work/logs/import-2.log" 2>&1 ||
    fail "the second import failed"
sees_both_months() { # replica index: waits up to 30 s
    for _ in $(seq 150); do
        [[ $(dates "${replica_urls[$1]}") == "2024-01 2024-02" ]] && return 0
        sleep 0.2
    done
    return 1
}
sees_both_months 0 || fail "replica 0 did not see the imported month: $(dates "${replica_urls[0]}")"
sleep 3 # replica 1 heard the notification as replica 0 did
[[ $(dates "${replica_urls[1]}") == "2024-01" ]] ||
    fail "replica 1 shows $(dates "${replica_urls[1]}") while its standby has not replayed the import"
"${standby_psql[@]}" -c "SELECT pg_wal_replay_resume()" >/dev/null
sees_both_months 1 || fail "replica 1 did not see the imported month once the standby replayed it: $(dates "${replica_urls[1]}")"
echo "ok: replica 1 kept its snapshot while the standby's replay was paused, and loaded the import from the standby once replayed"
[[ $(dates "$front") == "2024-01 2024-02" ]] || fail "through nginx: $(dates "$front")"
# Both replicas answer a query the same, byte for byte, directly and through nginx.
point=$(awk -F, 'NR > 1 && $5 != "" { print $6 "," $5; exit }' "$archive"/2024-02/2024-02-city-of-london-street.csv)
query="/api/crimes-street/all-crime?lat=${point%,*}&lng=${point#*,}&date=2024-02"
answer=$(curl -sf "${replica_urls[0]}$query" | sha256sum)
[[ $(curl -sf "${replica_urls[1]}$query" | sha256sum) == "$answer" ]] || fail "the replicas answer $query differently"
[[ $(curl -sf --compressed "$front$query" | sha256sum) == "$answer" ]] || fail "nginx changes the answer to $query"
crimes=$(curl -sf "$front$query" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
((crimes > 0)) || fail "$query has no crimes"
echo "ok: an import while serving is seen by both replicas; $query ($crimes crimes) is the same from each and through nginx"

# 2. kill -9 of replica 0 under load through nginx.
requests_of() { # replica url: requests it has answered (its /metrics)
    curl -sf "$1/metrics" | awk '/^police_api_http_requests_total\{/ { sum += $NF } END { print sum + 0 }'
}
cat >"$work/report.lua" <<'EOF'
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
        summary.requests, e.status, e.connect, e.read, e.write, e.timeout))
end
EOF
connections=8
wrk -t1 -c$connections -d10s --latency -s "$work/report.lua" -H "Accept-Encoding: gzip" "$front$query" \
    >"$work/logs/wrk.log" 2>&1 &
wrk_pid=$!
sleep 3
before_kill=$(requests_of "${replica_urls[0]}")
kill -9 "${replica_pids[0]}"
wait "${replica_pids[0]}" 2>/dev/null || true
replica_pids[0]=0
wait "$wrk_pid" || fail "wrk failed"
result=$(grep '^RESULT' "$work/logs/wrk.log") || fail "wrk reported nothing"
echo "wrk through nginx, replica 0 killed after 3 s: $result"
value() { sed -E "s/.* $1=([0-9]+).*/\1/" <<<"$result"; }
total=$(value requests)
failed=$(($(value non2xx) + $(value connect) + $(value read) + $(value write) + $(value timeout)))
((before_kill > 0)) || fail "replica 0 answered nothing through nginx before it was killed"
((total > 100)) || fail "only $total requests under load"
# At most the requests in flight on the killed replica: one per wrk connection.
((failed <= connections)) || fail "$failed of $total requests failed, more than the $connections that can be in flight"
echo "ok: kill -9 of one replica under load: $failed of $total requests failed (at most $connections could be in flight on it)"

# 3. Started again, replica 0 rejoins: after nginx's fail_timeout it is sent requests again.
start_replica 0
wait_ready "${replica_urls[0]}"
sleep 6 # fail_timeout=5s in the recipe
before=$(requests_of "${replica_urls[0]}")
for _ in $(seq 40); do curl -sf -o /dev/null "$front$query" || fail "$front$query failed after the restart"; done
after=$(requests_of "${replica_urls[0]}")
((after - before >= 10)) || fail "the restarted replica answered $((after - before)) of 40 requests through nginx"
echo "ok: the restarted replica rejoined: it answered $((after - before)) of 40 requests through nginx"
echo "deploy test passed"
