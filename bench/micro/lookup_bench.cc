// Microbenchmark: zone selection and snapshot::lookup in the 100,000-name benchmark zone, over
// 4096 different names per kind so the caches see a realistic spread.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/micro/bench_zone.h"
#include "core/snapshot/zone_lookup.h"

namespace tidal::bench {
namespace {

constexpr uint32_t kNames = 100000;
constexpr size_t kDistinct = 4096;

std::vector<std::string> wire_names(const std::string& kind) {
    std::vector<std::string> out;
    for (const auto& name : query_names(ZoneLayout(kNames), kind, kDistinct)) {
        out.push_back(wire_name(name));
    }
    return out;
}

void BM_Lookup(benchmark::State& state, const char* kind) {
    const auto zone = zone_snapshot(kNames);
    const auto names = wire_names(kind);
    size_t i = 0;
    for (auto _ : state) {
        auto result = snapshot::lookup(*zone, names[i], false);
        benchmark::DoNotOptimize(result);
        i = (i + 1) % names.size();
    }
}
BENCHMARK_CAPTURE(BM_Lookup, positive, "positive");
BENCHMARK_CAPTURE(BM_Lookup, nxdomain, "nxdomain");
BENCHMARK_CAPTURE(BM_Lookup, wildcard, "wildcard");
BENCHMARK_CAPTURE(BM_Lookup, referral, "referral");

void BM_FindZone(benchmark::State& state) {
    const auto& zones = zone_set(kNames);
    const auto names = wire_names("positive");
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(zones.find_zone(names[i]));
        i = (i + 1) % names.size();
    }
}
BENCHMARK(BM_FindZone);

}  // namespace
}  // namespace tidal::bench
