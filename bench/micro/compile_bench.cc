// Microbenchmark: compiling a whole zone into a snapshot, which tidald does today on every
// change to the zone; its cost bounds the commit → served latency (issue 6, point 3).
#include <benchmark/benchmark.h>

#include "bench/micro/bench_zone.h"
#include "core/snapshot/zone_compiler.h"

namespace tidal::bench {
namespace {

void BM_CompileZone(benchmark::State& state) {
    const auto contents = make_zone_contents(ZoneLayout(static_cast<uint32_t>(state.range(0))));
    for (auto _ : state) {
        auto compiled = snapshot::compile_zone(contents);
        benchmark::DoNotOptimize(compiled);
    }
    state.counters["records"] = static_cast<double>(contents.records.size());
}
BENCHMARK(BM_CompileZone)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tidal::bench
