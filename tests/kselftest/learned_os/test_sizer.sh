#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The buffer-cache sizer on a real cgroup: bad knob values are refused and change nothing; a
# task reading an 8 MiB working set over and over in the target cgroup gets a miss-ratio
# curve that falls to near 0 past 8 MiB, and a memory.high the exact rules set near it
# (set on its memory cgroup, which the module then reclaims down to in bounded steps), within the
# bounds and never above memory.max; a working set that triples gets a memory.high above it
# from an early decision; a model decides once one is loaded;
# disabling, and unloading, give the cgroup back its own memory.high; a removed cgroup is let
# go; the root cgroup is refused; a path written from inside a cgroup namespace names that
# namespace's cgroup, and the sizer acts on it, not on the host's cgroup of the same name.
. "$(dirname "$0")/lib.sh"

ROOT=/sys/fs/cgroup
CG=$ROOT/lo_sizer
GONE=$ROOT/lo_sizer_gone
NS=$ROOT/lo_sizer_ns
TOOL=${LO_SCHED:-/learned_os/bin/lo-sched}
Z=$SYSFS/sizer
M=/learned_os/testmodels
TMP=$(mktemp -d)
MIB=1048576
stop_reader() {
	touch "$TMP/stop"
	wait
	rm -f "$TMP/stop"
}
cleanup() {
	stop_reader
	rmdir $CG/nomem/leaf $CG/nomem $CG $GONE $NS/lo_victim $NS/w $NS $ROOT/lo_victim 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# reader MIB [CGROUP]: reads the first MIB MiB of the disk over and over, inside the cgroup
# (the test's, or the directory CGROUP), until stop_reader, or until this test is gone
# (killed at its timeout, its trap never runs).
reader() {
	sh -c "echo \$\$ > ${2:-$CG}/cgroup.procs &&
		while [ ! -e $TMP/stop ] && kill -0 $$ 2>/dev/null; do
			dd if=/dev/vda of=/dev/null bs=64k count=$(($1 * 16)) 2>/dev/null
		done" &
}
high() { cat $CG/memory.high; }
high_at_most() { [ "$(high)" -le "$1" ]; }
high_at_least() { [ "$(high)" -ge "$1" ]; }
high_is() { [ "$(high)" = "$1" ]; }
high_is_not() { [ "$(high)" != "$1" ]; }
stat_at_least() { [ "$(stat_value sizer "$1")" -ge "$2" ]; }
# The limit written is the last decided, and within the limiter's 5% dead band of the
# rules' proposal (page cache) plus the rest of the cgroup's memory: no step left to take.
settled() {
	h=$(high)
	p=$(($(stat_value sizer last_proposal) + $(stat_value sizer last_other)))
	[ "$(stat_value sizer last_limit)" = "$h" ] && [ $((h * 20)) -le $((p * 21)) ] &&
		[ $((h * 20)) -ge $((p * 19)) ]
}

ktap_print_header
ktap_set_plan 13

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }

defaults() {
	[ "$(cat $Z/cgroup)" = none ] && [ "$(cat $Z/goal)" = 900 ] && [ "$(cat $Z/margin)" = 20 ] &&
		[ "$(cat $Z/cost_weight)" = 100 ] && [ "$(cat $Z/min)" = $((8 * MIB)) ] &&
		[ "$(cat $Z/max)" = $((256 * MIB)) ] && [ "$(cat $Z/interval_ms)" = 1000 ] &&
		[ "$(stat_value sizer target_set)" = 0 ] && stats_well_formed $Z/stats
}
ktap_check "defaults: no cgroup, goal 900, margin 20, 8 MiB..256 MiB, 1000 ms" defaults

echo +memory >$ROOT/cgroup.subtree_control
mkdir -p $CG/nomem/leaf
bad_values() {
	r0=$(stat_value sizer rejected_writes)
	write_refused $Z/goal "1001\n" "Invalid argument" &&
		write_refused $Z/margin "abc\n" "Invalid argument" &&
		write_refused $Z/min "0\n" "Invalid argument" &&
		write_refused $Z/max "4096\n" "Invalid argument" &&
		write_refused $Z/min "$((256 * MIB))\n" "Invalid argument" &&
		write_refused $Z/interval_ms "50\n" "Invalid argument" &&
		write_refused $Z/cgroup "lo_sizer\n" "Invalid argument" &&
		write_refused $Z/cgroup "/lo sizer\n" "Invalid argument" &&
		write_refused $Z/cgroup "/lo_sizer_missing\n" "No such file" &&
		write_refused $Z/cgroup "/lo_sizer/nomem/leaf\n" "not supported" &&
		[ $(($(stat_value sizer rejected_writes) - r0)) = 10 ]
}
ktap_check "bad values refused (range, garbage, min too close to max, bad or missing cgroup, no memory controller)" bad_values
# Nobody may limit the root cgroup (the kernel exposes no memory.high there).
root_refused() {
	for v in '/\n' '/' '//\n'; do
		write_refused $Z/cgroup "$v" "Invalid argument" || { ktap_print_msg "'$v' not refused"; return 1; }
	done
	[ "$(stat_value sizer target_set)" = 0 ]
}
ktap_check "the root cgroup is refused with EINVAL, no target set" root_refused

if ! grep -q 'lo.disk=1' /proc/cmdline; then
	for t in "an 8 MiB working set: the curve falls past 8 MiB and memory.high follows it" \
		"a growing working set: first accesses raise memory.high early" \
		"a limit under the page cache: the sizer reclaims down to it in bounded steps" \
		"memory.high stays within min..max and under memory.max" \
		"a loaded sizer model decides" \
		"disabling gives the cgroup its own memory.high back" \
		"rmmod gives the cgroup its own memory.high back" \
		"a removed cgroup is let go" \
		"the sizer works again on a new cgroup" \
		"a path written in a cgroup namespace: the sizer sizes that namespace's cgroup"; do
		ktap_test_skip "$t" "no disk attached"
	done
	mod_unload
	ktap_finished
fi
# The block device's page cache goes with its last opener: hold it open.
exec 3</dev/vda
echo $((4 * MIB)) >$Z/min
echo $((48 * MIB)) >$Z/max
echo 100 >$Z/interval_ms
echo 64M >$CG/memory.max
echo 60M >$CG/memory.high
echo /lo_sizer >$Z/cgroup
echo 1 >$Z/enabled
reader 8

decided() { [ "$(stat_value sizer decisions_fallback)" -ge 5 ] && [ "$(high)" != 62914560 ]; }
follows() {
	wait_for 60 decided || { ktap_print_msg "no decision: $(tr '\n' ' ' <$Z/stats)"; return 1; }
	# From 60 MiB down to the working set: at most a quarter less every 2 intervals.
	wait_for 30 settled
	h=$(high)
	small=$(awk '$1 == "curve_kib_4096" { print $2 }' $Z/stats)
	big=$(awk '/^curve_kib_/ { v = $2 } END { print v }' $Z/stats)
	ktap_print_msg "memory.high $h; miss ratio (ppm) at 4 MiB $small, at 48 MiB $big;" \
		"$(grep -E '^(accesses|decisions_fallback|changes|last_reason|reason_goal_met) ' $Z/stats | tr '\n' ' ')"
	cur=$(cat $CG/memory.current)
	ktap_print_msg "memory.current $cur; limits set: $(stat_value sizer changes)," \
		"reclaim steps: $(stat_value sizer reclaim_steps), $(stat_value sizer reclaimed) bytes"
	[ "$h" -ge $((8 * MIB)) ] && [ "$h" -le $((16 * MIB)) ] && [ "$small" -gt 500000 ] &&
		[ "$big" -lt 100000 ] && [ "$(stat_value sizer last_reason)" = 2 ] &&
		[ "$(stat_value sizer last_limit)" = "$h" ] && [ "$cur" -le $((h + MIB)) ]
}
ktap_check "an 8 MiB working set: the curve falls past 8 MiB and memory.high follows it" follows

grows() {
	# The working set triples: its first accesses alone miss the goal, the access path
	# decides early, and the rule's growth raises memory.high (at most 4 times per step)
	# past the new working set without waiting for the aged curve.
	k0=$(stat_value sizer kicks)
	g0=$(stat_value sizer reason_growth)
	stop_reader
	reader 24
	wait_for 20 high_at_least $((24 * MIB))
	ktap_print_msg "working set 8 -> 24 MiB: memory.high $(high);" \
		"$(grep -E '^(kicks|reason_growth|last_fresh_ppm|sample_rate_ppm|pages_sampled|accesses) ' $Z/stats | tr '\n' ' ')"
	ok=0
	[ "$(high)" -ge $((24 * MIB)) ] && [ "$(stat_value sizer kicks)" -gt "$k0" ] &&
		[ "$(stat_value sizer reason_growth)" -gt "$g0" ] && ok=1
	stop_reader
	reader 8
	[ $ok = 1 ]
}
ktap_check "a growing working set: first accesses raise memory.high early" grows

# A 24 MiB working set and max lowered to 12 MiB: the limit falls under the page cache, and
# the sizer's own bounded reclaim steps (not a write to memory.high) bring memory.current
# down to it.
current_at_most() { [ "$(cat $CG/memory.current)" -le "$1" ]; }
reclaims() {
	stop_reader
	reader 24
	wait_for 30 sh -c "[ \$(cat $CG/memory.current) -ge $((20 * MIB)) ]"
	s0=$(stat_value sizer reclaim_steps)
	r0=$(stat_value sizer reclaimed)
	echo $((12 * MIB)) >$Z/max
	wait_for 20 high_at_most $((13 * MIB)) && wait_for 20 current_at_most $((14 * MIB))
	ktap_print_msg "max 12 MiB under a 24 MiB working set: memory.high $(high), memory.current" \
		"$(cat $CG/memory.current); reclaim steps $(($(stat_value sizer reclaim_steps) - s0))," \
		"$(($(stat_value sizer reclaimed) - r0)) bytes"
	ok=0
	[ "$(high)" -le $((13 * MIB)) ] && [ "$(cat $CG/memory.current)" -le $((14 * MIB)) ] &&
		[ "$(stat_value sizer reclaim_steps)" -gt "$s0" ] &&
		[ "$(stat_value sizer reclaimed)" -gt "$r0" ] && ok=1
	echo $((48 * MIB)) >$Z/max
	stop_reader
	reader 8
	[ $ok = 1 ]
}
ktap_check "a limit under the page cache: the sizer reclaims down to it in bounded steps" reclaims

bounded() {
	# The rules still ask for about 8 MiB: memory.max (6 MiB) caps it at once.
	echo 6M >$CG/memory.max
	sleep 1
	ok=1
	for i in 1 2 3 4 5 6 7 8 9 10; do
		h=$(high)
		{ [ "$h" -le $((6 * MIB)) ] && [ "$h" -ge $((4 * MIB)) ]; } || ok=0
		sleep 0.3
	done
	ktap_print_msg "memory.max 6 MiB: memory.high $(high), last proposal $(stat_value sizer last_proposal)"
	echo 64M >$CG/memory.max
	[ $ok = 1 ]
}
ktap_check "memory.high stays within min..max and under memory.max" bounded

with_model() {
	dd if=$M/sizer.lmod of=$Z/model bs=64k 2>/dev/null || return 1
	m0=$(stat_value sizer decisions_model)
	wait_for 20 stat_at_least decisions_model $((m0 + 1))
	m=$(stat_value sizer decisions_model)
	src=$(stat_value sizer last_source)
	h=$(high)
	ktap_print_msg "model: $m decisions, memory.high $h, last source $src (1: model)"
	echo none >$Z/model
	[ "$m" -gt "$m0" ] && [ "$src" = 1 ] &&
		[ "$h" -ge $((4 * MIB)) ] && [ "$h" -le $((48 * MIB)) ]
}
ktap_check "a loaded sizer model decides" with_model

restored_on_disable() {
	echo 0 >$Z/enabled
	# A limit the worker was writing as this returned is given back right after it.
	wait_for 5 high_is 62914560
	ktap_print_msg "disabled: memory.high $(high), running $(stat_value sizer running)"
	[ "$(high)" = 62914560 ] && [ "$(stat_value sizer running)" = 0 ]
}
ktap_check "disabling gives the cgroup its own memory.high back" restored_on_disable

restored_on_rmmod() {
	echo 1 >$Z/enabled
	wait_for 30 high_is_not 62914560 || return 1
	changed=$(high)
	mod_unload || return 1
	ktap_print_msg "sized to $changed, then rmmod: memory.high $(high)"
	[ "$(high)" = 62914560 ]
}
ktap_check "rmmod gives the cgroup its own memory.high back" restored_on_rmmod

stop_reader
removed() {
	mod_load || return 1
	echo 100 >$Z/interval_ms
	echo 1 >$Z/enabled
	mkdir $GONE || return 1
	echo 8M >$GONE/memory.high
	echo /lo_sizer_gone >$Z/cgroup || return 1
	rmdir $GONE || return 1
	wait_for 10 stat_at_least cgroups_removed 1
	ktap_print_msg "after rmdir: cgroup $(cat $Z/cgroup);" \
		"$(grep -E '^(enabled|target_set|running|cgroups_removed|no_data|decisions_fallback) ' $Z/stats | tr '\n' ' ')"
	[ "$(stat_value sizer cgroups_removed)" = 1 ] && [ "$(cat $Z/cgroup)" = none ] &&
		[ "$(stat_value sizer target_set)" = 0 ]
}
ktap_check "a removed cgroup is let go" removed

again() {
	echo $((4 * MIB)) >$Z/min
	echo $((48 * MIB)) >$Z/max
	echo /lo_sizer >$Z/cgroup || return 1
	reader 8
	# From a cold curve (all misses: the largest size) down to the working set.
	wait_for 60 high_at_most $((16 * MIB))
	ktap_print_msg "new target: changes $(stat_value sizer changes), memory.high $(high);" \
		"$(grep -E '^(running|accesses|decisions_fallback|no_data|errors) ' $Z/stats | tr '\n' ' ')"
	stop_reader
	[ "$(stat_value sizer changes)" -ge 1 ] && [ "$(high)" -le $((16 * MIB)) ] &&
		[ "$(high)" -ge $((8 * MIB)) ]
}
ktap_check "the sizer works again on a new cgroup" again

# A writer in a cgroup namespace rooted at lo_sizer_ns names /lo_victim: that is
# lo_sizer_ns/lo_victim, which the sizer must size; the host's own /lo_victim, with the same
# path outside the namespace, must keep its memory.high.
ns_high_set() { [ "$(cat $NS/lo_victim/memory.high)" != max ]; }
in_namespace() {
	mkdir -p $NS $ROOT/lo_victim || return 1
	# The writer enters lo_sizer_ns, unshares its cgroup namespace there (its root), and
	# moves to a leaf below it, so that lo_sizer_ns may delegate the memory controller to its
	# children (cgroup v2 lets no cgroup with processes do that); then it names /lo_victim.
	sh -c "echo \$\$ >$NS/cgroup.procs && exec $TOOL cgns sh -c '
		mkdir $NS/w && echo \$\$ >$NS/w/cgroup.procs &&
		echo +memory >$NS/cgroup.subtree_control && mkdir $NS/lo_victim &&
		echo /lo_victim >$Z/cgroup'" || return 1
	ktap_print_msg "written in the namespace; seen from the host: sizer/cgroup $(cat $Z/cgroup)"
	reader 8 $NS/lo_victim
	wait_for 60 ns_high_set
	ns=$(cat $NS/lo_victim/memory.high)
	host=$(cat $ROOT/lo_victim/memory.high)
	ktap_print_msg "memory.high: lo_sizer_ns/lo_victim $ns, host's /lo_victim $host;" \
		"$(grep -E '^(running|changes|reclaim_steps|reclaimed|errors) ' $Z/stats | tr '\n' ' ')"
	stop_reader
	echo none >$Z/cgroup
	[ "$host" = max ] && [ "$ns" != max ]
}
ktap_check "a path written in a cgroup namespace: the sizer sizes that namespace's cgroup" in_namespace

exec 3<&-
mod_unload
ktap_finished
