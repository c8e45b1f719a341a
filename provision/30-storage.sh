#!/usr/bin/env bash
# Storage of the scenario: for devicemapper direct-lvm, a thin pool on the extra disk made by the Docker
# documentation's procedure ("Configure direct-lvm mode manually"); then daemon.json with the storage driver and
# its options.
#
# Settings (from the scenario YAML, via the Vagrantfile or `harness`):
#   STORAGE_DRIVER   overlay2, devicemapper, …
#   DAEMON_CONFIG    the daemon.json content (JSON: storage-driver, storage-opts)
#   DIRECT_LVM       true: build the thin pool docker/thinpool (skipped when DAEMON_CONFIG has
#                    dm.directlvm_device: dockerd then builds the pool itself)
#   LVM_DEVICE       disk for the pool; empty: the disk with serial EXTRA_DISK_SERIAL (libvirt), else the only
#                    blank disk of EXTRA_DISK_GB GiB (device names differ: sdb on VirtualBox, vdb on libvirt)
# Overridable for tests:
#   DAEMON_JSON (default /etc/docker/daemon.json), DATA_ROOT (default /var/lib/docker), LVM_PROFILE_DIR (default
#   /etc/lvm/profile), DRY_RUN (non-empty: print the LVM commands instead of running them)
set -euo pipefail

DAEMON_JSON="${DAEMON_JSON:-/etc/docker/daemon.json}"
DATA_ROOT="${DATA_ROOT:-/var/lib/docker}"
LVM_PROFILE_DIR="${LVM_PROFILE_DIR:-/etc/lvm/profile}"
EXTRA_DISK_GB="${EXTRA_DISK_GB:-0}"

log() { printf 'provision [storage]: %s\n' "$*"; }
fail() { printf 'provision [storage]: FAILED: %s\n' "$*" >&2; exit 1; }
run() { log "+ $*"; if [ -z "${DRY_RUN:-}" ]; then "$@"; fi; }

make_thin_pool() {
  if command -v lvs >/dev/null 2>&1 && lvs docker/thinpool >/dev/null 2>&1; then
    log "thin pool docker/thinpool exists already"
    return
  fi
  install_lvm_tools
  local disk
  disk=$(find_disk)
  log "building the thin pool docker/thinpool on $disk"
  run pvcreate "$disk"
  run vgcreate docker "$disk"
  run lvcreate --wipesignatures y -n thinpool docker -l 95%VG
  run lvcreate --wipesignatures y -n thinpoolmeta docker -l 1%VG
  run lvconvert -y --zero n -c 512K --thinpool docker/thinpool --poolmetadata docker/thinpoolmeta
  log "+ writing $LVM_PROFILE_DIR/docker-thinpool.profile (autoextend at 80 % by 20 %)"
  if [ -z "${DRY_RUN:-}" ]; then
    mkdir -p "$LVM_PROFILE_DIR"
    printf 'activation {\n  thin_pool_autoextend_threshold=80\n  thin_pool_autoextend_percent=20\n}\n' \
      >"$LVM_PROFILE_DIR/docker-thinpool.profile"
  fi
  run lvchange --metadataprofile docker-thinpool docker/thinpool
  run lvs -o+seg_monitor docker
}

install_lvm_tools() {
  if command -v lvcreate >/dev/null 2>&1 && command -v thin_check >/dev/null 2>&1; then return; fi
  if command -v yum >/dev/null 2>&1; then
    run yum install -y lvm2 device-mapper-persistent-data
  else
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q lvm2 thin-provisioning-tools
  fi
}

# The disk for the thin pool: LVM_DEVICE, else by serial, else the only blank whole disk of EXTRA_DISK_GB GiB.
find_disk() {
  local link name size type want found=()
  if [ -n "${LVM_DEVICE:-}" ]; then
    [ -b "$LVM_DEVICE" ] || fail "LVM_DEVICE $LVM_DEVICE is not a block device"
    echo "$LVM_DEVICE"
    return
  fi
  if [ -n "${EXTRA_DISK_SERIAL:-}" ]; then
    for link in /dev/disk/by-id/*"$EXTRA_DISK_SERIAL"; do
      if [ -e "$link" ]; then readlink -f "$link" && return; fi
    done
  fi
  [ "$EXTRA_DISK_GB" -gt 0 ] || fail "direct-lvm needs a disk: set host.extra_disk_gb in the scenario"
  want=$((EXTRA_DISK_GB * 1024 * 1024 * 1024))
  while read -r name size type; do
    if [ "$type" = disk ] && [ "$size" = "$want" ] && blank_disk "/dev/$name"; then found+=("/dev/$name"); fi
  done < <(lsblk -d -b -n -o NAME,SIZE,TYPE)
  if [ "${#found[@]}" -ne 1 ]; then
    fail "expected one blank ${EXTRA_DISK_GB} GiB disk for the thin pool, found ${#found[@]}" \
      "(with VirtualBox, run Vagrant with VAGRANT_EXPERIMENTAL=disks); disks here:" \
      "$(lsblk -d -n -o NAME,SIZE,TYPE,FSTYPE,MOUNTPOINT | tr '\n' ';')"
  fi
  echo "${found[0]}"
}

# True when disk $1 has no partitions and no filesystem or LVM signature.
blank_disk() {
  [ "$(lsblk -n -o NAME "$1" | wc -l)" -eq 1 ] && [ -z "$(blkid -p -o value -s TYPE "$1" 2>/dev/null || true)" ]
}

write_daemon_json() {
  [ -n "${DAEMON_CONFIG:-}" ] || fail "DAEMON_CONFIG is empty: nothing to write to $DAEMON_JSON"
  mkdir -p "$(dirname "$DAEMON_JSON")"
  if [ -e "$DAEMON_JSON" ] && [ ! -e "$DAEMON_JSON.before-harness" ]; then
    cp -p "$DAEMON_JSON" "$DAEMON_JSON.before-harness"
    log "kept the previous $DAEMON_JSON as $DAEMON_JSON.before-harness"
  fi
  printf '%s\n' "$DAEMON_CONFIG" >"$DAEMON_JSON.tmp"
  mv "$DAEMON_JSON.tmp" "$DAEMON_JSON"
  log "wrote $DAEMON_JSON: $DAEMON_CONFIG"
}

# overlay2 on xfs needs d_type (mkfs.xfs -n ftype=1); say so before dockerd refuses to start. The drivers checked
# here are the registry's `needs_d_type` ones (harness/drivers.py; tests/unit/test_drivers.py compares them).
check_backing_filesystem() {
  local directory="$DATA_ROOT" fstype
  if [ "$STORAGE_DRIVER" != overlay2 ]; then return; fi
  while [ ! -d "$directory" ]; do directory=$(dirname "$directory"); done
  fstype=$(findmnt -n -o FSTYPE -T "$directory" 2>/dev/null || true)
  if [ "$fstype" = xfs ] && command -v xfs_info >/dev/null 2>&1; then
    if ! xfs_info "$(findmnt -n -o TARGET -T "$directory")" | grep -q 'ftype=1'; then
      fail "$DATA_ROOT is on xfs without ftype=1 (no d_type): overlay2 cannot use it; use a box whose" \
        "root filesystem was made with mkfs.xfs -n ftype=1"
    fi
  fi
  log "$DATA_ROOT is on ${fstype:-an unknown filesystem}"
}

main() {
  : "${STORAGE_DRIVER:?STORAGE_DRIVER is not set}"
  if [ "${DIRECT_LVM:-false}" = true ]; then
    if [[ ${DAEMON_CONFIG:-} == *dm.directlvm_device=* ]]; then
      log "dockerd builds the thin pool itself (dm.directlvm_device)"
    else
      make_thin_pool
    fi
  fi
  write_daemon_json
  check_backing_filesystem
}

main "$@"
