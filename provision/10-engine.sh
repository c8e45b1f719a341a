#!/usr/bin/env bash
# Install the scenario's pinned Docker engine, enable it (unix socket only) and let DOCKER_USER use it.
#
# Settings come from the environment; the Vagrantfile and `harness` (SSH hosts) derive them from the scenario YAML:
#   ENGINE_PACKAGE  docker-ce, docker-engine (Oracle's), docker.io (Debian's), moby-engine…; empty: docker-ce on
#                   the RHEL family, docker.io on the Debian family
#   ENGINE_VERSION  version to pin, or a prefix of one ("18.09.9", "20.10"); empty: the newest available
#   DOCKER_USER     user added to the docker group (empty: nobody)
# Overridable for tests:
#   DOCKER_SERVICE  service to enable: a systemd unit, or /etc/init.d/NAME without systemd (default docker;
#                   empty: leave services alone)
#   OS_RELEASE      distribution description (default /etc/os-release)
#   DRY_RUN         non-empty: print the commands that would change the machine instead of running them
set -euo pipefail

OS_RELEASE="${OS_RELEASE:-/etc/os-release}"
DOCKER_SERVICE="${DOCKER_SERVICE-docker}"
ENGINE_VERSION="${ENGINE_VERSION:-}"
# The harness checks these against the package managers' grammar; refuse here too, as root, what could be an option.
case "${ENGINE_PACKAGE:-}" in -* | *[!A-Za-z0-9+._-]*) echo "ENGINE_PACKAGE '$ENGINE_PACKAGE' is not a package name" >&2; exit 2 ;; esac
case "$ENGINE_VERSION" in -* | *[!A-Za-z0-9.+~:_-]*) echo "ENGINE_VERSION '$ENGINE_VERSION' is not a version" >&2; exit 2 ;; esac

log() { printf 'provision [engine]: %s\n' "$*"; }
fail() { printf 'provision [engine]: FAILED: %s\n' "$*" >&2; exit 1; }
run() { log "+ $*"; if [ -z "${DRY_RUN:-}" ]; then "$@"; fi; }

# True when version $1 (epoch ignored) is $2, or starts with $2 followed by a non-digit: 20.10 matches
# 20.10.24+dfsg1-1, 20.10.2 does not.
version_matches() {
  local version="${1#*:}" wanted="$2"
  if [ -z "$wanted" ] || [ "$version" = "$wanted" ]; then return 0; fi
  case "$version" in "$wanted"[!0-9]*) return 0 ;; esac
  return 1
}

# True when version $1 sorts before $2.
version_before() {
  [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

distribution_family() {
  [ -r "$OS_RELEASE" ] || fail "cannot read $OS_RELEASE to tell the distribution"
  # shellcheck disable=SC1090
  . "$OS_RELEASE"
  DISTRO_ID="${ID:-unknown}"
  DISTRO_MAJOR="${VERSION_ID%%.*}"
  case " ${ID:-} ${ID_LIKE:-} " in
    *" rhel "* | *" fedora "* | *" centos "* | *" ol "*) FAMILY=rpm ;;
    *" debian "* | *" ubuntu "*) FAMILY=deb ;;
    *) fail "distribution ${ID:-unknown} is neither RHEL- nor Debian-like; add its package commands to $0" ;;
  esac
}

install_rpm_engine() {
  local package="${ENGINE_PACKAGE:-docker-ce}" yum=yum installed
  if command -v dnf >/dev/null 2>&1; then yum=dnf; fi
  installed=$(installed_version "$package")
  if [ -n "$installed" ] && version_matches "$installed" "$ENGINE_VERSION"; then
    log "$package $installed is installed already"
    return
  fi
  local extra=()
  # Oracle Linux 7 keeps container-selinux (docker-ce) and docker-engine in its add-ons repository.
  if [ "$DISTRO_ID" = ol ] && [ "$DISTRO_MAJOR" = 7 ]; then extra=(--enablerepo=ol7_addons); fi
  local specs=("$package${ENGINE_VERSION:+-$ENGINE_VERSION}")
  if [ "$package" = docker-ce ]; then
    write_docker_ce_rpm_repo
    if [ -z "$ENGINE_VERSION" ] || ! version_before "$ENGINE_VERSION" 18.09; then
      specs+=("docker-ce-cli${ENGINE_VERSION:+-$ENGINE_VERSION}" containerd.io)
    fi
  fi
  run "$yum" install -y ${extra[@]+"${extra[@]}"} -- "${specs[@]}"  # bash 4.2 (EL7): no "${empty[@]}" under set -u
}

write_docker_ce_rpm_repo() {
  local path=/etc/yum.repos.d/docker-ce.repo base
  # Written out rather than fetched: on Oracle Linux 7 $releasever is "7Server", which download.docker.com lacks.
  if [ "$DISTRO_ID" = fedora ]; then base="fedora/$DISTRO_MAJOR"; else base="centos/$DISTRO_MAJOR"; fi
  log "writing $path (https://download.docker.com/linux/$base)"
  if [ -n "${DRY_RUN:-}" ]; then return; fi
  cat >"$path" <<EOF
[docker-ce-stable]
name=Docker CE Stable - \$basearch
baseurl=https://download.docker.com/linux/$base/\$basearch/stable
enabled=1
gpgcheck=1
gpgkey=https://download.docker.com/linux/${base%%/*}/gpg
EOF
}

install_deb_engine() {
  local package="${ENGINE_PACKAGE:-docker.io}" installed
  installed=$(installed_version "$package")
  if [ -n "$installed" ] && version_matches "$installed" "$ENGINE_VERSION"; then
    log "$package $installed is installed already"
    return
  fi
  if [ "$package" = docker-ce ]; then write_docker_ce_apt_source; fi
  if [ -z "${DRY_RUN:-}" ]; then run apt-get update -q; fi
  local specs=() suffix
  suffix=$(deb_version_suffix "$package")
  specs+=("$package$suffix")
  if [ "$package" = docker-ce ]; then
    suffix=$(deb_version_suffix docker-ce-cli)
    specs+=("docker-ce-cli$suffix" containerd.io)
  fi
  # --no-install-recommends leaves out apparmor, yet where the kernel enables AppArmor every RUN step needs
  # apparmor_parser (Debian's kernels do).
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then specs+=(apparmor); fi
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -- "${specs[@]}"
}

# "=VERSION" for the newest version of package $1 that matches ENGINE_VERSION; empty when no version is pinned.
deb_version_suffix() {
  local package="$1" candidate
  if [ -z "$ENGINE_VERSION" ]; then return; fi
  while read -r candidate; do
    if version_matches "$candidate" "$ENGINE_VERSION"; then
      printf '=%s' "$candidate"
      return
    fi
  done < <(apt-cache madison -- "$package" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }')
  fail "no $package version $ENGINE_VERSION in the apt sources (they offer: $(apt-cache madison "$package" |
    awk -F'|' '{ gsub(/ /, "", $2); printf "%s ", $2 }'))"
}

write_docker_ce_apt_source() {
  local keyring=/etc/apt/keyrings/docker.asc list=/etc/apt/sources.list.d/docker.list
  log "writing $list (https://download.docker.com/linux/$DISTRO_ID ${VERSION_CODENAME:-})"
  if [ -n "${DRY_RUN:-}" ]; then return; fi
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL "https://download.docker.com/linux/$DISTRO_ID/gpg" -o "$keyring"
  printf 'deb [signed-by=%s] https://download.docker.com/linux/%s %s stable\n' \
    "$keyring" "$DISTRO_ID" "${VERSION_CODENAME:?no VERSION_CODENAME in $OS_RELEASE}" >"$list"
}

enable_service() {
  if [ -z "$DOCKER_SERVICE" ]; then return; fi
  if [ -d /run/systemd/system ]; then
    run systemctl enable "$DOCKER_SERVICE"
  elif [ -x "/etc/init.d/$DOCKER_SERVICE" ] && command -v update-rc.d >/dev/null 2>&1; then
    run update-rc.d "$DOCKER_SERVICE" defaults
  else
    fail "neither systemd nor /etc/init.d/$DOCKER_SERVICE here: cannot enable $DOCKER_SERVICE (DOCKER_SERVICE)"
  fi
}

add_docker_user() {
  if [ -z "${DOCKER_USER:-}" ] || [ "$DOCKER_USER" = root ]; then return; fi
  id "$DOCKER_USER" >/dev/null 2>&1 || fail "user $DOCKER_USER (DOCKER_USER) does not exist"
  if ! getent group docker >/dev/null; then run groupadd --system docker; fi
  if id -nG "$DOCKER_USER" | tr ' ' '\n' | grep -qx docker; then
    log "$DOCKER_USER is in the docker group already"
  else
    run usermod -aG docker "$DOCKER_USER"
  fi
}

# The version the package manager reports for package $1 (empty when not installed).
installed_version() {
  local status
  if [ "$FAMILY" = rpm ]; then
    if rpm -q --quiet -- "$1"; then rpm -q --qf '%{VERSION}-%{RELEASE}' -- "$1"; fi
  else
    status=$(dpkg-query -W -f '${Status}|${Version}' -- "$1" 2>/dev/null || true)
    if [ "${status%%|*}" = "install ok installed" ]; then printf '%s' "${status#*|}"; fi
  fi
}

check_installed() {
  local package="$1" version
  if [ -n "${DRY_RUN:-}" ]; then return; fi
  version=$(installed_version "$package")
  version_matches "$version" "$ENGINE_VERSION" ||
    fail "$package ${version:-(none)} is installed, but the scenario pins engine.version $ENGINE_VERSION"
  log "$package $version installed"
}

main() {
  distribution_family
  log "distribution $DISTRO_ID $DISTRO_MAJOR ($FAMILY family);" \
    "engine ${ENGINE_PACKAGE:-default} ${ENGINE_VERSION:-newest}"
  if [ "$FAMILY" = rpm ]; then
    install_rpm_engine
    check_installed "${ENGINE_PACKAGE:-docker-ce}"
  else
    install_deb_engine
    check_installed "${ENGINE_PACKAGE:-docker.io}"
  fi
  enable_service
  add_docker_user
}

main "$@"
