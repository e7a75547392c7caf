// Zone rules for changes (RFC 1034 §3.6.2, RFC 2181 §8, RFC 4035 §2.5) and RFC 2136 §3.2-3.4
// style deciding of edit scripts against the records stored at the names they touch.
#include "core/zone/change_checks.h"

#include <ldns/ldns.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/rdata_canonical.h"
#include "core/zone/rr_text.h"

namespace tidal::zone {

namespace {

namespace rrtype = dns::rrtype;
namespace rcode = dns::rcode;

// The RRs at each touched owner name.
using NameState = std::map<std::string, std::vector<Record>>;

// A broken rule and the owner name where it shows.
struct Problem {
    std::string owner;
    std::string message;
};

std::string prefix(const std::string& where) {
    return where.empty() ? std::string() : where + ": ";
}

std::string rr_text(const Record& rr) {
    return dns::name_to_text(rr.owner) + " " + rrtype_to_text(rr.type);
}

// Whether ldns decodes rdata as the rdata of rr's type, to its last octet.
bool rdata_decodes(const Record& rr) {
    if (rr.rdata.size() > 0xFFFF) {
        return false;
    }
    const ldns_rr_descriptor* descriptor = ldns_rr_descript(rr.type);
    if (rr.rdata.empty()) {
        // RFC 3597 allows empty rdata for unknown types; known ones say what they need.
        return descriptor == nullptr || ldns_rr_descriptor_minimum(descriptor) == 0;
    }
    std::string wire(1, '\0');  // the owner does not matter here: the root
    const uint8_t fixed[10] = {static_cast<uint8_t>(rr.type >> 8),
                               static_cast<uint8_t>(rr.type),
                               0,
                               static_cast<uint8_t>(dns::rrclass::IN),
                               0,
                               0,
                               0,
                               0,
                               static_cast<uint8_t>(rr.rdata.size() >> 8),
                               static_cast<uint8_t>(rr.rdata.size())};
    wire.append(reinterpret_cast<const char*>(fixed), sizeof(fixed));
    wire += rr.rdata;
    ldns_rr* raw = nullptr;
    size_t pos = 0;
    const ldns_status status = ldns_wire2rr(&raw, reinterpret_cast<const uint8_t*>(wire.data()),
                                            wire.size(), &pos, LDNS_SECTION_ANSWER);
    const bool ok = status == LDNS_STATUS_OK && pos == wire.size();
    ldns_rr_free(raw);
    return ok;
}

NameState group_by_owner(const std::vector<std::string>& names,
                         const std::vector<Record>& current) {
    NameState state;
    for (const std::string& name : names) {
        state[name];
    }
    for (const Record& rr : current) {
        auto it = state.find(rr.owner);
        if (it != state.end()) {
            it->second.push_back(rr);
        }
    }
    return state;
}

bool has_type(const std::vector<Record>& rrs, uint16_t type) {
    return std::any_of(rrs.begin(), rrs.end(), [&](const Record& rr) { return rr.type == type; });
}

// Checks one RR of a change on its own: in the zone, class IN; for added RRs also TTL, rdata and
// where an SOA may be.
std::optional<Problem> check_record(std::string_view apex, const Record& rr, bool added) {
    const std::string what = (added ? "adding " : "deleting ") + rr_text(rr);
    if (!dns::name_is_subdomain(rr.owner, apex)) {
        return Problem{rr.owner, what + ": " + dns::name_to_text(rr.owner) + " is outside zone " +
                                     dns::name_to_text(apex)};
    }
    if (rr.rclass != dns::rrclass::IN) {
        return Problem{rr.owner,
                       what + ": class " + std::to_string(rr.rclass) + " (only IN is served)"};
    }
    if (!added) {
        return std::nullopt;
    }
    if (rr.ttl > kMaxTtl) {
        return Problem{rr.owner, what + ": TTL " + std::to_string(rr.ttl) +
                                     " is above 2147483647 (RFC 2181 §8)"};
    }
    if (!rdata_decodes(rr)) {
        return Problem{rr.owner,
                       what + ": the rdata is not valid " + rrtype_to_text(rr.type) + " rdata"};
    }
    if (rr.type == rrtype::SOA && rr.owner != apex) {
        return Problem{rr.owner,
                       what + ": an SOA may only be at the zone apex " + dns::name_to_text(apex)};
    }
    return std::nullopt;
}

// RFC 1034 §3.6.2 (with RFC 4035 §2.5): a CNAME stands alone at its name.
std::optional<Problem> check_cname(const std::string& owner, const std::vector<Record>& rrs) {
    const Record* cname = nullptr;
    const Record* other = nullptr;
    for (const Record& rr : rrs) {
        if (rr.type == rrtype::CNAME) {
            if (cname != nullptr) {
                return Problem{owner, dns::name_to_text(owner) +
                                          ": more than one CNAME record (RFC 1034 §3.6.2)"};
            }
            cname = &rr;
        } else if (rr.type != rrtype::RRSIG && rr.type != rrtype::NSEC && other == nullptr) {
            other = &rr;
        }
    }
    if (cname != nullptr && other != nullptr) {
        return Problem{owner, dns::name_to_text(owner) + ": a CNAME cannot stand beside other " +
                                  "data (" + rrtype_to_text(other->type) +
                                  " there); a CNAME must be alone at its name (RFC 1034 §3.6.2)"};
    }
    return std::nullopt;
}

// The rules on the RRs left at the touched names.
std::optional<Problem> check_names(std::string_view apex_view, const NameState& after) {
    const std::string apex(apex_view);
    for (const auto& [owner, rrs] : after) {
        if (owner == apex) {
            if (has_type(rrs, rrtype::CNAME)) {
                return Problem{owner, "a CNAME cannot be at the zone apex " +
                                          dns::name_to_text(apex) +
                                          ", which has SOA and NS records (RFC 1034 §3.6.2)"};
            }
            if (!has_type(rrs, rrtype::NS)) {
                return Problem{owner, "the zone apex " + dns::name_to_text(apex) +
                                          " must keep at least one NS record"};
            }
            size_t soas = 0;
            for (const Record& rr : rrs) {
                soas += rr.type == rrtype::SOA ? 1 : 0;
            }
            if (soas == 0) {
                return Problem{owner, "the SOA of zone " + dns::name_to_text(apex) +
                                          " cannot be deleted (a zone always has one)"};
            }
            if (soas > 1) {
                return Problem{owner, "zone " + dns::name_to_text(apex) +
                                          " would have more than one SOA (use set to replace it)"};
            }
        }
        if (auto problem = check_cname(owner, rrs)) {
            return problem;
        }
    }
    return std::nullopt;
}

// Finds the first broken rule in change applied to current (apply_change's semantics).
std::optional<Problem> find_problem(const store::ZoneChange& change,
                                    const std::vector<Record>& current) {
    const std::string& apex = change.zone;
    size_t soas_added = 0;
    for (const Record& rr : change.remove) {
        if (auto problem = check_record(apex, rr, false)) {
            return problem;
        }
    }
    for (const Record& rr : change.add) {
        if (auto problem = check_record(apex, rr, true)) {
            return problem;
        }
        if (rr.type == rrtype::SOA && ++soas_added > 1) {
            return Problem{apex,
                           "the change adds more than one SOA to zone " + dns::name_to_text(apex)};
        }
    }
    const bool soa_removed = std::any_of(change.remove.begin(), change.remove.end(),
                                         [](const Record& rr) { return rr.type == rrtype::SOA; });
    if (soa_removed && soas_added == 0) {
        return Problem{apex, "the SOA of zone " + dns::name_to_text(apex) +
                                 " cannot be deleted (a zone always has one)"};
    }

    NameState after = group_by_owner(names_touched(change), current);
    for (const Record& gone : change.remove) {
        if (gone.type == rrtype::SOA) {
            continue;  // replaced by the added one below
        }
        auto& rrs = after[gone.owner];
        rrs.erase(std::remove_if(rrs.begin(), rrs.end(),
                                 [&](const Record& rr) {
                                     return rr.type == gone.type && rr.rdata == gone.rdata;
                                 }),
                  rrs.end());
    }
    for (const Record& added : change.add) {
        auto& rrs = after[added.owner];
        if (added.type == rrtype::SOA) {
            rrs.erase(std::remove_if(rrs.begin(), rrs.end(),
                                     [](const Record& rr) { return rr.type == rrtype::SOA; }),
                      rrs.end());
        }
        auto same = std::find_if(rrs.begin(), rrs.end(), [&](const Record& rr) {
            return rr.type == added.type && rr.rdata == added.rdata;
        });
        if (same == rrs.end()) {
            rrs.push_back(added);
        } else {
            same->ttl = added.ttl;
        }
    }
    return check_names(apex, after);  // the apex rules only when the change touches the apex
}

std::string where_of_last_edit(const EditScript& script, const std::string& owner) {
    for (auto it = script.edits.rbegin(); it != script.edits.rend(); ++it) {
        if (it->rr.owner == owner) {
            return it->where;
        }
    }
    return script.edits.empty() ? std::string() : script.edits.back().where;
}

Rejection reject(Rejection::Kind kind, uint16_t code, std::string message) {
    return Rejection{kind, code, std::move(message)};
}

// RFC 2136 §3.2: every prerequisite against the zone as stored.
std::optional<Rejection> check_prerequisites(const EditScript& script, const NameState& state) {
    const auto at = [&](const std::string& owner) -> const std::vector<Record>& {
        static const std::vector<Record> kNone;
        auto it = state.find(owner);
        return it == state.end() ? kNone : it->second;
    };
    const auto count_type = [](const std::vector<Record>& rrs, uint16_t type) {
        return std::count_if(rrs.begin(), rrs.end(),
                             [&](const Record& rr) { return rr.type == type; });
    };
    using Kind = Prerequisite::Kind;
    for (const Prerequisite& p : script.prerequisites) {
        const std::string here = prefix(p.where) + "prerequisite failed: ";
        if (!dns::name_is_subdomain(p.rr.owner, script.zone)) {
            return reject(Rejection::Kind::Invalid, rcode::NOTZONE,
                          prefix(p.where) + dns::name_to_text(p.rr.owner) + " is outside zone " +
                              dns::name_to_text(script.zone));
        }
        const std::vector<Record>& rrs = at(p.rr.owner);
        const std::string name = dns::name_to_text(p.rr.owner);
        switch (p.kind) {
            case Kind::NameInUse:
                if (rrs.empty()) {
                    return reject(Rejection::Kind::PrerequisiteFailed, rcode::NXDOMAIN,
                                  here + name + " has no records (NXDOMAIN)");
                }
                break;
            case Kind::NameNotInUse:
                if (!rrs.empty()) {
                    return reject(Rejection::Kind::PrerequisiteFailed, rcode::YXDOMAIN,
                                  here + name + " has records (YXDOMAIN)");
                }
                break;
            case Kind::RrsetExists:
                if (count_type(rrs, p.rr.type) == 0) {
                    return reject(Rejection::Kind::PrerequisiteFailed, rcode::NXRRSET,
                                  here + rr_text(p.rr) + " does not exist (NXRRSET)");
                }
                break;
            case Kind::RrsetAbsent:
                if (count_type(rrs, p.rr.type) != 0) {
                    return reject(Rejection::Kind::PrerequisiteFailed, rcode::YXRRSET,
                                  here + rr_text(p.rr) + " exists (YXRRSET)");
                }
                break;
            case Kind::RrsetEquals: {
                // RFC 2136 §3.2.5: the RRs of one owner and type together, compared as sets.
                std::vector<std::string> expected;
                for (const Prerequisite& q : script.prerequisites) {
                    if (q.kind == Kind::RrsetEquals && q.rr.owner == p.rr.owner &&
                        q.rr.type == p.rr.type) {
                        expected.push_back(q.rr.rdata);
                    }
                }
                bool equal = true;
                size_t stored = 0;
                for (const Record& rr : rrs) {
                    if (rr.type != p.rr.type) {
                        continue;
                    }
                    ++stored;
                    equal = equal && std::any_of(expected.begin(), expected.end(),
                                                 [&](const std::string& rdata) {
                                                     return same_rdata(rr.type, rr.rdata, rdata);
                                                 });
                }
                for (const std::string& rdata : expected) {
                    equal = equal && std::any_of(rrs.begin(), rrs.end(), [&](const Record& rr) {
                                return rr.type == p.rr.type && same_rdata(rr.type, rr.rdata, rdata);
                            });
                }
                if (!equal || stored == 0) {
                    return reject(Rejection::Kind::PrerequisiteFailed, rcode::NXRRSET,
                                  here + rr_text(p.rr) + " is not exactly the RRset given (" +
                                      std::to_string(stored) + " stored RR" +
                                      (stored == 1 ? "" : "s") + ", NXRRSET)");
                }
                break;
            }
        }
    }
    return std::nullopt;
}

// Applies one edit to state; false when it deleted nothing.
bool apply_edit(const std::string& apex, const RecordEdit& edit, NameState& state) {
    std::vector<Record>& rrs = state[edit.rr.owner];
    const Record& rr = edit.rr;
    const size_t before = rrs.size();
    const auto erase_if = [&](auto&& pred) {
        rrs.erase(std::remove_if(rrs.begin(), rrs.end(), pred), rrs.end());
    };
    switch (edit.kind) {
        case RecordEdit::Kind::Add: {
            auto same = std::find_if(rrs.begin(), rrs.end(), [&](const Record& stored) {
                return stored.type == rr.type && same_rdata(rr.type, stored.rdata, rr.rdata);
            });
            const auto index = static_cast<size_t>(same - rrs.begin());
            if (same == rrs.end()) {
                rrs.push_back(rr);
            }
            // RFC 2181 §5.2: one TTL per RRset; RRSIGs keep theirs (RFC 4034 §3).
            for (size_t i = 0; i < rrs.size(); ++i) {
                if (rrs[i].type == rr.type && (rr.type != rrtype::RRSIG || i == index)) {
                    rrs[i].ttl = rr.ttl;
                }
            }
            return true;
        }
        case RecordEdit::Kind::DeleteRr:
            erase_if([&](const Record& stored) {
                return stored.type == rr.type && same_rdata(rr.type, stored.rdata, rr.rdata);
            });
            break;
        case RecordEdit::Kind::DeleteRrset:
            erase_if([&](const Record& stored) { return stored.type == rr.type; });
            break;
        case RecordEdit::Kind::DeleteName:
            // RFC 2136 §3.4.2.3: deleting all RRsets at the apex keeps its SOA and NS.
            erase_if([&](const Record& stored) {
                return rr.owner != apex ||
                       (stored.type != rrtype::SOA && stored.type != rrtype::NS);
            });
            break;
    }
    return rrs.size() != before;
}

std::string describe_delete(const RecordEdit& edit) {
    std::string text = dns::name_to_text(edit.rr.owner);
    if (edit.kind != RecordEdit::Kind::DeleteName) {
        text += " " + rrtype_to_text(edit.rr.type);
    }
    if (edit.kind == RecordEdit::Kind::DeleteRr) {
        text += " " + rdata_to_text(edit.rr.type, edit.rr.rdata);
    }
    return text;
}

}  // namespace

std::vector<std::string> names_touched(const store::ZoneChange& change) {
    std::set<std::string> names;
    for (const Record& rr : change.remove) {
        names.insert(rr.owner);
    }
    for (const Record& rr : change.add) {
        names.insert(rr.owner);
    }
    return {names.begin(), names.end()};
}

std::vector<std::string> names_touched(const EditScript& script) {
    std::set<std::string> names;
    for (const Prerequisite& p : script.prerequisites) {
        names.insert(p.rr.owner);
    }
    for (const RecordEdit& edit : script.edits) {
        names.insert(edit.rr.owner);
    }
    return {names.begin(), names.end()};
}

Status check_change(const store::ZoneChange& change, const std::vector<Record>& current) {
    if (auto problem = find_problem(change, current)) {
        return Error{problem->message};
    }
    return Status::success();
}

EditDecision decide_edits(const EditScript& script, const std::vector<Record>& current) {
    EditDecision decision;
    decision.change.zone = script.zone;
    const std::vector<std::string> names = names_touched(script);
    NameState state = group_by_owner(names, current);
    if (auto rejection = check_prerequisites(script, state)) {
        decision.rejection = std::move(rejection);
        return decision;
    }
    const NameState before = state;
    for (const RecordEdit& edit : script.edits) {
        if (!dns::name_is_subdomain(edit.rr.owner, script.zone)) {
            decision.rejection = reject(Rejection::Kind::Invalid, rcode::NOTZONE,
                                        prefix(edit.where) + dns::name_to_text(edit.rr.owner) +
                                            " is outside zone " + dns::name_to_text(script.zone));
            return decision;
        }
        if (!apply_edit(script.zone, edit, state) && edit.must_match &&
            edit.kind != RecordEdit::Kind::Add) {
            decision.rejection =
                reject(Rejection::Kind::NoMatch, rcode::NOERROR,
                       prefix(edit.where) + "nothing to delete: no " + describe_delete(edit) +
                           " in zone " + dns::name_to_text(script.zone));
            return decision;
        }
    }
    // The change: RRs gone (exact stored form) and RRs new or with another TTL.
    for (const auto& [owner, old_rrs] : before) {
        const std::vector<Record>& new_rrs = state[owner];
        for (const Record& rr : old_rrs) {
            const bool kept = std::any_of(new_rrs.begin(), new_rrs.end(), [&](const Record& n) {
                return n.type == rr.type && n.rdata == rr.rdata;
            });
            if (!kept) {
                decision.change.remove.push_back(rr);
            }
        }
        for (const Record& rr : new_rrs) {
            const bool same = std::any_of(old_rrs.begin(), old_rrs.end(), [&](const Record& o) {
                return o.type == rr.type && o.rdata == rr.rdata && o.ttl == rr.ttl;
            });
            if (!same) {
                decision.change.add.push_back(rr);
            }
        }
    }
    // Two SOAs left (an `add` of a second SOA) look like a replacement in a ZoneChange; the
    // state shows what the editor asked for.
    auto apex_state = state.find(script.zone);
    if (apex_state != state.end() &&
        std::count_if(apex_state->second.begin(), apex_state->second.end(),
                      [](const Record& rr) { return rr.type == rrtype::SOA; }) > 1) {
        decision.rejection = reject(Rejection::Kind::Invalid, rcode::REFUSED,
                                    prefix(where_of_last_edit(script, script.zone)) + "zone " +
                                        dns::name_to_text(script.zone) +
                                        " would have more than one SOA (set replaces the SOA)");
        return decision;
    }
    if (auto problem = find_problem(decision.change, current)) {
        decision.rejection =
            reject(Rejection::Kind::Invalid, rcode::REFUSED,
                   prefix(where_of_last_edit(script, problem->owner)) + problem->message);
    }
    return decision;
}

}  // namespace tidal::zone
