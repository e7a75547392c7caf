// Wakes a daemon as soon as another process commits to the SQLite store (inotify), so a commit
// is picked up within a fraction of a millisecond instead of at the next poll.
#pragma once

#include <string>

#include "core/util/result.h"

namespace tidal {

// Watches the database's directory. The owner polls fd() for readability in its event loop and
// calls drain(); the real check stays `PRAGMA data_version`, this only says when to look.
// Polling on a timer remains the fallback (file systems without inotify, writers other than
// Tidal's).
//
// Every Tidal writer touches the database file once a commit is visible (store/commit_signal):
// that IN_ATTRIB is the event that matters, and needs no second look. The WAL's own writes are
// not watched: they come before the commit is visible (SQLite appends the frames, syncs them,
// and only then publishes the commit in the shared-memory index, which inotify cannot see), a
// dozen per commit, and each would wake the daemon for nothing. A writer closing the file, or a
// database that appears, is seen as a write: the owner looks, then again a few times over the
// next milliseconds.
inline constexpr unsigned kStoreRecheckDelaysMs[] = {1, 2, 4, 8, 16, 32};

// What one drain() saw.
struct StoreEvents {
    bool written = false;    // a writer closed the file, or it appeared: a commit may be on its way
    bool committed = false;  // a Tidal writer's commit signal: a commit is visible now
    bool any() const { return written || committed; }
};
class StoreChangeWatch {
  public:
    StoreChangeWatch() = default;
    ~StoreChangeWatch();
    StoreChangeWatch(const StoreChangeWatch&) = delete;
    StoreChangeWatch& operator=(const StoreChangeWatch&) = delete;

    // Starts watching the directory of database_path (which must exist; the file need not).
    Status open(const std::string& database_path);
    // The inotify descriptor (non-blocking), or -1 when not open.
    int fd() const { return fd_; }
    // Reads every pending event and says which kinds were about the database or its WAL.
    StoreEvents drain();

  private:
    int fd_ = -1;
    std::string database_name_;  // file name without its directory
};

}  // namespace tidal
