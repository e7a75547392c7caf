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

// Compiled statements kept per connection, so the same SQL is compiled once per connection
// instead of once per call: compiling (with the schema's triggers and foreign keys) costs more
// than running the small reads and writes of one change. ZoneStore attaches a cache to every
// connection it opens and detaches it (finalizing the statements) before closing. Statements
// must not outlive the detach. A connection is used by one thread at a time, like SQLite's own
// NOMUTEX connections.
void attach_statement_cache(sqlite3* db);
void detach_statement_cache(sqlite3* db);
struct CachedStatement;

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

    // Compiles sql, or takes it from the connection's statement cache when it is there and not
    // in use (reset, no bindings); operation names the statement in error messages.
    static Result<Statement> prepare(sqlite3* db, const char* sql, std::string_view operation);
    // Runs sql, one statement returning no rows, through the cache (BEGIN, COMMIT, PRAGMA).
    static Status run_once(sqlite3* db, const char* sql, std::string_view operation);

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
    Statement(sqlite3* db, sqlite3_stmt* stmt, std::string_view operation, CachedStatement* cached);
    Status check_bind(int rc);
    // Gives the statement back to the cache, or finalizes it when it is not cached.
    void release();

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    std::string operation_;
    CachedStatement* cached_ = nullptr;  // the cache entry this statement came from, if any
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
