// Wakes a daemon as soon as another process writes the SQLite store (inotify), so a commit is
// picked up in about a millisecond instead of at the next poll.
#pragma once

#include <string>

#include "core/util/result.h"

namespace tidal {

// Watches the database's directory for writes to the database file or its WAL (every commit
// appends to "<db>-wal"). The owner polls fd() for readability in its event loop and calls
// drain(); the real check stays `PRAGMA data_version`, this only says when to look. Polling on a
// timer remains the fallback (e.g. on file systems without inotify).
//
// A WAL write is seen before its commit is visible: SQLite appends the frames, syncs them, and
// only then publishes the commit in the shared-memory index (which inotify cannot see). So after
// an event the owner looks again a few times over the next milliseconds (kRecheckDelaysMs).
inline constexpr unsigned kStoreRecheckDelaysMs[] = {1, 2, 4, 8, 16, 32};
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
    // Reads every pending event; true when one of them was about the database or its WAL.
    bool drain();

  private:
    int fd_ = -1;
    std::string database_name_;  // file name without its directory
};

}  // namespace tidal
