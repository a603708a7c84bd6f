# A real Kubernetes API server for the manifest test (deploy/k8s,
# TestOverlaysApplyToAPIServer). Sourced by .ci/run.
#
# etcd comes from Debian. kube-apiserver is built from the Go module proxy by
# tools/kube-apiserver/build.sh, once per machine and version, into
# $NBA_CI_CACHE/kube-apiserver/<version>/ (cold: 18-30 minutes and 3.5 GB
# of Go build cache; warm: a second). The test starts and stops both itself,
# on loopback ports, so there is nothing to clean up here.
ci_packages+=(etcd-server)

ci_kube_setup() {
  # kubectl (1.32, with kustomize v5) is on the CI machine; Debian's own
  # kubernetes-client (1.20) is too old for kustomize v5 overlays.
  if ! command -v kubectl >/dev/null; then
    echo "ci: kubectl not found: the manifest test needs kubectl >= 1.27 (kustomize v5)" >&2
    return 1
  fi
  # Debian's etcd-server ships a service; the test runs its own etcd.
  NBA_ETCD=$(command -v etcd)
  NBA_KUBE_APISERVER=$(tools/kube-apiserver/build.sh)
  export NBA_ETCD NBA_KUBE_APISERVER
  log "kube: etcd $NBA_ETCD, kube-apiserver $NBA_KUBE_APISERVER"
}

ci_setup+=(ci_kube_setup)
