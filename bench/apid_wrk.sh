#!/usr/bin/env bash
# Load test of apid's POST /predict (or /predict/shot) with wrk. Target: at
# least 5,000 req/s with p99 under 50 ms at -t2 -c64 -d15s on a 2-core
# machine, PostgreSQL backend with its default durability, wrk on the same
# cores.
#
#   bench/apid_wrk.sh BASE_URL TOKEN [DURATION] [THREADS] [CONNECTIONS]
#   bench/apid_wrk.sh http://127.0.0.1:8000 "$(curl -s -d 'username=u&password=p' http://127.0.0.1:8000/token | jq -r .access_token)"
#
# Environment: ENDPOINT=/predict/shot posts raw shots; METRICS_URL is where
# apid's /metrics is served (default BASE_URL); CPU_PROCS="apid=PID
# predictd=PID postgres=PID" adds the CPU each process (with its children)
# used during the run, per request (bench/cpu.sh).
#
# It also checks that every 200 answer is a stored row: it reads
# nba_predictions_stored from /metrics before and after the run (waiting out
# the gauge's 10 s cache) and compares the difference with wrk's count of
# 200s. Requests still in flight when wrk stops are stored but not counted,
# so up to CONNECTIONS more rows than 200s is expected; fewer rows than 200s
# would mean an answer without a stored row. Nothing else may write
# predictions during the run. Exit status: 0 when the counts agree, 1 when
# they do not, 2 on usage errors.
set -euo pipefail

if [ $# -lt 2 ]; then
  sed -n '2,24p' "$0" >&2
  exit 2
fi
base=${1%/}
token=$2
duration=${3:-15s}
threads=${4:-2}
conns=${5:-64}
metrics=${METRICS_URL:-$base}
metrics=${metrics%/}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/cpu.sh
. "$here/cpu.sh"

command -v wrk >/dev/null || { echo "apid_wrk.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }

stored() {
  curl -fsS "$metrics/metrics" | awk '$1 == "nba_predictions_stored" { printf "%d\n", $2 }'
}

# The token must work before we measure anything.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/verify_random_prediction")
if [ "$code" != 200 ]; then
  echo "apid_wrk.sh: GET /verify_random_prediction with the token answered $code" >&2
  exit 2
fi

sleep 11 # let the gauge's cache expire
before=$(stored)
cpu0=$(cpu_sample)
out=$(TOKEN=$token ENDPOINT=${ENDPOINT:-/predict} run_wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/apid_predict.lua" "$base")
cpu1=$(cpu_sample)
echo "$out" | grep -v -e '^cpu_wrk_s=' -e '^wall_s='
sleep 11
after=$(stored)

result=$(echo "$out" | grep '^{"requests"')
ok=$(echo "$result" | sed -n 's/.*"status_200": \([0-9]*\).*/\1/p')
reqs=$(echo "$result" | sed -n 's/.*"requests": \([0-9]*\).*/\1/p')
cpu_report "$cpu0" "$cpu1" "$(echo "$out" | sed -n 's/^cpu_wrk_s=//p')" "$reqs" "$(echo "$out" | sed -n 's/^wall_s=//p')"
rows=$((after - before))
echo "{\"rows_stored\": $rows, \"status_200\": $ok, \"in_flight_at_stop\": $((rows - ok))}"
if [ "$rows" -lt "$ok" ] || [ "$rows" -gt $((ok + conns)) ]; then
  echo "apid_wrk.sh: $ok answers were 200 but $rows rows were stored (want $ok..$((ok + conns)))" >&2
  exit 1
fi
