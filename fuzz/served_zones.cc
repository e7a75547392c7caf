// Builds the zone set the query, transfer and update fuzz targets serve (see served_zones.h).
#include "fuzz/served_zones.h"

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/snapshot/zone_set_loader.h"
#include "core/snapshot/zone_set_publisher.h"
#include "core/store/zone_store.h"
#include "core/zone/zone_file_reader.h"
#include "fuzz/fuzz_support.h"

namespace tidal::fuzz {

namespace {

std::string wire(const std::string& text) {
    auto name = dns::name_from_text(text);
    if (!name) {
        fail("name " + text + ": " + name.error().message);
    }
    return dns::name_lowered(name.value());
}

Record txt(const std::string& owner, const std::string& text) {
    Record rr;
    rr.owner = wire(owner);
    rr.type = dns::rrtype::TXT;
    rr.rclass = dns::rrclass::IN;
    rr.ttl = 300;
    rr.rdata = std::string(1, static_cast<char>(text.size())) + text;
    return rr;
}

std::string config_yaml(const std::string& database, const std::vector<std::string>& origins,
                        bool with_secondary) {
    std::string yaml = "database: " + database + "\n" +
                       "keys:\n"
                       "  - { name: " +
                       kKeyName + ", algorithm: hmac-sha256, secret: \"" + kKeySecret +
                       "\" }\n"
                       "remotes:\n"
                       "  - { id: primary, address: \"127.0.0.1:53\", key: " +
                       kKeyName +
                       " }\n"
                       "  - { id: loopback, address: \"127.0.0.1:53\" }\n"
                       "zones:\n";
    for (const std::string& origin : origins) {
        const std::string loopback = origin == "example.test." ? ", 127.0.0.0/8" : "";
        yaml += "  - { name: " + origin + ", role: primary, allow-transfer: [" + kKeyName +
                ", 127.0.0.0/8], allow-update: [" + kKeyName + loopback + "] }\n";
    }
    if (with_secondary) {
        yaml +=
            "  - { name: secondary.test., role: secondary, primaries: [primary], "
            "allow-notify: [primary, loopback] }\n";
    }
    return yaml;
}

}  // namespace

ServedZones build_served_zones(const std::string& dir, const std::vector<std::string>& zone_files,
                               bool with_secondary) {
    ServedZones served;
    served.database = dir + "/tidal.db";
    std::vector<std::string> origins;
    {
        auto store = store::ZoneStore::open(served.database, store::ZoneStore::Mode::ReadWrite);
        if (!store) {
            fail("store: " + store.error().message);
        }
        bool have_example = false;
        for (const std::string& file : zone_files) {
            auto zone = zone::read_zone_file(source_dir() + "/zones/" + file);
            if (!zone) {
                fail("zone file: " + zone.error().message);
            }
            auto imported = store.value()->replace_zone(zone->origin, zone->records);
            if (!imported) {
                fail("import " + file + ": " + imported.error().message);
            }
            origins.push_back(dns::name_to_text(zone->origin));
            have_example = have_example || zone->origin == wire("example.test.");
        }
        if (have_example) {
            // Two journal entries: IXFR from the imported serial gets differences, and an IXFR
            // from the middle one a condensed difference (RFC 1995 §5).
            for (const char* text : {"first change", "second change"}) {
                store::ZoneChange change;
                change.zone = wire("example.test.");
                change.add.push_back(txt("journal.example.test.", text));
                if (auto applied = store.value()->apply_change(change); !applied) {
                    fail("journal: " + applied.error().message);
                }
            }
        }
    }
    const std::string yaml = config_yaml(served.database, origins, with_secondary);
    auto config = config::parse_config(yaml, "fuzz-served.yaml");
    if (!config) {
        fail("config: " + config.error().message + "\n" + yaml);
    }
    served.config = config.value();
    snapshot::ZoneSetPublisher publisher;
    {
        snapshot::ZoneSetLoader loader(served.config, publisher);
        if (Status status = loader.load_all(); !status) {
            fail("load: " + status.message());
        }
    }
    served.zones = publisher.current();
    if (!served.zones || served.zones->zones().size() < origins.size()) {
        fail("load: zones missing from the published set");
    }
    return served;
}

}  // namespace tidal::fuzz
