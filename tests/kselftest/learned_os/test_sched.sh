#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The scheduler policy on real tasks (lo-sched), limited to a test cgroup: bad knob values
# are refused and change nothing; enabled without a model it records bursts and sets no
# slice; with the shipped model a short-burst task gets a short slice and a CPU hog a long
# one (read back with sched_getattr), and disabling restores the defaults; tasks exiting all
# the time while predictions run leave nothing behind; a task made real-time keeps its
# policy; with no cgroup named, no task is touched; tasks reniced in a tight loop while the
# policy changes their slices never see their nice values reverted; the guard, told that
# learned must be 100% better, trips and restores the default slices; unloading restores
# every slice it set.
. "$(dirname "$0")/lib.sh"

S=$SYSFS/sched
TOOL=${LO_SCHED:-/learned_os/bin/lo-sched}
CG=/sys/fs/cgroup/lo_sched_test
TMP=$(mktemp -d)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait
	rmdir "$CG" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# start NAME ARGS...: runs lo-sched ARGS in the test cgroup, in the background; its pid is
# in $NAME.
start() {
	name=$1
	shift
	sh -c "echo \$\$ >$CG/cgroup.procs && exec $TOOL $*" >"$TMP/$name.out" 2>&1 &
	eval "$name=$!"
	PIDS="$PIDS $!"
}
stop_all() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait
	PIDS=
}
slice_of() { "$TOOL" slice "$1"; }
enable() { knob_write $S/enabled "$1\n"; }
# The checks that need learned slices to stay run in the guard's first (learned) window:
# under TCG on a loaded host, noise alone can make a learned window look worse.
one_window() { knob_write $S/window_ms "60000\n"; }
set_defaults() {
	knob_write $S/window_ms "1000\n" && knob_write $S/guard_margin_ppm "100000\n" &&
		knob_write $S/guard_trip_after "3\n" && knob_write $S/guard_min_samples "100\n"
}

DEFAULT=

defaults() {
	for f in enabled stats model model_info infer cgroup interval_ms window_ms \
		guard_margin_ppm guard_trip_after guard_min_samples; do
		[ -e $S/$f ] || { ktap_print_msg "no $S/$f"; return 1; }
	done
	[ "$(cat $S/enabled)" = 0 ] && [ "$(cat $S/cgroup)" = none ] &&
		[ "$(cat $S/interval_ms)" = 100 ] && [ "$(cat $S/window_ms)" = 1000 ] &&
		[ "$(cat $S/guard_margin_ppm)" = 100000 ] && [ "$(cat $S/guard_trip_after)" = 3 ] &&
		[ "$(cat $S/guard_min_samples)" = 100 ] && stats_well_formed $S/stats &&
		[ "$(stat_value sched recording)" = 0 ] && [ "$(stat_value sched slices_applied)" = 0 ]
}

bad_knobs() {
	write_refused $S/window_ms "0\n" "Invalid argument" &&
		write_refused $S/window_ms "60001\n" "Invalid argument" &&
		write_refused $S/interval_ms "fast\n" "Invalid argument" &&
		write_refused $S/guard_margin_ppm "-1000001\n" "Invalid argument" &&
		write_refused $S/guard_trip_after "0\n" "Invalid argument" &&
		write_refused $S/guard_min_samples "1 2\n" "Invalid argument" &&
		write_refused $S/cgroup "lo_sched_test\n" "Invalid argument" &&
		write_refused $S/cgroup "/no_such_cgroup\n" "No such file" &&
		knob_write $S/cgroup "$(echo $CG | sed 's|/sys/fs/cgroup||')\n" &&
		[ "$(cat $S/cgroup)" = /lo_sched_test ] &&
		enable 1 && write_refused $S/cgroup "none\n" "Device or resource busy" && enable 0 &&
		[ "$(cat $S/cgroup)" = /lo_sched_test ]
}

# opt_in: with no cgroup named, the policy records and changes no task, even with a model.
opt_in() {
	cat /learned_os/models/sched.lmod >$S/model || return 1
	one_window && enable 1 || return 1
	b0=$(stat_value sched bursts)
	"$TOOL" sleeper 2000 3 >/dev/null &
	SL=$!
	sleep 1
	s=$(slice_of "$SL")
	wait "$SL"
	enable 0
	echo none >$S/model
	set_defaults
	ktap_print_msg "no cgroup: bursts $(($(stat_value sched bursts) - b0)), sleeper slice $s, set $(stat_value sched slices_set)"
	[ "$(stat_value sched bursts)" = "$b0" ] && [ "$s" = "$DEFAULT" ] &&
		[ "$(stat_value sched slices_set)" = 0 ]
}

# no_model: enabled without a model, bursts are recorded, predictions fall back, no slice
# changes; the tasks' exits empty the table (only the cgroup's tasks are recorded).
no_model() {
	enable 1 || return 1
	start SL sleeper 2000 2
	start HOG hog 2
	wait_for 10 sh -c "[ \$(awk '\$1 == \"bursts\" { print \$2 }' $S/stats) -gt 50 ]" ||
		{ ktap_print_msg "stats: $(tr '\n' ' ' <$S/stats)"; stop_all; return 1; }
	s=$(slice_of "$SL")
	stop_all
	enable 0
	ktap_print_msg "bursts $(stat_value sched bursts), no_model $(stat_value sched predict_no_model), sleeper slice $s"
	[ "$(stat_value sched predict_no_model)" -gt 0 ] && [ "$(stat_value sched predict_model)" = 0 ] &&
		[ "$(stat_value sched slices_set)" = 0 ] && [ "$s" = "$DEFAULT" ] &&
		[ "$(stat_value sched table_inserts)" -gt 0 ] && [ "$(stat_value sched tasks)" = 0 ]
}

# short_slice: with the model, the sleeper (50 us bursts) gets a short slice and the hog
# (never blocks) a long one; disabling gives them back the default.
is_short() { s=$(slice_of "$1") && [ "$s" = 100000 -o "$s" = 300000 ]; }
is_long() { s=$(slice_of "$1") && [ "$s" = 6000000 -o "$s" = 12000000 ]; }
is_default() { [ "$(slice_of "$1")" = "$DEFAULT" ]; }
applied_is() { [ "$(stat_value sched slices_applied)" = "$1" ]; }
short_slice() {
	cat /learned_os/models/sched.lmod >$S/model || return 1
	one_window && enable 1 || return 1
	start SL sleeper 2000 30
	start HOG hog 30
	if ! wait_for 20 is_short "$SL" || ! wait_for 10 is_long "$HOG"; then
		ktap_print_msg "sleeper slice $(slice_of "$SL"); stats: $(tr '\n' ' ' <$S/stats)"
		stop_all
		enable 0
		return 1
	fi
	ktap_print_msg "sleeper slice $(slice_of "$SL"), hog slice $(slice_of "$HOG"), predictions $(stat_value sched predict_model), mean $(stat_value sched predict_ns_mean) ns"
	enable 0
	wait_for 10 applied_is 0 && is_default "$SL" && is_default "$HOG" || {
		ktap_print_msg "after disable: sleeper $(slice_of "$SL") hog $(slice_of "$HOG") applied $(stat_value sched slices_applied)"
		stop_all
		return 1
	}
	stop_all
	set_defaults
	[ "$(stat_value sched slices_set)" -gt 0 ] && [ "$(stat_value sched slices_restored)" -gt 0 ] &&
		[ "$(stat_value sched predict_model)" -gt 0 ] && [ "$(stat_value sched ongoing_long)" -gt 0 ]
}

# churn: 300 tasks exit one after another while predictions and slice changes run.
churn() {
	one_window && enable 1 || return 1
	exits=$(stat_value sched events_exit)
	start SL sleeper 2000 30
	"$TOOL" churn 300 >"$TMP/churn" 2>&1 &
	CH=$!
	echo $CH >$CG/cgroup.procs 2>/dev/null
	wait $CH
	ktap_print_msg "$(cat "$TMP/churn"): exits $(($(stat_value sched events_exit) - exits)), tasks $(stat_value sched tasks), gone $(stat_value sched tasks_gone), applied $(stat_value sched slices_applied)"
	stop_all
	enable 0
	set_defaults
	wait_for 10 applied_is 0 && [ "$(($(stat_value sched events_exit) - exits))" -ge 300 ] &&
		[ "$(stat_value sched tasks)" -lt 100 ] && stats_well_formed $S/stats
}

# never_rt: a task made SCHED_FIFO after it got a learned slice stays FIFO; disabling
# forgets its slice (not ours to restore) and sets nothing on it.
never_rt() {
	one_window && enable 1 || return 1
	skipped=$(stat_value sched tasks_skipped)
	start SL sleeper 2000 30
	wait_for 20 is_short "$SL" || { stop_all; enable 0; set_defaults; return 1; }
	"$TOOL" fifo "$SL" || { stop_all; enable 0; set_defaults; return 1; }
	enable 0
	wait_for 10 applied_is 0
	pol=$("$TOOL" policy "$SL")
	ktap_print_msg "policy after disable: $pol, skipped $(($(stat_value sched tasks_skipped) - skipped)), applied $(stat_value sched slices_applied)"
	stop_all
	set_defaults
	[ "$pol" = 1 ] && [ "$(stat_value sched tasks_skipped)" -gt "$skipped" ] && wait_for 10 applied_is 0
}

# renice_kept: the policy sets slices alone (sched_set_slice): 8 tasks (lo-sched renice-race)
# on CPU 0 whose slices the policy keeps changing (interval_ms 1; its work, kicked from CPU 0,
# runs there), all reniced at once (setpriority(PRIO_PGRP)) in a tight loop from the other
# CPU, read back every nice value set (a slice set by writing back a nice value read earlier
# would revert some).
renice_kept() {
	knob_write $S/interval_ms "1\n" && one_window || return 1
	if command -v taskset >/dev/null; then taskset -c 0 sh -c "echo 1 >$S/enabled"; else enable 1; fi ||
		return 1
	set0=$(stat_value sched slices_set)
	restored0=$(stat_value sched slices_restored)
	start RN renice-race 20 8
	wait "$RN"
	rc=$?
	out=$(cat "$TMP/RN.out")
	stop_all
	enable 0
	knob_write $S/interval_ms "100\n"
	set_defaults
	sets=$(($(stat_value sched slices_set) - set0))
	restored=$(($(stat_value sched slices_restored) - restored0))
	ktap_print_msg "$out; slices set meanwhile: $sets, restored: $restored"
	[ $rc = 0 ] || return 1
	case "$out" in *" reverted=0") ;; *) return 1 ;; esac
	[ "$sets" -gt 0 ]
}

tripped_is() { [ "$(stat_value sched guard_tripped)" = "$1" ]; }
guard_trip() {
	knob_write $S/window_ms "200\n" && knob_write $S/guard_margin_ppm "-1000000\n" &&
		knob_write $S/guard_trip_after "2\n" && knob_write $S/guard_min_samples "5\n" &&
		enable 1 || return 1
	trips=$(stat_value sched guard_trips)
	start SL sleeper 1000 30
	start HOG hog 30
	ok=0
	if wait_for 20 tripped_is 1 && wait_for 10 applied_is 0 && is_default "$SL"; then ok=1; fi
	ktap_print_msg "tripped $(stat_value sched guard_tripped), worse $(stat_value sched guard_worse), windows $(stat_value sched guard_windows), p99 learned $(stat_value sched guard_learned_p99_ns) fallback $(stat_value sched guard_fallback_p99_ns) ns, sleeper slice $(slice_of "$SL")"
	# Re-enabling resets the guard.
	enable 0 && enable 1 && tripped_is 0 || ok=0
	stop_all
	enable 0
	set_defaults
	[ $ok = 1 ] && [ "$(stat_value sched guard_trips)" -gt "$trips" ] &&
		[ "$(stat_value sched guard_worse)" -ge 2 ]
}

# unload: rmmod with learned slices in place restores them.
unload() {
	one_window && enable 1 || return 1
	start SL sleeper 2000 30
	start HOG hog 30
	wait_for 20 is_short "$SL" || { stop_all; return 1; }
	rmmod learned_os || { stop_all; return 1; }
	s=$(slice_of "$SL")
	h=$(slice_of "$HOG")
	stop_all
	ktap_print_msg "after rmmod: sleeper slice $s, hog slice $h (default $DEFAULT)"
	[ "$s" = "$DEFAULT" ] && [ "$h" = "$DEFAULT" ] && ! mod_loaded
}

ktap_print_header
ktap_set_plan 10

if [ ! -x "$TOOL" ] || [ ! -f /learned_os/models/sched.lmod ] || ! mkdir -p "$CG"; then
	for t in 1 2 3 4 5 6 7 8 9 10; do ktap_test_skip "sched $t" "no $TOOL, model or cgroup2"; done
	ktap_finished
fi
DEFAULT=$(slice_of $$)
ktap_print_msg "default slice $DEFAULT ns"

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }

ktap_check "defaults: knobs, disabled, nothing recorded or applied" defaults
ktap_check "no cgroup named: no task recorded or changed (opt-in)" opt_in
ktap_check "bad knob values refused; cgroup set only while disabled" bad_knobs
ktap_check "enabled without a model: bursts recorded, default slices" no_model
ktap_check "with the model: short slice for a short-burst task, long for a hog; disable restores" short_slice
ktap_check "300 tasks exiting during predictions leave nothing applied" churn
ktap_check "a task made SCHED_FIFO stays FIFO: its slice is forgotten, not restored" never_rt
ktap_check "tasks reniced in a tight loop while their slices change: no nice value reverted" renice_kept
ktap_check "the guard trips (learned must be 100% better) and restores default slices" guard_trip
ktap_check "rmmod restores every slice the module set" unload

mod_unload
ktap_finished
