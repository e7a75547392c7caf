// Microbenchmark: parse_query on typical queries, with and without an EDNS OPT record.
#include <benchmark/benchmark.h>

#include "bench/micro/bench_zone.h"
#include "core/dns/constants.h"
#include "core/query/query_parser.h"

namespace tidal::bench {
namespace {

void BM_ParseQuery(benchmark::State& state, bool edns) {
    const auto packet = make_query("h0012345.bench.test.", dns::rrtype::A, edns);
    query::ParsedQuery parsed;
    for (auto _ : state) {
        auto status = query::parse_query(packet.data(), packet.size(), parsed);
        benchmark::DoNotOptimize(status);
        benchmark::DoNotOptimize(parsed);
    }
}
BENCHMARK_CAPTURE(BM_ParseQuery, no_edns, false);
BENCHMARK_CAPTURE(BM_ParseQuery, edns, true);

}  // namespace
}  // namespace tidal::bench
