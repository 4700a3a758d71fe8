#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the learned_os kselftests.

. "$(dirname "$0")/ktap_helpers.sh"

MODULE=${LEARNED_OS_KO:-/learned_os/learned_os.ko}
SYSFS=/sys/kernel/learned_os
POLICIES="evict sizer vindex sched"

mod_loaded() { grep -q '^learned_os ' /proc/modules; }
mod_load() { mod_loaded || insmod "$MODULE"; }
mod_unload() { ! mod_loaded || rmmod learned_os; }

# knob_write FILE VALUE: write VALUE (a printf format: "1\n" is what echo 1 writes) in one
# write(2). Prints dd's error message, if any, and returns the write's status.
knob_write() {
	kw_out=$(printf "$2" | dd of="$1" bs=8192 2>&1)
	kw_rc=$?
	printf '%s\n' "$kw_out" | grep -v records
	return $kw_rc
}

# write_refused FILE VALUE ERRNO_TEXT: the write fails with that error and changes nothing.
write_refused() {
	before=$(cat "$1")
	msg=$(knob_write "$1" "$2") && return 1
	case "$msg" in *"$3"*) ;; *) ktap_print_msg "unexpected error: $msg"; return 1 ;; esac
	[ "$(cat "$1")" = "$before" ]
}

# write_denied FILE VALUE ERRNO_TEXT: the write fails with that error (for files whose
# contents move on their own, like an enabled policy's stats).
write_denied() {
	msg=$(knob_write "$1" "$2") && return 1
	case "$msg" in *"$3"*) ;; *) ktap_print_msg "unexpected error: $msg"; return 1 ;; esac
}

# stat_value POLICY KEY: the value of KEY in POLICY's stats.
stat_value() {
	awk -v k="$2" '$1 == k { print $2 }' "$SYSFS/$1/stats"
}

# stats_well_formed FILE: every line is "key value" with a lowercase key and a decimal value.
stats_well_formed() {
	[ -s "$1" ] && ! grep -vqE '^[a-z][a-z0-9_]* [0-9]+$' "$1"
}

# wait_for SECONDS CMD...: runs CMD (a command or a function) every 0.2 s until it succeeds;
# fails when SECONDS have passed.
wait_for() {
	wf_n=$(($1 * 5))
	shift
	while [ $wf_n -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		wf_n=$((wf_n - 1))
	done
	return 1
}
