# Thin wrapper over CMake: the README's two commands live here.
BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

FUZZ_SECONDS ?= 60

.PHONY: all deps build check check-asan fuzz demo install clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DAMI_RUN_WERROR=ON $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# install deps, build, run every test; then the same tests under ASan+UBSan.
check: deps
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) check-asan
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

check-asan:
	cmake -S . -B $(BUILD_ASAN) -DAMI_RUN_WERROR=ON -DAMI_RUN_SANITIZE=ON \
	      -DCMAKE_BUILD_TYPE=Debug $(CMAKE_FLAGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang), each for FUZZ_SECONDS; make check runs them for 60 s each.
fuzz:
	@scripts/fuzz

demo: deps
	$(MAKE) build
	@scripts/demo

install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) build-fuzz
