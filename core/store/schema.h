// The zone store's SQL schema and its ordered migrations (PRAGMA user_version).
#pragma once

#include <sqlite3.h>

#include "core/util/result.h"

namespace tidal::store {

// Part of the error a read-only open gives while the file still awaits its first migration by a
// writer (a new database another process is creating): readers wait for it instead of failing.
constexpr char kAwaitingMigration[] = "is older than this program's";

// The schema version this program writes and understands.
int current_schema_version();

// Brings a read-write connection's database to current_schema_version(): each missing step runs in
// its own BEGIN IMMEDIATE transaction that also sets user_version, so a crash leaves the file at a
// whole step and two processes migrating at once do each step once. Fails, changing nothing, when
// the file is newer than this program or is not a Tidal database.
Status migrate_schema(sqlite3* db);

// For read-only connections: fails unless the database is exactly at current_schema_version().
Status check_schema(sqlite3* db);

}  // namespace tidal::store
