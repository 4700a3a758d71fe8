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

step "rmmod learned_os"
rmmod learned_os || exit 1
[ ! -e $SYSFS ] && echo "$SYSFS removed"
