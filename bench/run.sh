#!/usr/bin/env bash
# make bench, part 2: wrk load tests of predictd and apid on this machine,
# with the binaries built by make build and a model trained by the real
# pipeline on synthetic shots. Every run prints its figures, the CPU each
# process used per request (read from /proc during the run: bench/cpu.sh)
# and the load average, and a summary table closes the output.
#
# PostgreSQL: as root with PostgreSQL 15's binaries installed, apid gets a
# cluster of its own in a temp dir with the default durability (fsync on,
# synchronous_commit on), so no other work on a shared server counts in its
# CPU or latency. BENCH_PG=shared uses DATABASE_URL (or TEST_DATABASE_URL)
# instead; then the postgres CPU figure is that of every cluster on the
# machine. Without either, the PostgreSQL runs are skipped. The SQLite runs
# always happen.
#
# wrk runs on the same cores as the services. predictd is measured with one
# scheduler thread (GOMAXPROCS=1, the setting apid is measured against, so
# that it does not fight wrk's two threads and apid for the cores) and with
# GOMAXPROCS unset. Set PREDICTD_PROCS to change the first, DUR the length of
# each run (default 15s), BENCH_ONLY to a space-separated subset of
# "predictd pg sqlite" to run only those.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
DUR=${DUR:-15s}
ONLY=${BENCH_ONLY:-predictd pg sqlite}
W=$(mktemp -d)
pids=()
pgdir=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$pgdir" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
  rm -rf "$W"
}
trap cleanup EXIT
freeport() { local p; while :; do p=$((20000 + RANDOM % 20000)); ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }; done; }
waitup() { for _ in $(seq 200); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "bench: $1 did not come up" >&2; return 1; }
want() { [[ " $ONLY " == *" $1 "* ]]; }
summary=()

echo "== machine: $(nproc) cores; $(uptime | sed 's/.*load average/load average/')"
echo "== training a model on 100,000 synthetic shots (make pipeline)"
scripts/pipeline.sh "$BIN" "$W/data" "$W/models" 42 100000 "" >/dev/null 2>"$W/pipeline.log"

# start_predictd PROCS: starts predictd (GOMAXPROCS=PROCS, unset when empty)
# on $PP and sets PD_PID.
start_predictd() {
  PP=$(freeport)
  if [ -n "$1" ]; then
    GOMAXPROCS=$1 "$BIN/predictd" --addr "127.0.0.1:$PP" --models-dir "$W/models" 2>>"$W/predictd.log" &
  else
    env -u GOMAXPROCS "$BIN/predictd" --addr "127.0.0.1:$PP" --models-dir "$W/models" 2>>"$W/predictd.log" &
  fi
  PD_PID=$!
  pids+=("$PD_PID")
  waitup "http://127.0.0.1:$PP/readyz"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# figures NAME OUTPUT: one summary line from a wrk script's output.
figures() {
  local name=$1 out=$2 rps p99 cpu
  if echo "$out" | grep -q '^{"requests"'; then
    rps=$(echo "$out" | grep '^{"requests"' | jq -r '.req_per_s')
    p99=$(echo "$out" | grep '^{"requests"' | jq -r '.latency_ms.p99')
  else
    rps=$(echo "$out" | sed -n 's/^result req\/s=\([0-9.]*\).*/\1/p')
    p99=$(echo "$out" | sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p')
  fi
  cpu=$(echo "$out" | grep '^{"cpu"' | jq -r '. as $r | [.cpu | to_entries[] | "\(.key) \(.value.us_per_req)"] | join(", ") + "  (load \($r.load_avg_1m))"')
  summary+=("$(printf '%-34s %9s req/s  p99 %7s ms  CPU µs/request: %s' "$name" "$rps" "$p99" "$cpu")")
}

if want predictd; then
  for procs in "${PREDICTD_PROCS:-1}" ""; do
    start_predictd "$procs"
    echo "== predictd POST /predict, wrk -t2 -c64 -d$DUR (GOMAXPROCS=${procs:-unset})"
    out=$(CPU_PROCS="predictd=$PD_PID" bench/predictd_wrk.sh "http://127.0.0.1:$PP" "$DUR") || { echo "$out"; exit 1; }
    echo "$out"
    figures "predictd /predict (GOMAXPROCS=${procs:-unset})" "$out"
    stop "$PD_PID"
  done
fi

start_predictd "${PREDICTD_PROCS:-1}"

# PostgreSQL for the pg runs: DB_URL and PG_PIDS (postmasters, counted with
# their children).
PGBIN=/usr/lib/postgresql/15/bin
DB_URL='' PG_PIDS=''
if want pg; then
  if [ "${BENCH_PG:-}" != shared ] && [ "$(id -u)" = 0 ] && [ -x "$PGBIN/initdb" ] && command -v runuser >/dev/null; then
    pgdir=$(mktemp -d /tmp/bench-pg.XXXXXX)
    chown postgres:postgres "$pgdir"
    port=$(freeport)
    pw=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    echo "$pw" >"$pgdir/pw"
    chown postgres "$pgdir/pw"
    runuser -u postgres -- "$PGBIN/initdb" -D "$pgdir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$pgdir/pw" -E UTF8 --locale=C.UTF-8 >/dev/null
    # Default durability: fsync and synchronous_commit stay on. A second
    # try on another port, in case another process took the free one.
    for try in 1 2; do
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
        -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1" start >/dev/null && break
      tail -n 5 "$pgdir/log" >&2
      [ "$try" = 2 ] && exit 1
      port=$(freeport)
    done
    DB_URL="postgres://postgres:$pw@127.0.0.1:$port/postgres?sslmode=disable"
    PG_PIDS=$(head -n 1 "$pgdir/data/postmaster.pid")
    echo "== PostgreSQL: a cluster of its own ($("$PGBIN/postgres" --version)), default durability"
  elif [ -n "${DATABASE_URL:-${TEST_DATABASE_URL:-}}" ]; then
    DB_URL=${DATABASE_URL:-$TEST_DATABASE_URL}
    for p in $(pgrep -x postgres || true); do # postmasters: postgres processes whose parent is not one
      [ "$(cat "/proc/$(awk '{print $4}' "/proc/$p/stat")/comm" 2>/dev/null)" = postgres ] || PG_PIDS+="${PG_PIDS:+,}$p"
    done
    echo "== PostgreSQL: DATABASE_URL/TEST_DATABASE_URL (shared: its CPU figure counts every cluster here)"
  else
    echo "== PostgreSQL runs skipped: not root with $PGBIN, and no DATABASE_URL or TEST_DATABASE_URL"
  fi
fi

head -c 48 /dev/urandom | base64 >"$W/jwt"
# bench_apid KIND DB_URL: apid on that store, /predict then /predict/shot.
bench_apid() {
  local kind=$1 db=$2 ap mp args=() metrics user pw token endpoint out procs
  ap=$(freeport)
  mp=$(freeport) # /metrics is on a listener of its own
  args+=(--metrics-addr "127.0.0.1:$mp")
  metrics="http://127.0.0.1:$mp"
  DATABASE_URL=$db JWT_SECRET_FILE="$W/jwt" PREDICT_URL="http://127.0.0.1:$PP" "$BIN/apid" --addr "127.0.0.1:$ap" \
    --data-dir "$W/apid-$kind" --bcrypt-cost 10 "${args[@]}" 2>"$W/apid-$kind.log" &
  local apid_pid=$!
  pids+=("$apid_pid")
  waitup "http://127.0.0.1:$ap/healthz"
  user="bench$RANDOM$RANDOM"
  pw=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')xx
  curl -fsS -X POST "http://127.0.0.1:$ap/signup" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$user\",\"password\":\"$pw\",\"disabled\":false}" >/dev/null
  token=$(curl -fsS -X POST "http://127.0.0.1:$ap/token" -d "username=$user&password=$pw" | jq -r .access_token)
  procs="apid=$apid_pid predictd=$PD_PID"
  [ "$kind" = postgres ] && procs+=" postgres=$PG_PIDS"
  echo "== CPU split of: $procs (with their children)"
  for endpoint in /predict /predict/shot; do
    echo "== apid POST $endpoint on $kind (Bearer, stored), wrk -t2 -c64 -d$DUR"
    out=$(CPU_PROCS=$procs ENDPOINT=$endpoint METRICS_URL=$metrics bench/apid_wrk.sh "http://127.0.0.1:$ap" "$token" "$DUR") ||
      { echo "$out"; exit 1; }
    echo "$out"
    figures "apid $endpoint on $kind" "$out"
  done
  stop "$apid_pid"
}

if want pg && [ -n "$DB_URL" ]; then bench_apid postgres "$DB_URL"; fi
if want sqlite; then bench_apid sqlite ""; fi

echo
echo "== summary (wrk -t2 -c64 -d$DUR; $(nproc) cores shared by wrk and the services; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${summary[@]}"
