// IXFR journal rows: written by the store's one write path, read to answer IXFR (RFC 1995).
#include "core/store/journal.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/store/sqlite_util.h"

namespace tidal::store {

namespace {

constexpr int64_t kOpRemoved = 0;
constexpr int64_t kOpAdded = 1;

Status insert_rrs(Statement& stmt, int64_t journal_id, int64_t op, const std::vector<Record>& rrs,
                  int64_t& seq) {
    for (const Record& rr : rrs) {
        Status status = stmt.bind_int(1, journal_id);
        if (status) {
            status = stmt.bind_int(2, seq++);
        }
        if (status) {
            status = stmt.bind_int(3, op);
        }
        if (status) {
            status = stmt.bind_blob(4, rr.owner);
        }
        if (status) {
            status = stmt.bind_int(5, rr.type);
        }
        if (status) {
            status = stmt.bind_int(6, rr.rclass);
        }
        if (status) {
            status = stmt.bind_int(7, rr.ttl);
        }
        if (status) {
            status = stmt.bind_blob(8, rr.rdata);
        }
        if (status) {
            status = stmt.run();
        }
        if (!status) {
            return status;
        }
        stmt.reset();
    }
    return Status::success();
}

Status load_rrs(sqlite3* db, int64_t journal_id, JournalEntry& entry) {
    auto stmt = Statement::prepare(db,
                                   "SELECT op, owner, type, class, ttl, rdata FROM journal_rrs "
                                   "WHERE journal_id = ?1 ORDER BY seq",
                                   "read journal records");
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_int(1, journal_id);
    if (!status) {
        return status;
    }
    return stmt->for_each_row([&] {
        Record rr;
        rr.owner = stmt->column_blob(1);
        rr.type = static_cast<uint16_t>(stmt->column_int(2));
        rr.rclass = static_cast<uint16_t>(stmt->column_int(3));
        rr.ttl = static_cast<uint32_t>(stmt->column_int(4));
        rr.rdata = stmt->column_blob(5);
        (stmt->column_int(0) == kOpRemoved ? entry.removed : entry.added).push_back(std::move(rr));
    });
}

// What a journal row costs in the file, roughly: names, rdata and the fixed RR fields.
int64_t journal_bytes(const JournalEntry& entry) {
    int64_t bytes = 0;
    for (const auto* rrs : {&entry.removed, &entry.added}) {
        for (const Record& rr : *rrs) {
            bytes += int64_t(rr.owner.size() + rr.rdata.size() + 10);
        }
    }
    return bytes;
}

// The zone's journal bounds, kept in its zones row (set from the configuration).
Result<JournalLimits> zone_journal_limits(sqlite3* db, int64_t zone_id) {
    auto stmt = Statement::prepare(
        db, "SELECT journal_max_changes, journal_max_size FROM zones WHERE id = ?1",
        "read journal limits");
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_int(1, zone_id);
    if (!status) {
        return status.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    JournalLimits limits;
    if (row.value()) {
        limits.max_changes = uint64_t(std::max<int64_t>(1, stmt->column_int(0)));
        limits.max_size = uint64_t(std::max<int64_t>(0, stmt->column_int(1)));
    }
    return limits;
}

}  // namespace

Result<uint64_t> trim_journal_to(sqlite3* db, int64_t zone_id, const JournalLimits& limits) {
    // The totals the v4 triggers keep: the common case (within bounds) costs this one read.
    auto totals = Statement::prepare(
        db, "SELECT journal_rows, journal_bytes FROM zones WHERE id = ?1", "read journal totals");
    if (!totals) {
        return totals.error();
    }
    if (Status bound = totals->bind_int(1, zone_id); !bound) {
        return bound.error();
    }
    auto row = totals->step();
    if (!row) {
        return row.error();
    }
    if (!row.value()) {
        return uint64_t(0);
    }
    const uint64_t rows = uint64_t(std::max<int64_t>(0, totals->column_int(0)));
    uint64_t bytes = uint64_t(std::max<int64_t>(0, totals->column_int(1)));
    const uint64_t keep = std::max<uint64_t>(1, limits.max_changes);
    if (rows <= keep && bytes <= limits.max_size) {
        return uint64_t(0);
    }
    // Oldest first: drop rows until at most max_changes remain and the rest fit max_size,
    // always keeping the newest row (a single change larger than the bound still serves IXFR
    // to a secondary one change behind).
    auto oldest = Statement::prepare(
        db, "SELECT id, bytes FROM journal WHERE zone_id = ?1 ORDER BY id", "read oldest journal");
    if (!oldest) {
        return oldest.error();
    }
    if (Status bound = oldest->bind_int(1, zone_id); !bound) {
        return bound.error();
    }
    uint64_t dropped = 0;
    int64_t last_dropped = -1;
    while (dropped + 1 < rows && (rows - dropped > keep || bytes > limits.max_size)) {
        auto next = oldest->step();
        if (!next) {
            return next.error();
        }
        if (!next.value()) {
            break;
        }
        last_dropped = oldest->column_int(0);
        bytes -= std::min<uint64_t>(bytes, uint64_t(std::max<int64_t>(0, oldest->column_int(1))));
        ++dropped;
    }
    oldest->reset();
    if (last_dropped < 0) {
        return uint64_t(0);
    }
    auto drop = Statement::prepare(db, "DELETE FROM journal WHERE zone_id = ?1 AND id <= ?2",
                                   "trim journal");
    if (!drop) {
        return drop.error();
    }
    Status status = drop->bind_int(1, zone_id);
    if (status) {
        status = drop->bind_int(2, last_dropped);
    }
    if (status) {
        status = drop->run();
    }
    if (!status) {
        return status.error();
    }
    return static_cast<uint64_t>(sqlite3_changes64(db));
}

Status insert_journal_entry(sqlite3* db, int64_t zone_id, const JournalEntry& entry) {
    auto head = Statement::prepare(db,
                                   "INSERT INTO journal (zone_id, serial_from, serial_to, time, "
                                   "bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
                                   "write journal");
    if (!head) {
        return head.error();
    }
    Status status = head->bind_int(1, zone_id);
    if (status) {
        status = head->bind_int(2, entry.serial_from);
    }
    if (status) {
        status = head->bind_int(3, entry.serial_to);
    }
    if (status) {
        status = head->bind_int(4, entry.time);
    }
    if (status) {
        status = head->bind_int(5, journal_bytes(entry));
    }
    if (status) {
        status = head->run();
    }
    if (!status) {
        return status;
    }
    const int64_t journal_id = sqlite3_last_insert_rowid(db);
    auto rrs = Statement::prepare(db,
                                  "INSERT INTO journal_rrs (journal_id, seq, op, owner, type, "
                                  "class, ttl, rdata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                  "write journal records");
    if (!rrs) {
        return rrs.error();
    }
    int64_t seq = 0;
    status = insert_rrs(rrs.value(), journal_id, kOpRemoved, entry.removed, seq);
    if (status) {
        status = insert_rrs(rrs.value(), journal_id, kOpAdded, entry.added, seq);
    }
    if (!status) {
        return status;
    }
    // Every writer trims in the same transaction, so the journal never outgrows its bounds and
    // what remains always chains up to the current serial (only the oldest rows go).
    auto limits = zone_journal_limits(db, zone_id);
    if (!limits) {
        return limits.error();
    }
    auto trimmed = trim_journal_to(db, zone_id, limits.value());
    if (!trimmed) {
        return trimmed.error();
    }
    return Status::success();
}

Result<std::optional<std::vector<JournalHead>>> select_journal_chain(sqlite3* db, int64_t zone_id,
                                                                     uint32_t serial_from,
                                                                     uint32_t current_serial) {
    using Chain = std::optional<std::vector<JournalHead>>;
    if (serial_from == current_serial) {
        return Chain(std::vector<JournalHead>{});
    }
    auto stmt = Statement::prepare(db,
                                   "SELECT id, serial_from, serial_to, time FROM journal "
                                   "WHERE zone_id = ?1 ORDER BY id",
                                   "read journal");
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_int(1, zone_id);
    if (!status) {
        return status.error();
    }
    std::vector<JournalHead> heads;
    Status rows = stmt->for_each_row([&] {
        heads.push_back({stmt->column_int(0), static_cast<uint32_t>(stmt->column_int(1)),
                         static_cast<uint32_t>(stmt->column_int(2)), stmt->column_int(3)});
    });
    if (!rows) {
        return rows.error();
    }
    // The newest entry starting at serial_from whose successors chain up to the current serial
    // (serials may repeat after 2^32 changes, so search from the end).
    size_t start = heads.size();
    for (size_t i = heads.size(); i-- > 0;) {
        if (heads[i].serial_from == serial_from) {
            start = i;
            break;
        }
    }
    if (start == heads.size()) {
        return Chain();
    }
    for (size_t i = start + 1; i < heads.size(); ++i) {
        if (heads[i].serial_from != heads[i - 1].serial_to) {
            return Chain();
        }
    }
    if (heads.back().serial_to != current_serial) {
        return Chain();
    }
    heads.erase(heads.begin(), heads.begin() + std::ptrdiff_t(start));
    return Chain(std::move(heads));
}

Result<std::optional<std::vector<JournalEntry>>> select_journal(sqlite3* db, int64_t zone_id,
                                                                uint32_t serial_from,
                                                                uint32_t current_serial) {
    using Chain = std::optional<std::vector<JournalEntry>>;
    auto chain = select_journal_chain(db, zone_id, serial_from, current_serial);
    if (!chain) {
        return chain.error();
    }
    if (!chain.value()) {
        return Chain();
    }
    const std::vector<JournalHead>& heads = *chain.value();
    std::vector<JournalEntry> entries;
    for (size_t i = 0; i < heads.size(); ++i) {
        JournalEntry entry;
        entry.serial_from = heads[i].serial_from;
        entry.serial_to = heads[i].serial_to;
        entry.time = heads[i].time;
        Status status = load_rrs(db, heads[i].id, entry);
        if (!status) {
            return status.error();
        }
        entries.push_back(std::move(entry));
    }
    return Chain(std::move(entries));
}

Result<uint64_t> delete_old_journal_entries(sqlite3* db, int64_t zone_id, uint64_t keep) {
    auto stmt = Statement::prepare(db,
                                   "DELETE FROM journal WHERE zone_id = ?1 AND id NOT IN "
                                   "(SELECT id FROM journal WHERE zone_id = ?1 "
                                   "ORDER BY id DESC LIMIT ?2)",
                                   "trim journal");
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_int(1, zone_id);
    if (status) {
        status = stmt->bind_int(2, static_cast<int64_t>(keep));
    }
    if (status) {
        status = stmt->run();
    }
    if (!status) {
        return status.error();
    }
    return static_cast<uint64_t>(sqlite3_changes64(db));
}

Result<uint64_t> delete_journal(sqlite3* db, int64_t zone_id) {
    auto stmt = Statement::prepare(db, "DELETE FROM journal WHERE zone_id = ?1", "clear journal");
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_int(1, zone_id);
    if (status) {
        status = stmt->run();  // journal_rrs go with it (ON DELETE CASCADE)
    }
    if (!status) {
        return status.error();
    }
    return static_cast<uint64_t>(sqlite3_changes64(db));
}

}  // namespace tidal::store
