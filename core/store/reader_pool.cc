// ReaderPool: a mutex-guarded stack of idle read-only connections.
#include "core/store/reader_pool.h"

namespace tidal::store {

ReaderPool::Lease::~Lease() {
    if (pool_ != nullptr && store_) {
        pool_->give_back(std::move(store_));
    }
}

Result<ReaderPool::Lease> ReaderPool::acquire() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!idle_.empty()) {
            std::unique_ptr<ZoneStore> store = std::move(idle_.back());
            idle_.pop_back();
            return Lease(this, std::move(store));
        }
    }
    auto opened = ZoneStore::open(database_, ZoneStore::Mode::ReadOnly);
    if (!opened) {
        return opened.error();
    }
    return Lease(this, std::move(opened.value()));
}

void ReaderPool::give_back(std::unique_ptr<ZoneStore> store) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.size() < max_idle_) {
        idle_.push_back(std::move(store));
    }
    // else the pool is full: the connection closes as store goes out of scope
}

}  // namespace tidal::store
