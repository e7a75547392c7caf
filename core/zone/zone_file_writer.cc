// Master-file writer: canonical order, one RR per line via ldns presentation format.
#include "core/zone/zone_file_writer.h"

#include <algorithm>
#include <tuple>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/rr_text.h"

namespace tidal::zone {

namespace {

// The labels of a well-formed wire name, leftmost first.
std::vector<std::string_view> labels(std::string_view wire) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    while (pos < wire.size()) {
        const size_t len = static_cast<uint8_t>(wire[pos]);
        if (len == 0 || pos + 1 + len > wire.size()) {
            break;
        }
        out.push_back(wire.substr(pos + 1, len));
        pos += len + 1;
    }
    return out;
}

// Lowercased octet comparison of two labels; a shorter prefix sorts first.
int compare_labels(std::string_view a, std::string_view b) {
    const size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
        const uint8_t x = dns::lower_octet(static_cast<uint8_t>(a[i]));
        const uint8_t y = dns::lower_octet(static_cast<uint8_t>(b[i]));
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

}  // namespace

bool canonical_name_less(std::string_view a, std::string_view b) {
    const auto la = labels(a);
    const auto lb = labels(b);
    auto ia = la.rbegin();
    auto ib = lb.rbegin();
    for (; ia != la.rend() && ib != lb.rend(); ++ia, ++ib) {
        const int c = compare_labels(*ia, *ib);
        if (c != 0) {
            return c < 0;
        }
    }
    return la.size() < lb.size();
}

Status write_zone_file(std::string_view origin, const std::vector<Record>& records,
                       std::ostream& out) {
    std::vector<const Record*> sorted;
    sorted.reserve(records.size());
    for (const Record& rr : records) {
        sorted.push_back(&rr);
    }
    std::sort(sorted.begin(), sorted.end(), [](const Record* a, const Record* b) {
        const bool a_soa = a->type == dns::rrtype::SOA;
        const bool b_soa = b->type == dns::rrtype::SOA;
        if (a_soa != b_soa) {
            return a_soa;
        }
        if (canonical_name_less(a->owner, b->owner)) {
            return true;
        }
        if (canonical_name_less(b->owner, a->owner)) {
            return false;
        }
        return std::tie(a->type, a->rdata) < std::tie(b->type, b->rdata);
    });
    out << "; zone " << dns::name_to_text(origin) << "\n";
    for (const Record* rr : sorted) {
        out << record_to_text(*rr) << '\n';
    }
    out.flush();
    if (!out) {
        return Error{"cannot write zone " + dns::name_to_text(origin) + ": output failed"};
    }
    return Status::success();
}

}  // namespace tidal::zone
