// Parsing record edits: command-line words and edit files into EditLines, then EditScripts.
#include "core/zone/edit_script.h"

#include <algorithm>
#include <cctype>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/rr_text.h"
#include "core/zone/zone_file_lexer.h"

namespace tidal::zone {

namespace {

std::string prefix(const std::string& where) {
    return where.empty() ? std::string() : where + ": ";
}

std::string lowered(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string join(const std::vector<std::string>& words, size_t from) {
    std::string out;
    for (size_t i = from; i < words.size(); ++i) {
        if (i > from) {
            out += ' ';
        }
        out += words[i];
    }
    return out;
}

Result<std::string> owner_from_text(std::string_view text,
                                    const std::optional<std::string>& origin) {
    if (text == "@" && !origin) {
        return Error{"'@' names the zone apex, which needs --zone"};
    }
    auto owner = name_from_presentation(text, origin ? *origin : std::string(dns::root_name()));
    if (!owner) {
        return owner.error();
    }
    return dns::name_lowered(owner.value());
}

// Reads "[IN] TYPE" at args[next]; advances next past them.
Result<uint16_t> type_at(const std::vector<std::string>& args, size_t& next) {
    if (next < args.size() && lowered(args[next]) == "in" && next + 1 < args.size()) {
        ++next;  // the class, as nsupdate and master files allow; IN is the only one served
    }
    if (next >= args.size()) {
        return Error{"missing the record type"};
    }
    auto type = rrtype_from_text(args[next]);
    if (!type) {
        return type.error();
    }
    ++next;
    return type.value();
}

Result<EditLine> parse_words(std::string_view op_text, const std::vector<std::string>& args,
                             const std::optional<std::string>& origin) {
    EditLine line;
    const std::string op = lowered(op_text);
    std::vector<std::string> rest = args;
    if (op == "add" || op == "set") {
        line.op = op == "add" ? EditLine::Op::Add : EditLine::Op::Set;
    } else if (op == "del" || op == "delete") {
        line.op = EditLine::Op::Del;
    } else if (op == "prereq") {
        if (rest.empty()) {
            return Error{"prereq needs a kind: yxdomain, nxdomain, yxrrset or nxrrset"};
        }
        const std::string kind = lowered(rest.front());
        rest.erase(rest.begin());
        if (kind == "yxdomain") {
            line.op = EditLine::Op::PrereqYxDomain;
        } else if (kind == "nxdomain") {
            line.op = EditLine::Op::PrereqNxDomain;
        } else if (kind == "yxrrset") {
            line.op = EditLine::Op::PrereqYxRrset;
        } else if (kind == "nxrrset") {
            line.op = EditLine::Op::PrereqNxRrset;
        } else {
            return Error{"unknown prereq kind '" + kind +
                         "' (yxdomain, nxdomain, yxrrset or nxrrset)"};
        }
    } else {
        return Error{"unknown edit '" + std::string(op_text) +
                     "' (add, del, set or prereq; see docs/editing.md)"};
    }
    if (rest.empty()) {
        return Error{"missing the record name"};
    }
    auto owner = owner_from_text(rest[0], origin);
    if (!owner) {
        return owner.error();
    }
    line.owner = std::move(owner.value());
    size_t next = 1;
    switch (line.op) {
        case EditLine::Op::Add:
        case EditLine::Op::Set: {
            if (next >= rest.size()) {
                return Error{"expected NAME TTL TYPE RDATA..."};
            }
            auto ttl = ttl_from_text(rest[next]);
            if (!ttl) {
                return Error{"expected a TTL after the name, found '" + rest[next] + "'"};
            }
            if (!ttl->ok()) {
                return ttl->error();
            }
            line.ttl = ttl->value();
            ++next;
            auto type = type_at(rest, next);
            if (!type) {
                return type.error();
            }
            line.type = type.value();
            if (next >= rest.size()) {
                return Error{"missing the rdata of the " + rrtype_to_text(*line.type) + " record"};
            }
            break;
        }
        case EditLine::Op::Del:
        case EditLine::Op::PrereqYxRrset:
        case EditLine::Op::PrereqNxRrset:
            if (next < rest.size()) {
                auto type = type_at(rest, next);
                if (!type) {
                    return type.error();
                }
                line.type = type.value();
            } else if (line.op != EditLine::Op::Del) {
                return Error{
                    "prereq " +
                    std::string(line.op == EditLine::Op::PrereqYxRrset ? "yxrrset" : "nxrrset") +
                    " needs NAME TYPE"};
            }
            if (line.op == EditLine::Op::PrereqNxRrset && next < rest.size()) {
                return Error{"prereq nxrrset takes NAME TYPE, no rdata"};
            }
            break;
        case EditLine::Op::PrereqYxDomain:
        case EditLine::Op::PrereqNxDomain:
            if (next < rest.size()) {
                return Error{"prereq yxdomain and nxdomain take a NAME only"};
            }
            break;
    }
    line.rdata_text = join(rest, next);
    return line;
}

}  // namespace

Result<EditLine> parse_edit_words(std::string_view op, const std::vector<std::string>& args,
                                  const std::optional<std::string>& origin,
                                  const std::string& where) {
    auto line = parse_words(op, args, origin);
    if (!line) {
        return Error{prefix(where) + line.error().message};
    }
    line->where = where;
    return line;
}

Result<std::vector<EditLine>> parse_edit_file(std::string_view text, const std::string& path,
                                              const std::optional<std::string>& origin) {
    // '#' comment lines become blank lines, so the lexer keeps the line numbers.
    std::string cleaned;
    cleaned.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        end = end == std::string_view::npos ? text.size() : end;
        std::string_view line = text.substr(pos, end - pos);
        const size_t first = line.find_first_not_of(" \t\r");
        if (first == std::string_view::npos || line[first] != '#') {
            cleaned += line;
        }
        if (end < text.size()) {
            cleaned += '\n';
        }
        pos = end + 1;
    }
    auto entries = split_zone_entries(cleaned, path);
    if (!entries) {
        return entries.error();
    }
    std::vector<EditLine> lines;
    lines.reserve(entries->size());
    for (const ZoneFileEntry& entry : entries.value()) {
        std::vector<std::string> words;
        size_t at = 0;
        for (std::string_view token = next_zone_token(entry.text, at); !token.empty();
             token = next_zone_token(entry.text, at)) {
            words.emplace_back(token);
        }
        if (words.empty()) {
            continue;
        }
        const std::string op = words.front();
        words.erase(words.begin());
        auto line = parse_edit_words(op, words, origin, path + ":" + std::to_string(entry.line));
        if (!line) {
            return line.error();
        }
        lines.push_back(std::move(line.value()));
    }
    if (lines.empty()) {
        return Error{path + ": no edits in the file"};
    }
    return lines;
}

Result<EditScript> script_from_lines(const std::vector<EditLine>& lines, std::string_view apex) {
    EditScript script;
    script.zone = dns::name_lowered(apex);
    const std::string zone_text = dns::name_to_text(script.zone);
    for (const EditLine& line : lines) {
        const std::string at = prefix(line.where);
        if (!dns::name_is_subdomain(line.owner, script.zone)) {
            return Error{at + dns::name_to_text(line.owner) + " is outside zone " + zone_text +
                         " (all edits of one command go to one zone)"};
        }
        Record rr;
        rr.owner = line.owner;
        rr.rclass = dns::rrclass::IN;
        rr.type = line.type.value_or(0);
        rr.ttl = line.ttl.value_or(0);
        if (!line.rdata_text.empty()) {
            auto rdata = rdata_from_text(rr.type, line.rdata_text, script.zone);
            if (!rdata) {
                return Error{at + dns::name_to_text(line.owner) + ": " + rdata.error().message};
            }
            rr.rdata = std::move(rdata.value());
        }
        const bool has_rdata = !line.rdata_text.empty();
        using Op = EditLine::Op;
        using Kind = RecordEdit::Kind;
        switch (line.op) {
            case Op::Add:
                script.edits.push_back({Kind::Add, rr, false, line.where});
                break;
            case Op::Set:
                script.edits.push_back({Kind::DeleteRrset, rr, false, line.where});
                script.edits.push_back({Kind::Add, rr, false, line.where});
                break;
            case Op::Del: {
                const Kind kind = !line.type  ? Kind::DeleteName
                                  : has_rdata ? Kind::DeleteRr
                                              : Kind::DeleteRrset;
                script.edits.push_back({kind, rr, true, line.where});
                break;
            }
            case Op::PrereqYxDomain:
                script.prerequisites.push_back({Prerequisite::Kind::NameInUse, rr, line.where});
                break;
            case Op::PrereqNxDomain:
                script.prerequisites.push_back({Prerequisite::Kind::NameNotInUse, rr, line.where});
                break;
            case Op::PrereqYxRrset:
                script.prerequisites.push_back(
                    {has_rdata ? Prerequisite::Kind::RrsetEquals : Prerequisite::Kind::RrsetExists,
                     rr, line.where});
                break;
            case Op::PrereqNxRrset:
                script.prerequisites.push_back({Prerequisite::Kind::RrsetAbsent, rr, line.where});
                break;
        }
    }
    return script;
}

}  // namespace tidal::zone
