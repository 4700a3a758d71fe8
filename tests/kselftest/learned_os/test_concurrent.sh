#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Concurrent writers (valid and invalid) and readers on every knob; writers of 0 and 1 racing
# on a policy with a target (the sizer's cgroup, the scheduler's cgroup) leave the flag and
# what it drives in agreement; then rmmod while they run.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-200}
# Races on the sizer; the scheduler's writes are cheaper: twice as many on it.
RACES=${RACES:-2000}
RACE=${LO_RACE:-/learned_os/bin/lo-race}
TMP=$(mktemp -d)
CG=/sys/fs/cgroup/lo_concurrent
trap 'rmdir $CG 2>/dev/null; rm -rf "$TMP"' EXIT

toggler() { # POLICY ID: ROUNDS writes of 1 and 0
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		echo $((i % 2)) >"$SYSFS/$1/enabled" 2>/dev/null || echo "write $i failed" >>"$TMP/err.$1.$2"
		i=$((i + 1))
	done
}
garbage() { # POLICY: ROUNDS invalid writes, each must fail
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		if echo 7 >"$SYSFS/$1/enabled" 2>/dev/null; then echo "invalid write $i accepted" >>"$TMP/err.$1.g"; fi
		i=$((i + 1))
	done
}
reader() { # POLICY: reads must always see 0 or 1 and well-formed stats
	i=0
	while [ $i -lt "$ROUNDS" ]; do
		case "$(cat "$SYSFS/$1/enabled")" in 0 | 1) ;; *) echo "bad read" >>"$TMP/err.$1.r" ;; esac
		stats_well_formed "$SYSFS/$1/stats" || echo "bad stats" >>"$TMP/err.$1.r"
		i=$((i + 1))
	done
}
hammer() { # POLICY: loop until the module is gone; failures are expected once it is
	while [ ! -e "$TMP/stop" ]; do
		{ echo 1 >"$SYSFS/$1/enabled"; } 2>/dev/null
		cat "$SYSFS/$1/stats" "$SYSFS/$1/enabled" >/dev/null 2>&1
		{ echo x >"$SYSFS/$1/enabled"; } 2>/dev/null
	done
}

ktap_print_header
ktap_set_plan 7

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }

pids=
for p in $POLICIES; do
	toggler "$p" a & pids="$pids $!"
	toggler "$p" b & pids="$pids $!"
	garbage "$p" & pids="$pids $!"
	reader "$p" & pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done

errs=$(cat "$TMP"/err.* 2>/dev/null | sort | uniq -c)
[ -z "$errs" ] || ktap_print_msg "$errs"
ktap_check "4 policies x (2 togglers, 1 invalid writer, 1 reader), $ROUNDS rounds each: no errors" \
	test -z "$errs"
counts_exact() {
	for p in $POLICIES; do
		[ "$(stat_value "$p" rejected_writes)" = "$ROUNDS" ] || { ktap_print_msg "$p: rejected $(stat_value "$p" rejected_writes)"; return 1; }
		t=$(stat_value "$p" transitions)
		[ "$t" -le $((2 * ROUNDS)) ] || { ktap_print_msg "$p: $t transitions"; return 1; }
	done
}
ktap_check "rejected_writes exact and transitions bounded under concurrency" counts_exact

# race POLICY KEY TRIALS [FILE VALUE]: TRIALS races of two writers of POLICY/enabled (lo-race
# toggle: one writer per CPU, released together, one writing 1 then 0 and the other 0 then
# 1); once both returned, the flag and the actuator's state (stats KEY) must agree, and FILE
# must read VALUE whenever the flag is 0.
race() {
	pol=$1
	shift
	t0=$(date +%s)
	out=$("$RACE" toggle "$SYSFS/$pol" "$@" 2>"$TMP/race.err")
	rc=$?
	echo 0 >"$SYSFS/$pol/enabled"
	while read -r l; do ktap_print_msg "$pol $l"; done <"$TMP/race.err"
	ktap_print_msg "$pol: $out ($(($(date +%s) - t0)) s)"
	[ $rc = 0 ] && [ "$out" = "toggle trials=$2 disagreed=0" ]
}
mkdir -p $CG
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
echo 60M >$CG/memory.high
echo 100 >$SYSFS/sizer/interval_ms
echo /lo_concurrent >$SYSFS/sizer/cgroup
echo /lo_concurrent >$SYSFS/sched/cgroup
ktap_check "sizer with a target: $RACES races of 0 and 1 leave enabled and running in agreement, memory.high the cgroup's own when disabled" \
	race sizer running "$RACES" $CG/memory.high 62914560
ktap_check "sched with a cgroup: $((2 * RACES)) races of 0 and 1 leave enabled and recording in agreement" \
	race sched recording $((2 * RACES))
echo none >$SYSFS/sizer/cgroup
echo none >$SYSFS/sched/cgroup

pids=
for p in $POLICIES; do hammer "$p" & pids="$pids $!"; done
sleep 1
ktap_check "rmmod while readers and writers run" rmmod learned_os
ktap_check "sysfs tree gone after rmmod under load" test ! -e "$SYSFS"
touch "$TMP/stop"
for pid in $pids; do wait "$pid"; done
ktap_check "insmod again after rmmod under load" sh -c "insmod $MODULE && rmmod learned_os"

ktap_finished
