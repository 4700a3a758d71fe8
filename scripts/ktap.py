#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse the KTAP output of a learned_os kselftest run (a serial console log) on the host.

Each test script's own results (nested under "# ") are the leaves that get counted; the
top-level result of every script must agree with them. A run is failed when any leaf or
script fails, when a plan is not met (a script crashed or was killed, the guest hung), or
when no result was produced at all.

Usage: ktap.py LOG [--summary FILE]
Prints one line per leaf, failures named, then "ktap: P passed, F failed, S skipped".
--summary FILE writes "P F S" for scripts/check.sh. Exit status 1 when anything failed.
"""

import re
import sys

RESULT = re.compile(r"^(not ok|ok) (\d+)(?: (.*?))?(?:\s+#\s*(SKIP|TODO|TIMEOUT|exit=\S+)(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)$")


class Script:
    def __init__(self, name):
        self.name = name
        self.plan = None
        self.leaves = []  # (ok, number, description, directive)

    def parse_line(self, line):
        m = PLAN.match(line)
        if m:
            self.plan = int(m.group(1))
            return
        m = RESULT.match(line)
        if m:
            self.leaves.append((m.group(1) == "ok", int(m.group(2)), m.group(3) or "", m.group(4)))


def parse(text):
    """Returns (top_plan, [(script, ok, directive)], problems)."""
    lines = text.splitlines()
    # The top-level header is the first one that is not nested.
    start = next((i for i, l in enumerate(lines) if l in ("KTAP version 1", "TAP version 13")), None)
    if start is None:
        return None, [], ["no KTAP output found (the guest did not run the tests)"]
    top_plan = None
    scripts = []
    current = None
    for raw in lines[start + 1 :]:
        line = raw.rstrip("\r")
        if line.startswith("# selftests: "):
            current = Script(line.split(": ")[-1])
            continue
        if line.startswith("# "):
            if current is not None:
                current.parse_line(line[2:])
            continue
        m = PLAN.match(line)
        if m and top_plan is None:
            top_plan = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m:
            name = (m.group(3) or "").split(": ")[-1]
            if current is None or current.name != name:
                current = Script(name)
            scripts.append((current, m.group(1) == "ok", m.group(4)))
            current = None
    problems = []
    if current is not None:
        done = len(current.leaves)
        problems.append(f"{current.name}: started but never finished, after {done} result(s) "
                        "(hung, or the guest died)")
    return top_plan, scripts, problems


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        text = f.read()
    summary = argv[argv.index("--summary") + 1] if "--summary" in argv else None

    top_plan, scripts, problems = parse(text)
    passed = skipped = 0
    failures = list(problems)
    for script, ok, directive in scripts:
        for leaf_ok, num, desc, leaf_dir in script.leaves:
            label = f"{script.name}: {desc}"
            if leaf_dir == "SKIP":
                skipped += 1
                print(f"SKIP {label}")
            elif leaf_ok:
                passed += 1
                print(f"ok   {label}")
            else:
                failures.append(label)
                print(f"FAIL {label}")
        if script.plan is None and directive != "SKIP":
            failures.append(f"{script.name}: no plan (the script did not start properly)")
        elif script.plan is not None and script.plan != len(script.leaves):
            failures.append(f"{script.name}: planned {script.plan} results, got {len(script.leaves)}")
        leaf_failed = any(not l[0] for l in script.leaves)
        if not ok and not leaf_failed:
            failures.append(f"{script.name}: failed ({directive or 'no reason given'})")
        if ok and leaf_failed:
            failures.append(f"{script.name}: reported ok despite failing results")
    if top_plan is None and not problems:
        failures.append("no top-level plan")
    elif top_plan is not None and top_plan != len(scripts):
        failures.append(f"run incomplete: planned {top_plan} test scripts, {len(scripts)} reported")
    if passed + skipped == 0 and not failures:
        failures.append("no test results at all")

    # Every failure counts once: failed leaves, and failures no leaf shows (crash, hang, plan).
    failed = len(failures)
    for f in failures:
        print(f"ktap: FAILED: {f}")
    print(f"ktap: {passed} passed, {failed} failed, {skipped} skipped")
    if summary:
        with open(summary, "w", encoding="utf-8") as f:
            f.write(f"{passed} {failed} {skipped}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
