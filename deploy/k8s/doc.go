// Package k8s holds the Kubernetes manifests of nba-mlops: a kustomize base
// (base/) and the overlays dev and prod (overlays/). It has no code of its
// own; its tests render every overlay with kubectl, check the rules the
// deployment promises (probes, limits, security context, replicas, ports),
// check that the PrometheusRule says what prometheus/alerting_rules.yml
// says, and apply every overlay to a real kube-apiserver with strict field
// validation (tools/kube-apiserver builds it; etcd comes from Debian's
// etcd-server).
//
// The tools are skipped when missing, except with NBA_REQUIRE_INTEGRATION=1,
// where a missing kubectl, etcd or kube-apiserver fails the test.
package k8s
