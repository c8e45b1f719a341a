#!/usr/bin/env bash
# Kernel settings of the scenario: an optional kernel package to boot, and the overlay module's redirect_dir and
# metacopy parameters — written to modprobe.d (so they hold after a reboot) and applied now by writing
# /sys/module/overlay/parameters (or reloading the module), with docker stopped: dockerd decides between the
# native and the naive overlay differ once, when it starts, so 40-verify.sh restarts it afterwards.
#
# Settings (from the scenario YAML, via the Vagrantfile or `harness`):
#   OVERLAY_REDIRECT_DIR, OVERLAY_METACOPY   on, off, or empty (leave the kernel's default alone)
#   KERNEL_PACKAGE   package (and version prefix) of the kernel to run, e.g. kernel-uek-4.14.35; empty: the box's
#                    kernel. When it is not the running kernel, it is installed, made the default, and the script
#                    leaves REBOOT_MARKER for the caller to reboot (the Vagrantfile reboots right after this script)
# Overridable for tests:
#   MODPROBE_DIR (default /etc/modprobe.d), OVERLAY_PARAMETERS (default /sys/module/overlay/parameters),
#   DOCKER_SERVICE (systemd unit or /etc/init.d script; default docker; empty: leave services alone),
#   REBOOT_MARKER (default
#   /run/harness-reboot-required; /run is emptied by the reboot)
set -euo pipefail

MODPROBE_DIR="${MODPROBE_DIR:-/etc/modprobe.d}"
OVERLAY_PARAMETERS="${OVERLAY_PARAMETERS:-/sys/module/overlay/parameters}"
DOCKER_SERVICE="${DOCKER_SERVICE-docker}"
REBOOT_MARKER="${REBOOT_MARKER:-/run/harness-reboot-required}"
OVERLAY_REDIRECT_DIR="${OVERLAY_REDIRECT_DIR:-}"
OVERLAY_METACOPY="${OVERLAY_METACOPY:-}"
CONF="$MODPROBE_DIR/harness-overlay.conf"

log() { printf 'provision [kernel]: %s\n' "$*"; }
fail() { printf 'provision [kernel]: FAILED: %s\n' "$*" >&2; exit 1; }

# Y or N, as the kernel shows a boolean parameter.
flag_of() {
  case "$1" in
    on) echo Y ;;
    off) echo N ;;
    *) fail "overlay settings are on, off or empty, not '$1'" ;;
  esac
}

install_kernel() {
  local package="${KERNEL_PACKAGE:-}" newest
  if [ -z "$package" ]; then return; fi
  case "$package" in -* | *[!A-Za-z0-9+._-]*) fail "KERNEL_PACKAGE '$package' is not a package name" ;; esac
  if command -v yum >/dev/null 2>&1; then
    local extra=()
    if [[ $package == kernel-uek-4.14* ]]; then  # UEK R5, for Oracle Linux 7
      if ! yum -q repolist all 2>/dev/null | grep -q '^ol7_UEKR5'; then write_uekr5_repo; fi
      extra=(--enablerepo=ol7_UEKR5)
    fi
    yum install -y ${extra[@]+"${extra[@]}"} -- "$package"
  else
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -- "$package"
  fi
  newest=$(kernels_of "$package" | sort -V | tail -n 1)
  [ -n "$newest" ] || fail "installed $package but found no /boot/vmlinuz-* in it"
  if [ "$(uname -r)" = "$newest" ]; then
    log "running kernel $newest from $package"
    return
  fi
  if command -v grubby >/dev/null 2>&1; then grubby --set-default "/boot/vmlinuz-$newest"; fi
  touch "$REBOOT_MARKER"
  log "kernel $newest from $package installed; running $(uname -r): reboot required ($REBOOT_MARKER)"
}

# Kernel release of every /boot/vmlinuz-* the package(s) named $1 installed.
kernels_of() {
  if command -v rpm >/dev/null 2>&1 && rpm -q --quiet -- "$1"; then
    rpm -ql -- "$1"
  else
    dpkg-query -L -- "$1"
  fi | sed -n 's|^/boot/vmlinuz-||p'
}

write_uekr5_repo() {
  log "defining repository ol7_UEKR5 (Unbreakable Enterprise Kernel R5, Linux 4.14)"
  cat >/etc/yum.repos.d/harness-ol7-uekr5.repo <<'EOF'
[ol7_UEKR5]
name=Latest Unbreakable Enterprise Kernel Release 5 for Oracle Linux 7Server ($basearch)
baseurl=https://yum.oracle.com/repo/OracleLinux/OL7/UEKR5/$basearch/
gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-oracle
gpgcheck=1
enabled=1
EOF
}

write_modprobe_conf() {
  local options=""
  if [ -n "$OVERLAY_REDIRECT_DIR" ]; then options+=" redirect_dir=$OVERLAY_REDIRECT_DIR"; fi
  if [ -n "$OVERLAY_METACOPY" ]; then options+=" metacopy=$OVERLAY_METACOPY"; fi
  mkdir -p "$MODPROBE_DIR"
  printf '# Written by harness provision/20-kernel.sh for scenario %s\noptions overlay%s\n' \
    "${HARNESS_SCENARIO:-?}" "$options" >"$CONF"
  log "wrote $CONF: options overlay$options"
}

stop_docker() {
  local unit
  if [ -z "$DOCKER_SERVICE" ]; then return; fi
  if [ -d /run/systemd/system ]; then
    for unit in "$DOCKER_SERVICE.socket" "$DOCKER_SERVICE.service"; do
      if systemctl is-active --quiet "$unit"; then
        log "stopping $unit so that the next dockerd probes the new setting"
        systemctl stop "$unit"
      fi
    done
  elif [ -x "/etc/init.d/$DOCKER_SERVICE" ]; then
    log "stopping $DOCKER_SERVICE so that the next dockerd probes the new setting"
    "/etc/init.d/$DOCKER_SERVICE" stop || true
  fi
}

# Make parameter $1 read $2 (on/off) now.
apply_parameter() {
  local name="$1" wanted="$2" file="$OVERLAY_PARAMETERS/$1" flag
  if [ -z "$wanted" ]; then return; fi
  flag=$(flag_of "$wanted")
  if [ ! -e "$file" ]; then
    if [ "$wanted" = off ]; then
      log "kernel $(uname -r) has no overlay parameter $name: off by construction"
      return
    fi
    fail "kernel $(uname -r) has no overlay parameter $name, so $name=on cannot hold (redirect_dir needs" \
      "Linux 4.10+, metacopy 4.19+; on Oracle Linux 7 that is UEK R5 or later): set kernel.package in the scenario"
  fi
  if [ "$(cat "$file")" = "$flag" ]; then
    log "overlay $name is $flag already"
    return
  fi
  stop_docker
  if ! { printf '%s' "$flag" >"$file"; } 2>/dev/null; then
    log "$file is read-only here; reloading the overlay module with the options of $CONF"
    if ! { modprobe -r overlay && modprobe overlay; }; then
      fail "could not reload the overlay module (in use?): reboot to apply $CONF"
    fi
  fi
  [ "$(cat "$file")" = "$flag" ] || fail "overlay $name reads $(cat "$file"), not $flag: reboot to apply $CONF"
  log "overlay $name set to $flag"
}

main() {
  install_kernel
  if [ -z "$OVERLAY_REDIRECT_DIR$OVERLAY_METACOPY" ]; then
    if [ -e "$CONF" ]; then
      rm -f "$CONF"
      log "removed $CONF: the scenario leaves overlay's defaults alone"
    fi
    return
  fi
  flag_of "${OVERLAY_REDIRECT_DIR:-off}" >/dev/null
  flag_of "${OVERLAY_METACOPY:-off}" >/dev/null
  write_modprobe_conf
  if [ -e "$REBOOT_MARKER" ]; then
    log "the settings apply when the new kernel boots; 40-verify.sh checks them"
    return
  fi
  if [ ! -d "$OVERLAY_PARAMETERS" ] && command -v modprobe >/dev/null 2>&1; then modprobe overlay || true; fi
  apply_parameter metacopy "$OVERLAY_METACOPY"
  apply_parameter redirect_dir "$OVERLAY_REDIRECT_DIR"
}

main "$@"
