// After each commit on a read-write connection: tell the daemons watching the store that the
// change is visible now, then keep the WAL short.
#pragma once

#include <sqlite3.h>

namespace tidal::store {

// The WAL frame count at which a commit checkpoints (SQLite's own default threshold).
inline constexpr int kCheckpointFrames = 1000;

// Replaces SQLite's automatic checkpoint on db (a read-write WAL connection) with a WAL hook that
// first touches the database file, so StoreChangeWatch (inotify IN_ATTRIB) wakes tidald and
// tidal-sync the moment the commit can be read, and only then runs the passive checkpoint the
// automatic one would have run, so readers never wait behind it for the news.
void install_commit_signal(sqlite3* db);

}  // namespace tidal::store
