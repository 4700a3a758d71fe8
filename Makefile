# learned_os: top-level entry points. See README.md.
#
#   make                 build learned_os.ko against the plain kernel (or KDIR=/path)
#   make kernel          build the plain and debug kernels (cached)
#   make check           every test: host and kselftests in QEMU on the debug kernel
#   make ktest           only the kselftests (TESTS=test_a.sh,test_b.sh VARIANT=debug|plain)
#   make demo            boot the plain kernel, load the module, show its sysfs tree
#   make bench-evict     learned vs stock page eviction on file-read workloads in QEMU
#                        (MIB=32 WORK=scan,loop,zipf,lru,replay; see scripts/bench-evict.sh)
#   make qemu            an interactive guest (VARIANT=plain|debug)
#   make clean           remove build outputs (the kernel cache stays: make distclean)

SHELL := /bin/bash
VARIANT ?= plain
KDIR ?=

.PHONY: all module kernel setup check ktest demo bench-evict eval-evict peers-evict bench-sizer bench-vindex bench-sched qemu clean distclean

all: module

module:
	@scripts/build-module.sh $(if $(KDIR),$(KDIR),$(VARIANT))

kernel:
	@scripts/build-kernel.sh plain
	@scripts/build-kernel.sh debug

setup:
	@scripts/setup.sh

check:
	@TESTS="$(TESTS)" scripts/check.sh

ktest:
	@scripts/ktest.sh $(if $(filter plain,$(VARIANT)),plain,debug) "$(TESTS)"

demo:
	@scripts/demo.sh

bench-evict:
	@scripts/bench-evict.sh

eval-evict:
	@scripts/eval-evict.sh

peers-evict:
	@scripts/peers-evict.sh

bench-sizer:
	@scripts/bench-sizer.sh

bench-vindex:
	@scripts/bench-vindex.sh

bench-sched:
	@scripts/bench-sched.sh

qemu:
	@mapfile -t g < <(scripts/build-guest.sh $(VARIANT)) && \
		scripts/qemu-run.sh --kernel "$${g[0]}" --initrd "$${g[1]}" --mode shell

clean:
	rm -rf build rust/target

distclean: clean
	rm -rf "$${LEARNED_OS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/learned_os}"
