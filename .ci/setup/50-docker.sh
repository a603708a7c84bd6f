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
#
# The builds run in the background while the later setup files do their own
# work (a cold machine spends most of it downloading and unpacking Debian
# packages); 99-docker-wait.sh waits for them before `make test`.
ci_packages+=(docker.io mmdebstrap)

ci_docker_setup() {
  # Per run, so that cleanup stops only the dockerd this run started.
  ENGINE_STATE=$(mktemp -d /tmp/nba-ci-engine.XXXXXX)
  export ENGINE_STATE
  deploy/offline/engine.sh start
  eval "$(deploy/offline/engine.sh env)" # DOCKER_CONFIG, DOCKER_BUILDKIT, NBA_DOCKER
  log "docker: building the Compose plugin and the offline images in the background ($ENGINE_STATE/build.log)"
  # Its own session, so that cleanup can stop the whole build by its PID.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c '
    deploy/offline/engine.sh compose >"$ENGINE_STATE/compose-build.log" 2>&1 &
    compose_pid=$!
    deploy/offline/build-images.sh || exit 1
    wait "$compose_pid" || { cat "$ENGINE_STATE/compose-build.log"; exit 1; }
    tail -1 "$ENGINE_STATE/compose-build.log"
  ' >"$ENGINE_STATE/build.log" 2>&1 </dev/null &
  CI_DOCKER_BUILD_PID=$!
}

ci_docker_cleanup() {
  [ -n "${ENGINE_STATE:-}" ] || return 0
  if [ -n "${CI_DOCKER_BUILD_PID:-}" ] && kill -0 "$CI_DOCKER_BUILD_PID" 2>/dev/null; then
    kill -- -"$CI_DOCKER_BUILD_PID" 2>/dev/null || true
    wait "$CI_DOCKER_BUILD_PID" 2>/dev/null || true
  fi
  deploy/offline/engine.sh stop
}

ci_setup+=(ci_docker_setup)
ci_cleanup+=(ci_docker_cleanup)
