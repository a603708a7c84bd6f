# shellcheck shell=bash
# Docker Engine, Compose and the offline images for the live compose test
# (internal/deploytest, TestDockerComposeLive). Sourced by .ci/run.
#
# dockerd is started here and stopped by PID on exit (unless one already
# answered, which is then left alone). The Compose plugin and the stand-in
# images are built once per machine: the plugin is cached under
# $NBA_CI_CACHE/compose/<version>, the stand-ins' root file systems under
# $NBA_CI_CACHE/standins and the images themselves stay in the engine, each
# labelled with the hash of its inputs, so a warm run rebuilds nothing.
ci_packages+=(docker.io mmdebstrap)

ci_docker_setup() {
  # Per run, so that cleanup stops only the dockerd this run started.
  ENGINE_STATE=$(mktemp -d /tmp/nba-ci-engine.XXXXXX)
  export ENGINE_STATE
  deploy/offline/engine.sh start
  # The Compose build (Go compile) and the stand-ins (mostly downloads and
  # dpkg) overlap on a cold machine; on a warm one both are cache hits.
  deploy/offline/engine.sh compose >"$ENGINE_STATE/compose-build.log" 2>&1 &
  local compose_pid=$!
  eval "$(deploy/offline/engine.sh env)" # DOCKER_CONFIG, DOCKER_BUILDKIT, NBA_DOCKER
  log "docker: building the offline images"
  deploy/offline/build-images.sh
  if ! wait "$compose_pid"; then
    cat "$ENGINE_STATE/compose-build.log" >&2
    return 1
  fi
  log "docker: $(tail -1 "$ENGINE_STATE/compose-build.log")"
}

ci_docker_cleanup() {
  [ -n "${ENGINE_STATE:-}" ] || return 0
  deploy/offline/engine.sh stop
}

ci_setup+=(ci_docker_setup)
ci_cleanup+=(ci_docker_cleanup)
