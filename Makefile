# Tidal: make run | make test | make bench. `make deps` installs what is missing (Debian packages).
BUILD      ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
DEB_BUILD  ?= build-deb
FUZZ_SECONDS ?= 300
FUZZ_SCRATCH ?= /tmp/tidal-fuzz
JOBS       ?= $(shell nproc)

# Everything the build, the tests and `make run` need, as Debian 12 packages.
DEB_PACKAGES := build-essential cmake pkg-config clang-format \
  libldns-dev ldnsutils libuv1-dev libsqlite3-dev sqlite3 libspdlog-dev libfmt-dev \
  libyaml-cpp-dev libcli11-dev libsystemd-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev \
  bind9 bind9-dnsutils knot-dnsutils knot-dnssecutils knot python3 procps iproute2 \
  clang libclang-rt-14-dev llvm-14 systemd man-db
# clang + libclang-rt-14-dev: libFuzzer and the sanitizers for the fuzz build (fuzz/README.md);
# llvm-14: llvm-symbolizer, for readable stacks in crash reports. systemd: systemd-analyze,
# systemd-sysusers and systemd-tmpfiles for the unit tests of systemd/ (a minimal Debian image has
# none of them); man-db: `man`, to check the man pages render.

.PHONY: all deps build test run stop format format-check clean fuzz fuzz-build deb

all: build

deps:
	@scripts/install-deps.sh $(DEB_PACKAGES)

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DTIDAL_TESTS=OFF
	cmake --build $(BUILD) -j $(JOBS)

# Debug build with AddressSanitizer + UndefinedBehaviorSanitizer; every test through ctest,
# the fuzz targets' corpus replay and short runs included (fuzz/ctest.cmake).
test: deps fuzz-build
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTIDAL_SANITIZE=ON -DTIDAL_TESTS=ON \
	  -DTIDAL_FUZZ_BUILD_DIR=$(abspath $(FUZZ_BUILD))
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure --timeout 900 -j $(JOBS)

# Side-by-side benchmarks against Knot DNS and NSD, plus the microbenchmarks (bench/,
# docs/benchmarks.md). Never part of `make test`. Knobs: BENCH_RUNS, BENCH_SECONDS, ... (bench.py).
.PHONY: bench
bench: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DTIDAL_TESTS=OFF -DTIDAL_BENCH=ON
	cmake --build $(BUILD) -j $(JOBS)
	bench/run.sh $(BUILD)

# The Debian package (CPack, cmake/packaging.cmake): $(DEB_BUILD)/tidal_<version>_<arch>.deb,
# for `apt install ./tidal_*.deb` on the hosts (docs/deploy.md).
deb: deps
	cmake -S . -B $(DEB_BUILD) -DCMAKE_BUILD_TYPE=Release -DTIDAL_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr
	cmake --build $(DEB_BUILD) -j $(JOBS)
	cd $(DEB_BUILD) && cpack -G DEB

# Soak (issue 7 point 5): dnsperf at full rate for SOAK_MINUTES against a primary and a
# secondary while edits flow (bench/soak.py, docs/benchmarks.md); never part of `make test`.
SOAK_MINUTES ?= 10
.PHONY: soak
soak: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DTIDAL_TESTS=OFF
	cmake --build $(BUILD) -j $(JOBS) --target tidald tidalctl tidal-sync
	@scripts/install-deps.sh dnsperf
	bench/soak.py --build $(BUILD) --minutes $(SOAK_MINUTES)

# libFuzzer targets (fuzz/): clang with ASan + UBSan in their own build directory.
fuzz-build: deps
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDAL_FUZZ=ON -DTIDAL_TESTS=OFF \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

# Every fuzz target for FUZZ_SECONDS each; new inputs, crashes and logs in FUZZ_SCRATCH.
fuzz: fuzz-build
	fuzz/run_fuzz.py fuzz --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS) --scratch $(FUZZ_SCRATCH)

# A local server on loopback with the zones in zones/ (see README for the port).
run: build
	@scripts/run-local.sh $(BUILD)

stop:
	@scripts/run-local.sh --stop

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD) $(DEB_BUILD)
