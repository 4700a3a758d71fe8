#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Privilege: every write to the module's sysfs files needs CAP_SYS_ADMIN, not only the file
# mode. For each writable file under /sys/kernel/learned_os, a valid write: as uid 65534 the
# mode refuses the open (EACCES); as root with every capability dropped the open succeeds (the
# mode lets the owner write) and the write itself is refused (EPERM); either way nothing
# changes. Reads stay as open as the file modes say.
. "$(dirname "$0")/lib.sh"

M=/learned_os/testmodels
PRIV=/learned_os/bin/lo-priv
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# value_for FILE: a valid value for FILE (not the current one where that is easy).
value_for() {
	case "$1" in
	*/enabled) echo 1 ;;
	*/evict/infer) cat $M/features ;;
	*/sizer/infer) echo "1 -2 3 -4 5 -6 7 -8 9 -10 11 -12 13 -14 15 -16 17 -18 19 -20" ;;
	*/sched/infer) echo "1 -2 3 -4 5 -6 7 -8 9 -10 11 -12 13 -14" ;;
	*/vindex/infer) cat $M/key ;;
	*) cat "$1" ;;
	esac
}
# model_for POLICY_DIR/model: a valid model for that policy (not the loaded one but for
# vindex, which has one test model: reloading it would still change loads and loaded_at_ms).
model_for() {
	case "$1" in
	*/evict/model) echo $M/evict-b.lmod ;;
	*/sizer/model) echo /learned_os/models/sizer.lmod ;;
	*/sched/model) echo /learned_os/models/sched.lmod ;;
	*/vindex/model) echo $M/vindex.lmod ;;
	esac
}
# state_of FILE: what a write to FILE could change.
state_of() {
	case "$1" in
	*/model) cat "${1%/model}/model_info" ;;
	*) cat "$1" ;;
	esac
}
# denied "uid 65534"|nocaps FILE ERRNO_TEXT: a valid write to FILE fails so and changes nothing.
denied() {
	before=$(state_of "$2")
	if [ "${2##*/}" = model ]; then src=$(model_for "$2"); else value_for "$2" >"$TMP/value"; src=$TMP/value; fi
	# The input is opened here, as root: only the write to FILE runs with less privilege.
	if $PRIV $1 dd of="$2" bs=8192 <"$src" 2>"$TMP/err"; then
		case "$src" in *.lmod) what=$src ;; *) what="'$(cat "$src")'" ;; esac
		ktap_print_msg "$2: write of $what accepted"
		return 1
	fi
	grep -q "$3" "$TMP/err" || { ktap_print_msg "$2: $(grep -v records "$TMP/err")"; return 1; }
	[ "$(state_of "$2")" = "$before" ] || { ktap_print_msg "$2 changed"; return 1; }
}
nocaps_is_capless_root() {
	st=$($PRIV nocaps cat /proc/self/status) || return 1
	printf '%s\n' "$st" | grep -E '^(Uid|Cap(Eff|Prm|Bnd|Amb))' | sed 's/^/# /'
	printf '%s\n' "$st" | grep -qE '^Uid:[[:space:]]+0[[:space:]]' &&
		[ "$(printf '%s\n' "$st" | grep -cE '^Cap(Inh|Prm|Eff|Bnd|Amb):[[:space:]]+0+$')" = 5 ]
}
uid_is_nobody() {
	$PRIV uid 65534 cat /proc/self/status | grep -qE '^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534$'
}
reads_allowed() { # every file the mode lets others read, uid 65534 reads
	n=0
	for f in $(find $SYSFS -type f -perm -004); do
		$PRIV uid 65534 cat "$f" >/dev/null || { ktap_print_msg "$f: not readable"; return 1; }
		n=$((n + 1))
	done
	ktap_print_msg "$n files read as uid 65534"
	[ "$n" -gt 0 ] && [ -r $SYSFS/evict/stats ] && $PRIV uid 65534 cat $SYSFS/evict/model_info | grep -q '^loaded 1$'
}

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }
# A model in every slot: infer writes are then valid.
cat $M/evict-a.lmod >$SYSFS/evict/model && cat $M/sizer.lmod >$SYSFS/sizer/model &&
	cat $M/sched-ok.lmod >$SYSFS/sched/model && cat $M/vindex.lmod >$SYSFS/vindex/model ||
	{ ktap_print_msg "loading the models failed"; exit 1; }
cat $M/features >$SYSFS/evict/infer
files=$(find $SYSFS -type f -perm -200 | sort)
n=$(echo $files | wc -w)

ktap_print_header
ktap_set_plan $((3 + 2 * n))
ktap_check "lo-priv nocaps: uid 0 with no capability in any set" nocaps_is_capless_root
ktap_check "lo-priv uid 65534: every uid 65534" uid_is_nobody
ktap_check "uid 65534 reads every file the modes let others read" reads_allowed
for f in $files; do
	ktap_check "uid 65534: ${f#$SYSFS/} refused (EACCES), unchanged" denied "uid 65534" "$f" "Permission denied"
done
for f in $files; do
	ktap_check "root without capabilities: ${f#$SYSFS/} refused (EPERM), unchanged" denied nocaps "$f" "Operation not permitted"
done
mod_unload
ktap_finished
