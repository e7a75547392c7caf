// The sequence of RRs an AXFR or IXFR answer carries, produced one at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/snapshot/zone_snapshot.h"
#include "core/store/zone_store.h"
#include "core/zone/record.h"

namespace tidal::xfr {

// One RR to write: owner as an uncompressed wire name, rdata uncompressed.
struct StreamRr {
    const uint8_t* owner = nullptr;
    uint16_t type = 0;
    uint32_t ttl = 0;
    const uint8_t* rdata = nullptr;
    size_t rdlength = 0;
};

// A cursor over the RRs of an answer. current() is stable until advance().
class RecordStream {
  public:
    virtual ~RecordStream() = default;
    // The RR at the cursor; false at the end.
    virtual bool current(StreamRr& rr) const = 0;
    virtual void advance() = 0;
};

// AXFR (RFC 5936 §2.2): the SOA, every other RR of the zone (occluded data included), the SOA
// again; straight from an immutable snapshot, so the stream is one consistent version.
std::unique_ptr<RecordStream> axfr_stream(std::shared_ptr<const snapshot::ZoneSnapshot> zone);

// IXFR (RFC 1995 §4): the new SOA, then for each difference the old SOA and the removed RRs,
// the new SOA and the added RRs, then the new SOA. Several journal entries are condensed into
// one difference (RFC 1995 §5 permits it), so a far-behind client gets only the net change.
std::unique_ptr<RecordStream> ixfr_stream(const std::vector<store::JournalEntry>& entries);

// A single SOA: the answer to an IXFR from a client that is already current (RFC 1995 §2).
std::unique_ptr<RecordStream> soa_stream(std::shared_ptr<const snapshot::ZoneSnapshot> zone);

}  // namespace tidal::xfr
