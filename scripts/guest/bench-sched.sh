#!/bin/sh
# The guest half of `make bench-sched`: one repetition of each configuration, in the order
# lo.order gives. A configuration runs SHORT latency-sensitive tasks (lo-sched sleeper: a
# BURST_US burst every PERIOD_US, recording how late each wakeup ran) and LONG CPU-bound
# tasks (lo-sched hog: counting loops) together for SECONDS in the cgroup /bench_sched:
#   stock     the module not loaded
#   fallback  the module loaded, sched enabled for the cgroup, no model: default slices, the
#             probes and the work running (their overhead)
#   learned   the same with models/sched.lmod loaded and window_ms 60000, so that the whole
#             run is the guard's first (learned) window
# Prints per task "result CONFIG sleeper ..." / "result CONFIG hog ..." lines (lo-sched's),
# and for the module's configurations "stat CONFIG key value" lines from sched/stats.
# Kernel command line: lo.order=stock,fallback,learned lo.seconds=10 lo.short=4 lo.long=4
# lo.period_us=2000 lo.burst_us=100.
SYSFS=/sys/kernel/learned_os
S=$SYSFS/sched
TOOL=/learned_os/bin/lo-sched
CG=/sys/fs/cgroup/bench_sched
ORDER=stock,fallback,learned SECONDS_=10 SHORT=4 LONG=4 PERIOD=2000 BURST=100
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lo.order=*) ORDER=${arg#lo.order=} ;;
	lo.seconds=*) SECONDS_=${arg#lo.seconds=} ;;
	lo.short=*) SHORT=${arg#lo.short=} ;;
	lo.long=*) LONG=${arg#lo.long=} ;;
	lo.period_us=*) PERIOD=${arg#lo.period_us=} ;;
	lo.burst_us=*) BURST=${arg#lo.burst_us=} ;;
	esac
done
mkdir -p "$CG" || exit 1

# run CONFIG: the workload, every task in the cgroup; prints its tasks' result lines.
run() {
	i=0
	while [ $i -lt "$SHORT" ]; do
		sh -c "echo \$\$ >$CG/cgroup.procs && exec $TOOL sleeper $PERIOD $SECONDS_ $BURST" >/tmp/sl.$i &
		i=$((i + 1))
	done
	i=0
	while [ $i -lt "$LONG" ]; do
		sh -c "echo \$\$ >$CG/cgroup.procs && exec $TOOL hog $SECONDS_" >/tmp/hog.$i &
		i=$((i + 1))
	done
	wait
	cat /tmp/sl.* /tmp/hog.* | sed "s/^/result $1 /"
	rm -f /tmp/sl.* /tmp/hog.*
}

status=0
for c in $(echo "$ORDER" | tr , ' '); do
	echo "bench-sched: $c, $SHORT sleepers (${BURST} us every ${PERIOD} us) and $LONG hogs for $SECONDS_ s"
	case "$c" in
	stock)
		run stock ;;
	fallback | learned)
		insmod /learned_os/learned_os.ko || { status=1; continue; }
		echo /bench_sched >$S/cgroup || status=1
		if [ "$c" = learned ]; then
			cat /learned_os/models/sched.lmod >$S/model || status=1
			echo 60000 >$S/window_ms || status=1
		fi
		echo 1 >$S/enabled || status=1
		run "$c"
		sed "s/^/stat $c /" $S/stats
		echo 0 >$S/enabled
		rmmod learned_os || status=1 ;;
	*)
		echo "bench-sched: unknown configuration $c"
		status=1 ;;
	esac
done
rmdir "$CG"
exit $status
