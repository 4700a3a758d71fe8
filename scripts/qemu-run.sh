#!/usr/bin/env bash
# Boot a learned_os guest under QEMU (TCG by default) and carry its exit status back.
#
# Usage: qemu-run.sh --kernel BZIMAGE --initrd INITRD [options]
#   --mode test|demo|bench-evict|bench-sizer|bench-vindex|bench-sched|record-sched|shell   what the guest's /init runs (default test)
#   --append "ARGS"          extra kernel command line (e.g. lo.tests=test_knobs.sh)
#   --log FILE               serial console log (default: a temp file, printed on failure)
#   --timeout SECONDS        hard limit for the whole boot (default 900; none for shell)
#   --disk IMAGE             attach IMAGE as a virtio disk (/dev/vda in the guest)
#   --disk-iops N            throttle that disk to N requests per second (QEMU's block
#                            throttling): 10000 is about 100 us per read, SSD-like
#   --smp N, --mem SIZE      vCPUs (default 2) and memory (default 1G)
#   --kvm                    use KVM instead of TCG
#   --icount SHIFT           TCG with virtual time: each guest instruction takes 2^SHIFT ns,
#                            and idle time is skipped (-icount shift=SHIFT,sleep=off), so the
#                            guest's clock no longer depends on how busy the host is
#   --quiet                  do not echo the console while it runs
# Exit status: the guest's own status (0 = success); 124 when the guest hung past the
# timeout; 125 when the guest never reported (panic, reboot) or QEMU failed.
set -euo pipefail

kernel= initrd= mode=test append= log= timeout=900 disk= iops= smp=2 mem=1G accel=tcg quiet=0 icount=
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --disk) disk=$2; shift 2 ;;
    --disk-iops) iops=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --kvm) accel=kvm; shift ;;
    --icount) icount=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    *) echo "qemu-run: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -f "$kernel" ] && [ -f "$initrd" ] || { echo "qemu-run: need --kernel and --initrd" >&2; exit 2; }

args=(
  -machine q35,accel="$accel" -smp "$smp" -m "$mem"
  -kernel "$kernel" -initrd "$initrd"
  -device isa-debug-exit,iobase=0xf4,iosize=0x04
  -no-reboot
)
[ -n "$disk" ] && args+=(-drive file="$disk",if=virtio,format=raw${iops:+,throttling.iops-total=$iops})
[ -n "$icount" ] && args+=(-icount shift="$icount",sleep=off)
cmdline="console=ttyS0 panic=-1 oops=panic loglevel=4 lo.mode=$mode $append"

if [ "$mode" = shell ]; then
  exec qemu-system-x86_64 "${args[@]}" -nographic -append "$cmdline"
fi

own_log=0
if [ -z "$log" ]; then log=$(mktemp); own_log=1; fi
set +e
if [ "$quiet" = 1 ]; then
  timeout -k 10 "$timeout" qemu-system-x86_64 "${args[@]}" -display none -monitor none \
    -serial file:"$log" -append "$cmdline" </dev/null
  rc=$?
else
  : >"$log"
  timeout -k 10 "$timeout" qemu-system-x86_64 "${args[@]}" -display none -monitor none \
    -serial file:"$log" -append "$cmdline" </dev/null &
  qpid=$!
  tail -n +1 -f "$log" --pid="$qpid" 2>/dev/null
  wait "$qpid"
  rc=$?
fi
set -e

status=125
case "$rc" in
  124 | 137) status=124; echo "qemu-run: TIMEOUT: the guest did not finish within ${timeout}s" >&2 ;;
  0) echo "qemu-run: the guest never reported a status (kernel panic or reboot?)" >&2 ;;
  *)
    if [ $((rc % 2)) = 1 ] && [ "$rc" -lt 256 ]; then
      status=$((rc >> 1)) # isa-debug-exit: QEMU exits with (value << 1) | 1
    else
      echo "qemu-run: QEMU failed with status $rc" >&2
    fi ;;
esac
if [ "$status" != 0 ] && [ "$quiet" = 1 ]; then
  echo "qemu-run: last lines of the console ($log):" >&2
  tail -n 40 "$log" >&2
fi
[ "$own_log" = 1 ] && rm -f "$log"
exit "$status"
