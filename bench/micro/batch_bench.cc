// Microbenchmark: answering a batch of 32 UDP queries with cold caches, with and without the
// LookupPrefetch passes that tidald's UDP path makes before answering a batch. Before each batch
// 1 MiB is written, as the kernel's packet work between two batches evicts the caches.
#include <benchmark/benchmark.h>

#include <array>
#include <vector>

#include "bench/micro/bench_zone.h"
#include "core/dns/constants.h"
#include "core/query/lookup_prefetch.h"
#include "core/query/responder.h"

namespace tidal::bench {
namespace {

constexpr uint32_t kNames = 100000;
constexpr size_t kDistinct = 32768;
constexpr size_t kBatch = 32;

void BM_RespondBatchCold(benchmark::State& state) {
    const bool prefetch = state.range(0) != 0;
    const auto& zones = zone_set(kNames);
    std::vector<std::vector<uint8_t>> queries;
    for (const auto& name : query_names(ZoneLayout(kNames), "positive", kDistinct)) {
        queries.push_back(make_query(name, dns::rrtype::A, false));
    }
    query::Responder responder(query::ResponderOptions{1232});
    std::vector<uint8_t> out(65535);
    std::vector<char> evict(size_t(1) << 20);
    std::array<query::LookupPrefetch, kBatch> hints;
    size_t next = 0;
    for (auto _ : state) {
        state.PauseTiming();
        for (size_t i = 0; i < evict.size(); i += 64) {
            evict[i] = char(evict[i] + 1);
        }
        benchmark::ClobberMemory();
        state.ResumeTiming();
        const size_t first = next;
        if (prefetch) {
            for (size_t b = 0; b < kBatch; ++b) {
                const auto& q = queries[(first + b) % queries.size()];
                hints[b].start(zones, q.data(), q.size());
            }
            for (auto& hint : hints) {
                hint.node();
            }
            for (const auto& hint : hints) {
                hint.name();
            }
        }
        for (size_t b = 0; b < kBatch; ++b) {
            const auto& q = queries[(first + b) % queries.size()];
            benchmark::DoNotOptimize(responder.respond(q.data(), q.size(), out.data(), out.size(),
                                                       zones, query::Transport::Udp));
        }
        next = (first + kBatch) % queries.size();
    }
    state.counters["per_query"] =
        benchmark::Counter(double(state.iterations() * kBatch),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RespondBatchCold)->Arg(0)->Arg(1);

}  // namespace
}  // namespace tidal::bench
