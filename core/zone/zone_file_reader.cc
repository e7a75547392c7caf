// Master-file reader: directives ($ORIGIN, $TTL, $INCLUDE) and record lines, parsed with ldns.
#include "core/zone/zone_file_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/rr_text.h"
#include "core/zone/soa_rdata.h"
#include "core/zone/zone_checks.h"
#include "core/zone/zone_file_lexer.h"

namespace tidal::zone {

namespace {

// Bound on $INCLUDE nesting, against loops and runaway recursion.
constexpr size_t kMaxIncludeDepth = 16;

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{path + ": cannot open: " + std::strerror(errno)};
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    if (in.bad()) {
        return Error{path + ": cannot read: " + std::strerror(errno)};
    }
    return contents.str();
}

std::string unquote(std::string_view token) {
    if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
        token = token.substr(1, token.size() - 2);
    }
    return std::string(token);
}

class Parser {
  public:
    explicit Parser(const std::optional<std::string>& origin) : origin_(origin) {}

    // Parses the contents of one file; path names it in messages and anchors its $INCLUDEs.
    Status parse_text(std::string_view text, const std::string& path, size_t depth) {
        if (depth == 0) {
            std::error_code ec;
            include_stack_.push_back(std::filesystem::weakly_canonical(path, ec).string());
        }
        const auto file = static_cast<uint32_t>(out_.files.size());
        out_.files.push_back(path);
        auto entries = split_zone_entries(text, path);
        if (!entries) {
            return entries.error();
        }
        for (const ZoneFileEntry& entry : entries.value()) {
            const std::string at = path + ":" + std::to_string(entry.line) + ": ";
            Status status = (!entry.blank_owner && entry.text.front() == '$')
                                ? directive(entry, path, at, depth)
                                : record(entry, file, at);
            if (!status) {
                return status;
            }
        }
        return Status::success();
    }

    ParsedZone take() { return std::move(out_); }

  private:
    Status directive(const ZoneFileEntry& entry, const std::string& path, const std::string& at,
                     size_t depth) {
        size_t pos = 0;
        const std::string_view text = entry.text;
        const std::string_view name = next_zone_token(text, pos);
        const std::string_view arg1 = next_zone_token(text, pos);
        const std::string_view arg2 = next_zone_token(text, pos);
        const std::string_view extra = next_zone_token(text, pos);
        if (name == "$ORIGIN" || name == "$TTL") {
            if (arg1.empty() || !arg2.empty()) {
                return Error{at + std::string(name) + " takes exactly one argument"};
            }
            if (name == "$TTL") {
                auto ttl = ttl_from_text(arg1);
                if (!ttl) {
                    return Error{at + "invalid $TTL '" + std::string(arg1) + "'"};
                }
                if (!ttl->ok()) {
                    return Error{at + ttl->error().message};
                }
                default_ttl_ = ttl->value();
                return Status::success();
            }
            // RFC 1035 §5.1: a relative $ORIGIN is relative to the current origin.
            auto origin = name_from_presentation(arg1, origin_);
            if (!origin) {
                return Error{at + "$ORIGIN: " + origin.error().message};
            }
            origin_ = std::move(origin.value());
            return Status::success();
        }
        if (name == "$INCLUDE") {
            if (arg1.empty() || !extra.empty()) {
                return Error{at + "$INCLUDE takes a file name and an optional origin"};
            }
            return include(unquote(arg1), arg2, path, at, depth);
        }
        return Error{at + "unknown directive " + std::string(name)};
    }

    // RFC 1035 §5.1: $INCLUDE file [origin]; the origin given (or the current one) applies in the
    // included file only, and so does a $TTL set there. The file name is relative to the including
    // file's directory.
    Status include(const std::string& file, std::string_view origin_text, const std::string& path,
                   const std::string& at, size_t depth) {
        if (depth + 1 >= kMaxIncludeDepth) {
            return Error{at + "$INCLUDE " + file + ": nested more than " +
                         std::to_string(kMaxIncludeDepth) + " files deep (a loop?)"};
        }
        std::filesystem::path target(file);
        if (target.is_relative()) {
            target = std::filesystem::path(path).parent_path() / target;
        }
        // Like Knot, $ORIGIN and $TTL set inside the included file end with it.
        std::optional<std::string> saved_origin = origin_;
        const std::optional<uint32_t> saved_ttl = default_ttl_;
        if (!origin_text.empty()) {
            auto origin = name_from_presentation(origin_text, origin_);
            if (!origin) {
                return Error{at + "$INCLUDE origin: " + origin.error().message};
            }
            origin_ = std::move(origin.value());
        }
        std::error_code ec;
        const std::string canonical = std::filesystem::weakly_canonical(target, ec).string();
        for (const std::string& open : include_stack_) {
            if (!ec && open == canonical) {
                return Error{at + "$INCLUDE " + file + ": includes a file already being read " +
                             "(a loop)"};
            }
        }
        auto text = read_file(target.string());
        if (!text) {
            return Error{at + "$INCLUDE " + text.error().message};
        }
        include_stack_.push_back(canonical);
        Status status = parse_text(text.value(), target.string(), depth + 1);
        include_stack_.pop_back();
        origin_ = std::move(saved_origin);
        default_ttl_ = saved_ttl;
        return status;
    }

    Status record(const ZoneFileEntry& entry, uint32_t file, const std::string& at) {
        const std::string_view text = entry.text;
        size_t pos = 0;
        std::string owner;
        if (entry.blank_owner) {
            if (!last_owner_) {
                return Error{at + "the record has no owner name and there is no previous one"};
            }
            owner = *last_owner_;
        } else {
            auto name = name_from_presentation(next_zone_token(text, pos), origin_);
            if (!name) {
                return Error{at + name.error().message};
            }
            owner = std::move(name.value());
        }

        // [TTL] [class] or [class] [TTL] before the type (RFC 1035 §5.1).
        std::optional<uint32_t> ttl;
        std::optional<uint16_t> rclass;
        std::string_view token = next_zone_token(text, pos);
        for (int i = 0; i < 2 && !token.empty(); ++i) {
            if (!ttl) {
                if (auto parsed = ttl_from_text(token)) {
                    if (!parsed->ok()) {
                        return Error{at + parsed->error().message};
                    }
                    ttl = parsed->value();
                    token = next_zone_token(text, pos);
                    continue;
                }
            }
            if (!rclass) {
                if (auto parsed = rrclass_from_text(token)) {
                    rclass = parsed;
                    token = next_zone_token(text, pos);
                    continue;
                }
            }
            break;
        }
        if (rclass && *rclass != dns::rrclass::IN) {
            return Error{at + "class " +
                         (*rclass == dns::rrclass::CH   ? std::string("CH")
                          : *rclass == dns::rrclass::HS ? std::string("HS")
                                                        : std::to_string(*rclass)) +
                         " is not supported; Tidal serves class IN only"};
        }
        if (token.empty()) {
            return Error{at + "the record has no type"};
        }
        auto type = rrtype_from_text(token);
        if (!type) {
            return Error{at + type.error().message};
        }
        // Without an origin, an SOA written with an absolute owner makes its owner the origin,
        // as if the zone had been named on the command line.
        if (!origin_ && type.value() == dns::rrtype::SOA) {
            origin_ = owner;
        }
        while (pos < text.size() && text[pos] == ' ') {
            ++pos;
        }
        auto rdata = rdata_from_text(type.value(), text.substr(pos), origin_);
        if (!rdata) {
            return Error{at + rdata.error().message};
        }

        Record rr;
        rr.owner = dns::name_lowered(owner);
        rr.type = type.value();
        rr.rclass = dns::rrclass::IN;
        rr.rdata = std::move(rdata.value());
        auto resolved = resolve_ttl(ttl, rr, at);
        if (!resolved) {
            return resolved.error();
        }
        rr.ttl = resolved.value();
        last_owner_ = std::move(owner);
        out_.records.push_back({std::move(rr), file, static_cast<uint32_t>(entry.line)});
        return Status::success();
    }

    // RFC 2308 §4: $TTL is the default; before RFC 2308 (RFC 1035 §5.1) the last TTL given.
    // With neither, an SOA uses its MINIMUM field (as BIND does).
    Result<uint32_t> resolve_ttl(std::optional<uint32_t> ttl, const Record& rr,
                                 const std::string& at) {
        if (ttl) {
            last_ttl_ = ttl;
            return *ttl;
        }
        if (default_ttl_) {
            return *default_ttl_;
        }
        if (last_ttl_) {
            return *last_ttl_;
        }
        if (rr.type == dns::rrtype::SOA) {
            const auto minimum = soa_field(rr.rdata, SoaField::Minimum);
            if (minimum) {
                out_.warnings.push_back(at + "no TTL and no $TTL; the SOA uses its MINIMUM " +
                                        std::to_string(*minimum));
                last_ttl_ = minimum;
                return *minimum;
            }
        }
        return Error{at + "no TTL given, and no $TTL or earlier TTL to use"};
    }

    std::optional<std::string> origin_;
    std::optional<uint32_t> default_ttl_;
    std::optional<uint32_t> last_ttl_;
    std::optional<std::string> last_owner_;
    std::vector<std::string> include_stack_;  // canonical paths of the files being read
    ParsedZone out_;
};

Result<ZoneFile> read(std::string_view text, const std::string& source,
                      const std::optional<std::string>& origin) {
    Parser parser(origin);
    Status status = parser.parse_text(text, source, 0);
    if (!status) {
        return status.error();
    }
    return check_zone(parser.take(), origin);
}

}  // namespace

Result<ZoneFile> read_zone_file(const std::string& path, const std::optional<std::string>& origin) {
    auto text = read_file(path);
    if (!text) {
        return text.error();
    }
    return read(text.value(), path, origin);
}

Result<ZoneFile> read_zone_text(std::string_view text, const std::string& source,
                                const std::optional<std::string>& origin) {
    return read(text, source, origin);
}

}  // namespace tidal::zone
