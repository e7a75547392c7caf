// An UPDATE (RFC 2136) from the wire to its answer: TSIG, zone, allow-update, apply or forward.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/snapshot/zone_set.h"
#include "core/store/zone_store.h"

namespace tidal::update {

// True when message is a request with opcode UPDATE (the event loops hand those over).
bool is_update(const uint8_t* message, size_t size);

// One UPDATE as a worker received it; owns a copy of the message.
struct UpdateRequest {
    std::shared_ptr<const snapshot::ZoneSet> zones;  // the set served when it arrived
    std::string message;
    sockaddr_storage peer{};
    bool tcp = false;  // for the log
};

// Answers UPDATEs, keeping one ReadWrite store open between calls. Thread-compatible: one per
// thread (tidald keeps one per libuv thread-pool thread).
class UpdateHandler {
  public:
    UpdateHandler() = default;
    ~UpdateHandler();
    UpdateHandler(const UpdateHandler&) = delete;
    UpdateHandler& operator=(const UpdateHandler&) = delete;

    // Blocking (SQLite write transaction, or TCP to the primaries): never on an event loop.
    // In this order: a malformed message or zone section gets FORMERR; on a zone that is a
    // secondary here the message is forwarded unchanged to the primaries (RFC 2136 §6, the
    // primary checks its TSIG, which this host need not know) and their answer returned as it
    // is (SERVFAIL when none answers); otherwise a bad TSIG gets NOTAUTH with the TSIG error
    // (RFC 8945 §5.2); a zone not served here NOTAUTH (RFC 2136 §3.1.1); an empty allow-update
    // or one that does not match the peer and key REFUSED (§3.3); then the sections are parsed
    // (FORMERR, NOTZONE) and applied in one transaction (prerequisite rcodes of §3.2.5, or
    // NOERROR). The answer echoes the zone section and is signed when the request was. Logs
    // one line per applied update and per refusal (never a secret). Returns the answer, or ""
    // when nothing must be sent.
    std::string handle(const UpdateRequest& request, uint64_t now);

  private:
    // The store at path, opened ReadWrite on first use (and again after a failure).
    Result<store::ZoneStore*> store(const std::string& path);

    std::unique_ptr<store::ZoneStore> store_;
    std::string store_path_;
};

}  // namespace tidal::update
