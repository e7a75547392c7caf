// RAII helpers over the SQLite C API; every return code is checked and turned into an Error.
#include "core/store/sqlite_util.h"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace tidal::store {

Error sqlite_error(sqlite3* db, std::string_view operation) {
    const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
    std::string message = "database ";
    message += (file != nullptr && *file != '\0') ? file : "(unknown)";
    message += ": ";
    message += operation;
    message += ": ";
    message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    if (db != nullptr) {
        message += " (code " + std::to_string(sqlite3_extended_errcode(db)) + ")";
    }
    return Error{std::move(message)};
}

Status exec_sql(sqlite3* db, const char* sql, std::string_view operation) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return sqlite_error(db, operation);
    }
    return Status::success();
}

struct CachedStatement {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;  // held by a Statement: a second user of the same SQL compiles its own
};

namespace {

// Enough for every statement the store uses; SQL built at run time beyond it is not cached.
constexpr size_t kMaxCachedStatements = 96;

using StatementCache = std::unordered_map<std::string, CachedStatement>;

// Connection -> its cache. The mutex guards the map only: a cache is used by the one thread
// using its connection. Entries are nodes, so pointers to them stay valid as the maps grow.
std::mutex caches_mutex;
std::unordered_map<sqlite3*, std::unique_ptr<StatementCache>>& statement_caches() {
    static auto* caches = new std::unordered_map<sqlite3*, std::unique_ptr<StatementCache>>();
    return *caches;
}

StatementCache* cache_of(sqlite3* db) {
    std::lock_guard<std::mutex> lock(caches_mutex);
    auto found = statement_caches().find(db);
    return found == statement_caches().end() ? nullptr : found->second.get();
}

}  // namespace

void attach_statement_cache(sqlite3* db) {
    std::lock_guard<std::mutex> lock(caches_mutex);
    statement_caches().try_emplace(db, std::make_unique<StatementCache>());
}

void detach_statement_cache(sqlite3* db) {
    std::unique_ptr<StatementCache> cache;
    {
        std::lock_guard<std::mutex> lock(caches_mutex);
        auto found = statement_caches().find(db);
        if (found == statement_caches().end()) {
            return;
        }
        cache = std::move(found->second);
        statement_caches().erase(found);
    }
    for (auto& [sql, entry] : *cache) {
        sqlite3_finalize(entry.stmt);
    }
}

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, std::string_view operation,
                     CachedStatement* cached)
    : db_(db), stmt_(stmt), operation_(operation), cached_(cached) {}

void Statement::release() {
    if (stmt_ == nullptr) {
        return;
    }
    if (cached_ != nullptr) {
        // Ready for the next user, holding no read transaction open. reset's return code
        // repeats the last step's error, already reported by step().
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        cached_->in_use = false;
    } else {
        sqlite3_finalize(stmt_);
    }
    stmt_ = nullptr;
    cached_ = nullptr;
}

Statement::~Statement() {
    release();
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      operation_(std::move(other.operation_)),
      cached_(std::exchange(other.cached_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        release();
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
        operation_ = std::move(other.operation_);
        cached_ = std::exchange(other.cached_, nullptr);
    }
    return *this;
}

Result<Statement> Statement::prepare(sqlite3* db, const char* sql, std::string_view operation) {
    StatementCache* cache = cache_of(db);
    CachedStatement* entry = nullptr;
    if (cache != nullptr) {
        auto found = cache->find(sql);
        if (found != cache->end() && !found->second.in_use) {
            found->second.in_use = true;
            return Statement(db, found->second.stmt, operation, &found->second);
        }
        if (found == cache->end() && cache->size() < kMaxCachedStatements) {
            entry = &(*cache)[sql];
        }
    }
    sqlite3_stmt* stmt = nullptr;
    const unsigned flags = entry != nullptr ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(db, sql, -1, flags, &stmt, nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        if (entry != nullptr) {
            cache->erase(sql);
        }
        return sqlite_error(db, operation);
    }
    if (entry != nullptr) {
        entry->stmt = stmt;
        entry->in_use = true;
    }
    return Statement(db, stmt, operation, entry);
}

Status Statement::run_once(sqlite3* db, const char* sql, std::string_view operation) {
    auto stmt = prepare(db, sql, operation);
    if (!stmt) {
        return stmt.error();
    }
    return stmt->run();
}

Status Statement::check_bind(int rc) {
    if (rc != SQLITE_OK) {
        return sqlite_error(db_, operation_ + " (bind)");
    }
    return Status::success();
}

Status Statement::bind_int(int index, int64_t value) {
    return check_bind(sqlite3_bind_int64(stmt_, index, value));
}

Status Statement::bind_blob(int index, std::string_view value) {
    // SQLITE_TRANSIENT: SQLite copies the bytes, so the caller's buffer may go away.
    // A zero-length blob must still be a BLOB, not NULL: sqlite3_bind_zeroblob does that.
    if (value.empty()) {
        return check_bind(sqlite3_bind_zeroblob(stmt_, index, 0));
    }
    return check_bind(
        sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT));
}

Status Statement::bind_text(int index, std::string_view value) {
    return check_bind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(),
                                          SQLITE_TRANSIENT, SQLITE_UTF8));
}

Result<bool> Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return sqlite_error(db_, operation_);
}

Status Statement::run() {
    for (;;) {
        Result<bool> row = step();
        if (!row) {
            return row.error();
        }
        if (!row.value()) {
            return Status::success();
        }
    }
}

void Statement::reset() {
    // The return code of reset repeats the last step's error, already reported by step().
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int index) const {
    return sqlite3_column_int64(stmt_, index);
}

std::string Statement::column_blob(int index) const {
    const void* data = sqlite3_column_blob(stmt_, index);
    const int size = sqlite3_column_bytes(stmt_, index);
    if (data == nullptr || size <= 0) {
        return {};
    }
    return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

std::string Statement::column_text(int index) const {
    const unsigned char* data = sqlite3_column_text(stmt_, index);
    const int size = sqlite3_column_bytes(stmt_, index);
    if (data == nullptr || size <= 0) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

Result<Transaction> Transaction::begin(sqlite3* db, Kind kind, std::string_view operation) {
    const char* sql = kind == Kind::Write ? "BEGIN IMMEDIATE" : "BEGIN";
    Status status = Statement::run_once(db, sql, std::string(operation) + ": begin transaction");
    if (!status) {
        return status.error();
    }
    return Transaction(db, operation);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), operation_(std::move(other.operation_)) {}

Transaction::~Transaction() {
    if (db_ != nullptr) {
        // Rolling back can only fail when there is no transaction left to undo (SQLite already
        // rolled back after an I/O error); either way nothing of it is committed.
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

Status Transaction::commit() {
    if (db_ == nullptr) {
        return Error{operation_ + ": commit without a transaction"};
    }
    Status status = Statement::run_once(db_, "COMMIT", operation_ + ": commit");
    if (!status) {
        return status;  // the destructor rolls back
    }
    db_ = nullptr;
    return Status::success();
}

}  // namespace tidal::store
