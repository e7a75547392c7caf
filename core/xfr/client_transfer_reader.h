// Interprets the RRs of an AXFR or IXFR answer stream, message by message, as a client:
// AXFR (RFC 5936 §2.2), IXFR differences (RFC 1995 §4), IXFR answered AXFR-style, "up to date".
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/store/zone_store.h"
#include "core/util/result.h"
#include "core/zone/record.h"

namespace tidal::xfr {

// What a transfer answer turned out to be.
enum class TransferKind {
    Axfr,      // an AXFR answer: records holds the whole zone
    Ixfr,      // IXFR differences: differences holds them, oldest first
    IxfrAxfr,  // an IXFR answered AXFR-style (RFC 1995 §4): records holds the whole zone
    UpToDate,  // an IXFR answered with the SOA alone: our serial is current (RFC 1995 §2)
};

// "AXFR", "IXFR", "IXFR (AXFR-style)", "IXFR (up to date)".
const char* transfer_kind_text(TransferKind kind);

// A transfer, read and validated, ready for ZoneStore::apply_axfr (records) or
// ZoneStore::apply_ixfr (differences).
struct TransferResult {
    TransferKind kind = TransferKind::Axfr;
    uint32_t serial = 0;  // the primary's serial: the answer's first SOA
    // Axfr, IxfrAxfr: every RR of the zone in the order received, the SOA once (first), owners
    // lowercased wire inside the zone, class IN, rdata uncompressed wire.
    std::vector<Record> records;
    // Ixfr: the differences as sent (removed[0] old SOA, added[0] new SOA; time 0), chaining
    // from the serial asked for to `serial`.
    std::vector<store::JournalEntry> differences;
    // Things dropped but tolerated, e.g. "dropped 2 records outside the zone (a.other.)".
    std::vector<std::string> warnings;
    std::optional<uint32_t> expire;  // EDNS EXPIRE from the first message (RFC 7314), seconds
    size_t messages = 0;             // answer messages read
    uint64_t rr_count = 0;           // answer RRs read, all messages
    uint64_t octets = 0;             // message octets read (without the TCP length prefixes)
    std::chrono::milliseconds duration{0};

    bool full_zone() const { return kind == TransferKind::Axfr || kind == TransferKind::IxfrAxfr; }
    // For logs: "IXFR 5 -> 7: 2 differences, 14 RRs in 3 messages (2048 octets), 12 ms".
    std::string describe() const;
};

// Feed it the answer RRs of each message in order; it says when the stream is complete. Every
// violation is an Error that names it (and the message number); the caller then stops.
class TransferReader {
  public:
    // apex: lowercased wire. have_serial: the serial an IXFR asked from (nullopt for AXFR).
    // max_records: a cap on the RRs read (a primary cannot make us store without bound).
    TransferReader(std::string apex, std::optional<uint32_t> have_serial, uint64_t max_records);

    // The answer section of the next message. After done() more records are an Error.
    Status add_message(std::vector<Record> answer);
    // True once the final SOA (or the lone SOA of an up-to-date IXFR answer) has been read.
    bool done() const { return state_ == State::Done; }
    // The result; Error when the stream is not complete.
    Result<TransferResult> finish();

  private:
    enum class State { Start, FirstSoa, Axfr, Removing, Adding, Done };

    Status add_record(Record& rr);
    Status begin_difference(Record& soa, uint32_t serial);
    Status end_of_first_message();
    std::string where() const;

    std::string apex_;
    std::optional<uint32_t> have_serial_;
    uint64_t max_records_;
    State state_ = State::Start;
    TransferResult result_;
    Record first_soa_;
    uint64_t outside_zone_ = 0;
    std::vector<std::string> outside_examples_;
};

}  // namespace tidal::xfr
