// Microbenchmarks of the store's write paths that a propagated change passes through (issue 6,
// point 4): the editor's one-record commit on the primary (apply_change) and its IXFR applied
// on a secondary (apply_ixfr, with the replication state in the same transaction). Both on a
// file in a temporary directory with CommitSync::Normal, so they measure CPU, not the disk's
// fsync (which `transfer-sync: full` and every primary commit add on top).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench/micro/bench_zone.h"
#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/zone_store.h"
#include "core/zone/soa_rdata.h"

namespace tidal::bench {
namespace {

// A store in a fresh temporary directory holding the 1,000-name benchmark zone; removed when
// the benchmark ends.
class ScratchStore {
  public:
    ScratchStore() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tidal-store-bench-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) {
            std::abort();
        }
        dir_ = pattern;
        auto opened = store::ZoneStore::open(dir_ + "/tidal.db", store::ZoneStore::Mode::ReadWrite);
        if (!opened || !opened.value()->set_commit_sync(store::ZoneStore::CommitSync::Normal)) {
            std::abort();
        }
        store_ = std::move(opened.value());
        contents_ = make_zone_contents(ZoneLayout(1000));
        if (!store_->create_zone(contents_.info.name, contents_.records)) {
            std::abort();
        }
    }
    ~ScratchStore() {
        store_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    store::ZoneStore& store() { return *store_; }
    const std::string& apex() const { return contents_.info.name; }
    const Record& soa() const {
        for (const Record& rr : contents_.records) {
            if (rr.type == dns::rrtype::SOA) {
                return rr;
            }
        }
        std::abort();
    }

  private:
    std::string dir_;
    std::unique_ptr<store::ZoneStore> store_;
    store::ZoneContents contents_;
};

Record a_record(const std::string& apex, uint64_t n) {
    Record rr;
    const std::string label = "added" + std::to_string(100000 + n % 100000);
    rr.owner = char(label.size()) + label + apex;
    rr.type = dns::rrtype::A;
    rr.ttl = 300;
    rr.rdata = std::string("\xc0\x00\x02", 3) + char(n % 250 + 1);
    return rr;
}

Record soa_with_serial(const Record& soa, uint32_t serial) {
    Record out = soa;
    zone::set_soa_serial(out.rdata, serial);
    return out;
}

// Arg: changes already in the zone's journal when the measurement starts (the default bound
// is 1,000: a busy zone's journal is full, and each change also drops the oldest one).
void BM_ApplyChangeOneRecord(benchmark::State& state) {
    ScratchStore scratch;
    uint64_t n = 0;
    const auto add_one = [&]() {
        store::ZoneChange change;
        change.zone = scratch.apex();
        change.add.push_back(a_record(scratch.apex(), n++));
        return scratch.store().apply_change(change);
    };
    for (int64_t i = 0; i < state.range(0); ++i) {
        if (!add_one()) {
            std::abort();
        }
    }
    for (auto _ : state) {
        auto applied = add_one();
        if (!applied) {
            state.SkipWithError(applied.error().message.c_str());
            break;
        }
    }
}
BENCHMARK(BM_ApplyChangeOneRecord)
    ->Arg(0)
    ->Arg(1000)
    ->Iterations(300)
    ->Unit(benchmark::kMicrosecond);

void BM_ApplyIxfrOneRecord(benchmark::State& state) {
    ScratchStore scratch;
    uint32_t serial = zone::soa_serial(scratch.soa().rdata).value_or(1);
    uint64_t n = 0;
    store::SyncState sync;
    sync.zone = scratch.apex();
    const auto apply_one = [&]() {
        store::JournalEntry diff;
        diff.serial_from = serial;
        diff.serial_to = serial + 1;
        diff.removed.push_back(soa_with_serial(scratch.soa(), serial));
        diff.added.push_back(soa_with_serial(scratch.soa(), serial + 1));
        diff.added.push_back(a_record(scratch.apex(), n++));
        sync.last_success = sync.last_check = int64_t(serial);
        ++serial;
        return scratch.store().apply_ixfr(scratch.apex(), {diff}, &sync);
    };
    for (int64_t i = 0; i < state.range(0); ++i) {
        if (!apply_one()) {
            std::abort();
        }
    }
    for (auto _ : state) {
        auto applied = apply_one();
        if (!applied) {
            state.SkipWithError(applied.error().message.c_str());
            break;
        }
    }
}
BENCHMARK(BM_ApplyIxfrOneRecord)->Arg(0)->Arg(1000)->Iterations(300)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tidal::bench
