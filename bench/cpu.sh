#!/usr/bin/env bash
# CPU split of a load test: sourced by bench/apid_wrk.sh and
# bench/predictd_wrk.sh. Set CPU_PROCS to "name=PID ..." (say
# "apid=123 predictd=456 postgres=789"); each PID is counted with its child
# processes (a PostgreSQL postmaster with its backends, WAL writer and
# checkpointer), read from /proc/PID/stat just before and just after wrk
# runs. A name may be given several PIDs joined by commas. wrk's own CPU is
# taken by the shell that waits for it (`times`), so it is exact.

# tree_ticks PID: user+system clock ticks of PID, of its live children, and
# of the children it has already reaped (a PostgreSQL backend that ended
# during the run still counts through its postmaster).
tree_ticks() {
  local total=0 f stat rest
  for stat in /proc/[0-9]*/stat; do
    rest=$(cat "$stat" 2>/dev/null) || continue
    rest=${rest##*) } # after the command name, which may hold spaces
    read -r -a f <<<"$rest"
    # f[1] is the parent; f[11..14] are utime, stime, cutime, cstime
    # (fields 14 to 17 of stat).
    if [ "${stat#/proc/}" = "$1/stat" ] || [ "${f[1]}" = "$1" ]; then
      total=$((total + f[11] + f[12] + f[13] + f[14]))
    fi
  done
  echo "$total"
}

# cpu_sample: one "name=ticks" word per entry of CPU_PROCS.
cpu_sample() {
  local e name pids p n words=()
  for e in ${CPU_PROCS:-}; do
    name=${e%%=*} pids=${e#*=} n=0
    for p in ${pids//,/ }; do n=$((n + $(tree_ticks "$p"))); done
    words+=("$name=$n")
  done
  echo "${words[*]}"
}

# cpu_report BEFORE AFTER WRK_SECONDS REQUESTS WALL_SECONDS: a JSON object
# with, per process, the CPU it used during the run in µs per request and as
# a share of the machine's cores.
cpu_report() {
  local before=$1 after=$2 wrk_s=$3 reqs=$4 wall=$5
  awk -v b="$before" -v a="$after" -v w="$wrk_s" -v n="$reqs" -v wall="$wall" \
    -v hz="$(getconf CLK_TCK)" -v cores="$(nproc)" 'BEGIN {
    split(b, bs, " "); split(a, as, " ")
    for (i in bs) { split(bs[i], kv, "="); base[kv[1]] = kv[2] }
    out = ""
    for (i = 1; i in as; i++) {
      split(as[i], kv, "="); s = (kv[2] - base[kv[1]]) / hz
      out = out sprintf("\"%s\": {\"cpu_s\": %.2f, \"us_per_req\": %.0f, \"share\": %.2f}, ", kv[1], s, s * 1e6 / (n > 0 ? n : 1), s / wall / cores)
    }
    out = out sprintf("\"wrk\": {\"cpu_s\": %.2f, \"us_per_req\": %.0f, \"share\": %.2f}", w, w * 1e6 / (n > 0 ? n : 1), w / wall / cores)
    printf "{\"cpu\": {%s}, \"cores\": %d, \"load_avg_1m\": \"%s\"}\n", out, cores, loadavg()
  }
  function loadavg(   l) { getline l < "/proc/loadavg"; split(l, f, " "); return f[1] }'
}

# run_wrk ARGS...: runs wrk, prints its output, then one line
# "cpu_wrk_s=SECONDS wall_s=SECONDS" from the shell's accounting of wrk.
run_wrk() {
  local t0 t1
  t0=$(date +%s.%N)
  (wrk "$@"; times) | {
    local lines=()
    while IFS= read -r l; do lines+=("$l"); done
    local n=${#lines[@]}
    printf '%s\n' "${lines[@]:0:n-2}"
    # times: line 1 is the subshell, line 2 its children (wrk): "0m1.23s 0m0.45s"
    echo "${lines[n-1]}" | awk '{ gsub(/s/, "", $1); gsub(/s/, "", $2); split($1, u, "m"); split($2, s, "m");
      printf "cpu_wrk_s=%.2f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
  }
  t1=$(date +%s.%N)
  echo "wall_s=$(echo "$t1 - $t0" | bc)"
}
