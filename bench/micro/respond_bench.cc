// Microbenchmark: Responder::respond end to end (parse, zone selection, lookup, answer
// building, compression, writing) for each kind of answer in the bench mix, 100,000-name zone.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench/micro/bench_zone.h"
#include "core/dns/constants.h"
#include "core/query/responder.h"

namespace tidal::bench {
namespace {

constexpr uint32_t kNames = 100000;
constexpr size_t kDistinct = 4096;

void BM_Respond(benchmark::State& state, const char* kind, uint16_t type, bool edns) {
    const auto& zones = zone_set(kNames);
    std::vector<std::vector<uint8_t>> queries;
    for (const auto& name : query_names(ZoneLayout(kNames), kind, kDistinct)) {
        queries.push_back(make_query(name, type, edns));
    }
    query::Responder responder(query::ResponderOptions{1232});
    std::vector<uint8_t> out(65535);
    size_t i = 0;
    size_t bytes = 0;
    for (auto _ : state) {
        const auto& q = queries[i];
        const size_t n = responder.respond(q.data(), q.size(), out.data(), out.size(), zones,
                                           query::Transport::Udp);
        benchmark::DoNotOptimize(n);
        bytes += n;
        i = (i + 1) % queries.size();
    }
    state.counters["response_bytes"] =
        benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kAvgIterations);
}
BENCHMARK_CAPTURE(BM_Respond, positive_A, "positive", dns::rrtype::A, false);
BENCHMARK_CAPTURE(BM_Respond, positive_A_edns, "positive", dns::rrtype::A, true);
BENCHMARK_CAPTURE(BM_Respond, nxdomain, "nxdomain", dns::rrtype::A, false);
BENCHMARK_CAPTURE(BM_Respond, nodata_MX, "nodata", dns::rrtype::MX, false);
BENCHMARK_CAPTURE(BM_Respond, wildcard, "wildcard", dns::rrtype::A, false);
BENCHMARK_CAPTURE(BM_Respond, cname, "cname", dns::rrtype::A, false);
BENCHMARK_CAPTURE(BM_Respond, referral, "referral", dns::rrtype::A, false);

}  // namespace
}  // namespace tidal::bench
