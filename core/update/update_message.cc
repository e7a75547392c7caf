// parse_update: ldns reads the wire (decompressing names inside rdata), then the section rules of
// RFC 2136 §3.1.1, §3.2 and §3.4.1.3 are checked before any zone data is looked at.
#include "core/update/update_message.h"

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace tidal::update {

namespace {

struct PacketDeleter {
    void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
struct BufferDeleter {
    void operator()(ldns_buffer* buffer) const { ldns_buffer_free(buffer); }
};

std::string rdf_bytes(const ldns_rdf* rdf) {
    return std::string(reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf));
}

// Query and meta types (RFC 6895 §3.1: 128-255, and OPT): never data in a zone.
bool is_meta(uint16_t type) {
    return type == dns::rrtype::OPT || (type >= 128 && type <= 255);
}

std::string type_text(uint16_t type) {
    char* text = ldns_rr_type2str(static_cast<ldns_rr_type>(type));
    std::string out = text != nullptr ? text : std::to_string(type);
    std::free(text);  // ldns allocates with malloc
    return out;
}

std::string describe(const UpdateRR& rr, const char* section, size_t index) {
    return std::string(section) + " RR " + std::to_string(index + 1) + " (" +
           dns::name_to_text(rr.owner) + " class " + std::to_string(rr.rclass) + " " +
           type_text(rr.type) + ")";
}

// Reads one section's RRs; false when an RR's rdata cannot be converted back to wire.
bool read_section(const ldns_rr_list* list, ldns_buffer* buffer, std::vector<UpdateRR>& out) {
    const size_t count = list != nullptr ? ldns_rr_list_rr_count(list) : 0;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(list, i);
        UpdateRR item;
        item.owner = dns::name_lowered(rdf_bytes(ldns_rr_owner(rr)));
        item.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
        item.rclass = static_cast<uint16_t>(ldns_rr_get_class(rr));
        item.ttl = ldns_rr_ttl(rr);
        if (ldns_rr_rd_count(rr) > 0) {
            ldns_buffer_clear(buffer);
            if (ldns_rr_rdata2buffer_wire(buffer, rr) != LDNS_STATUS_OK) {
                return false;
            }
            item.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buffer)),
                              ldns_buffer_position(buffer));
        }
        out.push_back(std::move(item));
    }
    return true;
}

// True when rdata holds at least the fields the type requires (types ldns knows; others pass).
bool rdata_complete(const ldns_rr* rr) {
    const ldns_rr_descriptor* descriptor = ldns_rr_descript(ldns_rr_get_type(rr));
    if (descriptor == nullptr ||
        descriptor->_type != static_cast<ldns_rr_type>(ldns_rr_get_type(rr))) {
        return ldns_rr_rd_count(rr) > 0;
    }
    return ldns_rr_rd_count(rr) >= ldns_rr_descriptor_minimum(descriptor) &&
           ldns_rr_rd_count(rr) > 0;
}

ParseResult fail(uint16_t rcode, std::string why) {
    ParseResult result;
    result.rcode = rcode;
    result.why = std::move(why);
    return result;
}

// RFC 2136 §3.2 rules that need no zone data (the data checks are in update_prerequisites.cc).
ParseResult check_prerequisites(ParseResult result) {
    const UpdateMessage& m = result.message;
    for (size_t i = 0; i < m.prerequisites.size(); ++i) {
        const UpdateRR& rr = m.prerequisites[i];
        const std::string where = describe(rr, "prerequisite", i);
        if (rr.ttl != 0) {
            return fail(dns::rcode::FORMERR, where + ": TTL is not 0");
        }
        if (!dns::name_is_subdomain(rr.owner, m.zone)) {
            return fail(dns::rcode::NOTZONE, where + ": outside the zone");
        }
        if (is_meta(rr.type) && rr.type != dns::rrtype::ANY) {
            return fail(dns::rcode::FORMERR, where + ": a meta type");
        }
        if (rr.rclass == dns::rrclass::ANY || rr.rclass == dns::rrclass::NONE) {
            if (!rr.rdata.empty()) {
                return fail(dns::rcode::FORMERR, where + ": RDLENGTH is not 0");
            }
        } else if (rr.rclass == dns::rrclass::IN) {
            if (rr.type == dns::rrtype::ANY) {
                return fail(dns::rcode::FORMERR, where + ": type ANY with rdata");
            }
        } else {
            return fail(dns::rcode::FORMERR, where + ": class is not IN, NONE or ANY");
        }
    }
    return result;
}

// RFC 2136 §3.4.1.3, the update section prescan.
ParseResult prescan_updates(ParseResult result, const ldns_rr_list* list) {
    const UpdateMessage& m = result.message;
    for (size_t i = 0; i < m.updates.size(); ++i) {
        const UpdateRR& rr = m.updates[i];
        const std::string where = describe(rr, "update", i);
        if (!dns::name_is_subdomain(rr.owner, m.zone)) {
            return fail(dns::rcode::NOTZONE, where + ": outside the zone");
        }
        if (rr.rclass == dns::rrclass::IN) {
            if (is_meta(rr.type)) {
                return fail(dns::rcode::FORMERR, where + ": a meta type cannot be added");
            }
            if (!rdata_complete(ldns_rr_list_rr(list, i))) {
                return fail(dns::rcode::FORMERR, where + ": incomplete rdata");
            }
            if (rr.ttl > 0x7FFFFFFFU) {
                return fail(dns::rcode::FORMERR, where + ": TTL above 2^31 - 1 (RFC 2181 §8)");
            }
        } else if (rr.rclass == dns::rrclass::ANY) {
            if (rr.ttl != 0 || !rr.rdata.empty() ||
                (is_meta(rr.type) && rr.type != dns::rrtype::ANY)) {
                return fail(dns::rcode::FORMERR,
                            where + ": a delete needs TTL 0, no rdata and a data type or ANY");
            }
        } else if (rr.rclass == dns::rrclass::NONE) {
            if (rr.ttl != 0 || is_meta(rr.type)) {
                return fail(dns::rcode::FORMERR,
                            where + ": an RR delete needs TTL 0 and a data type");
            }
        } else {
            return fail(dns::rcode::FORMERR, where + ": class is not IN, NONE or ANY");
        }
    }
    return result;
}

}  // namespace

ParseResult parse_update(const uint8_t* message, size_t size) {
    ldns_pkt* raw = nullptr;
    const ldns_status status = ldns_wire2pkt(&raw, message, size);
    std::unique_ptr<ldns_pkt, PacketDeleter> pkt(raw);
    if (status != LDNS_STATUS_OK) {
        return fail(dns::rcode::FORMERR,
                    std::string("malformed message: ") + ldns_get_errorstr_by_id(status));
    }
    ParseResult result;
    result.message.id = ldns_pkt_id(pkt.get());
    // RFC 2136 §3.1.1: one zone RR, of type SOA; Tidal serves class IN only.
    const ldns_rr_list* zone = ldns_pkt_question(pkt.get());
    if (zone == nullptr || ldns_rr_list_rr_count(zone) != 1) {
        return fail(dns::rcode::FORMERR, "the zone section does not hold exactly one RR");
    }
    const ldns_rr* zone_rr = ldns_rr_list_rr(zone, 0);
    result.message.zone = dns::name_lowered(rdf_bytes(ldns_rr_owner(zone_rr)));
    if (ldns_rr_get_type(zone_rr) != LDNS_RR_TYPE_SOA) {
        return fail(dns::rcode::FORMERR, "the zone section's type is not SOA");
    }
    if (ldns_rr_get_class(zone_rr) != LDNS_RR_CLASS_IN) {
        return fail(dns::rcode::FORMERR, "the zone section's class is not IN");
    }
    std::unique_ptr<ldns_buffer, BufferDeleter> buffer(ldns_buffer_new(dns::kMaxMessageSize));
    const ldns_rr_list* updates = ldns_pkt_authority(pkt.get());
    if (!read_section(ldns_pkt_answer(pkt.get()), buffer.get(), result.message.prerequisites) ||
        !read_section(updates, buffer.get(), result.message.updates)) {
        return fail(dns::rcode::FORMERR, "an RR's rdata cannot be read");
    }
    result = check_prerequisites(std::move(result));
    if (result.rcode != dns::rcode::NOERROR) {
        return result;
    }
    return prescan_updates(std::move(result), updates);
}

}  // namespace tidal::update
