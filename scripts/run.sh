#!/usr/bin/env bash
# make run: train a first model if there is none, then run predictd and apid
# in the foreground on embedded defaults (SQLite, dev secret). Ctrl-C stops both.
# Usage: run.sh BIN DATA MODELS
set -euo pipefail
BIN=$1 DATA=$2 MODELS=$3
API_ADDR=${API_ADDR:-127.0.0.1:8000}
PREDICT_ADDR=${PREDICT_ADDR:-127.0.0.1:8001}
METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:8002}

if [ ! -f "$MODELS/best_model_metrics.json" ]; then
  echo "run: no model in $MODELS yet: running the pipeline on synthetic shots first (make pipeline)"
  scripts/pipeline.sh "$BIN" "$DATA" "$MODELS" "${SEED:-42}" "${ROWS:-200000}" ""
fi

pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

"$BIN/predictd" --addr "$PREDICT_ADDR" --models-dir "$MODELS" & pids+=($!)
dev=()
[ -z "${JWT_SECRET:-}${JWT_SECRET_FILE:-}" ] && dev=(--dev)
PREDICT_URL="http://$PREDICT_ADDR" "$BIN/apid" --addr "$API_ADDR" --metrics-addr "$METRICS_ADDR" --data-dir "$DATA" "${dev[@]}" & pids+=($!)

for i in $(seq 100); do
  curl -fsS "http://$API_ADDR/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
cat <<MSG

  nba-mlops is running (Ctrl-C stops it)
    web UI        http://$API_ADDR/ui
    API docs      http://$API_ADDR/docs     (Swagger UI: "Authorize" with your user, then "Try it out")
    API           http://$API_ADDR/         metrics: http://$METRICS_ADDR/metrics
    predictd      http://$PREDICT_ADDR/v2   metrics: http://$PREDICT_ADDR/metrics

  Sign up and get a token:
    curl -s -X POST http://$API_ADDR/signup -H 'Content-Type: application/json' \\
         -d '{"username":"newuser","password":"newpassword","disabled":false}'
    curl -s -X POST http://$API_ADDR/token -d 'username=newuser&password=newpassword'

MSG
wait -n "${pids[@]}"
