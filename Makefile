# Thin wrapper over CMake: the README's two commands live here.
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

FUZZ_SECONDS ?= 60

VALGRIND ?= valgrind -q --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
            --error-exitcode=99 --log-file=$(CURDIR)/$(BUILD)/valgrind-%p.log

.PHONY: all deps build check check-asan check-valgrind lint fuzz bench demo install clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DAMI_RUN_WERROR=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# install deps, build, run every test; clang-tidy; the CLI tests under valgrind; every
# test but the slow ones (same code paths, minutes of guest time) again under
# ASan+UBSan; each fuzz target for FUZZ_SECONDS.  scripts/ctest-gate runs ctest and
# lists every skipped test or part; under CI=true any skip fails.
CTEST = scripts/ctest-gate

check: deps
	$(MAKE) build
	$(CTEST) $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) lint
	$(MAKE) check-valgrind
	$(MAKE) check-asan
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

# clang-tidy with the checked-in .clang-tidy: any finding fails.
lint: $(BUILD)/CMakeCache.txt
	@scripts/lint $(BUILD)

# The CLI tests once more, every ami-run under valgrind memcheck: no definite leaks.
check-valgrind: build
	AMI_RUN_WRAPPER="$(VALGRIND)" $(CTEST) $(BUILD) -L cli --output-on-failure -j $(JOBS)

check-asan:
	cmake -S . -B $(BUILD_ASAN) -DAMI_RUN_WERROR=ON -DAMI_RUN_SANITIZE=ON \
	      -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(CTEST) $(BUILD_ASAN) --output-on-failure -j $(JOBS) -LE slow

# libFuzzer targets (clang), each for FUZZ_SECONDS; make check runs them for 60 s each.
fuzz:
	@scripts/fuzz

# Benchmarks with ratios against raw QEMU and qemu-img; writes docs/performance.md.
bench: deps
	$(MAKE) build
	@bench/run.sh

demo: deps
	$(MAKE) build
	@scripts/demo

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz
