// Fuzz target: the zone-file reader (core/zone/zone_file_reader, with its zone checks) on the
// input as master-file text; what it accepts must be a well-formed zone that survives a round
// trip through the zone-file writer and compiles into a snapshot.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/snapshot/zone_compiler.h"
#include "core/store/zone_store.h"
#include "core/zone/rr_text.h"
#include "core/zone/zone_file_reader.h"
#include "core/zone/zone_file_writer.h"
#include "fuzz/fuzz_support.h"

namespace {

using tidal::fuzz::check;

std::string dir;
std::string source;  // the input's file name: $INCLUDE names are relative to its directory

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    check(static_cast<bool>(out), "cannot write " + path);
}

// $INCLUDE may name only the files of our temp dir: a path could make the reader open any file
// on the machine (/dev/zero never ends), which is the operator's business, not a parser bug.
bool includes_outside(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.find("$include") != std::string::npos &&
           text.find_first_of("/\\") != std::string_view::npos;
}

std::string describe(const tidal::Record& rr) {
    return tidal::zone::record_to_text(rr);
}

// What read_zone_file promises about a zone it accepts (zone_file_reader.h).
void check_zone(const tidal::zone::ZoneFile& zone) {
    namespace dns = tidal::dns;
    check(!zone.origin.empty() &&
              dns::name_wire_length(reinterpret_cast<const uint8_t*>(zone.origin.data()),
                                    zone.origin.size()) == zone.origin.size(),
          "origin is not a wire name");
    check(dns::name_lowered(zone.origin) == zone.origin, "origin not lowercased");
    size_t soas = 0;
    bool apex_ns = false;
    for (size_t i = 0; i < zone.records.size(); ++i) {
        const tidal::Record& rr = zone.records[i];
        const auto* owner = reinterpret_cast<const uint8_t*>(rr.owner.data());
        check(dns::name_wire_length(owner, rr.owner.size()) == rr.owner.size(),
              "owner is not a wire name: " + describe(rr));
        check(dns::name_lowered(rr.owner) == rr.owner, "owner not lowercased: " + describe(rr));
        check(dns::name_is_subdomain(rr.owner, zone.origin), "owner outside: " + describe(rr));
        check(rr.rclass == dns::rrclass::IN, "class not IN: " + describe(rr));
        if (rr.type == dns::rrtype::SOA) {
            ++soas;
            check(rr.owner == zone.origin, "SOA away from the apex: " + describe(rr));
        }
        apex_ns = apex_ns || (rr.type == dns::rrtype::NS && rr.owner == zone.origin);
        if (i > 0) {
            const tidal::Record& prev = zone.records[i - 1];
            check(prev < rr,
                  "records not sorted or duplicated: " + describe(prev) + " / " + describe(rr));
            // RFC 2181 §5.2: one TTL per RRset (RRSIG sets follow their covered sets).
            check(prev.owner != rr.owner || prev.type != rr.type || rr.type == dns::rrtype::RRSIG ||
                      prev.ttl == rr.ttl,
                  "TTLs differ in an RRset: " + describe(rr));
        }
    }
    check(soas == 1, "not exactly one SOA");
    check(apex_ns, "no NS at the apex");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tidal::fuzz::quiet_logging();
    dir = tidal::fuzz::make_temp_dir("tidal-fuzz-zone");
    source = dir + "/input.zone";
    // Files the input may $INCLUDE by name: records relative to the current origin, one that
    // includes another, and one that includes itself (a loop the reader must refuse).
    write_file(dir + "/inc.zone", "$TTL 60\nwww IN A 192.0.2.9\nwww IN AAAA 2001:db8::9\n");
    write_file(dir + "/nested.zone", "$ORIGIN sub\n$INCLUDE inc.zone\nmx IN MX 10 www\n");
    write_file(dir + "/loop.zone", "$INCLUDE loop.zone\n");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (includes_outside(text)) {
        return 0;
    }
    auto zone = tidal::zone::read_zone_text(text, source);
    if (!zone) {
        check(!zone.error().message.empty(), "an error without a message");
        return 0;
    }
    check_zone(zone.value());

    // The writer's promise: read_zone_file gives the same records back.
    std::ostringstream written;
    check(static_cast<bool>(tidal::zone::write_zone_file(zone->origin, zone->records, written)),
          "write_zone_file failed");
    auto again = tidal::zone::read_zone_text(written.str(), dir + "/written.zone", zone->origin);
    check(again.ok(), "the written zone does not read back: " +
                          (again.ok() ? std::string() : again.error().message) + "\n" +
                          written.str());
    check(again->records == zone->records,
          "the written zone reads back different records:\n" + written.str());

    // A zone the reader accepts is one the server can serve.
    tidal::store::ZoneContents contents;
    contents.info.name = zone->origin;
    contents.records = zone->records;
    auto compiled = tidal::snapshot::compile_zone(contents);
    check(compiled.ok(), "an accepted zone does not compile: " +
                             (compiled.ok() ? std::string() : compiled.error().message));
    return 0;
}
