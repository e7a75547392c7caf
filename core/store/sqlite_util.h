// Thin RAII helpers over the SQLite C API: statements, transactions, errors that name the
// operation.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace tidal::store {

// An Error for a failed SQLite call: "database PATH: OPERATION: sqlite3_errmsg (code)".
Error sqlite_error(sqlite3* db, std::string_view operation);

// Runs SQL text that returns no rows (may hold several statements).
Status exec_sql(sqlite3* db, const char* sql, std::string_view operation);

// One prepared statement, finalized on destruction. Bind indexes start at 1 as in SQLite.
// Not copyable; reset() makes it reusable for the next row of a batch.
class Statement {
  public:
    Statement() = default;
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Compiles sql; operation names the statement in error messages.
    static Result<Statement> prepare(sqlite3* db, const char* sql, std::string_view operation);

    Status bind_int(int index, int64_t value);
    Status bind_blob(int index, std::string_view value);
    Status bind_text(int index, std::string_view value);

    // Steps once: true when a row is available, false when done.
    Result<bool> step();
    // Steps until done (for statements that return no rows or whose rows are not needed).
    Status run();
    // Steps until done, calling on_row() while each row is current (read it with column_*).
    template <typename OnRow>
    Status for_each_row(OnRow&& on_row) {
        for (;;) {
            auto row = step();
            if (!row) {
                return row.error();
            }
            if (!row.value()) {
                return Status::success();
            }
            on_row();
        }
    }
    // Clears bindings and rewinds, ready for the next batch row.
    void reset();

    int64_t column_int(int index) const;
    std::string column_blob(int index) const;
    std::string column_text(int index) const;

  private:
    Statement(sqlite3* db, sqlite3_stmt* stmt, std::string_view operation);
    Status check_bind(int rc);

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    std::string operation_;
};

// A transaction rolled back on destruction unless commit() succeeded. Immediate transactions take
// the write lock at once (BEGIN IMMEDIATE) so that a writer waits for another writer through
// busy_timeout instead of failing with SQLITE_BUSY halfway through.
class Transaction {
  public:
    enum class Kind { Read, Write };

    static Result<Transaction> begin(sqlite3* db, Kind kind, std::string_view operation);
    ~Transaction();
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    Status commit();

  private:
    Transaction(sqlite3* db, std::string_view operation) : db_(db), operation_(operation) {}

    sqlite3* db_ = nullptr;
    std::string operation_;
};

}  // namespace tidal::store
