#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Model slots: valid models load and answer exactly what the host computes; truncated,
# bit-flipped, wrong-kind, wrong-schema and oversized files are refused with the previous
# model intact; models swap atomically under a running inference loop; unload with a model.
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

ktap_print_header
ktap_set_plan 15

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
ktap_check "models swap atomically under a running inference loop" swap_under_inference
pla_ok() {
	load $M/vindex.lmod vindex && echo "$(cat $M/key)" >$SYSFS/vindex/infer &&
		[ "$(cat $SYSFS/vindex/infer)" = "$(cat $M/vindex.answer)" ]
}
ktap_check "vindex: PLA model loads and answers as the host does" pla_ok
ktap_check "'none' unloads: fallback only, inference refused" sh -c \
	"echo none > $E/model && grep -qx 'loaded 0' $E/model_info && ! echo '$FEAT' > $E/infer 2>/dev/null"
load $M/evict-a.lmod evict
ktap_check "rmmod with models loaded" rmmod learned_os

ktap_finished
