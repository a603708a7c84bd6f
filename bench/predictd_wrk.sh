#!/usr/bin/env bash
# Load test of predictd's POST /predict with wrk (target: at least 20,000
# req/s with p99 under 10 ms at -t2 -c64 -d15s on a 2-core machine).
#
#   bench/predictd_wrk.sh BASE_URL [DURATION] [THREADS] [CONNECTIONS]
#
# CPU_PROCS="predictd=PID" adds the CPU predictd and wrk used per request
# (bench/cpu.sh). Fails when any answer is not a 200, so a fast run of errors
# cannot pass.
set -euo pipefail
if [ $# -lt 1 ]; then sed -n '2,9p' "$0" >&2; exit 2; fi
base=${1%/}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/cpu.sh
. "$here/cpu.sh"
command -v wrk >/dev/null || { echo "predictd_wrk.sh: wrk is not installed (apt-get install wrk)" >&2; exit 2; }
cpu0=$(cpu_sample)
out=$(run_wrk -t"${3:-2}" -c"${4:-64}" -d"${2:-15s}" --latency -s "$here/predictd_predict.lua" "$base/predict")
cpu1=$(cpu_sample)
echo "$out" | grep -v -e '^cpu_wrk_s=' -e '^wall_s='
reqs=$(echo "$out" | sed -n 's/^ *\([0-9]*\) requests in .*/\1/p')
cpu_report "$cpu0" "$cpu1" "$(echo "$out" | sed -n 's/^cpu_wrk_s=//p')" "$reqs" "$(echo "$out" | sed -n 's/^wall_s=//p')"
statuses=$(echo "$out" | sed -n 's/^statuses //p')
if [ -z "$statuses" ] || echo "$statuses" | tr ' ' '\n' | grep -qv '^200='; then
  echo "predictd_wrk.sh: answers other than 200: $statuses" >&2
  exit 1
fi
