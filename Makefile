# Entry points for people and CI (.ci/run runs `make test`). The build itself is CMake with the
# presets in CMakePresets.json; this file only strings the steps together.
#
#   make deps     install the Debian packages (scripts/install-deps.sh; no network when all present)
#   make build    configure and build the dev preset (build/dev)
#   make test     dev + asan-ubsan + tsan builds and their ctest runs, the package tests (an installed
#                 tree, and the .deb), a bounded fuzzing slice (FUZZ_CI_SECONDS per target) and the
#                 model check
#   make package  the Debian package build/package/shmslot_<version>_<arch>.deb (package preset, CPack)
#   make demo     build and run examples/demo (DEMO_PRESET=dev|release, DEMO_ARGS=...)
#   make bench    build and run bench/ (bench preset) and the peers (bench/peers/run.sh), JSON in
#                 build/bench-results/, then regenerate docs/benchmarks.md and docs/img/*.png
#                 (BENCH_*_ARGS=... to run longer)
#   make bench-python  the shmslot Python module beside Python's multiprocessing tools: bench/python/,
#                 JSON in build/bench-results/python.json (BENCH_PYTHON_ARGS=...)
#   make format   clang-format -i over include/ src/ tests/ examples/
#   make model    model-check the slot protocol with spin (docs/model/check.sh)
#   make fuzz     libFuzzer targets (fuzz/, clang-14), each run FUZZ_SECONDS (default 300)
#   make fuzz-smoke  the same, 20 s per target
#   make chaos    random-kill harness (tests/chaos/): CHAOS_KILLS kills (10 000), no violation allowed
#   make clean    remove build/

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

JOBS ?= 2
CTEST_TIMEOUT ?= 300
# --no-tests=error: a tier filter that matches nothing is a failure, not a silent pass.
CTEST_ARGS ?= --output-on-failure --timeout $(CTEST_TIMEOUT) -j$(JOBS) --no-tests=error
DEMO_PRESET ?= dev
DEMO_ARGS ?=
TEST_STAGES := test-dev test-asan-ubsan test-tsan test-package test-deb test-bench-python test-fuzz test-model

# Prerequisite of every build; scripts/test-all.sh sets it empty for its sub-makes, since `make
# test` has already run it once.
DEPS ?= deps

# gcc-12's ThreadSanitizer cannot map its shadow memory when the kernel randomises more than 28
# bits of mmap addresses (vm.mmap_rnd_bits, raised by newer kernels); the tsan tests then run with
# address randomisation off (the personality is inherited by the processes started under it: the
# test discovery that runs at build time and the tests ctest starts).
TSAN_WRAP = $(shell [ "$$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)" -gt 28 ] && echo "setarch $$(uname -m) -R")

# `make -n test` lists each stage's commands (scripts/test-all.sh runs them with -n) and runs nothing.
DRY_RUN = $(if $(findstring n,$(firstword -$(MAKEFLAGS))),--dry-run)

# $(call configure,PRESET): `cmake --preset PRESET`, after removing a build/PRESET whose cache was
# made in another directory (a copied tree, or build files that reached a commit), which cmake
# would refuse to reuse.
define configure
	@cache=build/$(1)/CMakeCache.txt; \
	if [[ -f $$cache ]] && ! grep -qxF "CMAKE_CACHEFILE_DIR:INTERNAL=$(CURDIR)/build/$(1)" $$cache; then \
	  echo "build/$(1) was configured in another directory: removing it"; rm -rf build/$(1); \
	fi
	cmake --preset $(1)
endef

.PHONY: deps build test $(TEST_STAGES) package demo bench bench-python clean format fuzz fuzz-smoke model

deps:
	scripts/install-deps.sh

build: $(DEPS)
	$(call configure,dev)
	cmake --build --preset dev -j$(JOBS)

test: deps
	+@MAKE='$(MAKE)' scripts/test-all.sh $(DRY_RUN) $(TEST_STAGES)

test-dev test-asan-ubsan: test-%: $(DEPS)
	$(call configure,$*)
	cmake --build --preset $* -j$(JOBS)
	ctest --preset $* $(CTEST_ARGS)

# The tsan test preset keeps the threaded tiers only (unit|conformance|typed|posix|c_api).
test-tsan: $(DEPS)
	$(call configure,tsan)
	$(TSAN_WRAP) cmake --build --preset tsan -j$(JOBS)
	$(TSAN_WRAP) ctest --preset tsan $(CTEST_ARGS)

test-package: build
	bash tests/package/run.sh build/dev

# The .deb (cmake/ShmslotPackage.cmake): a release build of the shared library and the tool,
# installed under /usr by CPack. A stale .deb of another version would be a second candidate.
package: $(DEPS)
	$(call configure,package)
	cmake --build --preset package -j$(JOBS)
	rm -f build/package/shmslot_*.deb
	cpack --preset package

# The .deb unpacked into a temporary root, and under CI=true as root also installed and purged.
test-deb: package
	bash tests/package/deb.sh build/package

# The demo's binary lands in build/PRESET/examples/ (or examples/demo/ if it gets its own CMakeLists).
demo: $(DEPS)
	$(call configure,$(DEMO_PRESET))
	cmake --build --preset $(DEMO_PRESET) -j$(JOBS) --target shmslot_demo
	@demo=$$(find build/$(DEMO_PRESET)/examples -name shmslot_demo -type f -perm -u+x | head -1); \
	[[ -n "$$demo" ]] || { echo "no shmslot_demo under build/$(DEMO_PRESET)/examples" >&2; exit 1; }; \
	echo "$$demo $(DEMO_ARGS)"; "$$demo" $(DEMO_ARGS)

# Defaults keep the whole target under 10 minutes on 2 vCPUs (half of it the build, the peers' headers
# included). Longer runs, e.g.
#   make bench BENCH_PINGPONG_ARGS='--repetitions 10 --roundtrips 100000 --max-seconds 5'
BENCH_OUT ?= build/bench-results
BENCH_PINGPONG_ARGS ?= --repetitions 3
BENCH_STREAM_ARGS ?= --repetitions 3 --seconds 0.5
# About 20 s: the single-word variant waits out most of its 1 ms poll interval per wake-up.
BENCH_WAITSET_ARGS ?= --repetitions 3
BENCH_OPS_ARGS ?= --benchmark_min_time=0.1 --benchmark_repetitions=3
# Given to every peer program by bench/peers/run.sh (see their --help).
# Five short repetitions: the ratios against the peers are medians of repetition pairs (docs/benchmarks.md).
BENCH_PEERS_ARGS ?= --repetitions 5 --max-seconds 0.3 --stream-repetitions 3 --stream-seconds 0.5
BENCH_BIN = build/bench/bench

# The peers' Debian packages (bench/peers/, built because the bench preset sets SHMSLOT_BENCH_PEERS):
#   iceoryx                  iox-roudi, the daemon of iceoryx and of Cyclone DDS's shared memory
#   libiceoryx-posh-dev      iceoryx 2.0's publish/subscribe C++ API
#   libiceoryx-hoofs-dev     its base library, included by those headers
#   cyclonedds-dev           Cyclone DDS 0.10's C API
#   cyclonedds-tools         idlc, which compiles bench/peers/bench_payload.idl
#   libfastrtps-dev          Fast DDS 2.9
#   libfastcdr-dev           Fast CDR, included by Fast DDS's headers
# Should they fail to install, the build leaves those peers out and the report says so.
BENCH_PEER_PACKAGES := iceoryx libiceoryx-posh-dev libiceoryx-hoofs-dev cyclonedds-dev cyclonedds-tools \
  libfastrtps-dev libfastcdr-dev

# gnuplot-nox draws the plots; bench/report.py needs only python3's standard library; valgrind's
# callgrind counts the instructions per sample (bench/count_instructions.sh).
bench:
	scripts/install-deps.sh gnuplot-nox python3 valgrind
	scripts/install-deps.sh $(BENCH_PEER_PACKAGES) || echo "bench: the peers' packages did not install; those peers are reported as not built"
	$(call configure,bench)
	cmake --build --preset bench -j$(JOBS)
	mkdir -p $(BENCH_OUT)
	$(BENCH_BIN)/shmslot_bench_pingpong $(BENCH_PINGPONG_ARGS) --json $(BENCH_OUT)/pingpong.json \
	  | tee $(BENCH_OUT)/pingpong.txt
	$(BENCH_BIN)/shmslot_bench_stream $(BENCH_STREAM_ARGS) --json $(BENCH_OUT)/stream.json | tee $(BENCH_OUT)/stream.txt
	$(BENCH_BIN)/shmslot_bench_waitset $(BENCH_WAITSET_ARGS) --json $(BENCH_OUT)/waitset.json \
	  | tee $(BENCH_OUT)/waitset.txt
	@echo "$(BENCH_BIN)/shmslot_bench_ops --benchmark_format=json $(BENCH_OPS_ARGS) > $(BENCH_OUT)/ops.json"
	@$(BENCH_BIN)/shmslot_bench_ops --benchmark_format=json $(BENCH_OPS_ARGS) > $(BENCH_OUT)/ops.json
	bench/peers/run.sh $(BENCH_BIN)/peers $(BENCH_OUT) $(BENCH_PEERS_ARGS)
	bench/count_instructions.sh $(BENCH_BIN) $(BENCH_OUT)/instructions.json
	python3 bench/report.py --results $(BENCH_OUT) --docs docs

# Python's own tools (bench/python/) and the shmslot module: Debian's interpreter, never the first
# python3 on PATH; -B keeps __pycache__ out of the source tree. Not part of make test, which runs
# test-bench-python instead. Its figures replace the Python section of docs/benchmarks.md (the
# rest of the page is make bench's). The module is built alone (no tests or tools) in the release tree for
# the figures, in the dev tree (which make test has built already) for the test.
PYTHON := /usr/bin/python3 -B
BENCH_PYTHON_ARGS ?= --repetitions 5
BENCH_PYTHON_TRANSPORTS := mp.Queue,mp.Pipe,mp.shared_memory,shmslot

# $(call python_module,PRESET): the Python module alone, importable with PYTHONPATH=build/PRESET/python.
define python_module
	$(call configure,$(1))
	cmake --build --preset $(1) -j$(JOBS) --target shmslot_python
endef

bench-python: $(DEPS)
	$(call python_module,release)
	mkdir -p $(BENCH_OUT)
	PYTHONPATH=build/release/python $(PYTHON) bench/python/bench.py --transports $(BENCH_PYTHON_TRANSPORTS) \
	  $(BENCH_PYTHON_ARGS) --json $(BENCH_OUT)/python.json | tee $(BENCH_OUT)/python.txt
	$(PYTHON) bench/report.py --results $(BENCH_OUT) --docs docs --only python

# make test's slice of it, so it does not rot: the unit tests of its ratios and sample checks, then
# every transport at every size (shmslot named, so a module that fails to import fails the run),
# briefly, ratios against the shmslot module. Fails on a lost, reordered or torn sample, or a hung run.
test-bench-python: $(DEPS)
	$(call python_module,dev)
	cd bench/python && $(PYTHON) -m unittest -v test_ratios
	PYTHONPATH=build/dev/python $(PYTHON) bench/python/bench.py --transports $(BENCH_PYTHON_TRANSPORTS) \
	  --repetitions 1 --seconds 0.05 --stream-warmup 0.02 --roundtrips 50 --warmup 5 --max-seconds 0.05

format:
	scripts/install-deps.sh clang-format
	find include src tests examples -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 \
	  | xargs -0 -r clang-format -i

# libFuzzer targets, built with clang-14 by fuzz/build.sh into build/fuzz/ (not part of the CMake
# build); fuzz/run.sh runs one on a copy of its corpus, findings in build/fuzz/findings/. Every
# target runs even when an earlier one reports a finding; the target fails if any did.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := fuzz_attach fuzz_flink fuzz_locator

# test-fuzz is the slice `make test` runs: every target for FUZZ_CI_SECONDS.
FUZZ_CI_SECONDS ?= 60

fuzz fuzz-smoke test-fuzz:
	scripts/install-deps.sh clang-14 libclang-rt-14-dev
	fuzz/build.sh
	@failed=0; for t in $(FUZZ_TARGETS); do \
	  fuzz/run.sh $$t $(if $(filter fuzz-smoke,$@),20,$(if $(filter test-fuzz,$@),$(FUZZ_CI_SECONDS),$(FUZZ_SECONDS))) \
	    || failed=1; \
	done; exit $$failed

# The Promela model of the slot protocol (docs/model/README.md): spin's exhaustive safety search,
# then its self-test (each BUG_* switch must be caught). About 20 s.
model test-model:
	scripts/install-deps.sh spin
	docs/model/check.sh

# The random-kill harness (tests/chaos/, docs/reliability.md) in its own optimised build, build/chaos.
# Every violation fails the run. CHAOS_KNOWN_DEFECTS=<invariants> reports those as known defects
# instead (for bisecting). E.g. make chaos CHAOS_KILLS=50000 CHAOS_ARGS='--seed 7'
CHAOS_KILLS ?= 10000
CHAOS_KNOWN_DEFECTS ?=
CHAOS_ARGS ?=

.PHONY: chaos
chaos: $(DEPS)
	cmake -S . -B build/chaos -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHMSLOT_WERROR=ON
	cmake --build build/chaos -j$(JOBS) --target shmslot_chaos
	build/chaos/tests/chaos/shmslot_chaos --kills $(CHAOS_KILLS) \
	  $(if $(CHAOS_KNOWN_DEFECTS),--known-defect $(CHAOS_KNOWN_DEFECTS)) $(CHAOS_ARGS)

clean:
	rm -rf build/
