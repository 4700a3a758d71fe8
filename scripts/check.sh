#!/usr/bin/env bash
# `make check`: every test of the project, in order of cost. Keeps going past a failure so
# that one run names all of them; ends with the line "N passed, N failed, N skipped" and
# exits non-zero on any failure.
#
# Environment: TESTS=a.sh,b.sh runs a subset of the kselftests;
#              LEARNED_OS_QEMU_TIMEOUT (default 2400) bounds the kselftest boot.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
cd "$repo" || exit 1

passed=0 failed=0 skipped=0
failures=()
ok() { passed=$((passed + 1)); echo "check: ok   $1"; }
bad() { failed=$((failed + 1)); failures+=("$1"); echo "check: FAIL $1"; }
section() { printf '\n===== %s\n' "$*"; }
finish() {
  section "summary"
  for f in ${failures[@]+"${failures[@]}"}; do echo "failed: $f"; done
  echo "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" = 0 ]
  exit
}

section "setup"
"$here/setup.sh" || { bad "setup"; finish; }
mkdir -p build

section "rustfmt"
if (cd rust && cargo fmt --all --check) && rustfmt --edition 2021 --check src/learned_os.rs; then
  ok "rustfmt (host crates and module)"
else
  bad "rustfmt (host crates and module)"
fi

section "clippy, host crates, warnings denied"
if (cd rust && cargo clippy --workspace --all-targets --quiet -- -D warnings); then ok "clippy (host)"; else bad "clippy (host)"; fi

section "cargo test"
(cd rust && cargo test --workspace 2>&1) | tee build/cargo-test.log
rc=${PIPESTATUS[0]}
read -r p f < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' build/cargo-test.log)
passed=$((passed + p))
if [ "$f" -gt 0 ]; then
  failed=$((failed + f))
  failures+=($(awk '/^test .* FAILED$/ { print "cargo:" $2 }' build/cargo-test.log))
elif [ "$rc" != 0 ]; then
  bad "cargo test (did not build or run)"
fi

section "host tests (tests/host)"
python3 -m unittest discover -s tests/host -v 2>&1 | tee build/host-tests.log
rc=${PIPESTATUS[0]}
ran=$(awk '/^Ran [0-9]+ test/ { print $2 }' build/host-tests.log)
nfail=$(grep -cE '^(FAIL|ERROR): ' build/host-tests.log)
passed=$((passed + ${ran:-0} - nfail))
if [ "$nfail" -gt 0 ]; then
  failed=$((failed + nfail))
  failures+=($(awk '/^(FAIL|ERROR): / { print "host:" $2 }' build/host-tests.log))
elif [ "$rc" != 0 ] || [ -z "$ran" ]; then
  bad "host tests (did not run)"
fi

section "fuzz: the .lmod parser and engine, coverage-guided, ${LEARNED_OS_FUZZ_SECONDS:-30} s"
if rust/fuzz/run.sh "${LEARNED_OS_FUZZ_SECONDS:-30}" >build/fuzz.log 2>&1; then
  tail -n 3 build/fuzz.log
  ok "fuzz parse_lmod: no crash in ${LEARNED_OS_FUZZ_SECONDS:-30} s"
else
  tail -n 30 build/fuzz.log
  bad "fuzz parse_lmod (crash or build failure: build/fuzz.log)"
fi

section "debug kernel, and learned_os.ko through clippy (CLIPPY=1, warnings denied)"
if mapfile -t guest < <("$here/build-guest.sh" --clippy debug) && [ "${#guest[@]}" = 2 ]; then
  ok "learned_os.ko builds with CLIPPY=1, no warnings"
else
  bad "learned_os.ko builds with CLIPPY=1, no warnings"
  finish
fi
qemu() { "$here/qemu-run.sh" --kernel "${guest[0]}" --initrd "${guest[1]}" "$@"; }

section "kselftests in QEMU on the debug kernel (KASAN, lockdep, kmemleak)"
extra=
[ -n "${TESTS:-}" ] && extra="lo.tests=$TESTS"
rm -f build/scratch.img
truncate -s 64M build/scratch.img
start=$(date +%s)
qemu --disk build/scratch.img --append "lo.kernel=debug lo.disk=1 $extra" --log build/kselftest.log --timeout "${LEARNED_OS_QEMU_TIMEOUT:-2400}"
qrc=$?
echo "check: guest finished with status $qrc after $(($(date +%s) - start)) s"
python3 "$here/ktap.py" build/kselftest.log --summary build/kselftest.summary
read -r p f s <build/kselftest.summary
passed=$((passed + p)) skipped=$((skipped + s))
if [ "$f" -gt 0 ]; then
  failed=$((failed + f))
  mapfile -t kfail < <(python3 "$here/ktap.py" build/kselftest.log | sed -n 's/^ktap: FAILED: /kselftest: /p')
  failures+=("${kfail[@]}")
elif [ "$qrc" != 0 ]; then
  bad "kselftest guest exited with status $qrc"
fi

section "harness self-test: a failing guest test and a hung guest must both fail the run"
qemu --quiet --append "lo.kernel=debug lo.tests=test_load.sh lo.inject=fail" \
  --log build/inject-fail.log --timeout 600 >/dev/null 2>&1
qrc=$?
verdict=$(python3 "$here/ktap.py" build/inject-fail.log)
if [ "$qrc" != 0 ] && grep -q '^FAIL test_injected_failure.sh: injected failure' <<<"$verdict"; then
  ok "an injected guest test failure fails the run and is named"
else
  bad "an injected guest test failure fails the run and is named (status $qrc)"
fi
qemu --quiet --append "lo.kernel=debug lo.tests=test_load.sh lo.inject=hang" \
  --log build/inject-hang.log --timeout 60 >/dev/null 2>&1
qrc=$?
if [ "$qrc" = 124 ]; then
  ok "a hung guest is killed at the timeout and fails the run"
else
  bad "a hung guest is killed at the timeout and fails the run (status $qrc)"
fi

finish
