#!/usr/bin/env bash
# The nightly pipeline as separate processes chained by signal files, the way
# docker-compose.yml runs it: every stage starts at once and waits for the
# signal of the one before it. Usage: pipeline.sh BIN DATA MODELS SEED ROWS [SOURCE]
set -euo pipefail
BIN=$1 DATA=$2 MODELS=$3 SEED=$4 ROWS=$5 SOURCE=${6:-}
mkdir -p "$DATA" "$MODELS"
export NBA_DATA_DIR=$DATA NBA_MODELS_DIR=$MODELS NBA_CHAIN=1 NBA_WAIT_TIMEOUT=${NBA_WAIT_TIMEOUT:-30m}
# A batch of fresh keys every night: the seed moves with the date unless SEED is fixed by the caller.
if [ -n "$SOURCE" ]; then
  gen=("$BIN/generate-data" --source "$SOURCE" --fraction "${FRACTION:-0.1}" --seed "$SEED")
else
  gen=("$BIN/generate-data" --synthetic "$ROWS" --seed "$SEED")
fi
pids=()
"$BIN/infer" & pids+=($!)
"$BIN/train" & pids+=($!)
"$BIN/featurize" & pids+=($!)
"$BIN/process" & pids+=($!)
"$BIN/ingest" & pids+=($!)
"${gen[@]}" --out "$DATA/new_data/new_data.csv" & pids+=($!)
# The first stage to fail stops the others: they would otherwise wait for a
# signal that never comes until --wait-timeout.
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
while ((${#pids[@]})); do
  if ! wait -n -p done "${pids[@]}"; then
    echo "pipeline: a stage failed; see the log lines above and logs/logs.log" >&2
    exit 1
  fi
  left=()
  for p in "${pids[@]}"; do [ "$p" = "$done" ] || left+=("$p"); done
  pids=("${left[@]}")
done
trap - EXIT
echo "pipeline: done. Champion: $(cat "$MODELS/best_model_metrics.json" 2>/dev/null || echo none)"
