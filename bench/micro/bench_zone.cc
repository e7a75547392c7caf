// Builds the microbenchmarks' synthetic zone (as master-file text, read by our zone reader)
// and hand-assembled query packets.
#include "bench/micro/bench_zone.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>

#include "core/dns/name.h"
#include "core/snapshot/zone_compiler.h"
#include "core/zone/zone_file_reader.h"

namespace tidal::bench {

namespace {

[[noreturn]] void die(const std::string& message) {
    std::fprintf(stderr, "tidal_micro_bench: %s\n", message.c_str());
    std::abort();
}

std::string numbered(char prefix, uint32_t i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%07u", prefix, i);
    return buf;
}

void put16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v & 0xFF));
}

}  // namespace

ZoneLayout::ZoneLayout(uint32_t names)
    : hosts(0), cnames(names * 5 / 100), delegations(names * 2 / 100), wildcards(names / 100) {
    hosts = names - cnames - 2 * delegations - wildcards;
}

store::ZoneContents make_zone_contents(const ZoneLayout& layout, uint32_t serial) {
    std::string text = "$ORIGIN bench.test.\n$TTL 3600\n";
    text += "@ SOA ns1 hostmaster " + std::to_string(serial) + " 7200 900 1209600 300\n";
    text += "@ NS ns1\n@ NS ns2\n@ MX 10 h0000000\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n";
    std::mt19937 rng(6);
    char line[128];
    for (uint32_t i = 0; i < layout.hosts; ++i) {
        std::snprintf(line, sizeof line, "h%07u 300 A 10.%u.%u.%u\n", i, (i >> 16) & 255,
                      (i >> 8) & 255, i & 255);
        text += line;
        if (i % 2 == 0) {
            std::snprintf(line, sizeof line, "h%07u 300 AAAA 2001:db8::%x:%x\n", i,
                          (i >> 16) & 0xFFFF, i & 0xFFFF);
            text += line;
        }
    }
    for (uint32_t i = 0; i < layout.cnames; ++i) {
        text += numbered('c', i) + " 600 CNAME " + numbered('h', rng() % layout.hosts) + "\n";
    }
    for (uint32_t i = 0; i < layout.delegations; ++i) {
        std::snprintf(line, sizeof line, "d%07u NS ns.d%07u\nns.d%07u A 198.51.%u.%u\n", i, i, i,
                      (i >> 8) & 255, i & 255);
        text += line;
    }
    for (uint32_t i = 0; i < layout.wildcards; ++i) {
        std::snprintf(line, sizeof line, "*.w%07u 900 A 203.0.%u.%u\n", i, (i >> 8) & 255, i & 255);
        text += line;
    }
    auto file = zone::read_zone_text(text, "bench-zone");
    if (!file) {
        die(file.error().message);
    }
    store::ZoneContents contents;
    contents.info.name = file.value().origin;
    contents.info.serial = serial;
    contents.records = std::move(file.value().records);
    return contents;
}

std::shared_ptr<const snapshot::ZoneSnapshot> zone_snapshot(uint32_t names) {
    static std::mutex mutex;
    static std::map<uint32_t, std::shared_ptr<const snapshot::ZoneSnapshot>> cache;
    std::lock_guard lock(mutex);
    auto& entry = cache[names];
    if (!entry) {
        auto compiled = snapshot::compile_zone(make_zone_contents(ZoneLayout(names)));
        if (!compiled) {
            die(compiled.error().message);
        }
        entry = compiled.value();
    }
    return entry;
}

const snapshot::ZoneSet& zone_set(uint32_t names) {
    static std::mutex mutex;
    static std::map<uint32_t, std::unique_ptr<snapshot::ZoneSet>> cache;
    auto zone = zone_snapshot(names);
    std::lock_guard lock(mutex);
    auto& entry = cache[names];
    if (!entry) {
        entry = std::make_unique<snapshot::ZoneSet>(
            std::vector<std::shared_ptr<const snapshot::ZoneSnapshot>>{zone});
    }
    return *entry;
}

std::string wire_name(const std::string& name) {
    auto wire = dns::name_from_text(name);
    if (!wire) {
        die(wire.error().message);
    }
    return dns::name_lowered(wire.value());
}

std::vector<uint8_t> make_query(const std::string& name, uint16_t type, bool edns) {
    std::vector<uint8_t> out;
    put16(out, 0x1234);        // id
    put16(out, 0);             // flags: a plain query, no RD
    put16(out, 1);             // QDCOUNT
    put16(out, 0);             // ANCOUNT
    put16(out, 0);             // NSCOUNT
    put16(out, edns ? 1 : 0);  // ARCOUNT
    const std::string wire = wire_name(name);
    out.insert(out.end(), wire.begin(), wire.end());
    put16(out, type);
    put16(out, 1);  // IN
    if (edns) {
        // RFC 6891 §6.1.2: root owner, type OPT, class = payload size, TTL = ext-rcode/flags.
        out.push_back(0);
        put16(out, 41);
        put16(out, 1232);
        put16(out, 0);
        put16(out, 0);
        put16(out, 0);  // RDLENGTH
    }
    return out;
}

std::vector<std::string> query_names(const ZoneLayout& layout, const std::string& kind,
                                     size_t count) {
    std::mt19937 rng(0x5EED);
    std::vector<std::string> names;
    names.reserve(count);
    const std::string suffix = std::string(".") + kOrigin;
    for (size_t i = 0; i < count; ++i) {
        if (kind == "positive" || kind == "nodata") {
            names.push_back(numbered('h', rng() % layout.hosts) + suffix);
        } else if (kind == "nxdomain") {
            names.push_back("x" + std::to_string(rng()) + suffix);
        } else if (kind == "wildcard") {
            names.push_back("q" + std::to_string(rng() % 100000) + "." +
                            numbered('w', rng() % layout.wildcards) + suffix);
        } else if (kind == "cname") {
            names.push_back(numbered('c', rng() % layout.cnames) + suffix);
        } else if (kind == "referral") {
            names.push_back("www." + numbered('d', rng() % layout.delegations) + suffix);
        } else {
            die("unknown query kind " + kind);
        }
    }
    return names;
}

}  // namespace tidal::bench
