# schemaport: the commands a developer and CI use. See README.md.
#   make build   release build; binaries in build/bin/
#   make test    install what is missing, build, run every test (release), then the unit and
#                integration tests again under AddressSanitizer + UBSan
#   make bench   benchmarks; results go to docs/BENCHMARKS.md by hand, with the machine
#   make demo    install what is missing, build, and run `schemaport demo` (DEMO_ARGS=--fresh etc.)
#   make format / make lint

JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
LAUNCHER := $(if $(shell command -v ccache),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache,)

.PHONY: all deps build build-debug build-asan test test-release test-asan bench demo format lint clean

all: build

deps:
	@scripts/install-deps

build/build.ninja:
	cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release $(LAUNCHER) $(CMAKE_FLAGS)

build-debug/build.ninja:
	cmake -S . -B build-debug -G Ninja -DCMAKE_BUILD_TYPE=Debug $(LAUNCHER) $(CMAKE_FLAGS)

build-asan/build.ninja:
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Asan -DSCHEMAPORT_SANITIZE=ON \
	  -DSCHEMAPORT_BUILD_BENCH=OFF $(LAUNCHER) $(CMAKE_FLAGS)

build: build/build.ninja
	cmake --build build -j $(JOBS)

build-debug: build-debug/build.ninja
	cmake --build build-debug -j $(JOBS)

build-asan: build-asan/build.ninja
	cmake --build build-asan -j $(JOBS)

test: deps
	@scripts/run-tests

test-release: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

test-asan: build-asan
	ctest --test-dir build-asan --output-on-failure -j $(JOBS) -L 'unit|integration'

bench: deps build
	@scripts/run-bench

# The portal with a sample warehouse; Ctrl-C stops everything it started.
demo: deps build/build.ninja
	cmake --build build -j $(JOBS) --target schemaport aws-emulator
	@build/bin/schemaport demo $(DEMO_ARGS)

format:
	git ls-files '*.cc' '*.h' | xargs clang-format -i

lint:
	git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror
	@changed=$$(git diff --name-only --diff-filter=AM HEAD -- '*.cc'); \
	if [ -n "$$changed" ] && [ -f build/compile_commands.json ]; then \
	  clang-tidy -p build --quiet --extra-arg=-Wno-unknown-warning-option $$changed; \
	fi

clean:
	rm -rf build build-debug build-asan
