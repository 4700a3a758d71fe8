#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Load and unload repeatedly, using the knobs in between: nothing may be left behind.
. "$(dirname "$0")/lib.sh"

CYCLES=${CYCLES:-50}

cycle() {
	insmod "$MODULE" || return 1
	[ "$(cat $SYSFS/evict/enabled)" = 0 ] || return 1
	echo 1 >$SYSFS/sched/enabled || return 1
	cat $SYSFS/sizer/stats >/dev/null || return 1
	rmmod learned_os || return 1
	[ ! -e $SYSFS ]
}
cycles() {
	c=1
	while [ $c -le "$CYCLES" ]; do
		cycle || { ktap_print_msg "cycle $c failed"; return 1; }
		c=$((c + 1))
	done
}

ktap_print_header
ktap_set_plan 2

mod_unload
slab_before=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
ktap_check "$CYCLES insmod/use/rmmod cycles" cycles
slab_after=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
ktap_print_msg "Slab before ${slab_before} kB, after ${slab_after} kB"
ktap_check "module not left loaded" sh -c "! grep -q '^learned_os ' /proc/modules"

ktap_finished
