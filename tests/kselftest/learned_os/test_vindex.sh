#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The learned VA->PA index (/dev/learned_os_vindex, driven by lo-vindex): for every layout
# (contiguous, THP, fragmented, mremap, munmap holes, fork with COW, freed and reused), every
# translation equals /proc/PID/pagemap's frame at every step, right after each mapping change
# too, with the learned index answering in steady state; the same with vindex disabled (the
# walk answers everything), at other error bounds, and with the benchmark's baselines (binary
# search over the runs, an rbtree of them) answering instead of the learned segments; bad
# ioctl arguments and bad knob values
# are refused; a registered process's exit drops its index; rmmod waits for the registered
# file to close. Hardening: a registration needs the caller to pass the ptrace read check on
# the process (another user's, a non-dumpable one) and is refused for kernel threads; a
# range over the run limit costs one counting walk, not one per translation; TRANSLATE
# racing UNREGISTER on one file returns only documented errnos; none of it leaves a kernel
# report in the log.
. "$(dirname "$0")/lib.sh"

V=$SYSFS/vindex
# Marks the kernel log: quiet_log looks only at what follows the last mark.
MARK="learned_os test_vindex.sh: start $$"
echo "$MARK" >/dev/kmsg
TOOL=${LO_VINDEX:-/learned_os/bin/lo-vindex}
SCENARIOS="contiguous thp frag mremap munmap fork reuse"
TMP=$(mktemp -d)
HOLDER=
cleanup() {
	[ -z "$HOLDER" ] || kill "$HOLDER" 2>/dev/null
	wait
	rm -rf "$TMP"
}
trap cleanup EXIT

# run SCENARIO [VIA]: runs lo-vindex's scenario, shows its steps, passes on its PASS line.
run() {
	"$TOOL" test "$@" >"$TMP/out" 2>&1
	rc=$?
	sed 's/^/  /' "$TMP/out" | while IFS= read -r l; do ktap_print_msg "$l"; done
	[ $rc = 0 ] && grep -qx "PASS $1" "$TMP/out"
}

# scenarios: every scenario passes.
scenarios() {
	for s in $SCENARIOS; do run "$s" || return 1; done
}

defaults() {
	[ -c /dev/learned_os_vindex ] && [ "$(cat $V/epsilon)" = 8 ] && [ "$(cat $V/enabled)" = 0 ] &&
		stats_well_formed $V/stats && [ "$(stat_value vindex registered)" = 0 ]
}

bad_knobs() {
	write_refused $V/epsilon "4097\n" "Invalid argument" &&
		write_refused $V/epsilon "-1\n" "Invalid argument" &&
		write_refused $V/epsilon "eight\n" "Invalid argument" &&
		knob_write $V/epsilon "0\n" && [ "$(cat $V/epsilon)" = 0 ] &&
		knob_write $V/epsilon "8\n"
}

learned_stats() {
	ktap_print_msg "stats: $(tr '\n' ' ' <$V/stats)"
	[ "$(stat_value vindex lookups_learned)" -gt 0 ] && [ "$(stat_value vindex rebuilds)" -gt 0 ] &&
		[ "$(stat_value vindex invalidations)" -gt 0 ] &&
		[ "$(stat_value vindex registered)" = 0 ] && [ "$(stat_value vindex runs)" = 0 ] &&
		[ "$(stat_value vindex bytes)" = 0 ] && stats_well_formed $V/stats
}

disabled() {
	knob_write $V/enabled "0\n" || return 1
	before=$(stat_value vindex lookups_learned)
	run contiguous && run frag &&
		[ "$(stat_value vindex lookups_learned)" = "$before" ]
}

epsilons() {
	knob_write $V/enabled "1\n" || return 1
	for e in 0 1 64 4096; do
		knob_write $V/epsilon "$e\n" || return 1
		run frag && run munmap || { knob_write $V/epsilon "8\n"; return 1; }
	done
	knob_write $V/epsilon "8\n"
}

# baselines: every scenario again, the index answering by binary search, then by rbtree.
baselines() {
	knob_write $V/enabled "1\n" || return 1
	for via in search rbtree; do
		for s in $SCENARIOS; do run "$s" "$via" || return 1; done
	done
}

bad_ioctls() {
	before=$(stat_value vindex rejected_ioctls)
	run bad && [ "$(stat_value vindex rejected_ioctls)" -gt "$before" ]
}

process_exit() {
	before=$(stat_value vindex releases)
	run exit && [ "$(stat_value vindex releases)" -gt "$before" ]
}

# privilege: an fd opened by root and kept after dropping to uid 65534 registers no root
# process (EACCES), a non-dumpable process needs CAP_SYS_PTRACE, kthreadd is ESRCH; each
# refusal counted, the file still usable after it.
privilege() {
	before=$(stat_value vindex rejected_ioctls)
	pv_rc=0
	for s in perm-user perm-dumpable kthread; do run "$s" || pv_rc=1; done
	[ $pv_rc = 0 ] && [ "$(stat_value vindex rejected_ioctls)" -ge $((before + 4)) ] &&
		[ "$(stat_value vindex registered)" = 0 ]
}

# over_limit: a range of more than 2^20 runs (zero-page mappings) is walked once, then
# answered by the exact walk without rebuild attempts until invalidations could bring it
# under the limit; the answers equal pagemap throughout.
over_limit() {
	knob_write $V/enabled "1\n" || return 1
	run overlimit && [ "$(stat_value vindex over_limit)" = 0 ] &&
		[ "$(stat_value vindex registered)" = 0 ] && [ "$(stat_value vindex runs)" = 0 ]
}

# race: TRANSLATE against UNREGISTER/REGISTER on one file from two threads.
race() {
	knob_write $V/enabled "1\n" || return 1
	run race && [ "$(stat_value vindex registered)" = 0 ]
}

# quiet_log: since the test started, no kernel report (BUG, WARNING, KASAN, lockdep, ...); the
# refusals' rate-limited warnings are there (so the log was read).
quiet_log() {
	dmesg | sed -n "\|$MARK|,\$p" >"$TMP/dmesg"
	[ -s "$TMP/dmesg" ] || dmesg >"$TMP/dmesg"
	if grep -E -f "$(dirname "$0")/dmesg_patterns" "$TMP/dmesg" >"$TMP/reports"; then
		sed 's/^/  /' "$TMP/reports" | head -n 40 | while IFS= read -r l; do ktap_print_msg "$l"; done
		return 1
	fi
	warns=$(grep -c 'vindex: ioctl refused' "$TMP/dmesg")
	ktap_print_msg "refusal warnings in the log: $warns"
	[ "$warns" -gt 0 ]
}

registered_is() { [ "$(stat_value vindex registered)" = "$1" ]; }

stop_holder() {
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	HOLDER=
}

rmmod_registered() {
	"$TOOL" hold 120 >"$TMP/hold" 2>&1 &
	HOLDER=$!
	if ! wait_for 30 registered_is 1; then
		ktap_print_msg "holder did not register: $(cat "$TMP/hold")"
		stop_holder
		return 1
	fi
	if rmmod learned_os 2>/dev/null; then
		ktap_print_msg "rmmod succeeded with a registered file open"
		stop_holder
		return 1
	fi
	mod_loaded || return 1
	stop_holder
	rmmod learned_os && ! mod_loaded
}

ktap_print_header
ktap_set_plan 14

if [ ! -x "$TOOL" ]; then
	for t in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do ktap_test_skip "vindex $t" "no $TOOL"; done
	ktap_finished
fi

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }

ktap_check "defaults: the device, epsilon 8, disabled, well-formed stats" defaults
ktap_check "bad epsilon values refused" bad_knobs
knob_write $V/enabled "1\n"
ktap_check "every layout: translations equal pagemap at every step, learned in steady state" scenarios
ktap_check "stats: learned lookups, rebuilds, invalidations; nothing left registered" learned_stats
ktap_check "disabled: the walk answers, still equal to pagemap" disabled
ktap_check "epsilon 0, 1, 64, 4096: translations equal pagemap" epsilons
ktap_check "baselines (search, rbtree): translations equal pagemap at every step" baselines
ktap_check "bad ioctl arguments refused" bad_ioctls
ktap_check "a registered process's exit drops its index" process_exit
ktap_check "register: ptrace read check as the caller (uid 65534, non-dumpable), kthreadd ESRCH" privilege
ktap_check "a range over the run limit: walked once, then exact walk answers, no rebuild until it can fit" over_limit
ktap_check "TRANSLATE racing UNREGISTER/REGISTER on one file: documented errnos, exact answers" race
ktap_check "no kernel report in the log since the test started (refusals only warn)" quiet_log
ktap_check "rmmod is refused while a registration is open, then succeeds" rmmod_registered

mod_unload
ktap_finished
