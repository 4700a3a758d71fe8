#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Model slots: valid models load and answer exactly what the host computes; truncated,
# bit-flipped, wrong-kind, wrong-schema, wrong-shape and oversized files are refused with the
# previous model intact; an upload belongs to the file that started it (a cut or abandoned one
# is reported in model_info and never completed by another writer); `infer` refuses bad
# inputs; models swap atomically under a running inference loop; unload with a model and an
# upload pending.
. "$(dirname "$0")/lib.sh"

M=/learned_os/testmodels
E=$SYSFS/evict
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FEAT=$(cat $M/features)

info() { awk -v k="$2" '$1 == k { print $2 }' "$SYSFS/$1/model_info"; }
# load FILE POLICY: cat the file into the slot, as a user would.
load() { cat "$1" >"$SYSFS/$2/model" 2>"$TMP/err"; }
answers() { # MODEL: inference through the kernel equals the host's answer
	echo "$FEAT" >$E/infer && [ "$(cat $E/infer)" = "$(cat $M/$1.answer)" ] ||
		{ ktap_print_msg "kernel: $(cat $E/infer) host: $(cat $M/$1.answer)"; return 1; }
}
# refused FILE ERRNO_TEXT: loading into evict fails so, and model A is still the active one.
# Written with dd, one write(2) per page: busybox cat retries a refused sendfile(2) with
# write(2), which the kernel rightly refuses (and counts) a second time.
refused() {
	before=$(info evict rejects)
	if dd if="$1" of=$E/model bs=4096 2>"$TMP/err"; then ktap_print_msg "$1 was accepted"; return 1; fi
	grep -q "$2" "$TMP/err" || { ktap_print_msg "error: $(cat "$TMP/err")"; return 1; }
	after=$(info evict rejects)
	[ "$after" = $((before + 1)) ] || { ktap_print_msg "rejects went from $before to $after"; return 1; }
	[ "$(info evict crc32)" = "$(cat $M/evict-a.crc32)" ] || { ktap_print_msg "active model changed"; return 1; }
	answers evict-a
}
info_matches() {
	[ "$(info evict loaded)" = 1 ] && [ "$(info evict kind)" = mlp ] &&
		[ "$(info evict schema_id)" = 1 ] && [ "$(info evict size)" = "$(stat -c %s $M/evict-a.lmod)" ] &&
		[ "$(info evict crc32)" = "$(cat $M/evict-a.crc32)" ]
}
swap_under_inference() {
	(
		while [ ! -e "$TMP/stop" ]; do
			echo "$FEAT" >$E/infer && cat $E/infer >>"$TMP/answers"
		done
	) &
	pid=$!
	i=0
	while [ $i -lt 40 ]; do
		load $M/evict-b.lmod evict && load $M/evict-a.lmod evict || { touch "$TMP/stop"; wait $pid; return 1; }
		i=$((i + 1))
	done
	touch "$TMP/stop"
	wait $pid
	n=$(wc -l <"$TMP/answers")
	bad=$(grep -cvxF -e "$(cat $M/evict-a.answer)" -e "$(cat $M/evict-b.answer)" "$TMP/answers")
	ktap_print_msg "$n inferences during 80 swaps, $bad not exactly model A's or B's answer"
	[ "$n" -gt 0 ] && [ "$bad" = 0 ]
}

shipped_models() { # every models/<policy>[-<name>].lmod loads into <policy> and answers as the host does
	n=0
	for f in /learned_os/models/*.lmod; do
		[ -f "$f" ] || continue
		m=$(basename "$f" .lmod)
		p=${m%%-*}
		load "$f" "$p" || { ktap_print_msg "$m: $(cat "$TMP/err")"; return 1; }
		[ "$(info "$p" crc32)" = "$(cat $M/shipped-$m.crc32)" ] || return 1
		cat $M/shipped-$m.features >"$SYSFS/$p/infer" &&
			[ "$(cat "$SYSFS/$p/infer")" = "$(cat $M/shipped-$m.answer)" ] ||
			{ ktap_print_msg "$m: kernel $(cat "$SYSFS/$p/infer"), host $(cat $M/shipped-$m.answer)"; return 1; }
		echo none >"$SYSFS/$p/model"
		n=$((n + 1))
	done
	ktap_print_msg "$n shipped model(s) checked"
	[ "$n" -gt 0 ]
}


# refused_by POLICY FILE: loading FILE into POLICY fails with EINVAL, its model is unchanged.
refused_by() {
	before=$(info "$1" crc32)
	if dd if="$2" of="$SYSFS/$1/model" bs=4096 2>"$TMP/err"; then ktap_print_msg "$2 was accepted by $1"; return 1; fi
	grep -q "Invalid argument" "$TMP/err" || { ktap_print_msg "error: $(cat "$TMP/err")"; return 1; }
	[ -n "$before" ] && [ "$(info "$1" crc32)" = "$before" ] || { ktap_print_msg "$1's model changed"; return 1; }
}
# loaded_into POLICY MODEL: POLICY's active model is testmodels/MODEL.lmod.
loaded_into() { [ "$(info "$1" crc32)" = "$(cat $M/$2.crc32)" ]; }
BIG=$M/evict-big.lmod
BIGLEN=$(stat -c %s $BIG)
upload_state() { # a line for the log
	ktap_print_msg "model_info: $(grep -E '^(upload|last_upload|uploads)' $E/model_info | tr '\n' ' ')"
}
# fresh: model A active, whatever an earlier check left behind (each check below starts so).
fresh() { load $M/evict-a.lmod evict || ktap_print_msg "reloading model A: $(cat "$TMP/err")"; }
cut_short() { # `head -c 4096` of a longer file: write(2) succeeds, nothing loads, model_info tells
	fresh
	before=$(info evict uploads_incomplete)
	head -c 4096 $BIG >$E/model || { ktap_print_msg "the write failed"; return 1; }
	upload_state
	[ -n "$before" ] && [ "$(info evict uploads_incomplete)" = $((before + 1)) ] &&
		[ "$(info evict upload_pending)" = 0 ] && [ "$(info evict upload_buffer_bytes)" = 0 ] &&
		[ "$(info evict last_upload)" = incomplete ] && loaded_into evict evict-a && answers evict-a || return 1
	n=$(dmesg | grep -c "evict/model: upload cut short at 4096 of $BIGLEN bytes, nothing loaded")
	[ "$n" = 1 ] || { ktap_print_msg "$n warnings about the cut upload"; return 1; }
}
pending_shown() { # while its writer holds the file open, a partial upload is shown as pending
	fresh
	exec 3>$E/model
	dd if=$BIG bs=4096 count=1 >&3 2>/dev/null || { exec 3>&-; ktap_print_msg "first page refused"; return 1; }
	upload_state
	ok=1
	[ "$(info evict upload_pending)" = 1 ] && [ "$(info evict upload_received)" = 4096 ] &&
		[ "$(info evict upload_expected)" = "$BIGLEN" ] && [ "$(info evict upload_buffer_bytes)" -gt 0 ] || ok=0
	before=$(info evict uploads_incomplete)
	exec 3>&-
	upload_state
	[ "$ok" = 1 ] && [ "$(info evict upload_pending)" = 0 ] && [ "$(info evict upload_buffer_bytes)" = 0 ] &&
		[ "$(info evict uploads_incomplete)" = $((before + 1)) ] && loaded_into evict evict-a
}
replaced_by_next() { # the next upload, from another file, notices the abandoned one's close
	fresh
	before=$(info evict uploads_incomplete)
	head -c 4096 $BIG >$E/model && load $M/evict-b.lmod evict || { ktap_print_msg "$(cat "$TMP/err")"; return 1; }
	upload_state
	[ -n "$before" ] && [ "$(info evict uploads_incomplete)" = $((before + 1)) ] &&
		[ "$(info evict last_upload)" = loaded ] && loaded_into evict evict-b && answers evict-b
}
rest_elsewhere() { # the rest of a cut file, written through another open file, does not complete it
	fresh
	head -c 4096 $BIG >$E/model || return 1
	if dd if=$BIG of=$E/model bs=4096 skip=1 seek=1 conv=notrunc 2>"$TMP/err"; then
		ktap_print_msg "the rest was accepted: $(info evict crc32) loaded"; return 1
	fi
	grep -q "Invalid argument" "$TMP/err" && loaded_into evict evict-a && answers evict-a
}
offset_first() { # a first write at a non-zero offset
	fresh
	if dd if=$M/evict-b.lmod of=$E/model bs=4096 seek=1 conv=notrunc 2>"$TMP/err"; then return 1; fi
	grep -q "Invalid argument" "$TMP/err" && loaded_into evict evict-a
}
interleaved() { # two open files write alternately: the first one's file loads, the second gets EBUSY
	fresh
	exec 3>$E/model 4>$E/model
	dd if=$BIG bs=4096 count=1 >&3 2>/dev/null; r1=$?
	dd if=$M/evict-big-b.lmod bs=4096 count=1 >&4 2>"$TMP/err4"; r2=$?
	dd if=$BIG bs=4096 skip=1 >&3 2>/dev/null; r3=$?
	dd if=$M/evict-big-b.lmod bs=4096 skip=1 >&4 2>>"$TMP/err4"; r4=$?
	exec 3>&- 4>&-
	ktap_print_msg "first file: $r1 $r3, second: $r2 $r4 ($(grep -v records "$TMP/err4" | tr '\n' ' '))"
	[ $r1 = 0 ] && [ $r3 = 0 ] && [ $r2 != 0 ] && [ $r4 != 0 ] && grep -q "resource busy" "$TMP/err4" &&
		loaded_into evict evict-big
}
none_mid_upload() { # `none` aborts the upload in progress and unloads; the rest of it is refused
	fresh
	exec 3>$E/model
	dd if=$BIG bs=4096 count=1 >&3 2>/dev/null || { exec 3>&-; return 1; }
	echo none >$E/model || { exec 3>&-; ktap_print_msg "none refused"; return 1; }
	upload_state
	ok=1
	[ "$(info evict loaded)" = 0 ] && [ "$(info evict upload_pending)" = 0 ] &&
		[ "$(info evict upload_buffer_bytes)" = 0 ] || ok=0
	dd if=$BIG bs=4096 skip=1 >&3 2>"$TMP/err"; r=$?
	exec 3>&-
	ktap_print_msg "the rest of the aborted upload: exit $r, loaded $(info evict loaded)"
	[ "$ok" = 1 ] && [ $r != 0 ] && grep -q "Invalid argument" "$TMP/err" && [ "$(info evict loaded)" = 0 ]
}

ktap_print_header
ktap_set_plan 33

mod_unload
mod_load || { ktap_print_msg "insmod failed"; exit 1; }

ktap_check "no model loaded at insmod" sh -c "for p in $POLICIES; do grep -qx 'loaded 0' $SYSFS/\$p/model_info || exit 1; done"
ktap_check "inference without a model fails with ENOENT" sh -c "! echo '$FEAT' > $E/infer 2>/dev/null"
if ls /learned_os/models/*.lmod >/dev/null 2>&1; then
	ktap_check "each shipped model loads and answers exactly as on the host" shipped_models
else
	ktap_test_skip "each shipped model loads and answers exactly as on the host" "no models/*.lmod"
fi
ktap_check "evict: model A loads" load $M/evict-a.lmod evict
ktap_check "model_info: kind, schema, size and crc32 of model A" info_matches
ktap_check "kernel inference equals the host's, model A" answers evict-a
head -c $(($(stat -c %s $M/evict-a.lmod) - 7)) $M/evict-a.lmod >"$TMP/truncated.lmod"
ktap_check "truncated file refused (EINVAL), model A intact" refused "$TMP/truncated.lmod" "Invalid argument"
cp $M/evict-a.lmod "$TMP/flipped.lmod"
printf '\125' | dd of="$TMP/flipped.lmod" bs=1 seek=100 count=1 conv=notrunc 2>/dev/null
ktap_check "bit-flipped file refused (EINVAL), model A intact" refused "$TMP/flipped.lmod" "Invalid argument"
ktap_check "wrong kind (PLA into evict) refused, model A intact" refused $M/vindex.lmod "Invalid argument"
ktap_check "wrong schema (sched model into evict) refused, model A intact" refused $M/sched.lmod "Invalid argument"
ktap_check "oversized file refused (EFBIG), model A intact" refused $M/oversized.lmod "too large"
ktap_check "evict: a 20-input MLP (the hook computes 8 features) refused, model A intact" refused $M/evict-wide.lmod "Invalid argument"
load $M/sizer.lmod sizer
ktap_check "sizer: an 8-input MLP (it takes 20) refused, its model intact" refused_by sizer $M/sizer-narrow.lmod
load $M/sched-ok.lmod sched
ktap_check "sched: an 8-input MLP (it takes 14) refused, its model intact" refused_by sched $M/sched-narrow.lmod
ktap_check "sched: a 4-class MLP (it takes 5) refused, its model intact" refused_by sched $M/sched.lmod
load $M/vindex.lmod vindex
ktap_check "vindex: an MLP refused, its PLA intact" refused_by vindex $M/evict-a.lmod
echo none >$SYSFS/sizer/model
echo none >$SYSFS/sched/model
# The cut upload's warning must not be lost to the rate limit the refusals above have used.
sleep 6
ktap_check "file cut at a page multiple: not loaded, counted, buffer freed, one warning" cut_short
ktap_check "model_info shows a pending upload; its writer's close discards it" pending_shown
ktap_check "after a cut upload, the next file's upload loads and counts the cut one" replaced_by_next
ktap_check "the rest of a cut file through another open file: EINVAL, model A intact" rest_elsewhere
ktap_check "first write at a non-zero offset: EINVAL, model A intact" offset_first
ktap_check "two interleaved uploaders: the first loads its file, the second gets EBUSY" interleaved
ktap_check "'none' in the middle of an upload: aborts it and unloads" none_mid_upload
load $M/evict-a.lmod evict
echo "$FEAT" >$E/infer
ktap_check "infer: 33 values refused (EINVAL), answer unchanged" write_refused $E/infer "$FEAT $FEAT $FEAT $FEAT 1\n" "Invalid argument"
ktap_check "infer: 128 (outside int8) refused (EINVAL), answer unchanged" write_refused $E/infer "17 -3 64 0 -128 128 5 -77\n" "Invalid argument"
ktap_check "infer: -129 (outside int8) refused (EINVAL), answer unchanged" write_refused $E/infer "17 -3 64 0 -129 127 5 -77\n" "Invalid argument"
ktap_check "infer: 7 values for an 8-input model refused (EINVAL), answer unchanged" write_refused $E/infer "17 -3 64 0 -128 127 5\n" "Invalid argument"
echo "$(cat $M/key)" >$SYSFS/vindex/infer
ktap_check "infer: a negative PLA key refused (EINVAL), answer unchanged" write_refused $SYSFS/vindex/infer "-5\n" "Invalid argument"
ktap_check "infer: 2 keys for a PLA refused (EINVAL), answer unchanged" write_refused $SYSFS/vindex/infer "5 6\n" "Invalid argument"
ktap_check "models swap atomically under a running inference loop" swap_under_inference
pla_ok() {
	load $M/vindex.lmod vindex && echo "$(cat $M/key)" >$SYSFS/vindex/infer &&
		[ "$(cat $SYSFS/vindex/infer)" = "$(cat $M/vindex.answer)" ]
}
ktap_check "vindex: PLA model loads and answers as the host does" pla_ok
ktap_check "'none' unloads: fallback only, inference refused" sh -c \
	"echo none > $E/model && grep -qx 'loaded 0' $E/model_info && ! echo '$FEAT' > $E/infer 2>/dev/null"
load $M/evict-a.lmod evict
exec 3>$E/model
dd if=$BIG bs=4096 count=1 >&3 2>/dev/null
ktap_check "rmmod with models loaded and an upload pending" rmmod learned_os
exec 3>&-

ktap_finished
