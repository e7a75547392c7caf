// TransferReader: a state machine over the RRs of a transfer answer, strict about everything
// that would make the stored zone differ from the primary's.
#include "core/xfr/client_transfer_reader.h"

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/serial_arith.h"
#include "core/zone/soa_rdata.h"

namespace tidal::xfr {

namespace {

constexpr size_t kOutsideExamples = 3;

// Types that only exist in messages (RFC 6895 §3.1: meta and query types): never zone data.
bool is_meta_type(uint16_t type) {
    return type == dns::rrtype::OPT || type == dns::rrtype::TSIG || type == dns::rrtype::TKEY ||
           type == dns::rrtype::IXFR || type == dns::rrtype::AXFR || type == dns::rrtype::MAILA ||
           type == dns::rrtype::MAILB || type == dns::rrtype::ANY || type == 0;
}

std::string serial_text(uint32_t serial) {
    return std::to_string(serial);
}

}  // namespace

const char* transfer_kind_text(TransferKind kind) {
    switch (kind) {
        case TransferKind::Axfr:
            return "AXFR";
        case TransferKind::Ixfr:
            return "IXFR";
        case TransferKind::IxfrAxfr:
            return "IXFR (AXFR-style)";
        case TransferKind::UpToDate:
            return "IXFR (up to date)";
    }
    return "?";
}

std::string TransferResult::describe() const {
    std::string text = std::string(transfer_kind_text(kind)) + " serial " + serial_text(serial);
    if (kind == TransferKind::Ixfr && !differences.empty()) {
        text = std::string(transfer_kind_text(kind)) + " " +
               serial_text(differences.front().serial_from) + " -> " + serial_text(serial) + ": " +
               std::to_string(differences.size()) + " difference" +
               (differences.size() == 1 ? "" : "s");
    } else if (full_zone()) {
        text += ": " + std::to_string(records.size()) + " records";
    }
    return text + ", " + std::to_string(rr_count) + " RRs in " + std::to_string(messages) +
           " message" + (messages == 1 ? "" : "s") + " (" + std::to_string(octets) + " octets), " +
           std::to_string(duration.count()) + " ms";
}

TransferReader::TransferReader(std::string apex, std::optional<uint32_t> have_serial,
                               uint64_t max_records)
    : apex_(dns::name_lowered(apex)), have_serial_(have_serial), max_records_(max_records) {
    result_.kind = have_serial ? TransferKind::IxfrAxfr : TransferKind::Axfr;
}

std::string TransferReader::where() const {
    return "message " + std::to_string(result_.messages) + ", record " +
           std::to_string(result_.rr_count);
}

Status TransferReader::add_message(std::vector<Record> answer) {
    ++result_.messages;
    if (result_.messages == 1 && answer.empty()) {
        return Error{"the first message of the answer holds no records"};
    }
    for (Record& rr : answer) {
        Status status = add_record(rr);
        if (!status) {
            return status;
        }
    }
    if (result_.messages == 1 && state_ == State::FirstSoa) {
        return end_of_first_message();
    }
    return Status::success();
}

// The first message held the SOA alone. For an IXFR whose serial is not newer than ours, that
// is the whole answer (RFC 1995 §2); otherwise more messages follow.
Status TransferReader::end_of_first_message() {
    if (!have_serial_ || zone::serial_gt(result_.serial, *have_serial_)) {
        return Status::success();
    }
    if (result_.serial == *have_serial_) {
        result_.kind = TransferKind::UpToDate;
        state_ = State::Done;
        return Status::success();
    }
    return Error{"the primary's serial " + serial_text(result_.serial) + " is older than ours (" +
                 serial_text(*have_serial_) + ")"};
}

Status TransferReader::begin_difference(Record& soa, uint32_t serial) {
    const uint32_t expected =
        result_.differences.empty() ? *have_serial_ : result_.differences.back().serial_to;
    if (serial != expected) {
        return Error{where() + ": IXFR difference starts at serial " + serial_text(serial) +
                     ", expected " + serial_text(expected) +
                     (result_.differences.empty() ? " (the serial we asked from)"
                                                  : " (where the previous one ended)")};
    }
    store::JournalEntry diff;
    diff.serial_from = serial;
    diff.removed.push_back(std::move(soa));
    result_.differences.push_back(std::move(diff));
    result_.kind = TransferKind::Ixfr;
    state_ = State::Removing;
    return Status::success();
}

Status TransferReader::add_record(Record& rr) {
    if (state_ == State::Done) {
        return Error{where() + ": records after the final SOA"};
    }
    if (++result_.rr_count > max_records_) {
        return Error{"more than " + std::to_string(max_records_) +
                     " records: over the transfer's limit"};
    }
    if (rr.rclass != dns::rrclass::IN) {
        return Error{where() + ": record of class " + std::to_string(rr.rclass) + " at " +
                     dns::name_to_text(rr.owner) + ", only IN is transferred"};
    }
    if (is_meta_type(rr.type)) {
        return Error{where() + ": meta type " + std::to_string(rr.type) + " at " +
                     dns::name_to_text(rr.owner)};
    }
    if (state_ == State::Start && (rr.type != dns::rrtype::SOA || rr.owner != apex_)) {
        return Error{"the first record is not the zone's SOA but a type " +
                     std::to_string(rr.type) + " record at " + dns::name_to_text(rr.owner)};
    }
    if (!dns::name_is_subdomain(rr.owner, apex_)) {
        // As Knot does: dropped with a warning (a zone file with them loads the same way).
        if (outside_examples_.size() < kOutsideExamples) {
            outside_examples_.push_back(dns::name_to_text(rr.owner));
        }
        ++outside_zone_;
        return Status::success();
    }
    const bool is_soa = rr.type == dns::rrtype::SOA;
    std::optional<uint32_t> serial;
    if (is_soa) {
        serial = zone::soa_serial(rr.rdata);
        if (!serial) {
            return Error{where() + ": malformed SOA"};
        }
        if (rr.owner != apex_) {
            return Error{where() + ": SOA at " + dns::name_to_text(rr.owner) +
                         ", not at the zone apex"};
        }
    }

    switch (state_) {
        case State::Start:
            result_.serial = *serial;
            first_soa_ = rr;
            state_ = State::FirstSoa;
            return Status::success();

        case State::FirstSoa:
            if (is_soa && have_serial_ && *serial == *have_serial_ &&
                !(rr.rdata == first_soa_.rdata)) {
                return begin_difference(rr, *serial);  // RFC 1995 §4: our SOA opens a diff
            }
            if (is_soa) {
                if (rr.rdata != first_soa_.rdata) {
                    return Error{where() + ": a second SOA (serial " + serial_text(*serial) +
                                 ") unlike the opening SOA (serial " + serial_text(result_.serial) +
                                 ")" +
                                 (have_serial_ ? ", and not at the serial we asked from (" +
                                                     serial_text(*have_serial_) + ")"
                                               : std::string())};
                }
                // An SOA-only zone: SOA SOA. AXFR, or an IXFR answered AXFR-style.
                result_.records.push_back(std::move(first_soa_));
                state_ = State::Done;
                return Status::success();
            }
            // RFC 1995 §4: a second RR that is not an SOA means an AXFR(-style) answer.
            result_.records.push_back(first_soa_);
            result_.records.push_back(std::move(rr));
            state_ = State::Axfr;
            return Status::success();

        case State::Axfr:
            if (!is_soa) {
                result_.records.push_back(std::move(rr));
                return Status::success();
            }
            if (rr.rdata != first_soa_.rdata) {
                return Error{where() + ": a second SOA (serial " + serial_text(*serial) +
                             ") in the zone's records, unlike the opening SOA (serial " +
                             serial_text(result_.serial) + ")"};
            }
            state_ = State::Done;  // RFC 5936 §2.2: the opening SOA again closes the zone
            return Status::success();

        case State::Removing:
            if (!is_soa) {
                result_.differences.back().removed.push_back(std::move(rr));
                return Status::success();
            }
            if (!zone::serial_gt(*serial, result_.differences.back().serial_from)) {
                return Error{where() + ": IXFR difference goes from serial " +
                             serial_text(result_.differences.back().serial_from) + " to " +
                             serial_text(*serial) + ", not forward"};
            }
            result_.differences.back().serial_to = *serial;
            result_.differences.back().added.push_back(std::move(rr));
            state_ = State::Adding;
            return Status::success();

        case State::Adding:
            if (!is_soa) {
                result_.differences.back().added.push_back(std::move(rr));
                return Status::success();
            }
            if (*serial == result_.serial && result_.differences.back().serial_to == *serial) {
                if (rr.rdata != first_soa_.rdata) {
                    return Error{where() + ": the final SOA differs from the opening one"};
                }
                state_ = State::Done;
                return Status::success();
            }
            return begin_difference(rr, *serial);

        case State::Done:
            break;
    }
    return Error{where() + ": records after the final SOA"};
}

Result<TransferResult> TransferReader::finish() {
    if (state_ != State::Done) {
        return Error{"the answer ended before the final SOA (after " +
                     std::to_string(result_.messages) + " messages, " +
                     std::to_string(result_.rr_count) + " records)"};
    }
    if (have_serial_ && result_.kind != TransferKind::UpToDate &&
        !zone::serial_gt(result_.serial, *have_serial_) && result_.serial != *have_serial_) {
        return Error{"the primary's serial " + serial_text(result_.serial) +
                     " is older than ours (" + serial_text(*have_serial_) + ")"};
    }
    if (outside_zone_ > 0) {
        std::string text = "dropped " + std::to_string(outside_zone_) + " record" +
                           (outside_zone_ == 1 ? "" : "s") + " outside the zone (";
        for (size_t i = 0; i < outside_examples_.size(); ++i) {
            text += (i > 0 ? ", " : "") + outside_examples_[i];
        }
        result_.warnings.push_back(text +
                                   (outside_zone_ > outside_examples_.size() ? ", ...)" : ")"));
    }
    return std::move(result_);
}

}  // namespace tidal::xfr
