#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Loading creates the sysfs tree with the documented files; unloading removes all of it.
. "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 9

mod_unload
ktap_check "module file present" test -f "$MODULE"
ktap_check "insmod succeeds" insmod "$MODULE"
ktap_check "module listed in /proc/modules" mod_loaded
ktap_check "version reads as x.y.z" sh -c "grep -qxE '[0-9]+\.[0-9]+\.[0-9]+' $SYSFS/version"

layout_ok=1
for p in $POLICIES; do
	[ -f "$SYSFS/$p/enabled" ] && [ -f "$SYSFS/$p/stats" ] || { ktap_print_msg "missing files in $p/"; layout_ok=0; }
	[ "$(cat "$SYSFS/$p/enabled")" = 0 ] || { ktap_print_msg "$p/enabled not 0 at load"; layout_ok=0; }
done
ktap_check "every policy has enabled (0 at load) and stats" test "$layout_ok" = 1
ktap_check "modes: version 0444, enabled 0644, stats 0444" sh -c "
	[ \"\$(stat -c %a $SYSFS/version)\" = 444 ] &&
	for p in $POLICIES; do
		[ \"\$(stat -c %a $SYSFS/\$p/enabled)\" = 644 ] && [ \"\$(stat -c %a $SYSFS/\$p/stats)\" = 444 ] || exit 1
	done"
ktap_check "a second insmod is refused" sh -c "! insmod $MODULE 2>/dev/null"
ktap_check "rmmod succeeds" rmmod learned_os
ktap_check "rmmod removed the sysfs tree and the module" sh -c "[ ! -e $SYSFS ] && ! grep -q '^learned_os ' /proc/modules"

ktap_finished
