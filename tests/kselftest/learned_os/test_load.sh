#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Loading creates the sysfs tree with the documented files; unloading removes all of it.
. "$(dirname "$0")/lib.sh"

# The ABI file (docs/ABI/testing/sysfs-kernel-learned_os), copied into the guest.
ABI=${LEARNED_OS_ABI:-/learned_os/ABI/sysfs-kernel-learned_os}

# "path mode" for every file the ABI documents, from its What: lines and the (RO)/(RW)/(WO)
# that opens each Description.
abi_files() {
	awk '/^What:/ { w[n++] = $2; next }
		/^Description:/ {
			getline; m = $1
			mode = m == "(RO)" ? 444 : m == "(RW)" ? 644 : m == "(WO)" ? 200 : ""
			for (i = 0; i < n; i++) if (mode != "") print w[i], mode
			n = 0
		}' "$ABI" | sort
}
# "path mode" for every file the loaded module's tree has.
tree_files() {
	find "$SYSFS" -type f | while read -r f; do echo "$f $(stat -c %a "$f")"; done | sort
}
# The tree and the ABI list the same files with the same modes; prints what differs.
tree_is_documented() {
	abi_files >/tmp/abi.documented && tree_files >/tmp/abi.present || return 1
	[ -s /tmp/abi.documented ] || { ktap_print_msg "no files documented in $ABI"; return 1; }
	cmp -s /tmp/abi.documented /tmp/abi.present && return 0
	diff /tmp/abi.documented /tmp/abi.present | while read -r l; do ktap_print_msg "ABI vs tree: $l"; done
	return 1
}

ktap_print_header
ktap_set_plan 10

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
ktap_check "the tree has exactly the files and modes docs/ABI documents" tree_is_documented
ktap_check "a second insmod is refused" sh -c "! insmod $MODULE 2>/dev/null"
ktap_check "rmmod succeeds" rmmod learned_os
ktap_check "rmmod removed the sysfs tree and the module" sh -c "[ ! -e $SYSFS ] && ! grep -q '^learned_os ' /proc/modules"

ktap_finished
