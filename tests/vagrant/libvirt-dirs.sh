# shellcheck shell=bash
# Where libvirt keeps its state: tests/vagrant/run makes each a private directory of its own run, and
# tests/vagrant/interrupted checks that none is left mounted or newly made.
# shellcheck disable=SC2034  # used by the scripts that source this file
LIBVIRT_DIRS=(/etc/libvirt /var/lib/libvirt /run/libvirt /var/log/libvirt /var/cache/libvirt)
