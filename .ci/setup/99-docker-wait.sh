# shellcheck shell=bash
# Waits for the image builds 50-docker.sh started in the background, last of
# the setup functions, so they overlap with the other setup files' work.
ci_docker_wait() {
  log "docker: waiting for the Compose plugin and the offline images"
  local rc=0
  wait "$CI_DOCKER_BUILD_PID" || rc=$?
  CI_DOCKER_BUILD_PID=
  if [ "$rc" -ne 0 ]; then
    echo "ci: docker: the image build failed (exit $rc):" >&2
    tail -40 "$ENGINE_STATE/build.log" >&2
    return 1
  fi
  grep -E '^images: .*(done|built|building stand-in)|Compose version' "$ENGINE_STATE/build.log" | sed 's/^/ci: docker: /'
}

ci_setup+=(ci_docker_wait)
