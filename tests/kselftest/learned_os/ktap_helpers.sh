#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# KTAP output for learned_os kselftests (POSIX sh: runs under busybox in the guest).
# A test sets its plan up front; ktap_finished exits 1 on any failure, 4 (kselftest's
# "skip") when everything was skipped, 0 otherwise.

KTAP_TESTNO=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

ktap_print_header() { echo "KTAP version 1"; }
ktap_set_plan() { echo "1..$1"; }
ktap_print_msg() { echo "# $*"; }

ktap_test_pass() {
	KTAP_TESTNO=$((KTAP_TESTNO + 1)); KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_TESTNO $*"
}
ktap_test_fail() {
	KTAP_TESTNO=$((KTAP_TESTNO + 1)); KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_TESTNO $*"
}
# ktap_test_skip DESCRIPTION REASON
ktap_test_skip() {
	KTAP_TESTNO=$((KTAP_TESTNO + 1)); KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_TESTNO $1 # SKIP $2"
}
# ktap_check DESCRIPTION COMMAND...: one result from a command's exit status.
ktap_check() {
	desc=$1; shift
	if "$@"; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi
}
ktap_finished() {
	ktap_print_msg "totals: pass:$KTAP_PASS fail:$KTAP_FAIL skip:$KTAP_SKIP"
	if [ "$KTAP_FAIL" -gt 0 ]; then exit 1; fi
	if [ "$KTAP_PASS" -eq 0 ] && [ "$KTAP_SKIP" -gt 0 ]; then exit 4; fi
	exit 0
}
