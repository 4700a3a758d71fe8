#!/bin/sh
# The guest half of scripts/record-sched-trace.sh: records the scheduler events of a varied
# workload of lo-sched tasks with ftrace and writes them, gzip'ed, onto the scratch disk.
#
# Tracing: tracefs at /sys/kernel/tracing, trace_clock mono, buffer_size_kb 32768 per CPU,
# events sched_switch, sched_waking, sched_wakeup_new and sched_process_exit, each filtered
# to the lo-sched tasks (the host's `lrn sched import --comm lo-sched` filters again).
# Workload (lo.seconds=S, default 24; every parameter drawn from lo.seed=N, default 1):
#   4 periodic sleepers   lo-sched sleeper: a period of 1 to 20 ms, a burst of 50 us to 3 ms
#                         (at most a quarter of the period; redrawn while the four together,
#                         counting 300 us of TCG overhead per wakeup, would need more than
#                         40% of a CPU)
#   3 random tasks        lo-sched random: per iteration a burst and a sleep drawn from one of
#                         four ranges (request-like, medium, wide, batch-like; three of the four
#                         in a rotation from a random start)
#   1 phase task          lo-sched phases: short and long bursts in alternating phases
#   1 hog                 lo-sched hog, the middle third of the run
#   churn                 lo-sched churn 10 every ~0.5 s: short-lived children
# The load stays under the 2 vCPUs' capacity but for the hog's third: under TCG every switch
# and timer costs ~50 times what it costs natively, and a sleeper that falls behind its
# period stops sleeping.
# Disk layout (/dev/vda, from qemu-run.sh --disk): sector 0 is the header line
# "lo-sched-trace BYTES\n", the gzip stream of /sys/kernel/tracing/trace starts at byte 4096.
TOOL=/learned_os/bin/lo-sched
T=/sys/kernel/tracing
SEED=1 SECS=24
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lo.seed=*) SEED=${arg#lo.seed=} ;;
	lo.seconds=*) SECS=${arg#lo.seconds=} ;;
	esac
done
fail() { echo "record-sched: FAIL: $*"; exit 1; }
[ -b /dev/vda ] || fail "no /dev/vda: boot with --disk IMAGE"
[ -d $T/events ] || mount -t tracefs tracefs $T || fail "mount tracefs"
[ -d $T/events/sched ] || fail "no sched events in $T"

# The workload's generator: Park and Miller's minimal standard generator (a prime modulus,
# so that its low digits are as good as its high ones) in shell arithmetic, seeded by lo.seed.
R=$(((SEED * 7919 + 17) % 2147483647))
[ "$R" = 0 ] && R=1
rng() { # rng N: V becomes a number in 0..N-1
	R=$((R * 48271 % 2147483647))
	V=$((R % $1))
}
pick() { # pick WORD...: V becomes one of the words
	rng $#
	shift "$V"
	V=$1
}

echo 0 >$T/tracing_on
echo mono >$T/trace_clock || fail "trace_clock mono"
echo 32768 >$T/buffer_size_kb || fail "buffer_size_kb"
echo >$T/trace
echo 1 >$T/options/irq-info 2>/dev/null
for e in sched_switch sched_waking sched_wakeup_new sched_process_exit; do
	case $e in
	sched_switch) f='prev_comm == "lo-sched" || next_comm == "lo-sched"' ;;
	*) f='comm == "lo-sched"' ;;
	esac
	echo "$f" >$T/events/sched/$e/filter || echo "record-sched: no filter for $e (recording all)"
	echo 1 >$T/events/sched/$e/enable || fail "enable $e"
done

echo "record-sched: seed $SEED, $SECS s of lo-sched tasks"
echo 1 >$T/tracing_on
i=0
load=0 # the sleepers' CPU share so far, per mille
while [ $i -lt 4 ]; do
	tries=0
	while :; do
		pick 1000 2000 3000 5000 8000 10000 16000 20000
		period=$V
		pick 50 80 120 200 300 500 800 1200 2000 3000
		share=$(((V + 300) * 1000 / period))
		tries=$((tries + 1))
		[ $((V * 4)) -le "$period" ] && [ $((load + share)) -le 400 ] && break
		[ $tries -lt 100 ] || { period=20000 V=50 share=17; break; }
	done
	load=$((load + share))
	echo "record-sched: sleeper period ${period} us burst ${V} us"
	$TOOL sleeper "$period" "$SECS" "$V" >/tmp/task.s$i &
	i=$((i + 1))
done
rng 4
off=$V
i=0
while [ $i -lt 3 ]; do
	rng 1000000
	s=$V
	case $(((off + i) % 4)) in
	0) r="50 500 1000 20000" ;;   # request-like
	1) r="300 3000 1000 10000" ;; # medium
	2) r="50 20000 500 20000" ;;  # wide
	*) r="5000 30000 2000 20000" ;; # batch-like
	esac
	echo "record-sched: random seed $s bursts/sleeps (us) $r"
	# shellcheck disable=SC2086
	$TOOL random "$SECS" "$s" $r >/tmp/task.r$i &
	i=$((i + 1))
done
i=0
while [ $i -lt 1 ]; do
	rng 1000000
	$TOOL phases "$SECS" "$V" >/tmp/task.p$i &
	i=$((i + 1))
done
(
	third=$((SECS / 3))
	sleep "$third"
	$TOOL hog "$third"
) >/tmp/task.h0 &
(
	end=$(($(cut -d. -f1 /proc/uptime) + SECS))
	n=0
	while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
		$TOOL churn 10 >/dev/null
		n=$((n + 10))
		usleep 500000
	done
	echo "churn children=$n"
) >/tmp/task.c &
wait
echo 0 >$T/tracing_on
cat /tmp/task.*

for e in sched_switch sched_waking sched_wakeup_new sched_process_exit; do
	echo 0 >$T/events/sched/$e/enable
done
for c in $T/per_cpu/cpu*; do
	echo "record-sched: ${c##*/} $(grep -E '^(entries|overrun|dropped events):' $c/stats | tr '\n' ' ')"
done
gzip -1 <$T/trace >/tmp/trace.gz || fail "gzip the trace"
n=$(wc -c </tmp/trace.gz)
echo "record-sched: trace $n bytes gzip'ed"
printf 'lo-sched-trace %s\n' "$n" | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null ||
	fail "write the header"
dd if=/tmp/trace.gz of=/dev/vda bs=4096 seek=1 conv=fsync 2>/dev/null || fail "write the trace"
sync
echo "record-sched: done"
exit 0
