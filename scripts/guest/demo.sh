#!/bin/sh
# The guest half of `make demo`: load learned_os, show its sysfs tree, use a knob, load the
# shipped eviction model, watch it decide in real reclaim against the kernel's own policy on
# a scan-polluted workload (when the host attached an ext4 disk), unload.
SYSFS=/sys/kernel/learned_os
step() { printf '\n=== %s\n' "$*"; }

step "kernel: $(uname -r) ($(uname -m)), $(nproc) CPUs"
step "insmod /learned_os/learned_os.ko"
insmod /learned_os/learned_os.ko || exit 1
grep '^learned_os ' /proc/modules
dmesg | grep 'learned_os:' | tail -n 3

step "the sysfs tree"
find $SYSFS | sort | while read -r f; do
	if [ -f "$f" ]; then printf '%-45s %s\n' "$f" "$(stat -c %A "$f")"; else echo "$f/"; fi
done
step "version: $(cat $SYSFS/version)"
for p in evict sizer vindex sched; do
	printf '%s/enabled = %s\n' "$p" "$(cat $SYSFS/$p/enabled)"
done

step "echo 1 > evict/enabled; echo 2 > evict/enabled (refused)"
echo 1 >$SYSFS/evict/enabled
echo 2 >$SYSFS/evict/enabled
echo "evict/enabled = $(cat $SYSFS/evict/enabled)"
step "evict/stats"
cat $SYSFS/evict/stats
dmesg | grep 'learned_os:' | tail -n 1

step "load the shipped eviction model: cat models/evict.lmod > evict/model"
cat /learned_os/models/evict.lmod >$SYSFS/evict/model && cat $SYSFS/evict/model_info
step "ask it (int8 features in, class and logits out): echo '17 -3 64 0 -128 127 5 -77' > evict/infer"
echo '17 -3 64 0 -128 127 5 -77' >$SYSFS/evict/infer && cat $SYSFS/evict/infer
step "a corrupted model is refused, the loaded one stays"
head -c 300 /learned_os/models/evict.lmod >/tmp/bad.lmod
dd if=/tmp/bad.lmod of=$SYSFS/evict/model bs=4096 2>&1 | grep -v records
grep -E '^(loaded|id|crc32|rejects) ' $SYSFS/evict/model_info
dmesg | grep 'learned_os:' | tail -n 1

if [ -b /dev/vda ] && mount -t ext4 -o noatime /dev/vda /mnt 2>/dev/null; then
	MIB=32
	CG=/sys/fs/cgroup/demo
	step "learned eviction in real reclaim: lo-work scan (a hot file of 0.85 x $MIB MiB read at random," \
		"polluted by a one-time sequential scan) in a cgroup with memory.max = $MIB MiB, on ext4"
	/learned_os/bin/lo-work prepare /mnt --mib $MIB --work scan >/dev/null && sync
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control
	for en in 0 1; do
		echo $en >$SYSFS/evict/enabled
		echo 3 >/proc/sys/vm/drop_caches
		mkdir $CG && echo ${MIB}M >$CG/memory.max
		# The policy acts only in the cgroup named here (default none: nowhere).
		echo /demo >$SYSFS/evict/cgroup
		read -r r0 _ </sys/block/vda/stat
		out=$(sh -c "echo \$\$ >$CG/cgroup.procs && exec /learned_os/bin/lo-work run scan /mnt --mib $MIB")
		read -r r1 _ </sys/block/vda/stat
		echo none >$SYSFS/evict/cgroup
		rmdir $CG
		[ $en = 0 ] && who="kernel's own policy (evict/enabled = 0)" || who="learned (evict/enabled = 1)"
		echo "$who: $((r1 - r0)) disk reads; $out"
	done
	echo 0 >$SYSFS/evict/enabled
	step "evict/stats after both runs (decisions by source, guard, cost)"
	grep -E '^(kernel_verdict_reclaim|decisions_|model_verdict_keep|fallback_(disabled|out_of_scope|no_history|unearned|tripped)|guard_(tripped|trips|calibrations|bias_permille)|inferences|hook_ns_mean|history_(resident|bytes)) ' $SYSFS/evict/stats
	umount /mnt
	echo "(one run each: stock reclaim on this workload varies from run to run, from about 10.6k"
	echo " to 32k disk reads; make bench-evict repeats every workload REPS times (default 3) and reports the spread)"
else
	step "no ext4 disk attached: skipping the reclaim demonstration"
fi

step "rmmod learned_os"
rmmod learned_os || exit 1
[ ! -e $SYSFS ] && echo "$SYSFS removed"
