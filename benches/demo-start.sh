#!/usr/bin/env bash
# Time `police-api demo` from launch until /api/forces answers: first run (initdb, generate,
# import) and second run (data already there). Usage: benches/demo-start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/police-api
data=$(mktemp -d /tmp/police-demo-bench.XXXXXX)
chmod 755 "$data" # the embedded cluster runs as the postgres user when we are root
port=18080
trap 'rm -rf "$data"' EXIT

run_once() {
  local start end pid
  start=$(date +%s.%N)
  "$bin" --data-dir "$data" demo --bind "127.0.0.1:$port" >"$data.log" 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/api/forces" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$data.log"; exit 1; }
    sleep 0.05
  done
  end=$(date +%s.%N)
  kill -INT "$pid"; wait "$pid" || true
  printf '%.2f' "$(echo "$end - $start" | bc)"
}

first=$(run_once)
second=$(run_once)
rm -f "$data.log"
echo "| demo first run (initdb, generate, import, serve) | ${first} s |"
echo "| demo second run (start, snapshot, serve) | ${second} s |"
