#!/bin/sh
# The guest half of `make bench-sizer`: lo-work's `phases` workload (uniform random reads in a
# working set that grows from M/8 to 3M/8, shrinks to M/16, then moves: 8, 24, 4 and 12 MiB
# at lo.mib=64, half that at the default 32) in a memory cgroup, on ext4 on the virtio disk, from a cold page cache, under
# each configuration in turn:
#   generous  memory.max = M, nothing else (the best a fixed limit does on disk reads)
#   tight     memory.max = M and memory.high fixed at M/4 (between the working sets)
#   fallback  memory.max = M and the sizer's exact rules setting memory.high
#   learned   the same with the sizer model models/sizer.lmod (skipped when there is none)
# repeated lo.reps times. One line per phase and run:
#   bench-sizer: config=C rep=K phase=P reads=R disk_reads=D ms=T mem_mib_ms=X mean_mib=Y settle_ms=S
# disk_reads: reads completed on /dev/vda; mem_mib_ms: the integral of the cgroup's
# memory.current (sampled every 256 reads); settle_ms: when memory.current last moved out of
# 10% of its value at the phase's end.
#
# Kernel command line: lo.mib=N (M, MiB; default 32), lo.reps=N (default 1),
# lo.configs=generous,tight,fallback,learned, lo.sizer=KNOB:VALUE,... (sizer knobs; the
# defaults below are this benchmark's).
SYSFS=/sys/kernel/learned_os
Z=$SYSFS/sizer
LOWORK=/learned_os/bin/lo-work
CGROOT=/sys/fs/cgroup
MIB=32 REPS=1 CONFIGS=generous,tight,fallback,learned KNOBS=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lo.mib=*) MIB=${arg#lo.mib=} ;;
	lo.reps=*) REPS=${arg#lo.reps=} ;;
	lo.configs=*) CONFIGS=${arg#lo.configs=} ;;
	lo.sizer=*) KNOBS=$(echo "${arg#lo.sizer=}" | tr , ' ') ;;
	esac
done
fail() {
	echo "bench-sizer: FAIL: $*"
	exit 1
}

echo "bench-sizer: kernel $(uname -r), $(nproc) CPUs; mib=$MIB reps=$REPS configs=$CONFIGS"
[ "$MIB" -ge 32 ] 2>/dev/null || fail "lo.mib=$MIB: at least 32 (the sizer's bounds start at M/32, at least 1 MiB)"
[ -b /dev/vda ] || fail "no /dev/vda: boot with --disk IMAGE (an ext4 image)"
[ -x $LOWORK ] || fail "$LOWORK missing from the initramfs"
mount -t ext4 -o noatime /dev/vda /mnt || fail "mount /dev/vda (ext4) on /mnt"
$LOWORK prepare /mnt --mib "$MIB" --work phases || fail "lo-work prepare"
sync
insmod /learned_os/learned_os.ko || fail "insmod learned_os.ko"
grep -qw memory $CGROOT/cgroup.controllers || fail "no memory controller in $CGROOT"
echo +memory >$CGROOT/cgroup.subtree_control || fail "+memory"

# The sizer for this benchmark: bounds M/32..M, a decision every 100 ms, and a goal of
# 99.5% hits (margin 0.5%): the cache should hold the working set.
MINB=$((MIB * 1048576 / 32))
MAXB=$((MIB * 1048576))
echo $MINB >$Z/min && echo $MAXB >$Z/max && echo 100 >$Z/interval_ms &&
	echo 995 >$Z/goal && echo 5 >$Z/margin || fail "sizer knobs"
for kv in $KNOBS; do
	echo "${kv#*:}" >"$Z/${kv%%:*}" || fail "sizer knob $kv"
done
echo "bench-sizer: sizer $(for k in goal margin cost_weight min max interval_ms; do printf '%s=%s ' $k "$(cat $Z/$k)"; done)"

# run_one CONFIG REP: one measured run; prints its phase lines. Fails (leaving no cgroup or
# sizer target behind) if the run did not finish every phase.
run_one() {
	c=$1 k=$2
	sync
	echo 3 >/proc/sys/vm/drop_caches
	cg=$CGROOT/bench-sizer-$c-$k
	rmdir $cg 2>/dev/null
	mkdir $cg || return 1
	rc=0
	echo ${MIB}M >$cg/memory.max || rc=1
	echo none >$Z/model
	case "$c" in
	tight) echo $((MIB / 4))M >$cg/memory.high || rc=1 ;;
	learned) dd if=/learned_os/models/sizer.lmod of=$Z/model bs=64k 2>/dev/null || rc=1 ;;
	esac
	case "$c" in
	fallback | learned) { echo "/$(basename $cg)" >$Z/cgroup && echo 1 >$Z/enabled; } || rc=1 ;;
	esac
	if [ $rc = 0 ]; then
		sh -c "echo \$\$ >$cg/cgroup.procs && exec $LOWORK run phases /mnt --mib $MIB \
			--ra-knob /sys/block/vda/queue/read_ahead_kb --disk-stat /sys/block/vda/stat --memcg $cg" >/tmp/out
		rc=$?
		sed -n "s/^phase: workload=phases /bench-sizer: config=$c rep=$k /p" /tmp/out
		[ "$(grep -c '^phase: ' /tmp/out)" = 4 ] || rc=1
	fi
	case "$c" in
	fallback | learned)
		echo "bench-sizer-stats: config=$c rep=$k $(grep -E '^(decisions_model|decisions_fallback|changes|no_data|reason_[a-z_]+|kicks|pages_sampled|accesses|sample_rate_ppm) ' $Z/stats | tr '\n' ' ')" ;;
	esac
	echo 0 >$Z/enabled
	echo none >$Z/cgroup
	rmdir $cg
	return $rc
}

CONFIGS=$(echo "$CONFIGS" | tr , ' ')
for c in $CONFIGS; do
	case "$c" in
	generous | tight | fallback | learned) ;;
	*) fail "unknown configuration '$c' (generous, tight, fallback, learned)" ;;
	esac
done
if echo " $CONFIGS " | grep -q ' learned ' && [ ! -f /learned_os/models/sizer.lmod ]; then
	echo "bench-sizer: learned: skipped, no models/sizer.lmod"
	CONFIGS=$(echo " $CONFIGS " | sed 's/ learned / /')
fi
status=0
for k in $(seq 1 "$REPS"); do
	for c in $CONFIGS; do
		run_one $c $k || { echo "bench-sizer: FAIL: $c rep $k"; status=1; }
	done
done
rmmod learned_os || status=1
umount /mnt
exit $status
