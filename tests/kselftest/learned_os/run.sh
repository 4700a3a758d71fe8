#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest-style runner: each test's KTAP output nested under "# ", one top-level result per
# test (exit 0 pass, 4 skip, anything else fail; a test over its time limit is killed).
# Kernel command line: lo.tests=a.sh,b.sh runs a subset; lo.inject=fail adds a failing test
# (to prove the harness catches failures).
cd "$(dirname "$0")" || exit 1

TESTS="test_env.sh test_load.sh test_knobs.sh test_limits.sh test_privilege.sh test_models.sh test_evict.sh test_evict_scope.sh test_sizer.sh test_vindex.sh test_sched.sh test_concurrent.sh test_cycles.sh test_dmesg.sh"
TIMEOUT=${LEARNED_OS_TEST_TIMEOUT:-600}
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lo.tests=*) TESTS=$(echo "${arg#lo.tests=}" | tr , ' ') ;;
	lo.inject=fail)
		cat >/tmp/test_injected_failure.sh <<'EOT'
#!/bin/sh
echo "KTAP version 1"
echo "1..1"
echo "not ok 1 injected failure (lo.inject=fail)"
exit 1
EOT
		chmod +x /tmp/test_injected_failure.sh
		TESTS="/tmp/test_injected_failure.sh $TESTS" ;;
	esac
done

echo "KTAP version 1"
echo "1..$(echo $TESTS | wc -w)"
n=0
failed=0
for t in $TESTS; do
	n=$((n + 1))
	name=$(basename "$t")
	case "$t" in /*) path=$t ;; *) path=./$t ;; esac
	echo "# selftests: learned_os: $name"
	rm -f /tmp/rc
	t0=$(date +%s)
	{ timeout -s KILL "$TIMEOUT" "$path" 2>&1; echo $? >/tmp/rc; } | sed 's/^/# /'
	rc=$(cat /tmp/rc)
	echo "# # $name: $(($(date +%s) - t0)) s"
	case "$rc" in
	0) echo "ok $n selftests: learned_os: $name" ;;
	4) echo "ok $n selftests: learned_os: $name # SKIP" ;;
	137 | 124) echo "not ok $n selftests: learned_os: $name # TIMEOUT ${TIMEOUT}s"; failed=1 ;;
	*) echo "not ok $n selftests: learned_os: $name # exit=$rc"; failed=1 ;;
	esac
done
exit $failed
