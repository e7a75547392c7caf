#!/usr/bin/env bash
# make bench: installs what the benchmark needs, then runs bench/bench.py against a Release build.
#
#   bench/run.sh [BUILD_DIR]      default BUILD_DIR: build/ at the repository root
#
# Knobs are environment variables (BENCH_RUNS, BENCH_SECONDS, ...; see bench/bench.py --help and
# docs/benchmarks.md). Results go to bench/results/<date-time>/ (bench/results/latest links there).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build}

# Package services (knot, nsd) are kept from starting by install-deps.sh; the bench starts its
# own instances on loopback ports.
"$repo/scripts/install-deps.sh" dnsperf nsd knot gnuplot-nox libbenchmark-dev util-linux
if ! "$repo/scripts/install-deps.sh" linux-perf; then
    echo "bench: linux-perf could not be installed; the profile of tidald is skipped" >&2
fi

[[ -x "$build/server/tidald" && -x "$build/tools/tidalctl" ]] ||
    { echo "bench: no tidald/tidalctl in $build (make bench builds them)" >&2; exit 1; }

exec /usr/bin/python3 "$repo/bench/bench.py" --build "$build"
