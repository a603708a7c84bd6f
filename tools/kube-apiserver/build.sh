#!/usr/bin/env bash
# Builds kube-apiserver from the Go module proxy (the version go.mod here requires)
# and caches the stripped binary outside the repository, keyed by that version:
#   $NBA_CI_CACHE/kube-apiserver/<version>/kube-apiserver
# Prints the binary's path. A cached binary is reused (seconds); a cold build takes
# 18 minutes on two idle cores (28 on two busy ones), 2.4-2.8 GB peak RSS and
# 3.5 GB of Go build cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
if [[ ! $version =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
  echo "build.sh: cannot read the k8s.io/kubernetes version from $here/go.mod (got '$version')" >&2
  exit 1
fi
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
cache=${NBA_CI_CACHE:-/var/cache/nba-mlops-ci}
dir=$cache/kube-apiserver/$version
out=$dir/kube-apiserver
if [ -x "$out" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$dir"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
start=$(date +%s)
echo "build.sh: building kube-apiserver $version (cold: 18-30 minutes)" >&2
# Build to a temp name and rename, so an interrupted build never leaves a binary
# that a later run would take for a finished one.
(cd "$here" && go build -trimpath -ldflags "$ldflags" -o "$out.tmp.$$" k8s.io/kubernetes/cmd/kube-apiserver)
mv "$out.tmp.$$" "$out"
echo "build.sh: built $out in $(($(date +%s) - start))s" >&2
echo "$out"
