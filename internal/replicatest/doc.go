// Package replicatest shows that several apid and predictd processes on one
// PostgreSQL and one models directory behave as one system. It holds tests
// only: they build the real binaries, start 3 apid and 2 predictd behind a
// small round-robin reverse proxy (as a Kubernetes Service or HAProxy would
// put them) and drive the HTTP API under load while a model is promoted,
// while one apid and one predictd are killed, and while every apid is
// restarted in turn.
//
// The tests need PostgreSQL (TEST_DATABASE_URL); they skip without it,
// except with NBA_REQUIRE_INTEGRATION=1, where its absence is a failure.
package replicatest
