#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The eviction policy's scope: a learned verdict must never harm a cgroup or a process that did
# not opt in. A model that answers "reclaim" for every page is loaded and the guard is told
# never to judge (so nothing hands the decisions back); then:
# - by default (evict/cgroup = none) the model decides for no folio;
# - with evict/cgroup naming one cgroup, it decides for that cgroup's folios, and every
#   decision for the folios of another cgroup under pressure is the fallback (out of scope);
# - a process that keeps touching a mapped file (its working set) in the opted-in cgroup,
#   while a reader there creates memory pressure, takes no more major faults than without a
#   model: neither the kernel (which never shows the hook a folio referenced through page
#   tables) nor the module (which never overrides the kernel for a mapped folio it would
#   keep or activate) lets the model evict memory a process is using.
# Nothing opted in, the page cache's probes record nothing.
. "$(dirname "$0")/lib.sh"

E=$SYSFS/evict
M=/learned_os/testmodels
MAPPER=/learned_os/bin/lo-mapper
CGI=/sys/fs/cgroup/lo_scope_in
CGO=/sys/fs/cgroup/lo_scope_out
TMP=$(mktemp -d)
cleanup() {
	touch "$TMP/stop"
	wait
	[ -e $E/cgroup ] && echo none >$E/cgroup 2>/dev/null
	rmdir $CGI $CGO 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ktap_print_header
ktap_set_plan 7

sv() { # the value of evict's stat KEY, 0 when this module has no such key
	v=$(stat_value evict "$1")
	echo "${v:-0}"
}
write_reads() { knob_write "$1" "$2" && [ "$(cat "$1")" = "$3" ]; }
asked() {
	echo $(($(sv kernel_verdict_reclaim) + $(sv kernel_verdict_keep) + $(sv kernel_verdict_activate)))
}
skip_all() {
	for t in "evict/cgroup is none after loading" \
		"evict/cgroup: a path round-trips; malformed and missing cgroups are refused, value kept" \
		"nothing opted in: the page cache's events write no history and no counter" \
		"evict/cgroup none: a model that reclaims everything decides for no folio" \
		"the opted-in cgroup under pressure: the model decides for its folios" \
		"a cgroup that did not opt in: every decision for its folios is the fallback" \
		"a mapped working set in the opted-in cgroup: major faults stay at the no-model baseline"; do
		ktap_test_skip "$t" "$1"
	done
	mod_unload
	ktap_finished
}

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }
grep -q ' reclaim_hook_register$' /proc/kallsyms || skip_all "kernel without the reclaim hook"
grep -q 'lo.disk=1' /proc/cmdline || skip_all "no disk attached"
[ -x $MAPPER ] || skip_all "no $MAPPER"
# Hold the disk open: its page cache lives as long as someone has it open.
exec 3</dev/vda
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p $CGI $CGO
echo 24M >$CGI/memory.max
echo 16M >$CGO/memory.max

# A module without the knob (before the scope existed) runs the same checks with the model
# deciding wherever it likes.
knob=0
[ -e $E/cgroup ] && knob=1
set_scope() { [ $knob = 0 ] || echo "$1" >$E/cgroup; }

if [ $knob = 1 ]; then
	ktap_check "evict/cgroup is none after loading" test "$(cat $E/cgroup)" = none
	roundtrip() {
		write_refused $E/cgroup "lo_scope_in\n" "Invalid argument" &&
			write_refused $E/cgroup "/lo_no_such_cgroup\n" "No such file" &&
			write_reads $E/cgroup "/lo_scope_in\n" /lo_scope_in &&
			write_refused $E/cgroup "/lo scope\n" "Invalid argument" &&
			write_reads $E/cgroup "none\n" none
	}
	ktap_check "evict/cgroup: a path round-trips; malformed and missing cgroups are refused, value kept" roundtrip
else
	ktap_test_skip "evict/cgroup is none after loading" "no evict/cgroup"
	ktap_test_skip "evict/cgroup: a path round-trips; malformed and missing cgroups are refused, value kept" \
		"no evict/cgroup"
fi

in_cg() { # CGROUP CMD: runs CMD in CGROUP
	sh -c "echo \$\$ > $1/cgroup.procs && exec $2"
}
now_ms() { # milliseconds since boot, to 10 ms
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}
# cached_reads CGROUP: 4096 reads of one cached page each (one page-cache access event each),
# eight times over, in CGROUP; prints the milliseconds they took.
cached_reads() {
	t0=$(now_ms)
	in_cg "$1" "sh -c 'for i in 1 2 3 4 5 6 7 8; do dd if=/dev/vda of=/dev/null bs=4k count=4096 2>/dev/null; done'"
	echo $(($(now_ms) - t0))
}
quiet_probes() {
	dd if=/dev/vda of=/dev/null bs=4k count=4096 2>/dev/null
	p0=$(sv probe_calls) a0=$(sv pages_access) d0=$(sv pages_add) c0=$(sv history_clock)
	ms=$(cached_reads $CGI)
	echo 3 >/proc/sys/vm/drop_caches
	in_cg $CGI "dd if=/dev/vda of=/dev/null bs=4k count=1024 2>/dev/null"
	p=$(($(sv probe_calls) - p0)) a=$(($(sv pages_access) - a0))
	d=$(($(sv pages_add) - d0)) c=$(($(sv history_clock) - c0))
	ktap_print_msg "nothing opted in: $p probe calls recorded, $a accesses, $d pages added," \
		"clock +$c, history_active $(sv history_active); 32768 cached reads in $ms ms"
	[ $p = 0 ] && [ $a = 0 ] && [ $d = 0 ] && [ $c = 0 ] && [ "$(sv history_active)" = 0 ]
}
ktap_check "nothing opted in: the page cache's events write no history and no counter" quiet_probes
if [ $knob = 1 ]; then
	# The same reads with the cgroup opted in, for the report (not a check: TCG's timing is
	# too noisy to bound the difference).
	echo /lo_scope_in >$E/cgroup
	dd if=/dev/vda of=/dev/null bs=4k count=4096 2>/dev/null
	p0=$(sv probe_calls)
	ms=$(cached_reads $CGI)
	ktap_print_msg "opted in: the same 32768 cached reads in $ms ms; $(($(sv probe_calls) - p0))" \
		"probe calls recorded, probe_ns_mean $(sv probe_ns_mean)"
	echo none >$E/cgroup
fi

dd if=$M/evict-reclaim-all.lmod of=$E/model bs=64k 2>/dev/null || skip_all "cannot load the model"
echo 16777216 >$E/guard_window
echo 1000 >$E/guard_margin_pct
echo 1 >$E/enabled

pressure() { # CGROUP: 44 MiB of the disk, beyond the mapped part, through CGROUP
	in_cg "$1" "dd if=/dev/vda of=/dev/null bs=64k skip=320 count=704 2>/dev/null"
}
# pressure_counts CGROUP: runs pressure in CGROUP; sets a (questions), m (model answers), r (model
# reclaims), o (out-of-scope fallbacks) to what it added.
pressure_counts() {
	a0=$(asked) m0=$(sv decisions_model) r0=$(sv model_verdict_reclaim) o0=$(sv fallback_out_of_scope)
	pressure "$1"
	a=$(($(asked) - a0)) m=$(($(sv decisions_model) - m0))
	r=$(($(sv model_verdict_reclaim) - r0)) o=$(($(sv fallback_out_of_scope) - o0))
}

echo 3 >/proc/sys/vm/drop_caches
default_none() {
	pressure_counts $CGI
	ktap_print_msg "evict/cgroup none: $a questions, $m model answers, $o out-of-scope fallbacks"
	[ $a -gt 0 ] && [ $m = 0 ] && { [ $knob = 0 ] || [ $o = $a ]; }
}
ktap_check "evict/cgroup none: a model that reclaims everything decides for no folio" default_none

set_scope /lo_scope_in
in_scope() {
	pressure_counts $CGI
	ktap_print_msg "$CGI (opted in): $a questions, $m model answers ($r reclaim), $o out of scope;" \
		"probe_calls $(sv probe_calls), probe_ns_mean $(sv probe_ns_mean), hook_ns_mean $(sv hook_ns_mean)"
	[ $a -gt 0 ] && [ $m -gt 0 ] && [ $r -gt 0 ] && [ $o = 0 ]
}
ktap_check "the opted-in cgroup under pressure: the model decides for its folios" in_scope

out_of_scope() {
	pressure_counts $CGO
	ktap_print_msg "$CGO (not opted in): $a questions, $m model answers, $o out-of-scope fallbacks"
	[ $a -gt 0 ] && [ $m = 0 ] && { [ $knob = 0 ] || [ $o = $a ]; }
}
ktap_check "a cgroup that did not opt in: every decision for its folios is the fallback" out_of_scope

# mapped_run: the mapper's 8 MiB (the start of the disk) in the opted-in cgroup, touched over
# and over while the reader pushes 88 MiB through the same 24 MiB cgroup; sets f to the
# mapper's major faults after its warm-up, and m, r to the model's answers meanwhile.
mapped_run() {
	rm -f "$TMP/ready" "$TMP/stop"
	echo 3 >/proc/sys/vm/drop_caches
	in_cg $CGI "$MAPPER /dev/vda 0 8192 $TMP/ready $TMP/stop 150" >"$TMP/mapper" &
	if ! wait_for 60 test -e "$TMP/ready"; then
		touch "$TMP/stop"
		wait
		ktap_print_msg "the mapper did not start: $(cat "$TMP/mapper")"
		return 1
	fi
	m0=$(sv decisions_model) r0=$(sv model_verdict_reclaim)
	pressure $CGI
	pressure $CGI
	touch "$TMP/stop"
	wait
	m=$(($(sv decisions_model) - m0)) r=$(($(sv model_verdict_reclaim) - r0))
	out=$(cat "$TMP/mapper")
	case "$out" in
	*" majflt="*) f=${out##* majflt=} f=${f%% *} ;;
	*) ktap_print_msg "mapper: $out"; return 1 ;;
	esac
	ktap_print_msg "$1: $out; model answers $m ($r reclaim), fallback_mapped $(sv fallback_mapped)"
}
mapped() {
	echo none >$E/model
	mapped_run "no model" || return 1
	base=$f
	dd if=$M/evict-reclaim-all.lmod of=$E/model bs=64k 2>/dev/null || return 1
	mapped_run "model reclaims all" || return 1
	# Slack for the faults the kernel's own policy may take on a loaded guest: a quarter of
	# the baseline, at least 64 (seen: the baseline and the model's run equal, to the page).
	slack=$((base / 4))
	[ $slack -ge 64 ] || slack=64
	ktap_print_msg "major faults after warm-up: $base without a model, $f with it (allowed $((base + slack)))"
	[ $r -gt 0 ] && [ "$f" -le $((base + slack)) ]
}
ktap_check "a mapped working set in the opted-in cgroup: major faults stay at the no-model baseline" mapped

echo 0 >$E/enabled
echo none >$E/model
exec 3<&-
mod_unload
ktap_finished
