#!/usr/bin/env bash
# The nightly pipeline as separate processes chained by signal files, the way
# docker-compose.yml runs it: every stage starts at once and waits for the
# signal of the one before it. Usage: pipeline.sh BIN DATA MODELS SEED ROWS [SOURCE]
#
# The terminal gets one line per stage; each stage's JSON report and log go to
# logs/pipeline/<stage>.{json,log} beside the data dir (and, as always, to
# logs/logs.log). When a stage fails, the others are stopped quietly and the
# failing stage's last log lines are the last thing printed.
set -euo pipefail
BIN=$1 DATA=$2 MODELS=$3 SEED=$4 ROWS=$5 SOURCE=${6:-}
mkdir -p "$DATA" "$MODELS"
LOGS=$(cd "$DATA/.." && pwd)/logs/pipeline
mkdir -p "$LOGS"
export NBA_DATA_DIR=$DATA NBA_MODELS_DIR=$MODELS NBA_CHAIN=1 NBA_WAIT_TIMEOUT=${NBA_WAIT_TIMEOUT:-30m}
if [ -n "$SOURCE" ]; then
  gen=("$BIN/generate-data" --source "$SOURCE" --fraction "${FRACTION:-0.1}" --seed "$SEED")
else
  gen=("$BIN/generate-data" --synthetic "$ROWS" --seed "$SEED")
fi
gen+=(--out "$DATA/new_data/new_data.csv")

stages=(generate-data ingest process featurize train infer)
declare -A name_of=()
pids=()
start() { # start STAGE CMD...: run it in the background, output to its files
  local stage=$1
  shift
  "$@" >"$LOGS/$stage.json" 2>"$LOGS/$stage.log" &
  pids+=($!)
  name_of[$!]=$stage
}
# The later stages first, so each is waiting before its signal can appear.
for ((i = ${#stages[@]} - 1; i > 0; i--)); do start "${stages[i]}" "$BIN/${stages[i]}"; done
start generate-data "${gen[@]}"

echo "pipeline: ${stages[*]} (reports and logs in ${LOGS#"$PWD"/})"
stop_all() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop_all EXIT
# summary STAGE: the figures of the stage's "stage done" log line.
summary() {
  local line rows ms
  line=$(grep -h 'stage done' "$LOGS/$1.log" | tail -1 || true)
  rows=$(grep -o 'rows=[0-9]*' <<<"$line" | head -1 | cut -d= -f2 || true)
  ms=$(grep -o 'duration_ms=[0-9]*' <<<"$line" | cut -d= -f2 || true)
  printf '  %-14s ok  %s rows, %s ms' "$1" "${rows:-?}" "${ms:-?}"
  case $1 in
  ingest) grep -o 'accepted=[0-9]*\|duplicates=[0-9]*\|quarantined=[0-9]*' "$LOGS/$1.log" | tail -3 | tr '\n' ' ' | sed 's/^/  /' ;;
  train) grep -o 'promoted=[a-z]*\|reason="[^"]*"' "$LOGS/$1.log" | tail -2 | tr '\n' ' ' | sed 's/^/  /' ;;
  infer) grep -q '"skipped": true' "$LOGS/$1.json" && printf '  (skipped: no new champion)' ;;
  esac
  echo
}
while ((${#pids[@]})); do
  status=0
  wait -n -p finished "${pids[@]}" || status=$?
  stage=${name_of[$finished]}
  left=()
  for p in "${pids[@]}"; do [ "$p" = "$finished" ] || left+=("$p"); done
  pids=("${left[@]}")
  if ((status != 0)); then
    stop_all
    pids=()
    echo "  (the other stages were stopped: they were waiting for $stage)"
    echo
    echo "pipeline: $stage FAILED (exit $status). Its last log lines (all of it: ${LOGS#"$PWD"/}/$stage.log):" >&2
    tail -n 5 "$LOGS/$stage.log" | sed 's/^/  /' >&2
    exit 1
  fi
  summary "$stage"
done
trap - EXIT
champ=$MODELS/best_model_metrics.json
if [ -f "$champ" ]; then
  echo "pipeline: done. Champion: $(grep -o '"model": *"[^"]*"' "$champ" | cut -d'"' -f4), $(grep -o '"roc_auc": *[0-9.]*' "$champ" | tr -d '" ') (details: $champ)"
else
  echo "pipeline: done. No champion yet."
fi
