#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The eviction policy's reclaim hook: reported supported exactly when the kernel has it;
# consulted under real memory pressure (file pages of the virtio disk read through a memory
# cgroup far smaller than the disk); every answer from the exact fallback while no model
# decides; enable/disable and rmmod while reclaim runs.
. "$(dirname "$0")/lib.sh"

CG=/sys/fs/cgroup/lo_evict
S=$SYSFS/evict/stats
TMP=$(mktemp -d)
cleanup() {
	touch "$TMP/stop"
	wait
	rmdir $CG 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

asked() { # questions reclaim has asked so far
	echo $(($(stat_value evict kernel_verdict_reclaim) + $(stat_value evict kernel_verdict_keep) + \
		$(stat_value evict kernel_verdict_activate)))
}
pressure() { # read the whole scratch disk through the small cgroup
	sh -c "echo \$\$ > $CG/cgroup.procs && exec dd if=/dev/vda of=/dev/null bs=64k 2>/dev/null"
}
pressure_loop() {
	while [ ! -e "$TMP/stop" ]; do pressure || break; done
}

ktap_print_header
ktap_set_plan 6

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }

hook=0
grep -q ' reclaim_hook_register$' /proc/kallsyms && hook=1
ktap_check "evict/stats: supported $hook, as /proc/kallsyms says" test "$(stat_value evict supported)" = $hook

skip_rest() {
	for t in "reclaim consults the hook under memory pressure" \
		"enabled: every answer comes from the exact fallback" \
		"enable/disable 50 times while reclaim runs" "rmmod while reclaim runs" \
		"insmod again after rmmod under pressure"; do
		ktap_test_skip "$t" "$1"
	done
	mod_unload
	ktap_finished
}
[ $hook = 1 ] || skip_rest "kernel without the reclaim hook"
grep -q 'lo.disk=1' /proc/cmdline || skip_rest "no disk attached"

echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p $CG
echo 16M >$CG/memory.max

before=$(asked)
pressure
after=$(asked)
ktap_print_msg "reclaim asked $((after - before)) times while 64 MiB went through a 16 MiB cgroup"
ktap_check "reclaim consults the hook under memory pressure" \
	sh -c "[ $after -gt $before ] && [ $(stat_value evict decisions_fallback) = 0 ]"

echo 1 >$SYSFS/evict/enabled
a0=$(asked)
f0=$(stat_value evict decisions_fallback)
pressure
a1=$(asked)
f1=$(stat_value evict decisions_fallback)
ktap_print_msg "enabled: $((a1 - a0)) questions, $((f1 - f0)) fallback answers"
ktap_check "enabled: every answer comes from the exact fallback" \
	sh -c "[ $((a1 - a0)) -gt 0 ] && [ $((f1 - f0)) = $((a1 - a0)) ]"

pressure_loop &
toggles() {
	i=0
	while [ $i -lt 50 ]; do
		echo $((i % 2)) >$SYSFS/evict/enabled || return 1
		i=$((i + 1))
	done
}
ktap_check "enable/disable 50 times while reclaim runs" toggles
sleep 1
ktap_check "rmmod while reclaim runs" rmmod learned_os
ktap_check "insmod again after rmmod under pressure" sh -c \
	"insmod $MODULE && [ \"\$(awk '\$1 == \"supported\" { print \$2 }' $S)\" = 1 ] && rmmod learned_os"

ktap_finished
