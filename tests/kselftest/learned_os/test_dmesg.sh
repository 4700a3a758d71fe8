#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs last: the kernel log of the whole run must hold no BUG, WARNING, KASAN, lockdep or
# kmemleak report. On the debug kernel, the checkers themselves must have been active.
. "$(dirname "$0")/lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak
debug_kernel=0
grep -q 'lo.kernel=debug' /proc/cmdline && debug_kernel=1

ktap_print_header
ktap_set_plan 3

if [ -e "$KMEMLEAK" ]; then
	# Objects younger than 5 s are not reported: let the last unload's age, scan twice.
	sleep 6
	echo scan >"$KMEMLEAK"
	echo scan >"$KMEMLEAK"
	leaks=$(grep -c '^unreferenced object' "$KMEMLEAK")
	[ "$leaks" = 0 ] || head -n 60 "$KMEMLEAK" | sed 's/^/# /'
	ktap_check "kmemleak: no unreferenced objects" test "$leaks" = 0
elif [ "$debug_kernel" = 1 ]; then
	ktap_test_fail "kmemleak: $KMEMLEAK missing on the debug kernel"
else
	ktap_test_skip "kmemleak: no unreferenced objects" "kernel built without kmemleak"
fi

checkers_on() {
	dmesg | grep -q 'KernelAddressSanitizer initialized' || { ktap_print_msg "KASAN not initialized"; return 1; }
	[ -e /proc/lockdep ] || { ktap_print_msg "lockdep not built in"; return 1; }
	grep -q 'debug_locks: *1' /proc/lockdep_stats || { ktap_print_msg "lockdep turned itself off"; return 1; }
}
if [ "$debug_kernel" = 1 ]; then
	ktap_check "KASAN and lockdep active" checkers_on
else
	ktap_test_skip "KASAN and lockdep active" "not the debug kernel"
fi

reports=$(dmesg | grep -E -f "$(dirname "$0")/dmesg_patterns")
[ -z "$reports" ] || { dmesg | sed 's/^/# /' | tail -n 150; }
ktap_check "kernel log free of BUG/WARNING/KASAN/lockdep/kmemleak reports" test -z "$reports"

ktap_finished
