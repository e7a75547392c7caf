// RR presentation format through ldns: parsing of names, types, TTLs and rdata; printing of RRs.
#include "core/zone/rr_text.h"

#include <ldns/ldns.h>

#include <cctype>
#include <cstdlib>
#include <memory>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/zone_file_lexer.h"

namespace tidal::zone {

namespace {

struct RdfDeleter {
    void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
struct RrDeleter {
    void operator()(ldns_rr* rr) const { ldns_rr_free(rr); }
};
struct BufferDeleter {
    void operator()(ldns_buffer* buffer) const { ldns_buffer_free(buffer); }
};
struct CharDeleter {
    void operator()(char* text) const { std::free(text); }
};
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferDeleter>;
using CharPtr = std::unique_ptr<char, CharDeleter>;

// Stands in for the origin when none is known, so that a relative name in rdata (which ldns
// would otherwise silently treat as absolute) can be recognised afterwards by this suffix.
constexpr char kNoOriginLabel[] = "\x17tidal--no-origin--known";
std::string no_origin_wire() {
    return std::string(kNoOriginLabel) + std::string(1, '\0');
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) {
        return false;
    }
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (std::toupper(static_cast<unsigned char>(text[i])) != prefix[i]) {
            return false;
        }
    }
    return true;
}

// Decimal digits only, value at most max; nullopt otherwise.
std::optional<uint32_t> parse_number(std::string_view digits, uint32_t max) {
    if (digits.empty() || digits.size() > 10) {
        return std::nullopt;
    }
    uint64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (value > max) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(value);
}

std::string hex(std::string_view data) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(data.size() * 2);
    for (char c : data) {
        const auto byte = static_cast<uint8_t>(c);
        out += kDigits[byte >> 4];
        out += kDigits[byte & 0x0F];
    }
    return out;
}

// RFC 3597 §5 generic rdata: "\# <length> <hex>".
std::string generic_rdata(std::string_view rdata) {
    std::string out = "\\# " + std::to_string(rdata.size());
    if (!rdata.empty()) {
        out += ' ';
        out += hex(rdata);
    }
    return out;
}

// The RR decoded by ldns from its wire form, or null when ldns rejects the rdata for the type.
RrPtr rr_from_wire(const Record& rr) {
    if (rr.rdata.size() > 0xFFFF) {
        return nullptr;
    }
    std::string wire = rr.owner;
    const uint8_t fixed[10] = {
        static_cast<uint8_t>(rr.type >> 8),         static_cast<uint8_t>(rr.type),
        static_cast<uint8_t>(rr.rclass >> 8),       static_cast<uint8_t>(rr.rclass),
        static_cast<uint8_t>(rr.ttl >> 24),         static_cast<uint8_t>(rr.ttl >> 16),
        static_cast<uint8_t>(rr.ttl >> 8),          static_cast<uint8_t>(rr.ttl),
        static_cast<uint8_t>(rr.rdata.size() >> 8), static_cast<uint8_t>(rr.rdata.size())};
    wire.append(reinterpret_cast<const char*>(fixed), sizeof(fixed));
    wire += rr.rdata;
    ldns_rr* raw = nullptr;
    size_t pos = 0;
    const ldns_status status = ldns_wire2rr(&raw, reinterpret_cast<const uint8_t*>(wire.data()),
                                            wire.size(), &pos, LDNS_SECTION_ANSWER);
    RrPtr parsed(raw);
    if (status != LDNS_STATUS_OK || pos != wire.size()) {
        return nullptr;
    }
    return parsed;
}

// Whether text, as our reader would parse it for rr's type, gives rr's rdata back. ldns prints
// some rdata in a form that does not read back (a '"' inside a domain name, for one); the
// check runs only when the rdata holds an octet that could be involved, to keep exports fast.
bool rdata_reads_back(const Record& rr, const std::string& text) {
    bool risky = false;
    for (char c : rr.rdata) {
        const auto octet = static_cast<uint8_t>(c);
        if (octet == '"' || octet == ';' || octet == '(' || octet == ')' || octet == '\\' ||
            octet == '$' || octet == '@' || octet <= 0x20 || octet >= 0x7F) {
            risky = true;
            break;
        }
    }
    if (!risky) {
        return true;
    }
    // Through the lexer first, as the reader does (comments, quotes, parentheses).
    auto entries = split_zone_entries(text, "rdata");
    if (!entries || entries->size() != 1) {
        return false;
    }
    auto again = rdata_from_text(rr.type, entries->front().text, std::string(1, '\0'));
    return again.ok() && again.value() == rr.rdata;
}

}  // namespace

Result<std::string> name_from_presentation(std::string_view text,
                                           const std::optional<std::string>& origin) {
    if (text == "@") {
        if (!origin) {
            return Error{"'@' used but no origin is known (use $ORIGIN or --origin)"};
        }
        return *origin;
    }
    const std::string copy(text);
    if (copy.empty()) {
        return Error{"empty domain name"};
    }
    ldns_rdf* raw = nullptr;
    const ldns_status status = ldns_str2rdf_dname(&raw, copy.c_str());
    RdfPtr rdf(raw);
    if (status == LDNS_STATUS_DOMAINNAME_OVERFLOW) {
        return Error{"domain name '" + copy + "' is longer than 255 octets"};
    }
    if (status != LDNS_STATUS_OK || !rdf) {
        return Error{"invalid domain name '" + copy + "': " + ldns_get_errorstr_by_id(status)};
    }
    std::string wire(reinterpret_cast<const char*>(ldns_rdf_data(rdf.get())),
                     ldns_rdf_size(rdf.get()));
    if (!ldns_dname_str_absolute(copy.c_str())) {
        if (!origin) {
            return Error{"relative name '" + copy +
                         "' but no origin is known (use $ORIGIN or --origin)"};
        }
        wire.pop_back();  // ldns ends even a relative name with the root label
        wire += *origin;
    }
    if (wire.size() > dns::kMaxNameLength) {
        return Error{"domain name '" + copy + "' is longer than 255 octets"};
    }
    return wire;
}

Result<uint16_t> rrtype_from_text(std::string_view text) {
    uint16_t type = 0;
    if (iequals_prefix(text, "TYPE") && text.size() > 4) {
        const auto number = parse_number(text.substr(4), 0xFFFF);
        if (!number) {
            return Error{"invalid RR type '" + std::string(text) + "'"};
        }
        type = static_cast<uint16_t>(*number);
    } else {
        const std::string copy(text);
        type = static_cast<uint16_t>(ldns_get_rr_type_by_name(copy.c_str()));
        if (type == 0) {
            return Error{"unknown RR type '" + copy + "'"};
        }
    }
    // RFC 6895 §3.1: 0 is reserved, 41 (OPT) and 128-255 are meta- and query types.
    if (type == 0 || type == dns::rrtype::OPT || (type >= 128 && type <= 255)) {
        return Error{"RR type '" + std::string(text) + "' cannot appear in a zone"};
    }
    return type;
}

std::string rrtype_to_text(uint16_t type) {
    CharPtr text(ldns_rr_type2str(static_cast<ldns_rr_type>(type)));
    return text ? std::string(text.get()) : "TYPE" + std::to_string(type);
}

std::optional<uint16_t> rrclass_from_text(std::string_view text) {
    if (iequals_prefix(text, "CLASS") && text.size() > 5) {
        const auto number = parse_number(text.substr(5), 0xFFFF);
        return number ? std::optional<uint16_t>(static_cast<uint16_t>(*number)) : std::nullopt;
    }
    const std::string copy(text);
    const auto rclass = static_cast<uint16_t>(ldns_get_rr_class_by_name(copy.c_str()));
    return rclass != 0 ? std::optional<uint16_t>(rclass) : std::nullopt;
}

std::optional<Result<uint32_t>> ttl_from_text(std::string_view text) {
    if (text.empty() || text[0] < '0' || text[0] > '9') {
        return std::nullopt;
    }
    const auto invalid = [&] { return Error{"invalid TTL '" + std::string(text) + "'"}; };
    uint64_t total = 0;
    uint64_t current = 0;
    bool have_digits = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            current = current * 10 + static_cast<uint64_t>(c - '0');
            have_digits = true;
            if (current > 0xFFFFFFFFULL) {
                return Result<uint32_t>(invalid());
            }
            continue;
        }
        uint64_t unit = 0;
        switch (std::tolower(static_cast<unsigned char>(c))) {
            case 's':
                unit = 1;
                break;
            case 'm':
                unit = 60;
                break;
            case 'h':
                unit = 3600;
                break;
            case 'd':
                unit = 86400;
                break;
            case 'w':
                unit = 604800;
                break;
            default:
                return Result<uint32_t>(invalid());
        }
        if (!have_digits) {
            return Result<uint32_t>(invalid());
        }
        total += current * unit;
        current = 0;
        have_digits = false;
        if (total > 0xFFFFFFFFULL) {
            break;
        }
    }
    total += current;
    // RFC 2181 §8: a TTL is an unsigned number from 0 to 2^31-1.
    if (total > 0x7FFFFFFFULL) {
        return Result<uint32_t>(
            Error{"TTL '" + std::string(text) + "' is above 2147483647 (RFC 2181 §8)"});
    }
    return Result<uint32_t>(static_cast<uint32_t>(total));
}

Result<std::string> rdata_from_text(uint16_t type, std::string_view text,
                                    const std::optional<std::string>& origin) {
    const std::string origin_wire = origin ? *origin : no_origin_wire();
    RdfPtr origin_rdf(
        ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, origin_wire.size(), origin_wire.data()));
    if (!origin_rdf) {
        return Error{"out of memory"};
    }
    const std::string type_text = rrtype_to_text(type);
    const std::string line = ". 0 IN " + type_text + " " + std::string(text);
    ldns_rr* raw = nullptr;
    const ldns_status status =
        ldns_rr_new_frm_str(&raw, line.c_str(), 0, origin_rdf.get(), nullptr);
    RrPtr rr(raw);
    if (status != LDNS_STATUS_OK || !rr) {
        return Error{"bad " + type_text + " rdata '" + std::string(text) +
                     "': " + ldns_get_errorstr_by_id(status)};
    }
    if (ldns_rr_get_type(rr.get()) != type) {
        return Error{"bad " + type_text + " rdata '" + std::string(text) + "'"};
    }
    const std::string no_origin = no_origin_wire();
    for (size_t i = 0; i < ldns_rr_rd_count(rr.get()); ++i) {
        const ldns_rdf* rdf = ldns_rr_rdf(rr.get(), i);
        if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) {
            continue;
        }
        const std::string_view name(reinterpret_cast<const char*>(ldns_rdf_data(rdf)),
                                    ldns_rdf_size(rdf));
        if (!origin && ends_with(name, no_origin)) {
            return Error{"relative name in " + type_text + " rdata '" + std::string(text) +
                         "' but no origin is known (use $ORIGIN or --origin)"};
        }
        if (name.size() > dns::kMaxNameLength) {
            return Error{"a name in " + type_text + " rdata '" + std::string(text) +
                         "' is longer than 255 octets"};
        }
    }
    BufferPtr buffer(ldns_buffer_new(256));
    if (!buffer || ldns_rr_rdata2buffer_wire(buffer.get(), rr.get()) != LDNS_STATUS_OK) {
        return Error{"cannot encode " + type_text + " rdata '" + std::string(text) + "'"};
    }
    std::string wire(reinterpret_cast<const char*>(ldns_buffer_begin(buffer.get())),
                     ldns_buffer_position(buffer.get()));
    if (wire.size() > 0xFFFF) {
        return Error{type_text + " rdata is longer than 65535 octets"};
    }
    return wire;
}

std::string name_to_presentation(std::string_view wire) {
    if (wire.size() == 1 && wire[0] == '\0') {
        return ".";
    }
    std::string out;
    size_t pos = 0;
    while (pos < wire.size()) {
        const size_t len = static_cast<uint8_t>(wire[pos]);
        if (len == 0 || pos + 1 + len > wire.size()) {
            break;
        }
        for (size_t i = pos + 1; i <= pos + len; ++i) {
            const auto c = static_cast<uint8_t>(wire[i]);
            if (c <= 0x20 || c >= 0x7F) {
                // RFC 1035 §5.1: \DDD for octets that are not printable.
                out += '\\';
                out += static_cast<char>('0' + c / 100);
                out += static_cast<char>('0' + c / 10 % 10);
                out += static_cast<char>('0' + c % 10);
                continue;
            }
            if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\' || c == '"' || c == '@' ||
                c == '$') {
                out += '\\';
            }
            out += static_cast<char>(c);
        }
        out += '.';
        pos += len + 1;
    }
    return out;
}

std::string record_to_text(const Record& rr) {
    const std::string owner = name_to_presentation(rr.owner);
    const std::string type_text = rrtype_to_text(rr.type);
    RrPtr parsed = rr_from_wire(rr);
    if (parsed) {
        CharPtr text(ldns_rr2str_fmt(ldns_output_format_nocomments, parsed.get()));
        const std::string line = text ? std::string(text.get()) : std::string();
        // ldns writes "owner<TAB>ttl<TAB>class<TAB>type<TAB>rdata"; the owner is ours (ldns does
        // not escape '"', '@' and '$'), and so is the check that the rdata reads back the same.
        size_t rdata_at = 0;
        for (int field = 0; field < 4 && rdata_at != std::string::npos; ++field) {
            rdata_at = line.find('\t', rdata_at);
            if (rdata_at != std::string::npos) {
                ++rdata_at;
            }
        }
        if (rdata_at != std::string::npos) {
            std::string rdata = line.substr(rdata_at);
            while (!rdata.empty() && (rdata.back() == '\n' || rdata.back() == ' ')) {
                rdata.pop_back();
            }
            if (rdata_reads_back(rr, rdata)) {
                return owner + '\t' + std::to_string(rr.ttl) + "\tIN\t" + type_text + '\t' + rdata;
            }
        }
    }
    return owner + '\t' + std::to_string(rr.ttl) + "\tIN\t" + type_text + '\t' +
           generic_rdata(rr.rdata);
}

std::string rdata_to_text(uint16_t type, std::string_view rdata) {
    Record rr;
    rr.owner = std::string(1, '\0');
    rr.type = type;
    rr.rdata = std::string(rdata);
    const std::string line = record_to_text(rr);
    size_t pos = 0;
    for (int field = 0; field < 4 && pos != std::string::npos; ++field) {
        pos = line.find('\t', pos);
        if (pos != std::string::npos) {
            ++pos;
        }
    }
    return pos == std::string::npos ? generic_rdata(rdata) : line.substr(pos);
}

}  // namespace tidal::zone
