// Package deploytest checks the deployment files of the repository: the
// Dockerfile, both compose files, the Prometheus, Alertmanager and Grafana
// configuration and the GitHub Actions workflows.
//
// It holds tests only. They load what cannot run here (compose, Docker) with
// the same libraries the real tools use, and run what can: promtool, amtool,
// actionlint, and each binary with --check-config against the command line
// and environment its compose service gives it.
//
// External tools are skipped when missing, except with
// NBA_REQUIRE_INTEGRATION=1, where a missing tool fails the test.
package deploytest
