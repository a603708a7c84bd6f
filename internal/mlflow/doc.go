// Package mlflow is a small client for the REST API of an MLflow 2.x tracking
// server: just what train needs to record one training run. LogRun finds or
// creates the experiment (experiments/get-by-name, experiments/create),
// creates the run (runs/create), logs params, metrics and tags in batches
// within MLflow's limits (runs/log-batch), uploads the model file through the
// server's artifact proxy (PUT /api/2.0/mlflow-artifacts/artifacts/...) and
// closes the run (runs/update).
//
// Tracking is a side channel: a tracking server that is down must not hold up
// training. Every call therefore has a per-attempt timeout and a bounded retry
// budget (408, 429, 5xx and connection errors are retried with jittered
// exponential backoff, other 4xx fail at once), so LogRun against a dead
// server returns an error within seconds and the caller keeps its local
// record.
//
// There is no MLflow SDK for Go and no MLflow server on the build machine; the
// request shapes follow MLflow's REST API reference and its server handlers
// (mlflow/server/handlers.py, mlflow/utils/validation.py,
// mlflow/store/artifact/mlflow_artifacts_repo.py), and the tests check every
// request against them with an httptest server.
package mlflow
