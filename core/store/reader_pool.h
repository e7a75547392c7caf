// Read-only store connections kept open for the thread pool's short reads (IXFR journals):
// opening one costs a schema check and a dozen system calls, more than reading one change.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/store/zone_store.h"
#include "core/util/result.h"

namespace tidal::store {

// Thread-safe. A connection is used by one thread at a time: the one holding its Lease.
class ReaderPool {
  public:
    class Lease {
      public:
        Lease(ReaderPool* pool, std::unique_ptr<ZoneStore> store)
            : pool_(pool), store_(std::move(store)) {}
        ~Lease();
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        ZoneStore* operator->() const { return store_.get(); }
        ZoneStore& operator*() const { return *store_; }
        // Closes the connection instead of returning it (after an error: the file may have
        // been replaced or damaged, so the next reader opens a fresh one).
        void discard() { store_.reset(); }

      private:
        ReaderPool* pool_;
        std::unique_ptr<ZoneStore> store_;
    };

    explicit ReaderPool(std::string database, size_t max_idle = 4)
        : database_(std::move(database)), max_idle_(max_idle) {}
    ReaderPool(const ReaderPool&) = delete;
    ReaderPool& operator=(const ReaderPool&) = delete;

    // An idle connection, or a newly opened one. The pool must outlive the lease.
    Result<Lease> acquire();
    const std::string& database() const { return database_; }

  private:
    void give_back(std::unique_ptr<ZoneStore> store);

    const std::string database_;
    const size_t max_idle_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<ZoneStore>> idle_;
};

}  // namespace tidal::store
