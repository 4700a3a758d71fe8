#!/bin/sh
# The guest half of `make bench-evict`: each workload of lo-work, once with the kernel's own
# page eviction (evict/enabled = 0) and once with learned_os's (1), each run from a cold page
# cache inside a fresh memory cgroup whose memory.max is far below the files it reads, on ext4
# on the virtio disk, named in evict/cgroup for both (the policy acts only there); the pair
# repeated lo.reps times. One line per run:
#   bench: workload=W policy=P disk_reads=R sectors=S refaults=F cg_refaults=G ms=T rep=K
# disk_reads and sectors: reads completed and 512-byte sectors read on /dev/vda
# (/sys/block/vda/stat); refaults: workingset_refault_file in /proc/vmstat; cg_refaults: the
# same in the cgroup's memory.stat; ms: lo-work's own time for its reads; hook_us, probe_us:
# CPU time in the reclaim hook and the page-cache probes (evict/stats hook_ns_total,
# probe_ns_total); decisions: the model's answers; trips: guard trips, all over the run.
#
# Kernel command line: lo.mib=N (memory.max and workload size, MiB, default 32),
# lo.work=scan,loop (default scan,loop,zipf,lru; replay needs the trace on the disk, below),
# lo.policies=stock,learned, lo.seed=S (default 1),
# lo.reps=N (runs of each workload and policy, default 1; order: for each workload, N times
# stock then learned),
# lo.ra_kb=K (set /sys/block/vda/queue/read_ahead_kb; default: leave the kernel's),
# lo.pin=CPU (run the workload on that CPU only; default: anywhere),
# lo.evict=KNOB:VALUE,... (evict knobs to set after loading, e.g. guard_margin_pct:1000),
# lo.model=PATH (the evict model, relative to /learned_os; default models/evict.lmod, e.g.
# testmodels/evict-adversarial.lmod to watch the guard stop a wrong model).
# The replay workload's trace is /mnt/replay.oracleGeneral.bin on the disk (bench-evict.sh
# stages it into the image); when it is there it is copied to /tmp, in the initramfs, so that
# reading it does not touch the measured disk, and passed to lo-work prepare and every run.
# Files that lo-work reads at random get POSIX_FADV_RANDOM; on a kernel without fadvise
# (CONFIG_ADVISE_SYSCALLS off) lo-work opens them while read_ahead_kb is 0, which has the same
# effect, so only the sequential files see readahead.
# Exits 0 only if every run completed.
SYSFS=/sys/kernel/learned_os
E=$SYSFS/evict
LOWORK=/learned_os/bin/lo-work
CGROOT=/sys/fs/cgroup
MIB=32 WORK=scan,loop,zipf,lru POLICIES=stock,learned SEED=1 REPS=1 RA_KB= PIN= KNOBS=
MODEL=models/evict.lmod
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lo.mib=*) MIB=${arg#lo.mib=} ;;
	lo.work=*) WORK=${arg#lo.work=} ;;
	lo.policies=*) POLICIES=${arg#lo.policies=} ;;
	lo.seed=*) SEED=${arg#lo.seed=} ;;
	lo.reps=*) REPS=${arg#lo.reps=} ;;
	lo.ra_kb=*) RA_KB=${arg#lo.ra_kb=} ;;
	lo.pin=*) PIN=${arg#lo.pin=} ;;
	lo.evict=*) KNOBS=$(echo "${arg#lo.evict=}" | tr , ' ') ;;
	lo.model=*) MODEL=${arg#lo.model=} ;;
	esac
done
WORK=$(echo "$WORK" | tr , ' ')
POLICIES=$(echo "$POLICIES" | tr , ' ')

fail() {
	echo "bench: FAIL: $*"
	exit 1
}
field() { # field KEY FILE: the value of "KEY value" in FILE (0 when absent)
	awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$2"
}

echo "bench: kernel $(uname -r), $(nproc) CPUs, $(awk '/^MemTotal/ { print $2 }' /proc/meminfo) kB;" \
	"mib=$MIB work=\"$WORK\" policies=\"$POLICIES\" seed=$SEED reps=$REPS"
[ -x $LOWORK ] || fail "$LOWORK missing from the initramfs"
[ -b /dev/vda ] || fail "no /dev/vda: boot with --disk IMAGE (an ext4 image)"
mount -t ext4 -o noatime /dev/vda /mnt || fail "mount /dev/vda (ext4) on /mnt"
RA=/sys/block/vda/queue/read_ahead_kb
[ -z "$RA_KB" ] || echo "$RA_KB" >$RA || fail "read_ahead_kb=$RA_KB"
RA_KB=$(cat $RA)
echo "bench: read_ahead_kb=$RA_KB pin=${PIN:-none}"
PINCMD=
[ -z "$PIN" ] || PINCMD="taskset -c $PIN"

REPLAYARG=
if [ -f /mnt/replay.oracleGeneral.bin ]; then
	cp /mnt/replay.oracleGeneral.bin /tmp/replay.oracleGeneral.bin || fail "copy the replay trace to /tmp"
	REPLAYARG="--replay /tmp/replay.oracleGeneral.bin"
	echo "bench: replay trace: $(wc -c </tmp/replay.oracleGeneral.bin) bytes"
fi

t0=$(date +%s)
$LOWORK prepare /mnt --mib "$MIB" --work "$(echo $WORK | tr ' ' ,)" $REPLAYARG || fail "lo-work prepare"
sync
echo "bench: prepared in $(($(date +%s) - t0)) s"

insmod /learned_os/learned_os.ko || fail "insmod learned_os.ko"
for f in enabled model stats model_info; do
	[ -e $E/$f ] || fail "$E/$f missing"
done
[ -f "/learned_os/$MODEL" ] || fail "/learned_os/$MODEL missing from the initramfs"
dd if="/learned_os/$MODEL" of=$E/model bs=64k 2>/dev/null || fail "loading $MODEL"
echo "bench: evict model: $MODEL $(grep -E '^(loaded|id|size|crc32) ' $E/model_info | tr '\n' ' ')"
echo "bench: evict supported=$(field supported $E/stats)"
for kv in $KNOBS; do
	echo "${kv#*:}" >"$E/${kv%%:*}" || fail "evict knob $kv"
	echo "bench: evict/${kv%%:*} = $(cat "$E/${kv%%:*}")"
done

grep -qw memory $CGROOT/cgroup.controllers || fail "no memory controller in $CGROOT"
echo +memory >$CGROOT/cgroup.subtree_control || fail "enable +memory in $CGROOT/cgroup.subtree_control"

# run_one WORKLOAD POLICY REP: one measured run; prints its bench: line.
run_one() {
	w=$1 p=$2 k=$3
	case "$p" in
	stock) en=0 ;;
	learned) en=1 ;;
	*) echo "bench: unknown policy '$p'"; return 1 ;;
	esac
	echo $en >$E/enabled || return 1
	echo "$RA_KB" >$RA
	sync
	echo 3 >/proc/sys/vm/drop_caches
	cg=$CGROOT/bench-$w-$p-$k
	rmdir $cg 2>/dev/null
	mkdir $cg || return 1
	echo "${MIB}M" >$cg/memory.max || { rmdir $cg; return 1; }
	echo "${cg#$CGROOT}" >$E/cgroup || { rmdir $cg; return 1; }

	read -r r0 _ s0 _ </sys/block/vda/stat
	# hook_us: both of reclaim's callbacks, the verdict and the insertion.
	h0=$(($(field hook_ns_total $E/stats) + $(field insert_ns_total $E/stats)))
	b0=$(field probe_ns_total $E/stats)
	d0=$(field decisions_model $E/stats) t0=$(field guard_trips $E/stats)
	f0=$(field workingset_refault_file /proc/vmstat)
	g0=$(field workingset_refault_file $cg/memory.stat)
	out=$(sh -c "echo \$\$ >$cg/cgroup.procs &&
		exec $PINCMD $LOWORK run $w /mnt --mib $MIB --seed $SEED $REPLAYARG --ra-knob $RA")
	rc=$?
	read -r r1 _ s1 _ </sys/block/vda/stat
	h1=$(($(field hook_ns_total $E/stats) + $(field insert_ns_total $E/stats)))
	b1=$(field probe_ns_total $E/stats)
	d1=$(field decisions_model $E/stats) t1=$(field guard_trips $E/stats)
	f1=$(field workingset_refault_file /proc/vmstat)
	g1=$(field workingset_refault_file $cg/memory.stat)

	echo "$out"
	sed "s/^/bench-stats: workload=$w policy=$p rep=$k /" $E/stats
	echo "bench-cgroup: workload=$w policy=$p rep=$k peak=$(cat $cg/memory.peak 2>/dev/null)" \
		"$(grep -E '^(max|oom|oom_kill) ' $cg/memory.events | tr '\n' ' ')"
	echo none >$E/cgroup
	rmdir $cg
	case "$out" in
	*"work: workload=$w "*" ms="*) ms=${out##*ms=} ;;
	*) rc=1 ;;
	esac
	[ "$rc" = 0 ] || { echo "bench: workload=$w policy=$p FAILED (status $rc) rep=$k"; return 1; }
	echo "bench: workload=$w policy=$p disk_reads=$((r1 - r0)) sectors=$((s1 - s0))" \
		"refaults=$((f1 - f0)) cg_refaults=$((g1 - g0)) ms=$ms rep=$k" \
		"hook_us=$(((h1 - h0) / 1000)) probe_us=$(((b1 - b0) / 1000)) decisions=$((d1 - d0)) trips=$((t1 - t0))"
}

status=0
for w in $WORK; do
	for k in $(seq 1 "$REPS"); do
		for p in $POLICIES; do
			run_one "$w" "$p" "$k" || status=1
		done
	done
done
echo 0 >$E/enabled
rmmod learned_os || status=1
umount /mnt
[ $status = 0 ] && echo "bench: done" || echo "bench: FAIL: some runs did not complete"
exit $status
