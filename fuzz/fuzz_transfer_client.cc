// Fuzz target: the AXFR/IXFR client's reading of a primary's answers, message by message as
// fetch_zone does it (core/xfr/transfer_client.cc): check_answer_header, the TSIG StreamVerifier
// when signed, read_answer (ldns), TransferReader; what it accepts must be a consistent transfer.
//
// Input: [flags: 1][IXFR serial: 4][now: 6][request MAC length: 1][request MAC][answer stream
// as sent over TCP: 2-octet length, message, ...]. flags bit 0: IXFR from the serial (else
// AXFR); bit 1: the request was signed with the fixed key, with that MAC. The zone is
// example.test. and the request ID 0x7A1D (make_seeds.py captures answers from tidald to it).
#include <optional>
#include <string>
#include <vector>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/snapshot/zone_compiler.h"
#include "core/tsig/tsig.h"
#include "core/xfr/client_message.h"
#include "core/xfr/client_transfer_reader.h"
#include "core/zone/serial_arith.h"
#include "core/zone/soa_rdata.h"
#include "fuzz/fuzz_support.h"

namespace {

using tidal::fuzz::check;
namespace xfr = tidal::xfr;
using tidal::Status;
namespace dns = tidal::dns;

constexpr uint16_t kRequestId = 0x7A1D;
constexpr uint64_t kMaxRecords = 100000;
std::string apex;  // example.test. as a wire name

// What fetch_zone's caller relies on in a transfer the reader accepted (client_transfer_reader.h).
void check_result(const xfr::TransferResult& result, std::optional<uint32_t> have_serial) {
    check(result.rr_count <= kMaxRecords, "more records than the cap");
    for (const std::string& warning : result.warnings) {
        check(!warning.empty(), "an empty warning");
    }
    auto check_rr = [&](const tidal::Record& rr) {
        check(rr.rclass == dns::rrclass::IN, "a record not of class IN");
        check(dns::name_lowered(rr.owner) == rr.owner, "an owner not lowercased");
        check(dns::name_is_subdomain(rr.owner, apex), "a record outside the zone kept");
    };
    if (result.full_zone()) {
        check(!result.records.empty(), "a full zone without records");
        const tidal::Record& soa = result.records.front();
        check(soa.type == dns::rrtype::SOA && soa.owner == apex,
              "the zone does not start with SOA");
        check(tidal::zone::soa_serial(soa.rdata) == result.serial, "serial is not the SOA's");
        for (size_t i = 0; i < result.records.size(); ++i) {
            check_rr(result.records[i]);
            check(i == 0 || result.records[i].type != dns::rrtype::SOA, "a second SOA kept");
        }
        // A zone the client accepts is one the secondary can serve.
        tidal::store::ZoneContents contents;
        contents.info.name = apex;
        contents.info.serial = result.serial;
        contents.records = result.records;
        auto compiled = tidal::snapshot::compile_zone(contents);
        check(compiled.ok(), "an accepted transfer does not compile: " +
                                 (compiled.ok() ? std::string() : compiled.error().message));
        if (have_serial) {
            check(result.kind == xfr::TransferKind::IxfrAxfr, "IXFR answer kind");
        } else {
            check(result.kind == xfr::TransferKind::Axfr, "AXFR answer kind");
        }
        return;
    }
    check(have_serial.has_value(), "an AXFR read as IXFR");
    if (result.kind == xfr::TransferKind::UpToDate) {
        check(result.serial == *have_serial, "up to date at another serial");
        return;
    }
    check(!result.differences.empty(), "IXFR without differences");
    uint32_t from = *have_serial;
    for (const auto& diff : result.differences) {
        check(diff.serial_from == from, "IXFR differences do not chain");
        check(tidal::zone::serial_gt(diff.serial_to, diff.serial_from), "a difference backwards");
        check(!diff.removed.empty() && diff.removed.front().type == dns::rrtype::SOA &&
                  !diff.added.empty() && diff.added.front().type == dns::rrtype::SOA,
              "a difference without its SOAs");
        for (const auto& rr : diff.removed) {
            check_rr(rr);
        }
        for (const auto& rr : diff.added) {
            check_rr(rr);
        }
        from = diff.serial_to;
    }
    check(from == result.serial, "IXFR differences do not end at the primary's serial");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tidal::fuzz::quiet_logging();
    auto name = dns::name_from_text("example.test.");
    check(name.ok(), "apex");
    apex = dns::name_lowered(name.value());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 12 || size < 12 + size_t(data[11])) {
        return 0;
    }
    const bool ixfr = (data[0] & 1) != 0;
    const bool signed_request = (data[0] & 2) != 0;
    const std::optional<uint32_t> have_serial =
        ixfr ? std::optional<uint32_t>(static_cast<uint32_t>(tidal::fuzz::read_be(data + 1, 4)))
             : std::nullopt;
    const uint64_t now = tidal::fuzz::read_be(data + 5, 6);
    const size_t mac_size = data[11];

    auto request = xfr::build_request(apex, ixfr ? dns::rrtype::IXFR : dns::rrtype::AXFR,
                                      have_serial, nullptr, now);
    check(request.ok(), "build_request");
    request->id = kRequestId;
    if (signed_request) {
        request->mac.assign(reinterpret_cast<const char*>(data + 12), mac_size);
    }
    const auto frames = tidal::fuzz::split_frames(data + 12 + mac_size, size - 12 - mac_size);

    std::optional<tidal::tsig::StreamVerifier> verifier;
    if (signed_request) {
        verifier.emplace(tidal::fuzz::fixed_key(), request->mac);
    }
    xfr::TransferReader reader(apex, have_serial, kMaxRecords);
    std::string refused;  // why the client stopped, as fetch_zone would report it
    for (size_t index = 1; index <= frames.size() && !reader.done() && refused.empty(); ++index) {
        const auto& message = frames[index - 1];
        const std::string where = "message " + std::to_string(index) + ": ";
        if (Status header = xfr::check_answer_header(message.data(), message.size(), *request);
            !header) {
            refused = where + header.message();
            break;
        }
        if (verifier) {
            if (std::string problem = verifier->add(message.data(), message.size(), now);
                !problem.empty()) {
                refused = where + "TSIG: " + problem;
                break;
            }
        }
        auto answer = xfr::read_answer(message.data(), message.size(), *request, index > 1);
        if (!answer) {
            refused = where + answer.error().message;
            check(!answer.error().message.empty(), "an error without a message");
            break;
        }
        if (Status added = reader.add_message(std::move(answer->answer)); !added) {
            refused = added.message();
            check(!refused.empty(), "an error without a message");
        }
    }
    if (!refused.empty()) {
        tidal::fuzz::trace("refused: " + refused);
        return 0;
    }
    if (!reader.done()) {
        check(!reader.finish().ok(), "an incomplete stream finished");
        tidal::fuzz::trace("refused: the stream ends before the final SOA");
        return 0;
    }
    if (verifier && !verifier->last_signed()) {
        tidal::fuzz::trace("refused: the last message is not signed");
        return 0;  // fetch_zone refuses a stream whose last message is unsigned
    }
    auto result = reader.finish();
    if (!result) {
        tidal::fuzz::trace("refused: " + result.error().message);
        return 0;
    }
    tidal::fuzz::trace("accepted: " + result->describe());
    check_result(result.value(), have_serial);
    return 0;
}
