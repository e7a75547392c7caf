// RAII helpers over the SQLite C API; every return code is checked and turned into an Error.
#include "core/store/sqlite_util.h"

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

Statement::Statement(sqlite3* db, sqlite3_stmt* stmt, std::string_view operation)
    : db_(db), stmt_(stmt), operation_(operation) {}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      operation_(std::move(other.operation_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
        operation_ = std::move(other.operation_);
    }
    return *this;
}

Result<Statement> Statement::prepare(sqlite3* db, const char* sql, std::string_view operation) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return sqlite_error(db, operation);
    }
    return Statement(db, stmt, operation);
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
    Status status = exec_sql(db, sql, std::string(operation) + ": begin transaction");
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
    Status status = exec_sql(db_, "COMMIT", operation_ + ": commit");
    if (!status) {
        return status;  // the destructor rolls back
    }
    db_ = nullptr;
    return Status::success();
}

}  // namespace tidal::store
