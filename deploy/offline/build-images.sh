#!/usr/bin/env bash
# Builds, with no registry access, every image that deploy/Dockerfile and the
# compose files name, under exactly those tags, then every project image
# (`make images` runs this).
#
#   deploy/offline/build-images.sh              # stand-ins + project images
#   deploy/offline/build-images.sh standins     # only the stand-ins
#   deploy/offline/build-images.sh project      # only deploy/Dockerfile's targets
#
# Stand-ins are made from Debian packages (mmdebstrap, the apt mirror this
# machine uses) and carry the label org.nba-mlops.standin=true with a
# description of what they really contain (Debian's versions, which may differ
# from the tag's). A stand-in whose inputs (package lists, scripts, Go
# toolchain, go.sum) hash to the label org.nba-mlops.standin.inputs of the
# existing image is not rebuilt. Root file systems are cached under
# $NBA_CI_CACHE/standins, keyed by the same hashes.
#
# No stand-in exists for Grafana or MLflow (no Debian package): those services
# sit behind compose profiles (monitoring-ui, mlflow) and are not built here.
#
# Needs: root (mmdebstrap), a running Docker Engine (deploy/offline/engine.sh
# start), Go matching the GO_IMAGE tag for the builder stand-in.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/deploy/offline

NBA_CI_CACHE=${NBA_CI_CACHE:-/var/cache/nba-mlops-ci}
CACHE=$NBA_CI_CACHE/standins
DOCKER=${NBA_DOCKER:-/usr/bin/docker}
export DOCKER_BUILDKIT=1
SUITE=bookworm
start=$(date +%s)
log() { echo "images: $(( $(date +%s) - start ))s: $*" >&2; }

# The images deploy/Dockerfile and the compose files name. Kept in one place;
# check_tags below fails if the files name something else.
GO_IMAGE=golang:1.26.8-bookworm
RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot
POSTGRES_IMAGE=postgres:16.6-bookworm
PROMETHEUS_IMAGE=prom/prometheus:v2.55.1
ALERTMANAGER_IMAGE=prom/alertmanager:v0.27.0
NODE_EXPORTER_IMAGE=prom/node-exporter:v1.8.2

check_tags() {
  local t
  for t in "$GO_IMAGE" "$RUNTIME_IMAGE"; do
    grep -q "=$t\$" deploy/Dockerfile || { echo "build-images.sh: deploy/Dockerfile no longer names $t; update the script" >&2; exit 1; }
  done
  for t in "$POSTGRES_IMAGE" "$PROMETHEUS_IMAGE" "$ALERTMANAGER_IMAGE" "$NODE_EXPORTER_IMAGE"; do
    grep -q "image: $t\$" docker-compose.api.yml || { echo "build-images.sh: docker-compose.api.yml no longer names $t; update the script" >&2; exit 1; }
  done
}

# mirror_uri SUITE_SUFFIX: the apt source this machine uses (deb822 or one-line
# format), overridable with NBA_DEBIAN_MIRROR / NBA_DEBIAN_SECURITY_MIRROR.
mirror_uri() {
  local want=$1 f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    awk -v want="$want" '
      /^URIs:/ {uri=$2} /^Suites:/ {for (i=2;i<=NF;i++) if ($i==want) found=uri}
      /^$/ {uri=""} END {if (found!="") print found}' "$f"
  done | head -1
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -e "$f" ] || continue
    awk -v want="$want" '$1=="deb" {for (i=3;i<=NF;i++) if ($i==want) {print $(i-1); exit}}' "$f"
  done | head -1
}
MIRROR=${NBA_DEBIAN_MIRROR:-$(mirror_uri $SUITE | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${NBA_DEBIAN_SECURITY_MIRROR:-$(mirror_uri $SUITE-security | head -1)}
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}

hash() { sha256sum | cut -c1-16; }
label_of() { "$DOCKER" image inspect -f "{{index .Config.Labels \"org.nba-mlops.standin.inputs\"}}" "$1" 2>/dev/null || true; }

# rootfs NAME PACKAGES: imports a minbase root file system with PACKAGES as
# image nba-mlops-standin/NAME:<hash> (once), and prints that tag.
rootfs() {
  local name=$1 pkgs=$2 h tag tar
  # No "main" cluster at package install: the entrypoint makes the one in $PGDATA.
  # shellcheck disable=SC2016 # $1 is the hook's argument (the root), expanded by mmdebstrap
  local hook='mkdir -p "$1/etc/postgresql-common/createcluster.d" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.d/standin.conf"'
  h=$(printf '%s\n' "$SUITE" "$MIRROR" "$SECURITY" "$pkgs" "$hook" | hash)
  tag=nba-mlops-standin/$name:$h
  if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then echo "$tag"; return; fi
  mkdir -p "$CACHE"
  tar=$CACHE/$name-$h.tar
  if [ ! -s "$tar" ]; then
    log "mmdebstrap $name ($pkgs) from $MIRROR: a few minutes"
    mmdebstrap --quiet --variant=minbase --include="$pkgs" \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --essential-hook="$hook" \
      "$SUITE" "$tar.tmp.tar" \
      "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY $SUITE-security main" >&2
    mv "$tar.tmp.tar" "$tar"
  fi
  log "importing $tag"
  "$DOCKER" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' "$tar" "$tag" >/dev/null
  echo "$tag"
}

# standin TAG HASH DESCRIPTION CONTEXT DOCKERFILE [BUILD-ARGS...]: builds TAG
# unless it exists with inputs HASH.
standin() {
  local tag=$1 h=$2 desc=$3 ctx=$4 df=$5; shift 5
  if [ "$(label_of "$tag")" = "$h" ]; then log "$tag: up to date (inputs $h)"; return; fi
  log "building stand-in $tag"
  "$DOCKER" build -q -f "$df" "$@" \
    --label org.nba-mlops.standin=true \
    --label "org.nba-mlops.standin.description=$desc" \
    --label "org.nba-mlops.standin.inputs=$h" \
    -t "$tag" "$ctx" >/dev/null
}

# pkg_version PKG: the candidate version apt would install, for the hashes.
pkg_version() { apt-cache policy "$1" | awk '/Candidate:/ {print $2}'; }

build_standins() {
  check_tags
  local base pg work h goroot
  base=$(rootfs base "ca-certificates,busybox,tzdata")
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT

  # Go builder: the host's toolchain (its version must be the tag's) and a
  # file:// module proxy with the project's modules.
  goroot=$(go env GOROOT)
  local gover; gover=$(go env GOVERSION)
  case "$GO_IMAGE" in golang:"${gover#go}"-*) ;; *)
    echo "build-images.sh: host Go is $gover but deploy/Dockerfile wants $GO_IMAGE" >&2; exit 1 ;;
  esac
  h=$(cat "$HERE/standins/builder.Dockerfile" go.mod go.sum | { cat; echo "$base $gover"; } | hash)
  if [ "$(label_of "$GO_IMAGE")" != "$h" ]; then
    mkdir -p "$work/builder"
    cp -a "$goroot" "$work/builder/go"
    rm -rf "$work/builder/go/pkg/obj" "$work/builder/go/test"
    log "filling the module proxy for the builder from go.sum"
    # A private module cache: its cache/download tree is a GOPROXY layout
    # holding only what this module needs. Filled from the host's cache, then
    # the configured proxy.
    local hostproxy; hostproxy=$(go env GOMODCACHE)/cache/download
    GOFLAGS=-modcacherw GOMODCACHE="$work/modcache" \
      GOPROXY="file://$hostproxy,$(go env GOPROXY)" go mod download
    cp -a "$work/modcache/cache/download" "$work/builder/goproxy"
    rm -rf "$work/modcache" 2>/dev/null || { chmod -R u+w "$work/modcache"; rm -rf "$work/modcache"; }
  fi
  standin "$GO_IMAGE" "$h" "offline stand-in: Debian $SUITE + host $gover + file:// module proxy for this project's go.sum" \
    "$work/builder" "$HERE/standins/builder.Dockerfile" --build-arg "BASE=$base"

  h=$({ cat "$HERE/standins/runtime.Dockerfile"; echo "$base"; } | hash)
  standin "$RUNTIME_IMAGE" "$h" "offline stand-in: scratch + passwd/group (nonroot 65532), CA certificates, zoneinfo from Debian $SUITE" \
    "$HERE/standins" "$HERE/standins/runtime.Dockerfile" --build-arg "BASE=$base"

  # Prometheus, Alertmanager, node-exporter: Debian's binaries on the base.
  local spec name pkg bin dir img v
  for spec in "prometheus:prometheus:/usr/bin/prometheus:/prometheus:$PROMETHEUS_IMAGE" \
              "alertmanager:prometheus-alertmanager:/usr/bin/prometheus-alertmanager:/alertmanager:$ALERTMANAGER_IMAGE" \
              "node-exporter:prometheus-node-exporter:/usr/bin/prometheus-node-exporter::$NODE_EXPORTER_IMAGE"; do
    IFS=: read -r name pkg bin dir img <<<"$spec"
    v=$(pkg_version "$pkg")
    h=$({ cat "$HERE/standins/prom.Dockerfile"; echo "$base $pkg=$v $bin $dir"; } | hash)
    if [ "$(label_of "$img")" != "$h" ]; then
      mkdir -p "$work/$name/dl" "$work/$name/root/usr/local/bin"
      (cd "$work/$name/dl" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$v" >/dev/null)
      dpkg-deb -x "$work/$name"/dl/*.deb "$work/$name/x"
      mkdir -p "$work/$name/root/usr/bin"
      cp "$work/$name/x$bin" "$work/$name/root$bin"
      [ -d "$work/$name/x/usr/share/prometheus" ] && mkdir -p "$work/$name/root/usr/share" && cp -a "$work/$name/x/usr/share/prometheus" "$work/$name/root/usr/share/"
      ln -s "$bin" "$work/$name/root/usr/local/bin/standin-entrypoint"
    fi
    standin "$img" "$h" "offline stand-in: Debian $SUITE package $pkg $v (not the tag's version)" \
      "$work/$name" "$HERE/standins/prom.Dockerfile" --build-arg "BASE=$base" --build-arg "DATA_DIR=$dir"
  done

  # PostgreSQL: its own root file system (the server and its libraries).
  v=$(pkg_version postgresql-15)
  h=$(cat "$HERE/standins/postgres.Dockerfile" "$HERE/standins/postgres-entrypoint.sh" | { cat; echo "postgresql-15=$v $MIRROR $SECURITY"; } | hash)
  if [ "$(label_of "$POSTGRES_IMAGE")" != "$h" ]; then
    pg=$(rootfs postgres "ca-certificates,tzdata,postgresql-15")
  else
    pg=unused
  fi
  standin "$POSTGRES_IMAGE" "$h" "offline stand-in: Debian $SUITE postgresql-15 $v (not 16) with an entrypoint following the official image's contract" \
    "$HERE/standins" "$HERE/standins/postgres.Dockerfile" --build-arg "BASE=$pg"
}

# build_project builds every target of deploy/Dockerfile under the names the
# compose files give them. predictd-bundled needs a named build context
# (--build-context models=...), which Debian's Docker 20.10 frontend lacks; it
# is built by the release workflow, not here.
build_project() {
  local ns=${DOCKERHUB_NAMESPACE:-nbamlops} tag=${IMAGE_TAG:-dev} t img
  local version; version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
  for t in generate-data ingest process featurize train infer predictd apid; do
    img=$ns/nba-mlops-$t:$tag
    log "building $img (target $t)"
    # The runtime stand-in's labels would be inherited: say what this is.
    "$DOCKER" build -q -f deploy/Dockerfile --target "$t" --build-arg "VERSION=$version" \
      --label org.nba-mlops.standin=false \
      --label "org.nba-mlops.standin.description=project image, built offline on stand-in base images" \
      --label org.nba-mlops.standin.inputs= \
      -t "$img" . >/dev/null
  done
  log "project images built"
}

case "${1:-all}" in
  standins) build_standins ;;
  project) build_project ;;
  all) build_standins; build_project ;;
  *) echo "usage: $0 [all|standins|project]" >&2; exit 2 ;;
esac
log "done"
