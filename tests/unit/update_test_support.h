// Test helpers for RFC 2136 UPDATE: messages built by ldns (independent of our parser), a
// temporary store holding example.com., and the zone read back as sorted text lines.
#pragma once

#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/dns/constants.h"
#include "core/store/zone_store.h"
#include "core/update/update_message.h"
#include "core/zone/rr_text.h"
#include "tests/unit/dns_test_support.h"

namespace tidal::test {

// One RR of an UPDATE section: presentation owner, TTL, class and type numbers, rdata text
// ("" for RDLENGTH 0).
struct UpdateSpec {
    std::string owner;
    uint32_t ttl = 0;
    uint16_t rclass = dns::rrclass::IN;
    std::string type;
    std::string rdata;
};

inline ldns_rr* make_update_rr(const UpdateSpec& spec) {
    ldns_rr* rr = nullptr;
    if (!spec.rdata.empty()) {
        const std::string text = spec.owner + " 0 IN " + spec.type + " " + spec.rdata;
        const ldns_status status = ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr);
        EXPECT_EQ(status, LDNS_STATUS_OK) << text;
    } else {
        rr = ldns_rr_new();
        ldns_rr_set_owner(rr, ldns_dname_new_frm_str(spec.owner.c_str()));
        ldns_rr_set_type(rr, ldns_get_rr_type_by_name(spec.type.c_str()));
    }
    ldns_rr_set_class(rr, static_cast<ldns_rr_class>(spec.rclass));
    ldns_rr_set_ttl(rr, spec.ttl);
    return rr;
}

// An UPDATE message for zone with these prerequisites and updates, as ldns writes it (names
// compressed). zone_type/zone_class/zone_count let tests break the zone section.
struct UpdateBuilder {
    std::string zone = "example.com.";
    uint16_t zone_type = LDNS_RR_TYPE_SOA;
    uint16_t zone_class = LDNS_RR_CLASS_IN;
    int zone_count = 1;
    uint16_t id = 777;
    std::vector<UpdateSpec> prerequisites;
    std::vector<UpdateSpec> updates;

    std::vector<uint8_t> wire() const {
        ldns_pkt* pkt = ldns_pkt_new();
        ldns_pkt_set_opcode(pkt, LDNS_PACKET_UPDATE);
        ldns_pkt_set_id(pkt, id);
        for (int i = 0; i < zone_count; ++i) {
            ldns_rr* z = ldns_rr_new();
            ldns_rr_set_question(z, true);
            ldns_rr_set_owner(z, ldns_dname_new_frm_str(zone.c_str()));
            ldns_rr_set_type(z, static_cast<ldns_rr_type>(zone_type));
            ldns_rr_set_class(z, static_cast<ldns_rr_class>(zone_class));
            ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, z);
        }
        for (const auto& spec : prerequisites) {
            ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, make_update_rr(spec));
        }
        for (const auto& spec : updates) {
            ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, make_update_rr(spec));
        }
        uint8_t* data = nullptr;
        size_t size = 0;
        EXPECT_EQ(ldns_pkt2wire(&data, pkt, &size), LDNS_STATUS_OK);
        std::vector<uint8_t> out(data, data + size);
        std::free(data);
        ldns_pkt_free(pkt);
        return out;
    }

    update::ParseResult parse() const {
        const auto bytes = wire();
        return update::parse_update(bytes.data(), bytes.size());
    }
};

// A store in a fresh temporary directory, removed at the end.
class TempStore {
  public:
    TempStore() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "tidal-update-XXXXXX").string();
        EXPECT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        auto opened = store::ZoneStore::open(dir_ + "/tidal.db", store::ZoneStore::Mode::ReadWrite);
        EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
        if (opened.ok()) {
            store_ = std::move(opened.value());
        }
    }
    ~TempStore() {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    TempStore(const TempStore&) = delete;
    TempStore& operator=(const TempStore&) = delete;

    store::ZoneStore& store() { return *store_; }
    std::string path() const { return dir_ + "/tidal.db"; }

  private:
    std::string dir_;
    std::unique_ptr<store::ZoneStore> store_;
};

// The zone as sorted "owner ttl TYPE rdata" lines, SOA included.
inline std::vector<std::string> dump_zone(store::ZoneStore& store, const std::string& apex) {
    auto contents = store.read_zone(wire_name(apex));
    EXPECT_TRUE(contents.ok()) << (contents.ok() ? "" : contents.error().message);
    std::vector<std::string> lines;
    if (contents.ok()) {
        for (const Record& rr : contents->records) {
            lines.push_back(zone::record_to_text(rr));
        }
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

}  // namespace tidal::test
