#!/usr/bin/env bash
# Docker Engine and Compose for machines without registry access (CI and
# developers share this script).
#
#   deploy/offline/engine.sh install   # apt-get install docker.io, starting no service
#   deploy/offline/engine.sh compose   # build the Compose CLI plugin once per machine
#   deploy/offline/engine.sh start     # start dockerd (unless one answers) and wait for it
#   deploy/offline/engine.sh stop      # stop the dockerd that `start` started, by its PID
#   deploy/offline/engine.sh env       # print the exports the other commands rely on
#
# Compose is built from the Go module proxy (github.com/docker/compose/v5) in a
# small wrapper module outside this repository, so it never becomes a
# dependency of the project's module. The binary is cached under
# $NBA_CI_CACHE/compose/<version>/ and installed as a docker CLI plugin in
# $DOCKER_CONFIG/cli-plugins.
#
# Debian's docker CLI (/usr/bin/docker, 20.10) is used on purpose: it has
# BuildKit (DOCKER_BUILDKIT=1); a newer client without the buildx plugin falls
# back to the legacy builder, which lacks RUN --mount.
set -euo pipefail

COMPOSE_VERSION=${COMPOSE_VERSION:-v5.6.0}
NBA_CI_CACHE=${NBA_CI_CACHE:-/var/cache/nba-mlops-ci}
# State of the dockerd this script starts (pid file, log).
ENGINE_STATE=${ENGINE_STATE:-$NBA_CI_CACHE/engine}
export DOCKER_CONFIG=${DOCKER_CONFIG:-$HOME/.docker}
export DOCKER_BUILDKIT=1
DOCKER=${DOCKER:-/usr/bin/docker}

log() { echo "engine: $*" >&2; }

install_engine() {
  if dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q "ok installed"; then return; fi
  # policy-rc.d exiting 101 keeps apt from starting dockerd/containerd.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  apt-get update -qq -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 docker.io >/dev/null
}

# build_compose builds the plugin unless the cached binary for COMPOSE_VERSION
# exists, then installs it (a copy: the cache may be on another filesystem).
build_compose() {
  local dir=$NBA_CI_CACHE/compose/$COMPOSE_VERSION bin
  bin=$dir/docker-compose
  if [ ! -x "$bin" ]; then
    log "building docker compose $COMPOSE_VERSION from the Go module proxy (a few minutes)"
    mkdir -p "$dir/src"
    (
      cd "$dir/src"
      # The wrapper module: compose's own go.mod has replace directives that
      # `go install pkg@version` refuses, a module that requires it does not.
      [ -f go.mod ] || GOFLAGS='' go mod init nba-mlops.local/compose-wrapper >/dev/null 2>&1
      GOFLAGS='' GOTOOLCHAIN=local go get "github.com/docker/compose/v5/cmd@$COMPOSE_VERSION"
      CGO_ENABLED=0 GOFLAGS='' GOTOOLCHAIN=local go build -trimpath \
        -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$COMPOSE_VERSION" \
        -o "$bin.tmp" github.com/docker/compose/v5/cmd
      mv "$bin.tmp" "$bin"
    )
  fi
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  if ! cmp -s "$bin" "$DOCKER_CONFIG/cli-plugins/docker-compose"; then
    cp "$bin" "$DOCKER_CONFIG/cli-plugins/docker-compose.tmp"
    mv "$DOCKER_CONFIG/cli-plugins/docker-compose.tmp" "$DOCKER_CONFIG/cli-plugins/docker-compose"
  fi
  "$DOCKER" compose version >&2
}

start_engine() {
  if "$DOCKER" info >/dev/null 2>&1; then
    log "a Docker Engine already answers; using it"
    return
  fi
  mkdir -p "$ENGINE_STATE"
  log "starting dockerd (log: $ENGINE_STATE/dockerd.log)"
  # setsid: dockerd gets its own session, so a Ctrl-C in this shell or the end
  # of the calling job does not take it down half-way; `stop` ends it by PID.
  setsid dockerd >"$ENGINE_STATE/dockerd.log" 2>&1 </dev/null &
  echo $! >"$ENGINE_STATE/dockerd.pid"
  for _ in $(seq 120); do
    if "$DOCKER" info >/dev/null 2>&1; then log "dockerd ready (pid $(cat "$ENGINE_STATE/dockerd.pid"))"; return; fi
    if ! kill -0 "$(cat "$ENGINE_STATE/dockerd.pid")" 2>/dev/null; then
      log "dockerd exited; last lines of its log:"; tail -20 "$ENGINE_STATE/dockerd.log" >&2; return 1
    fi
    sleep 0.5
  done
  log "dockerd did not answer within 60s"; return 1
}

stop_engine() {
  local pidfile=$ENGINE_STATE/dockerd.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$pidfile"
}

print_env() {
  echo "export DOCKER_CONFIG=$DOCKER_CONFIG"
  echo "export DOCKER_BUILDKIT=1"
  echo "export NBA_DOCKER=$DOCKER"
}

case "${1:-}" in
  install) install_engine ;;
  compose) build_compose ;;
  start) start_engine ;;
  stop) stop_engine ;;
  env) print_env ;;
  *) echo "usage: $0 install|compose|start|stop|env" >&2; exit 2 ;;
esac
