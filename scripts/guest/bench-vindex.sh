#!/bin/sh
# The guest half of `make bench-vindex`: REPS times, for each layout, `lo-vindex bench LAYOUT
# MIB` (a fresh region each time: random batches of 4096 addresses over its present pages,
# translated by the learned index, binary search over the same runs, an rbtree of them, and
# the exact walk alone), printing
#   bench LAYOUT mib=M mode=learned|search|rbtree|walk lookups=N ns_per_lookup=X ...
#   index LAYOUT runs=R segments=S bytes=B pages=P bytes_per_page=Z tree_bytes_per_page=T ...
# Kernel command line: lo.mib=N (default 64), lo.layouts=contiguous,typical,frag,thp,
# lo.reps=N (default 5), lo.epsilon=N (default: the module's).
SYSFS=/sys/kernel/learned_os
TOOL=/learned_os/bin/lo-vindex
MIB=64 LAYOUTS=contiguous,typical,frag,thp EPS= REPS=5
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lo.mib=*) MIB=${arg#lo.mib=} ;;
	lo.layouts=*) LAYOUTS=${arg#lo.layouts=} ;;
	lo.epsilon=*) EPS=${arg#lo.epsilon=} ;;
	lo.reps=*) REPS=${arg#lo.reps=} ;;
	esac
done

insmod /learned_os/learned_os.ko || exit 1
[ -z "$EPS" ] || echo "$EPS" >$SYSFS/vindex/epsilon || exit 1
echo "bench-vindex: epsilon $(cat $SYSFS/vindex/epsilon), $MIB MiB per layout, $REPS repetitions"
status=0
rep=1
while [ "$rep" -le "$REPS" ]; do
	echo "bench-vindex: repetition $rep"
	for l in $(echo "$LAYOUTS" | tr , ' '); do
		"$TOOL" bench "$l" "$MIB" || status=1
	done
	rep=$((rep + 1))
done
cat $SYSFS/vindex/stats | sed 's/^/bench-vindex: stats /'
rmmod learned_os || status=1
exit $status
