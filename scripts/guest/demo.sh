#!/bin/sh
# The guest half of `make demo`: load learned_os, show its sysfs tree, use a knob, unload.
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

step "load the shipped eviction ranker: cat models/evict.lmod > evict/model"
cat /learned_os/models/evict.lmod >$SYSFS/evict/model && cat $SYSFS/evict/model_info
step "ask it (int8 features in, class and logits out): echo '17 -3 64 0 -128 127 5 -77' > evict/infer"
echo '17 -3 64 0 -128 127 5 -77' >$SYSFS/evict/infer && cat $SYSFS/evict/infer
step "a corrupted model is refused, the loaded one stays"
head -c 300 /learned_os/models/evict.lmod >/tmp/bad.lmod
dd if=/tmp/bad.lmod of=$SYSFS/evict/model bs=4096 2>&1 | grep -v records
grep -E '^(loaded|id|crc32|rejects) ' $SYSFS/evict/model_info
dmesg | grep 'learned_os:' | tail -n 1

step "rmmod learned_os"
rmmod learned_os || exit 1
[ ! -e $SYSFS ] && echo "$SYSFS removed"
