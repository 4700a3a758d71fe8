#!/bin/sh
# The guest half of `make bench-vindex`: for each layout, `lo-vindex bench LAYOUT MIB`
# (random batches of 4096 addresses over a registered region of MIB MiB, translated by the
# learned index and then, with vindex/enabled 0, by the exact walk alone), printing
#   bench LAYOUT mib=M mode=learned|walk lookups=N ns_per_lookup=X mlookups_per_s=Y ...
#   index LAYOUT runs=R segments=S bytes=B pages=P bytes_per_page=Z
# Kernel command line: lo.mib=N (default 64), lo.layouts=contiguous,frag,thp,
# lo.epsilon=N (default: the module's).
SYSFS=/sys/kernel/learned_os
TOOL=/learned_os/bin/lo-vindex
MIB=64 LAYOUTS=contiguous,frag,thp EPS=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lo.mib=*) MIB=${arg#lo.mib=} ;;
	lo.layouts=*) LAYOUTS=${arg#lo.layouts=} ;;
	lo.epsilon=*) EPS=${arg#lo.epsilon=} ;;
	esac
done

insmod /learned_os/learned_os.ko || exit 1
[ -z "$EPS" ] || echo "$EPS" >$SYSFS/vindex/epsilon || exit 1
echo "bench-vindex: epsilon $(cat $SYSFS/vindex/epsilon), $MIB MiB per layout"
status=0
for l in $(echo "$LAYOUTS" | tr , ' '); do
	"$TOOL" bench "$l" "$MIB" || status=1
done
cat $SYSFS/vindex/stats | sed 's/^/bench-vindex: stats /'
rmmod learned_os || status=1
exit $status
