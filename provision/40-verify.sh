#!/usr/bin/env bash
# (Re)start docker and check it against the scenario's expectations; any mismatch fails the provisioning, listing
# every expectation that does not hold. A restart is needed: dockerd chooses the overlay differ once, at start.
#
# Settings (from the scenario YAML, via the Vagrantfile or `harness`):
#   STORAGE_DRIVER, EXPECT_DRIVER, EXPECT_NATIVE_OVERLAY_DIFF (true/false/empty), EXPECT_BACKING_FILESYSTEM,
#   OVERLAY_REDIRECT_DIR, OVERLAY_METACOPY (on/off/empty), DIRECT_LVM (true: expect the pool docker-thinpool),
#   DOCKER_SOCKET (default /var/run/docker.sock)
# Overridable for tests:
#   DOCKER_SERVICE (systemd unit or /etc/init.d script; default docker; empty: do not restart, check the daemon
#   already on DOCKER_SOCKET),
#   OVERLAY_PARAMETERS (default /sys/module/overlay/parameters), DOCKER_CLI (default docker),
#   READY_TIMEOUT (seconds, default 120)
set -euo pipefail

DOCKER_SOCKET="${DOCKER_SOCKET:-/var/run/docker.sock}"
DOCKER_SERVICE="${DOCKER_SERVICE-docker}"
OVERLAY_PARAMETERS="${OVERLAY_PARAMETERS:-/sys/module/overlay/parameters}"
DOCKER_CLI="${DOCKER_CLI:-docker}"
READY_TIMEOUT="${READY_TIMEOUT:-120}"
export DOCKER_HOST="unix://$DOCKER_SOCKET"
MISMATCHES=()

log() { printf 'provision [verify]: %s\n' "$*"; }
fail() { printf 'provision [verify]: FAILED: %s\n' "$*" >&2; exit 1; }
mismatch() { MISMATCHES+=("$*"); }

restart_docker() {
  if [ -z "$DOCKER_SERVICE" ]; then return; fi
  log "restarting $DOCKER_SERVICE"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if ! systemctl restart "$DOCKER_SERVICE"; then
      journalctl -u "$DOCKER_SERVICE" -n 30 --no-pager >&2 || true
      fail "$DOCKER_SERVICE did not start (its journal is above)"
    fi
  elif [ -x "/etc/init.d/$DOCKER_SERVICE" ]; then
    if ! "/etc/init.d/$DOCKER_SERVICE" restart; then
      tail -n 30 "/var/log/$DOCKER_SERVICE.log" >&2 || true
      fail "$DOCKER_SERVICE did not start (the end of /var/log/$DOCKER_SERVICE.log is above)"
    fi
  else
    fail "neither systemd nor /etc/init.d/$DOCKER_SERVICE here: cannot restart $DOCKER_SERVICE (DOCKER_SERVICE)"
  fi
}

wait_until_ready() {
  local waited=0
  until "$DOCKER_CLI" version >/dev/null 2>&1; do
    if [ "$waited" -ge "$READY_TIMEOUT" ]; then
      "$DOCKER_CLI" version >&2 || true
      fail "no docker daemon answered on $DOCKER_SOCKET within $READY_TIMEOUT s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
}

# Sets INFO to "Driver=…" and one "Key=Value" line per DriverStatus entry of `docker info`.
read_info() {
  INFO=$("$DOCKER_CLI" info --format \
    '{{printf "Driver=%s\n" .Driver}}{{range .DriverStatus}}{{index . 0}}={{index . 1}}{{"\n"}}{{end}}')
}

info_value() {
  printf '%s\n' "$INFO" | sed -n "s/^$1=//p" | head -n 1
}

expect_value() {
  local key="$1" wanted="$2" actual
  if [ -z "$wanted" ]; then return; fi
  actual=$(info_value "$key")
  if [ "${actual,,}" != "${wanted,,}" ]; then
    mismatch "docker info reports $key: ${actual:-(not reported)}, the scenario expects $wanted"
  fi
}

check_overlay_parameter() {
  local name="$1" wanted="$2" file="$OVERLAY_PARAMETERS/$1" flag=N actual
  if [ -z "$wanted" ]; then return; fi
  if [ "$wanted" = on ]; then flag=Y; fi
  if [ ! -e "$file" ]; then
    if [ "$wanted" = on ]; then mismatch "kernel $(uname -r) has no overlay parameter $name (scenario: on)"; fi
    return
  fi
  actual=$(cat "$file")
  if [ "$actual" != "$flag" ]; then mismatch "overlay parameter $name is $actual, the scenario sets $wanted"; fi
}

check_unix_socket_only() {
  if ! command -v ss >/dev/null 2>&1; then
    log "ss not found: TCP listener check skipped"
    return
  fi
  if ss -ltnp | grep -q '"dockerd"'; then
    mismatch "dockerd listens on TCP ($(ss -ltnp | grep '"dockerd"' | awk '{print $4}' | tr '\n' ' '));" \
      "the harness never exposes an unauthenticated API: remove the tcp:// host from the service or daemon.json"
  fi
}

main() {
  restart_docker
  wait_until_ready
  read_info
  expect_value Driver "${EXPECT_DRIVER:-${STORAGE_DRIVER:-}}"
  expect_value "Native Overlay Diff" "${EXPECT_NATIVE_OVERLAY_DIFF:-}"
  expect_value "Backing Filesystem" "${EXPECT_BACKING_FILESYSTEM:-}"
  if [ "$(info_value Driver)" = overlay2 ]; then expect_value "Supports d_type" true; fi
  if [ "${DIRECT_LVM:-false}" = true ]; then
    expect_value "Pool Name" docker-thinpool
    if [ -n "$(info_value "Data loop file")" ]; then mismatch "devicemapper runs on loop files, not direct-lvm"; fi
  fi
  check_overlay_parameter redirect_dir "${OVERLAY_REDIRECT_DIR:-}"
  check_overlay_parameter metacopy "${OVERLAY_METACOPY:-}"
  check_unix_socket_only
  log "docker $("$DOCKER_CLI" version --format '{{.Server.Version}}') on $DOCKER_SOCKET, kernel $(uname -r):"
  printf '%s\n' "$INFO" | sed 's/^/    /'
  if [ "${#MISMATCHES[@]}" -gt 0 ]; then
    printf 'provision [verify]: FAILED: %s\n' "${MISMATCHES[@]}" >&2
    exit 1
  fi
  log "the daemon is what ${HARNESS_SCENARIO:-the scenario} expects"
}

main "$@"
