#!/usr/bin/env bash
# make run: train a first model if there is none, then run predictd and apid
# in the foreground on embedded defaults (SQLite, dev secret). Ctrl-C stops both.
# The daemons log to logs/predictd.log and logs/apid.log beside the data dir.
# Usage: run.sh BIN DATA MODELS
set -euo pipefail
BIN=$1 DATA=$2 MODELS=$3
API_ADDR=${API_ADDR:-127.0.0.1:8000}
PREDICT_ADDR=${PREDICT_ADDR:-127.0.0.1:8001}
METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:8002}
mkdir -p "$DATA"
LOGS=$(cd "$DATA/.." && pwd)/logs
mkdir -p "$LOGS"

# in_use ADDR: something accepts connections there.
in_use() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }
for addr in "$API_ADDR" "$PREDICT_ADDR" "$METRICS_ADDR"; do
  if in_use "$addr"; then
    if curl -fsS "http://$API_ADDR/healthz" >/dev/null 2>&1; then
      echo "run: nba-mlops is already running: web UI http://$API_ADDR/ui, API docs http://$API_ADDR/docs" >&2
      echo "run: stop it with Ctrl-C in its terminal first, or start a second one on other ports:" >&2
      echo "     make run API_ADDR=127.0.0.1:9000 PREDICT_ADDR=127.0.0.1:9001 METRICS_ADDR=127.0.0.1:9002" >&2
    else
      echo "run: another program is listening on $addr; stop it, or pick other ports:" >&2
      echo "     make run API_ADDR=127.0.0.1:9000 PREDICT_ADDR=127.0.0.1:9001 METRICS_ADDR=127.0.0.1:9002" >&2
    fi
    exit 1
  fi
done

if [ ! -f "$MODELS/best_model_metrics.json" ]; then
  echo "run: no model in $MODELS yet: running the pipeline on synthetic shots first (make pipeline)"
  scripts/pipeline.sh "$BIN" "$DATA" "$MODELS" "${SEED:-42}" "${ROWS:-200000}" ""
fi

pids=()
# shellcheck disable=SC2317 # called by the EXIT trap
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT
trap 'exit 0' INT TERM # Ctrl-C: the EXIT trap stops both

"$BIN/predictd" --addr "$PREDICT_ADDR" --models-dir "$MODELS" 2>>"$LOGS/predictd.log" & pids+=($!)
dev=()
[ -z "${JWT_SECRET:-}${JWT_SECRET_FILE:-}" ] && dev=(--dev)
PREDICT_URL="http://$PREDICT_ADDR" "$BIN/apid" --addr "$API_ADDR" --metrics-addr "$METRICS_ADDR" --data-dir "$DATA" "${dev[@]}" 2>>"$LOGS/apid.log" & pids+=($!)

# Both must answer /healthz; a daemon that exits first has said why in its log.
for name in predictd apid; do
  addr=$PREDICT_ADDR pid=${pids[0]}
  [ "$name" = apid ] && addr=$API_ADDR pid=${pids[1]}
  for _ in $(seq 100); do
    curl -fsS "http://$addr/healthz" >/dev/null 2>&1 && continue 2
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run: $name exited at start; the end of ${LOGS#"$PWD"/}/$name.log:" >&2
      tail -n 5 "$LOGS/$name.log" | sed 's/^/  /' >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "run: $name did not answer http://$addr/healthz within 10 s; see ${LOGS#"$PWD"/}/$name.log" >&2
  exit 1
done
champ=$(grep -o '"model": *"[^"]*"' "$MODELS/best_model_metrics.json" 2>/dev/null | cut -d'"' -f4 || true)
cat <<MSG

  nba-mlops is running (Ctrl-C stops it); model: ${champ:-none yet}
    web UI        http://$API_ADDR/ui
    API docs      http://$API_ADDR/docs     (Swagger UI: "Authorize" with your user, then "Try it out")
    API           http://$API_ADDR/         metrics: http://$METRICS_ADDR/metrics
    predictd      http://$PREDICT_ADDR/v2   metrics: http://$PREDICT_ADDR/metrics
    logs          ${LOGS#"$PWD"/}/apid.log, ${LOGS#"$PWD"/}/predictd.log

  Sign up and get a token (more examples in README.md, bodies in examples/):
    curl -s -X POST http://$API_ADDR/signup -H 'Content-Type: application/json' \\
         -d '{"username":"newuser","password":"newpassword","disabled":false}'
    curl -s -X POST http://$API_ADDR/token -d 'username=newuser&password=newpassword'

MSG
status=0
wait -n "${pids[@]}" || status=$?
echo "run: a daemon stopped (exit $status); see ${LOGS#"$PWD"/}/apid.log and ${LOGS#"$PWD"/}/predictd.log" >&2
exit "$status"
