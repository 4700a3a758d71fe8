#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every knob: valid values take effect, invalid values get EINVAL and change nothing,
# read-only files refuse writes, statistics count exactly.
. "$(dirname "$0")/lib.sh"

# Each is written with printf in one write(2) of exactly these bytes.
INVALID='2 -1 abc 01 10 on y true \040 1\040 \0401 1\n\n \n 1\0 0x1 \377'
n_invalid=$(echo "$INVALID" | wc -w)

reads() { [ "$(cat "$1")" = "$2" ]; }
write_reads() { knob_write "$1" "$2" && reads "$1" "$3"; }
stats_after_toggles() {
	[ "$(stat_value "$1" enabled)" = 1 ] && [ "$(stat_value "$1" transitions)" = 3 ] &&
		[ "$(stat_value "$1" rejected_writes)" = 0 ]
}
all_refused() {
	for v in $INVALID; do
		write_refused "$1" "$v" "Invalid argument" || { ktap_print_msg "'$v' not refused"; return 1; }
	done
}

ktap_print_header
ktap_set_plan $((4 * 8 + 2 + 4 * 2 + 2))

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }

for p in $POLICIES; do
	f=$SYSFS/$p/enabled
	ktap_check "$p: '1\\n' enables" write_reads "$f" '1\n' 1
	ktap_check "$p: '0\\n' disables" write_reads "$f" '0\n' 0
	ktap_check "$p: '1' without newline enables" write_reads "$f" '1' 1
	ktap_check "$p: stats say enabled 1, transitions 3, nothing rejected" stats_after_toggles "$p"
	ktap_check "$p: $n_invalid invalid values refused with EINVAL, value kept" all_refused "$f"
	ktap_check "$p: rejected_writes counts every refusal" \
		test "$(stat_value "$p" rejected_writes)" = "$n_invalid"
	# (Not write_refused: an enabled policy's counters move between two reads.)
	ktap_check "$p: stats refuses writes" write_denied "$SYSFS/$p/stats" '0\n' "Permission denied"
	ktap_check "$p: stats well formed" stats_well_formed "$SYSFS/$p/stats"
done

big=$(head -c 4000 /dev/zero | tr '\0' 1)
ktap_check "a write of 4000 digits is refused" write_refused "$SYSFS/evict/enabled" "$big" "Invalid argument"
ktap_check "version refuses writes" write_refused "$SYSFS/version" '9.9.9\n' "Permission denied"

# The eviction guard's knobs: KNOB MAX DEFAULT. A value round-trips; out of range, or not a
# decimal, is refused and the value kept.
evict_knob_roundtrip() { # KNOB VALUE
	write_reads "$SYSFS/evict/$1" "$2\n" "$2"
}
evict_knob_refuses() { # KNOB MIN MAX
	for v in $(($3 + 1)) abc -1 0x10 ' 5'; do
		write_refused "$SYSFS/evict/$1" "$v" "Invalid argument" || { ktap_print_msg "$1: '$v' not refused"; return 1; }
	done
	[ "$2" = 0 ] || write_refused "$SYSFS/evict/$1" 0 "Invalid argument"
}
for k in "guard_window 1 16777216 4096" "guard_margin_pct 0 1000 7" "guard_retry 0 1099511627776 99" "max_keeps 0 16 9"; do
	set -- $k
	ktap_check "evict/$1: $4 round-trips" evict_knob_roundtrip "$1" "$4"
	ktap_check "evict/$1: out of $2..=$3 or not decimal: refused, value kept" evict_knob_refuses "$1" "$2" "$3"
done

# evict/insert: a name, not a number.
insert_names() {
	reads $SYSFS/evict/insert duel && write_reads $SYSFS/evict/insert 'cold\n' cold &&
		write_reads $SYSFS/evict/insert stock stock && write_reads $SYSFS/evict/insert 'duel\n' duel
}
insert_refuses() {
	for v in Duel ' duel' 'duel\n\n' 1 none 'cold stock'; do
		write_refused $SYSFS/evict/insert "$v" "Invalid argument" || { ktap_print_msg "'$v' not refused"; return 1; }
	done
	reads $SYSFS/evict/insert duel
}
ktap_check "evict/insert: duel by default; stock, cold, duel round-trip" insert_names
ktap_check "evict/insert: other names refused with EINVAL, value kept" insert_refuses

mod_unload
ktap_finished
