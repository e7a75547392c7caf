// Wire-format name helpers; text conversion goes through ldns so escapes match the zone parser.
#include "core/dns/name.h"

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

#include "core/dns/constants.h"

namespace tidal::dns {

void name_to_lower(std::string& wire) {
    size_t pos = 0;
    while (pos < wire.size()) {
        const size_t len = uint8_t(wire[pos]);
        if (len == 0) {
            break;
        }
        for (size_t i = pos + 1; i <= pos + len && i < wire.size(); ++i) {
            wire[i] = char(lower_octet(uint8_t(wire[i])));
        }
        pos += len + 1;
    }
}

std::string name_lowered(std::string_view wire) {
    std::string out(wire);
    name_to_lower(out);
    return out;
}

size_t name_wire_length(const uint8_t* data, size_t size) {
    size_t pos = 0;
    while (pos < size) {
        const uint8_t len = data[pos];
        if (len == 0) {
            return pos + 1 <= kMaxNameLength ? pos + 1 : 0;
        }
        if (len > kMaxLabelLength) {
            return 0;  // compression pointer or reserved label type
        }
        pos += size_t(len) + 1;
        if (pos >= kMaxNameLength) {
            return 0;
        }
    }
    return 0;
}

size_t name_label_count(std::string_view wire) {
    size_t count = 0;
    size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        ++count;
        pos += size_t(uint8_t(wire[pos])) + 1;
    }
    return count;
}

std::string_view name_parent(std::string_view wire) {
    if (wire.empty() || wire[0] == 0) {
        return wire;
    }
    const size_t skip = size_t(uint8_t(wire[0])) + 1;
    return skip < wire.size() ? wire.substr(skip) : root_name();
}

bool name_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower_octet(uint8_t(a[i])) != lower_octet(uint8_t(b[i]))) {
            return false;
        }
    }
    return true;
}

bool name_is_subdomain(std::string_view name, std::string_view ancestor) {
    if (name.size() < ancestor.size()) {
        return false;
    }
    // Walk labels of name until the remainder is as long as ancestor; it must start on a label.
    size_t pos = 0;
    while (name.size() - pos > ancestor.size()) {
        const size_t len = uint8_t(name[pos]);
        if (len == 0) {
            return false;
        }
        pos += len + 1;
    }
    return name.size() - pos == ancestor.size() && name_equal(name.substr(pos), ancestor);
}

namespace {
struct RdfDeleter {
    void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
}  // namespace

Result<std::string> name_from_text(std::string_view text, std::string_view origin) {
    if (text.empty()) {
        return Error{"empty domain name"};
    }
    if (text == "@") {
        return std::string(origin);
    }
    const std::string copy(text);
    ldns_rdf* raw = nullptr;
    if (ldns_str2rdf_dname(&raw, copy.c_str()) != LDNS_STATUS_OK || raw == nullptr) {
        return Error{"invalid domain name '" + copy + "'"};
    }
    RdfPtr rdf(raw);
    std::string wire(reinterpret_cast<const char*>(ldns_rdf_data(rdf.get())),
                     ldns_rdf_size(rdf.get()));
    if (!ldns_dname_str_absolute(copy.c_str())) {
        // ldns gives a relative name without the root label: append the origin.
        if (!wire.empty() && wire.back() == 0) {
            wire.pop_back();
        }
        wire.append(origin);
        if (wire.size() > kMaxNameLength) {
            return Error{"domain name '" + copy + "' is longer than 255 octets with the origin"};
        }
    }
    return wire;
}

std::string name_to_text(std::string_view wire) {
    RdfPtr rdf(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, wire.size(), wire.data()));
    if (!rdf) {
        return "<invalid name>";
    }
    char* str = ldns_rdf2str(rdf.get());
    std::string out = str != nullptr ? str : "<invalid name>";
    std::free(str);
    return out;
}

}  // namespace tidal::dns
