// After each commit on a read-write connection: tell the daemons watching the store that the
// change is visible now, then keep the WAL short.
#pragma once

#include <sqlite3.h>

namespace tidal::store {

// The WAL frame count at which a commit checkpoints (SQLite's own default threshold).
inline constexpr int kCheckpointFrames = 1000;
// From this many frames on, the committing thread checkpoints even when checkpoints are
// deferred: the WAL stays bounded when nobody takes the deferred ones.
inline constexpr int kInlineCheckpointFrames = 16384;

// Replaces SQLite's automatic checkpoint on db (a read-write WAL connection) with a WAL hook that
// first touches the database file, so StoreChangeWatch (inotify IN_ATTRIB) wakes tidald and
// tidal-sync the moment the commit can be read, and only then runs the passive checkpoint the
// automatic one would have run (or leaves it to the background, see defer_checkpoints), so
// readers never wait behind it for the news.
void install_commit_signal(sqlite3* db);

// For a daemon that checkpoints in the background (tidal-sync): commits in this process leave
// the checkpoints below kInlineCheckpointFrames to whoever calls take_checkpoint_due(), so the
// thread that applied a transfer is free for the next one at once instead of copying the WAL
// into the database file (seconds after a large transfer). Off by default: tidalctl and
// tidald checkpoint when they commit, as SQLite would.
void defer_checkpoints(bool deferred);
// True once after a commit in this process left a deferred checkpoint due.
bool take_checkpoint_due();

}  // namespace tidal::store
