// Package stage is the scaffolding every batch binary shares: the common
// flags, the signal-file protocol that chains the pipeline's containers (the
// original system's entrypoint.sh, built in), logging to stderr and to
// logs/logs.log, progress on a terminal, and a Prometheus textfile per stage
// so that node-exporter can tell when the pipeline last succeeded.
package stage
