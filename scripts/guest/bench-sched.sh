#!/bin/sh
# The guest half of `make bench-sched` (filled in by scripts/bench-sched.sh's issue work).
echo "bench-sched: not implemented yet"
exit 1
