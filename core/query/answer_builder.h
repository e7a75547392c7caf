// Fills the answer, authority and additional sections for a question inside one zone.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/query/message_writer.h"
#include "core/snapshot/zone_snapshot.h"

namespace tidal::query {

// The outcome of answering inside a zone; the caller turns it into header bits.
struct ZoneAnswer {
    uint8_t rcode = 0;
    bool authoritative = true;
    bool truncated = false;  // something required did not fit (UDP: set TC; TCP: SERVFAIL)
};

// Per-query state for RFC 1034 §4.3.2 steps 3-6 over one immutable snapshot. Lives on the
// stack of the responder; holds no heap memory.
class AnswerBuilder {
  public:
    AnswerBuilder(const snapshot::ZoneSnapshot& zone, MessageWriter& writer)
        : zone_(zone), writer_(writer) {}

    // qname: as sent (for the owner of the first answer, so its case is the client's);
    // qname_lower: the same, lowercased.
    ZoneAnswer answer(const uint8_t* qname, const uint8_t* qname_lower, uint16_t qtype);

    // RFC 1034 leaves the length open; Knot stops after 5 links, and so do we.
    static constexpr int kMaxCnameChain = 5;

  private:
    struct Written {
        const snapshot::RRset* set;
        bool referral;
    };

    bool put_rrset(Section section, const uint8_t* owner, const snapshot::RRset& set);
    bool put_rrset(Section section, const uint8_t* owner, const snapshot::RRset& set, uint32_t ttl);
    bool put_negative_soa();
    bool put_referral(const snapshot::Node& cut);
    bool put_additional(bool referral_state);
    bool put_glue(const snapshot::RRset& set, bool mandatory_pass, bool referral_state,
                  bool& truncate);

    const snapshot::ZoneSnapshot& zone_;
    MessageWriter& writer_;
    Written written_[16];
    size_t written_count_ = 0;
    const snapshot::Node* glued_[32];
    size_t glued_count_ = 0;
    uint32_t referral_cut_ = snapshot::kNoNode;

    // The node answering for an additional-section target name (wire, any case, at most
    // max_length octets), looked up now; kNoNode when none.
    uint32_t resolve_by_name(const uint8_t* name, size_t max_length) const;
};

}  // namespace tidal::query
