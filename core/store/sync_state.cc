// ZoneStore's replication state table (sync_state): one row per secondary zone, written by
// tidal-sync, read by tidald and tidalctl.
#include <sqlite3.h>

#include <string>

#include "core/dns/name.h"
#include "core/store/sqlite_util.h"
#include "core/store/zone_store.h"

namespace tidal::store {

namespace {

constexpr char kColumns[] =
    "zone, last_check, last_success, last_attempt, refresh_at, retry_at, expire_at, expired, "
    "primary_serial, primary_used, last_error";

// Reads select kColumns and then whether primary_serial is NULL (unknown).
constexpr char kNullFlag[] = ", primary_serial IS NULL";

// One row in kColumns order, followed by the kNullFlag column.
SyncState read_row(const Statement& stmt) {
    SyncState state;
    state.zone = stmt.column_blob(0);
    state.last_check = stmt.column_int(1);
    state.last_success = stmt.column_int(2);
    state.last_attempt = stmt.column_int(3);
    state.refresh_at = stmt.column_int(4);
    state.retry_at = stmt.column_int(5);
    state.expire_at = stmt.column_int(6);
    state.expired = stmt.column_int(7) != 0;
    if (stmt.column_int(11) == 0) {
        state.primary_serial = static_cast<uint32_t>(stmt.column_int(8));
    }
    state.primary_used = stmt.column_text(9);
    state.last_error = stmt.column_text(10);
    return state;
}

}  // namespace

Result<std::optional<SyncState>> ZoneStore::sync_state(std::string_view apex) {
    const std::string sql =
        std::string("SELECT ") + kColumns + kNullFlag + " FROM sync_state WHERE zone = ?1";
    auto stmt = Statement::prepare(db_, sql.c_str(),
                                   "read replication state of " + dns::name_to_text(apex));
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_blob(1, dns::name_lowered(apex));
    if (!status) {
        return status.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    if (!row.value()) {
        return std::optional<SyncState>();
    }
    return std::optional<SyncState>(read_row(stmt.value()));
}

Result<std::vector<SyncState>> ZoneStore::sync_states() {
    const std::string sql =
        std::string("SELECT ") + kColumns + kNullFlag + " FROM sync_state ORDER BY zone";
    auto stmt = Statement::prepare(db_, sql.c_str(), "read replication states");
    if (!stmt) {
        return stmt.error();
    }
    std::vector<SyncState> states;
    Status rows = stmt->for_each_row([&] { states.push_back(read_row(stmt.value())); });
    if (!rows) {
        return rows.error();
    }
    return states;
}

Status ZoneStore::save_sync_state(const SyncState& state) {
    const std::string operation = "save replication state of " + dns::name_to_text(state.zone);
    Status status = require_writable(operation);
    if (!status) {
        return status;
    }
    const std::string sql = std::string("INSERT OR REPLACE INTO sync_state (") + kColumns +
                            ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    auto stmt = Statement::prepare(db_, sql.c_str(), operation);
    if (!stmt) {
        return stmt.error();
    }
    status = stmt->bind_blob(1, dns::name_lowered(state.zone));
    const int64_t numbers[] = {state.last_check,     state.last_success, state.last_attempt,
                               state.refresh_at,     state.retry_at,     state.expire_at,
                               state.expired ? 1 : 0};
    for (int i = 0; status && i < 7; ++i) {
        status = stmt->bind_int(i + 2, numbers[i]);
    }
    if (status && state.primary_serial) {
        status = stmt->bind_int(9, *state.primary_serial);  // left unbound: NULL
    }
    if (status) {
        status = stmt->bind_text(10, state.primary_used);
    }
    if (status) {
        status = stmt->bind_text(11, state.last_error);
    }
    if (status) {
        status = stmt->run();  // one statement: its own (autocommit) transaction
    }
    return status;
}

Status ZoneStore::delete_sync_state(std::string_view apex) {
    const std::string operation = "delete replication state of " + dns::name_to_text(apex);
    Status status = require_writable(operation);
    if (!status) {
        return status;
    }
    auto stmt = Statement::prepare(db_, "DELETE FROM sync_state WHERE zone = ?1", operation);
    if (!stmt) {
        return stmt.error();
    }
    status = stmt->bind_blob(1, dns::name_lowered(apex));
    if (status) {
        status = stmt->run();
    }
    return status;
}

}  // namespace tidal::store
