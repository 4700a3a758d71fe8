#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest provides what the policies' workloads rely on: the virtio disk (when the host
# attached one), cgroup v2 with the memory controller, tracepoints, debugfs, SMP.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 5

disk_rw() { # the first block reads back what was written (the disk is scratch space)
	printf 'learned_os-disk-check' | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null &&
		[ "$(dd if=/dev/vda bs=21 count=1 2>/dev/null)" = learned_os-disk-check ]
}
if grep -q 'lo.disk=1' /proc/cmdline; then
	ktap_check "virtio disk /dev/vda reads and writes" disk_rw
else
	ktap_test_skip "virtio disk /dev/vda reads and writes" "no disk attached"
fi
ktap_check "cgroup v2 with the memory controller" grep -qw memory /sys/fs/cgroup/cgroup.controllers
ktap_check "mm_filemap and sched tracepoints exist" sh -c \
	'[ -d /sys/kernel/debug/tracing/events/filemap ] || mount -t tracefs tracefs /sys/kernel/tracing
	 t=/sys/kernel/tracing/events; [ -d $t ] || t=/sys/kernel/debug/tracing/events
	 [ -d $t/filemap/mm_filemap_add_to_page_cache ] && [ -d $t/sched/sched_switch ]'
ktap_check "debugfs mounted" grep -q ' /sys/kernel/debug debugfs ' /proc/mounts
ktap_check "at least 2 CPUs online" test "$(grep -c ^processor /proc/cpuinfo)" -ge 2

ktap_finished
