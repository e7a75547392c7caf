// The WAL hook: a timestamp touch as the commit signal, then the usual passive checkpoint.
#include "core/store/commit_signal.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>

namespace tidal::store {

namespace {

std::atomic<bool> checkpoints_deferred{false};
std::atomic<bool> checkpoint_due{false};

// SQLite calls this after a commit has been written to the WAL and the write lock released, i.e.
// once other connections can read it (sqlite3_wal_hook).
int on_wal_commit(void* /*context*/, sqlite3* db, const char* schema, int frames) {
    const char* file = sqlite3_db_filename(db, schema);
    if (file != nullptr && *file != '\0') {
        // Only a hint: when the touch fails (no inotify watcher cares, or a read-only file
        // system), the watchers still see the WAL grow and recheck, and poll as a last resort.
        // So its result does not decide anything and is deliberately not checked.
        (void)utimensat(AT_FDCWD, file, nullptr, 0);
    }
    if (frames < kCheckpointFrames) {
        return SQLITE_OK;
    }
    if (frames < kInlineCheckpointFrames && checkpoints_deferred.load(std::memory_order_relaxed)) {
        checkpoint_due.store(true, std::memory_order_release);
        return SQLITE_OK;
    }
    // PASSIVE, as the automatic checkpoint: copies what no reader still needs, never
    // waits. Its failure (SQLITE_BUSY while another checkpoint runs) leaves the WAL for the
    // next commit to checkpoint and does not touch the commit that just succeeded.
    (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
}

}  // namespace

void defer_checkpoints(bool deferred) {
    checkpoints_deferred.store(deferred, std::memory_order_relaxed);
}

bool take_checkpoint_due() {
    return checkpoint_due.exchange(false, std::memory_order_acq_rel);
}

void install_commit_signal(sqlite3* db) {
    sqlite3_wal_hook(db, &on_wal_commit, nullptr);
}

}  // namespace tidal::store
