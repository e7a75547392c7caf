// One zone transfer answer (AXFR, RFC 5936; IXFR, RFC 1995) produced message by message.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/query/message_writer.h"
#include "core/query/query_parser.h"
#include "core/snapshot/zone_set.h"
#include "core/tsig/tsig.h"
#include "core/xfr/record_stream.h"

namespace tidal::xfr {

// True when the message is a QUERY for AXFR or IXFR: the TCP layer hands it to a session.
bool is_transfer_request(const uint8_t* message, size_t size);

// Created on the worker thread for one request; it keeps the zone snapshot it serves alive.
// Its life: construct (checks TSIG, zone, allow-transfer) -> if needs_journal(), run
// load_journal() off the event loop (it reads SQLite) -> next() until it returns 0.
class TransferSession {
  public:
    TransferSession(std::shared_ptr<const snapshot::ZoneSet> zones, const uint8_t* query,
                    size_t size, const sockaddr* peer, uint64_t now);

    bool needs_journal() const { return state_ == State::NeedJournal; }
    // Blocking: opens the store read-only and reads the journal. Safe on any thread.
    void load_journal();

    // Writes the next message (at most capacity octets) into out; 0 when the answer is complete.
    size_t next(uint8_t* out, size_t capacity, uint64_t now);

    // For the log: "AXFR example.com. serial 7 to 192.0.2.1 key transfer: 3 messages, 120 RRs".
    std::string describe() const;
    // False when the request was refused or failed (the answer is a single error message).
    bool transferred() const { return transferred_; }

    // What a completed transfer gave whom (the primary keeps it per secondary: tidalctl
    // status); nullopt unless transferred().
    struct Served {
        std::string zone;                      // lowercased wire apex
        std::string kind;                      // "AXFR" or "IXFR"
        std::optional<uint32_t> serial_asked;  // the client's serial, for IXFR (RFC 1995 §3)
        uint32_t serial_sent = 0;
        std::string peer;  // address text
        std::string key;   // TSIG key name, or empty
    };
    std::optional<Served> served() const;

  private:
    enum class State { Error, NeedJournal, Streaming, Done };

    void fail(uint8_t rcode, const std::string& why);
    size_t write_error(uint8_t* out, size_t capacity, uint64_t now);
    size_t sign(uint8_t* out, size_t size, size_t capacity, uint64_t now);
    // The OPT record's size in each message (with the EDNS EXPIRE option when asked).
    size_t opt_size() const;

    std::shared_ptr<const snapshot::ZoneSet> zones_;
    std::shared_ptr<const snapshot::ZoneSnapshot> zone_;
    std::string query_;  // a copy: the connection's buffer moves on
    query::ParsedQuery parsed_;
    tsig::RequestCheck tsig_;
    std::string peer_text_;
    uint32_t client_serial_ = 0;
    uint32_t served_serial_ = 0;
    State state_ = State::Error;
    uint8_t error_rcode_ = 0;
    std::string why_;
    std::unique_ptr<RecordStream> stream_;
    std::optional<uint32_t> expire_;  // RFC 7314 EXPIRE for the OPT record, when asked
    std::string kind_;                // "AXFR", "IXFR", "IXFR (AXFR-style)", "IXFR (up to date)"
    std::string prior_mac_;
    size_t messages_ = 0;
    size_t records_ = 0;
    bool transferred_ = false;
    query::MessageWriter writer_;
};

}  // namespace tidal::xfr
