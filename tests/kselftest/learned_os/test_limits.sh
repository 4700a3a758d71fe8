#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every numeric knob at min-1, min, max and max+1: the bounds are taken, one past them is
# refused with EINVAL and the value kept. The cgroup knobs refuse the root cgroup, a path over
# 255 bytes and bytes that are not UTF-8 (EINVAL, target kept, the refusal counted), and a
# refused write logs one warning.
. "$(dirname "$0")/lib.sh"

MIB=1048576
TIB=1099511627776
# POLICY KNOB MIN MAX: every numeric knob and its range (docs/ABI/testing/sysfs-kernel-learned_os).
KNOBS="evict guard_window 1 16777216
evict guard_margin_pct 0 1000
evict guard_retry 0 $TIB
evict max_keeps 0 16
sizer goal 0 1000
sizer margin 0 1000
sizer cost_weight 0 1000
sizer interval_ms 100 60000
vindex epsilon 0 4096
sched interval_ms 1 1000
sched window_ms 10 60000
sched guard_margin_ppm -1000000 10000000
sched guard_trip_after 1 1000
sched guard_min_samples 1 1000000"

reads() { [ "$(cat "$1")" = "$2" ]; }
# at_bounds FILE MIN MAX: min-1 and max+1 refused (value kept), min and max taken; the
# default back at the end.
at_bounds() {
	def=$(cat "$1")
	write_refused "$1" "$(($2 - 1))\n" "Invalid argument" || { ktap_print_msg "$(($2 - 1)) not refused"; return 1; }
	knob_write "$1" "$2\n" && reads "$1" "$2" || { ktap_print_msg "min $2 not taken"; return 1; }
	knob_write "$1" "$3\n" && reads "$1" "$3" || { ktap_print_msg "max $3 not taken"; return 1; }
	write_refused "$1" "$(($3 + 1))\n" "Invalid argument" || { ktap_print_msg "$(($3 + 1)) not refused"; return 1; }
	knob_write "$1" "$def\n"
}
# The sizer's min and max each range over 1 MiB..1 TiB, with min at least 16 pages (the
# curve's 16 sizes) below max: min's own maximum and max's own minimum are refused for that.
sizer_bounds() {
	Z=$SYSFS/sizer
	write_refused $Z/min "$((MIB - 1))\n" "Invalid argument" &&
		write_refused $Z/max "$((MIB - 1))\n" "Invalid argument" &&
		write_refused $Z/min "$((TIB + 1))\n" "Invalid argument" &&
		write_refused $Z/max "$((TIB + 1))\n" "Invalid argument" &&
		knob_write $Z/max "$TIB\n" && reads $Z/max $TIB &&
		knob_write $Z/min "$MIB\n" && reads $Z/min $MIB &&
		write_refused $Z/min "$TIB\n" "Invalid argument" &&
		write_refused $Z/max "$MIB\n" "Invalid argument" &&
		knob_write $Z/min "$((TIB - 16 * 4096))\n" && reads $Z/min $((TIB - 16 * 4096)) &&
		knob_write $Z/min "$((8 * MIB))\n" && knob_write $Z/max "$((256 * MIB))\n"
}

# cgroup_refused POLICY VALUE: refused with EINVAL, the target kept, the refusal counted.
cgroup_refused() {
	r0=$(stat_value "$1" rejected_writes)
	write_refused "$SYSFS/$1/cgroup" "$2" "Invalid argument" &&
		[ "$(stat_value "$1" rejected_writes)" = $((r0 + 1)) ]
}
long=/$(head -c 255 /dev/zero | tr '\0' a)
long254=/$(head -c 254 /dev/zero | tr '\0' a)

ktap_print_header
ktap_set_plan $(($(echo "$KNOBS" | wc -l) + 1 + 3 * 5 + 1))

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }

# (A here-document, not a pipe: the checks must run in this shell, which counts them.)
while read -r p k lo hi; do
	ktap_check "$p/$k: $lo and $hi taken, $((lo - 1)) and $((hi + 1)) refused" \
		at_bounds "$SYSFS/$p/$k" "$lo" "$hi" </dev/null
done <<EOT
$KNOBS
EOT
ktap_check "sizer/min and max: 1 MiB..1 TiB each, min 16 pages below max" sizer_bounds

mkdir -p /sys/fs/cgroup/lo_limits
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
for p in evict sizer sched; do
	echo /lo_limits >"$SYSFS/$p/cgroup"
	ktap_check "$p/cgroup: / (the root cgroup) refused, target kept" cgroup_refused $p '/\n'
	ktap_check "$p/cgroup: a 256-byte path refused, target kept" cgroup_refused $p "$long\n"
	ktap_check "$p/cgroup: a 255-byte path is looked up (no such cgroup)" \
		write_refused "$SYSFS/$p/cgroup" "$long254\n" "No such file"
	ktap_check "$p/cgroup: bytes that are not UTF-8 refused, target kept" cgroup_refused $p '/lo_\377\376\n'
	ktap_check "$p/cgroup: none clears the target" knob_write "$SYSFS/$p/cgroup" 'none\n'
done

# The module's warnings share one rate limit (10 per 5 s): after a quiet spell, one refused
# write logs exactly one line.
one_warning() {
	sleep 6
	n0=$(dmesg | grep -c 'sizer/cgroup: write refused')
	knob_write $SYSFS/sizer/cgroup '/\n' >/dev/null 2>&1
	n1=$(dmesg | grep -c 'sizer/cgroup: write refused')
	[ $((n1 - n0)) = 1 ]
}
ktap_check "a refused write logs exactly one warning" one_warning

rmdir /sys/fs/cgroup/lo_limits
mod_unload
ktap_finished
