// Fuzz target: UPDATE processing (RFC 2136) as tidald runs it: update::UpdateHandler::handle on
// the input as an UPDATE from 127.0.0.1 (TSIG, zone, allow-update, parse_update, apply_update
// in the SQLite store). Every input starts from the same store (restored from a pristine copy),
// so a crash replays; a change that is applied must leave a zone that is still valid, that the
// server can compile, and whose journal leads to it.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <filesystem>
#include <map>
#include <string>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/snapshot/zone_compiler.h"
#include "core/store/zone_store.h"
#include "core/update/update_handler.h"
#include "core/update/update_message.h"
#include "core/zone/zone_checks.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/served_zones.h"

// Last: ldns/common.h defines bool, true and false as macros unless stdbool.h came first.
#include <ldns/ldns.h>

namespace {

using tidal::fuzz::check;
namespace dns = tidal::dns;
namespace fs = std::filesystem;

struct State {
    tidal::fuzz::ServedZones served;
    std::string pristine;                     // the store as built, copied back before each input
    std::map<std::string, uint32_t> serials;  // each zone's serial in the pristine store
};
State* state = nullptr;

void restore_store() {
    std::error_code ec;
    fs::remove(state->served.database + "-wal", ec);
    fs::remove(state->served.database + "-shm", ec);
    // libFuzzer's timer signal (-timeout) can interrupt the copy's sendfile: try again.
    for (int attempt = 0; attempt < 100; ++attempt) {
        ec.clear();
        fs::copy_file(state->pristine, state->served.database, fs::copy_options::overwrite_existing,
                      ec);
        if (ec != std::errc::interrupted) {
            break;
        }
    }
    check(!ec, "cannot restore the store: " + ec.message());
}

uint16_t read16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

void check_answer(const uint8_t* data, size_t size, const std::string& answer) {
    const auto* a = reinterpret_cast<const uint8_t*>(answer.data());
    check(answer.size() >= dns::kHeaderSize, "answer shorter than a header");
    check(read16(a) == read16(data), "answer ID differs");
    check((a[2] & 0x80) != 0, "answer without QR");
    check(((a[2] >> 3) & 0x0F) == dns::opcode::UPDATE, "answer opcode is not UPDATE");
    check(size >= dns::kHeaderSize, "answered a message shorter than a header");
    ldns_pkt* pkt = nullptr;
    const ldns_status status = ldns_wire2pkt(&pkt, a, answer.size());
    ldns_pkt_free(pkt);
    check(status == LDNS_STATUS_OK,
          std::string("ldns cannot parse the answer: ") + ldns_get_errorstr_by_id(status));
}

// After an answer with this rcode, the zone the UPDATE named is as RFC 2136 leaves it: changed
// only by a NOERROR, and then still a valid zone with a journal entry leading to it.
void check_store(const uint8_t* data, size_t size, uint16_t rcode) {
    const tidal::update::ParseResult parsed = tidal::update::parse_update(data, size);
    auto pristine_serial = state->serials.find(parsed.message.zone);
    if (parsed.rcode != dns::rcode::NOERROR || pristine_serial == state->serials.end()) {
        return;  // the handler cannot have reached the store
    }
    const std::string& apex = parsed.message.zone;
    auto store = tidal::store::ZoneStore::open(state->served.database,
                                               tidal::store::ZoneStore::Mode::ReadOnly);
    check(store.ok(), "store: " + (store.ok() ? std::string() : store.error().message));
    auto contents = store.value()->read_zone(apex);
    check(contents.ok(), "zone gone after an UPDATE: " +
                             (contents.ok() ? std::string() : contents.error().message));
    const uint32_t before = pristine_serial->second;
    const uint32_t after = contents->info.serial;
    if (rcode != dns::rcode::NOERROR) {
        check(after == before, "a refused UPDATE changed the serial");
        return;
    }
    if (after == before) {
        return;  // nothing to change (RFC 2136 §3.4.2 ignores some updates)
    }
    // The zone-file rules (one SOA at the apex, NS at the apex, CNAME alone, names inside).
    tidal::zone::ParsedZone zone;
    zone.files.push_back("store");
    for (const tidal::Record& rr : contents->records) {
        zone.records.push_back(tidal::zone::ParsedRecord{rr, 0, 0});
    }
    auto checked = tidal::zone::check_zone(std::move(zone), apex);
    check(checked.ok(), "an UPDATE left an invalid zone: " +
                            (checked.ok() ? std::string() : checked.error().message));
    auto compiled = tidal::snapshot::compile_zone(contents.value());
    check(compiled.ok(), "an UPDATE left a zone that does not compile");
    auto journal = store.value()->read_journal(apex, before);
    check(journal.ok() && journal->has_value() && !journal->value().empty() &&
              journal->value().back().serial_to == after,
          "no journal from the serial before the UPDATE to the one after it");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tidal::fuzz::quiet_logging();
    state = new State;
    // No secondary zone: an UPDATE for one is forwarded over TCP to its primaries.
    state->served =
        tidal::fuzz::build_served_zones(tidal::fuzz::make_temp_dir("tidal-fuzz-update", true),
                                        {"example.test.zone", "wild.test.zone"}, false);
    state->pristine = state->served.database + ".pristine";
    fs::copy_file(state->served.database, state->pristine);
    for (const auto& zone : state->served.zones->zones()) {
        state->serials[zone->apex()] = zone->serial();
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    restore_store();
    tidal::update::UpdateRequest request;
    request.zones = state->served.zones;
    request.message.assign(reinterpret_cast<const char*>(data), size);
    auto* peer = reinterpret_cast<sockaddr_in*>(&request.peer);
    peer->sin_family = AF_INET;
    peer->sin_port = htons(5353);
    peer->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    request.tcp = true;

    std::string answer;
    {
        tidal::update::UpdateHandler handler;  // closes its store before the checks read it
        answer = handler.handle(request, tidal::fuzz::kFixedNow);
    }
    if (answer.empty()) {
        check(!tidal::update::is_update(data, size), "an UPDATE went unanswered");
        return 0;
    }
    check_answer(data, size, answer);
    check_store(data, size, static_cast<uint16_t>(answer[3] & 0x0F));
    return 0;
}
