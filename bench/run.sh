#!/usr/bin/env bash
# make bench, part 2: wrk load tests of predictd and apid on this machine,
# with the binaries built by make build and a model trained by the real
# pipeline on synthetic shots. apid uses PostgreSQL when DATABASE_URL (or
# TEST_DATABASE_URL) is set, as the speed target assumes, else SQLite.
#
# wrk runs on the same cores as the services. predictd is given one
# scheduler thread (GOMAXPROCS=1) so that it does not fight wrk's two threads
# for the cores: that halves its p99 at the cost of a third of its peak
# throughput. Set PREDICTD_PROCS to try another value.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
DUR=${DUR:-15s}
W=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
freeport() { local p; while :; do p=$((20000 + RANDOM % 20000)); ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }; done; }
waitup() { for i in $(seq 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "bench: $1 did not come up" >&2; return 1; }

echo "== training a model on 100,000 synthetic shots (make pipeline)"
scripts/pipeline.sh "$BIN" "$W/data" "$W/models" 42 100000 "" >/dev/null 2>"$W/pipeline.log"

PP=$(freeport); AP=$(freeport)
GOMAXPROCS=${PREDICTD_PROCS:-1} "$BIN/predictd" --addr "127.0.0.1:$PP" --models-dir "$W/models" 2>"$W/predictd.log" & pids+=($!)
waitup "http://127.0.0.1:$PP/readyz"
echo "== predictd POST /predict, wrk -t2 -c64 -d$DUR (GOMAXPROCS=${PREDICTD_PROCS:-1})"
bench/predictd_wrk.sh "http://127.0.0.1:$PP" "$DUR"

db=${DATABASE_URL:-${TEST_DATABASE_URL:-}}
if [ -z "$db" ]; then echo "bench: no DATABASE_URL or TEST_DATABASE_URL: apid runs on SQLite, not the PostgreSQL of the target"; fi
head -c 48 /dev/urandom | base64 > "$W/jwt"
DATABASE_URL=$db JWT_SECRET_FILE="$W/jwt" PREDICT_URL="http://127.0.0.1:$PP" "$BIN/apid" --addr "127.0.0.1:$AP" --metrics-addr "127.0.0.1:$(freeport)" \
  --data-dir "$W/data" --bcrypt-cost 10 2>"$W/apid.log" & pids+=($!)
waitup "http://127.0.0.1:$AP/healthz"
user="bench$RANDOM$RANDOM"; pw=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
curl -fsS -X POST "http://127.0.0.1:$AP/signup" -H 'Content-Type: application/json' \
  -d "{\"username\":\"$user\",\"password\":\"${pw}xx\",\"disabled\":false}" >/dev/null
token=$(curl -fsS -X POST "http://127.0.0.1:$AP/token" -d "username=$user&password=${pw}xx" | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
echo "== apid POST /predict (Bearer, stored), wrk -t2 -c64 -d$DUR"
bench/apid_wrk.sh "http://127.0.0.1:$AP" "$token" "$DUR"
