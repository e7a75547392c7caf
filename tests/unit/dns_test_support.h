// Test helpers: records and packets built and parsed by ldns, an implementation independent of
// ours.
#pragma once

#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <memory>
#include <string>
#include <vector>

#include "core/dns/name.h"
#include "core/snapshot/zone_compiler.h"
#include "core/snapshot/zone_set.h"
#include "core/store/zone_store.h"
#include "core/zone/record.h"

namespace tidal::test {

// One record from presentation format, owners lowercased as the store keeps them.
inline Record record(const std::string& text) {
    ldns_rr* rr = nullptr;
    const ldns_status status = ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr);
    EXPECT_EQ(status, LDNS_STATUS_OK) << text << ": " << ldns_get_errorstr_by_id(status);
    Record out;
    if (status != LDNS_STATUS_OK) {
        return out;
    }
    const ldns_rdf* owner = ldns_rr_owner(rr);
    out.owner.assign(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner));
    dns::name_to_lower(out.owner);
    out.type = ldns_rr_get_type(rr);
    out.rclass = ldns_rr_get_class(rr);
    out.ttl = ldns_rr_ttl(rr);
    ldns_buffer* buf = ldns_buffer_new(4096);
    EXPECT_EQ(ldns_rr_rdata2buffer_wire(buf, rr), LDNS_STATUS_OK);
    out.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buf)),
                     ldns_buffer_position(buf));
    ldns_buffer_free(buf);
    ldns_rr_free(rr);
    return out;
}

inline std::string wire_name(const std::string& text) {
    auto name = dns::name_from_text(text);
    EXPECT_TRUE(name.ok()) << text;
    return dns::name_lowered(name.value());
}

inline std::shared_ptr<const snapshot::ZoneSnapshot> compile(const std::string& apex,
                                                             const std::vector<std::string>& rrs,
                                                             uint32_t serial = 1) {
    store::ZoneContents contents;
    contents.info.name = wire_name(apex);
    contents.info.serial = serial;
    for (const auto& text : rrs) {
        contents.records.push_back(record(text));
    }
    auto compiled = snapshot::compile_zone(contents);
    EXPECT_TRUE(compiled.ok()) << (compiled.ok() ? "" : compiled.error().message);
    return compiled.ok() ? compiled.value() : nullptr;
}

struct QueryOptions {
    bool edns = true;
    uint16_t payload = 1232;
    uint8_t edns_version = 0;
    uint16_t qclass = LDNS_RR_CLASS_IN;
    uint16_t id = 4242;
    bool rd = false;
    bool expire = false;  // ask for EDNS EXPIRE (RFC 7314 §2: the option, empty)
};

inline std::vector<uint8_t> query(const std::string& name, ldns_rr_type type,
                                  const QueryOptions& options = {}) {
    ldns_pkt* pkt = nullptr;
    EXPECT_EQ(ldns_pkt_query_new_frm_str(&pkt, name.c_str(), type, ldns_rr_class(options.qclass),
                                         options.rd ? LDNS_RD : 0),
              LDNS_STATUS_OK);
    ldns_pkt_set_id(pkt, options.id);
    if (options.edns) {
        ldns_pkt_set_edns_udp_size(pkt, options.payload);
        ldns_pkt_set_edns_version(pkt, options.edns_version);
        static const uint8_t kExpireOption[] = {0, 9, 0, 0};
        ldns_pkt_set_edns_data(pkt, options.expire
                                        ? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN,
                                                                sizeof kExpireOption, kExpireOption)
                                        : ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 0, ""));
    }
    uint8_t* wire = nullptr;
    size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
    std::vector<uint8_t> out(wire, wire + size);
    free(wire);  // NOLINT: ldns allocates with malloc
    ldns_pkt_free(pkt);
    return out;
}

struct PacketDeleter {
    void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketDeleter>;

inline Packet parse(const uint8_t* wire, size_t size) {
    ldns_pkt* pkt = nullptr;
    EXPECT_EQ(ldns_wire2pkt(&pkt, wire, size), LDNS_STATUS_OK);
    return Packet(pkt);
}

// The RRs of one section as "owner ttl class type rdata" lines, sorted, owners lowercased.
inline std::vector<std::string> section(const ldns_pkt* pkt, ldns_pkt_section which) {
    std::vector<std::string> out;
    ldns_rr_list* list = ldns_pkt_get_section_clone(pkt, which);
    for (size_t i = 0; list != nullptr && i < ldns_rr_list_rr_count(list); ++i) {
        ldns_rr* rr = ldns_rr_list_rr(list, i);
        ldns_dname2canonical(ldns_rr_owner(rr));
        char* text = ldns_rr2str(rr);
        std::string line(text);
        free(text);  // NOLINT
        while (!line.empty() && (line.back() == '\n')) {
            line.pop_back();
        }
        for (auto& c : line) {
            if (c == '\t') {
                c = ' ';
            }
        }
        out.push_back(line);
    }
    ldns_rr_list_deep_free(list);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace tidal::test
