// tidalctl record add | del | set: one atomic change to the local database per command.
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/rdata_canonical.h"
#include "core/zone/rr_text.h"
#include "tools/commands.h"

namespace tidal::ctl {

namespace {

namespace rrtype = dns::rrtype;

enum class Edit { Add, Delete, Set };

struct RecordOptions {
    Edit edit = Edit::Add;
    std::string zone;  // --zone: the zone relative names belong to
    std::string name;
    std::vector<std::string> args;  // TTL TYPE RDATA... (add, set) or [TYPE [RDATA...]] (del)
};

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

// The deepest stored zone that holds name.
Result<std::optional<store::ZoneInfo>> enclosing_zone(store::ZoneStore& store,
                                                      std::string_view name) {
    auto zones = store.list_zones();
    if (!zones) {
        return zones.error();
    }
    std::optional<store::ZoneInfo> best;
    for (store::ZoneInfo& zone : zones.value()) {
        if (dns::name_is_subdomain(name, zone.name) &&
            (!best || zone.name.size() > best->name.size())) {
            best = std::move(zone);
        }
    }
    return best;
}

// The owner name: relative to --zone when given (absolute names stay absolute), else absolute
// ("www.example.com" and "www.example.com." are the same).
Result<std::string> owner_from_args(const RecordOptions& opts) {
    std::optional<std::string> origin;
    if (!opts.zone.empty()) {
        auto zone = zone_name_from_arg(opts.zone);
        if (!zone) {
            return Error{"--zone: " + zone.error().message};
        }
        origin = std::move(zone.value());
    } else {
        origin = std::string(dns::root_name());
    }
    auto owner = zone::name_from_presentation(opts.name, origin);
    if (!owner) {
        return Error{"record name: " + owner.error().message};
    }
    return dns::name_lowered(owner.value());
}

// RFC 1034 §3.6.2 (with RFC 4035 §2.5): a CNAME stands alone at its name.
Status check_cname_rule(const std::vector<Record>& after, std::string_view owner) {
    bool cname = false;
    bool other = false;
    size_t cnames = 0;
    for (const Record& rr : after) {
        if (rr.owner != owner) {
            continue;
        }
        if (rr.type == rrtype::CNAME) {
            cname = true;
            ++cnames;
        } else if (rr.type != rrtype::RRSIG && rr.type != rrtype::NSEC) {
            other = true;
        }
    }
    if (cnames > 1 || (cname && other)) {
        return Error{dns::name_to_text(owner) +
                     ": a CNAME must be alone at its name (RFC 1034 §3.6.2)"};
    }
    return Status::success();
}

int record_edit(const Context& ctx, const RecordOptions& opts) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    auto owner = owner_from_args(opts);
    if (!owner) {
        return fail(kExitUsage, owner.error().message);
    }
    const std::string owner_text = dns::name_to_text(owner.value());

    // Arguments: TTL TYPE RDATA... for add and set; [TYPE [RDATA...]] for del.
    std::optional<uint32_t> ttl;
    std::optional<uint16_t> type;
    std::string rdata_text;
    size_t next = 0;
    if (opts.edit != Edit::Delete) {
        if (opts.args.size() < 3) {
            return fail(kExitUsage, "expected NAME TTL TYPE RDATA...");
        }
        auto parsed = zone::ttl_from_text(opts.args[0]);
        if (!parsed || !parsed->ok()) {
            return fail(kExitUsage,
                        parsed ? parsed->error().message : "invalid TTL '" + opts.args[0] + "'");
        }
        ttl = parsed->value();
        next = 1;
    }
    if (next < opts.args.size()) {
        auto parsed = zone::rrtype_from_text(opts.args[next]);
        if (!parsed) {
            return fail(kExitUsage, parsed.error().message);
        }
        if (parsed.value() == rrtype::SOA) {
            return fail(kExitUsage, "the SOA is kept by the store; it cannot be edited this way");
        }
        type = parsed.value();
        rdata_text = join(opts.args, next + 1);
    }

    auto store = open_store_rw(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);
    }
    auto zone_info = enclosing_zone(*store.value(), owner.value());
    if (!zone_info) {
        return fail(kExitFailure, zone_info.error().message);
    }
    if (!zone_info.value()) {
        return fail(kExitFailure, "no zone in " + config->database + " holds " + owner_text);
    }
    const std::string apex = zone_info.value()->name;
    std::optional<std::string> rdata;
    if (!rdata_text.empty()) {
        auto parsed = zone::rdata_from_text(*type, rdata_text, apex);
        if (!parsed) {
            return fail(kExitUsage, parsed.error().message);
        }
        rdata = std::move(parsed.value());
    }
    auto contents = store.value()->read_zone(apex);
    if (!contents) {
        return fail(kExitFailure, contents.error().message);
    }
    const std::vector<Record>& stored = contents->records;

    store::ZoneChange change;
    change.zone = apex;
    std::vector<Record> after;
    const auto in_rrset = [&](const Record& rr) {
        return rr.owner == owner.value() && rr.type == type;
    };
    if (opts.edit == Edit::Delete) {
        for (const Record& rr : stored) {
            const bool matches = rr.owner == owner.value() && (!type || rr.type == *type) &&
                                 (!rdata || zone::same_rdata(rr.type, rr.rdata, *rdata)) &&
                                 rr.type != rrtype::SOA;
            (matches ? change.remove : after).push_back(rr);
        }
        if (change.remove.empty()) {
            return fail(kExitFailure, "no matching record at " + owner_text);
        }
    } else {
        Record added{owner.value(), *type, dns::rrclass::IN, *ttl, rdata.value_or("")};
        for (const Record& rr : stored) {
            if (in_rrset(rr) && opts.edit == Edit::Set) {
                change.remove.push_back(rr);
            } else if (in_rrset(rr)) {
                // RFC 2181 §5.2: one TTL per RRset; the new record's TTL applies to all of it.
                Record same = rr;
                same.ttl = *ttl;
                change.add.push_back(same);
                after.push_back(same);
            } else {
                after.push_back(rr);
            }
        }
        change.add.push_back(added);
        after.push_back(added);
    }
    Status status = check_cname_rule(after, owner.value());
    if (status && owner.value() == apex) {
        const bool apex_ns = std::any_of(after.begin(), after.end(), [&](const Record& rr) {
            return rr.owner == apex && rr.type == rrtype::NS;
        });
        if (!apex_ns) {
            status = Error{"the zone apex " + dns::name_to_text(apex) + " must keep an NS record"};
        }
    }
    if (!status) {
        return fail(kExitUsage, status.message());
    }
    auto serial = store.value()->apply_change(change);
    if (!serial) {
        return fail(kExitFailure, serial.error().message);
    }
    std::cout << "zone " << dns::name_to_text(apex) << " serial " << serial.value() << '\n';
    return kExitOk;
}

void add_edit(CLI::App& group, Context& ctx, Edit edit, const char* name, const char* help,
              const char* args_help) {
    auto opts = std::make_shared<RecordOptions>();
    opts->edit = edit;
    CLI::App* cmd = group.add_subcommand(name, help);
    cmd->add_option("--zone", opts->zone, "Zone that relative names belong to");
    cmd->add_option("NAME", opts->name, "Owner name")->required();
    auto* args = cmd->add_option("ARGS", opts->args, args_help);
    if (edit != Edit::Delete) {
        args->required();
    }
    cmd->callback([&ctx, opts] { ctx.run = [&ctx, opts] { return record_edit(ctx, *opts); }; });
}

}  // namespace

void add_record_commands(CLI::App& app, Context& ctx) {
    CLI::App* group =
        app.add_subcommand("record", "Edit records in the local database (one atomic change)");
    group->require_subcommand(1);
    add_edit(*group, ctx, Edit::Add, "add", "Add a record; bumps the SOA serial",
             "TTL TYPE RDATA...");
    add_edit(*group, ctx, Edit::Delete, "del", "Delete records at NAME (of TYPE, with RDATA)",
             "[TYPE [RDATA...]]");
    add_edit(*group, ctx, Edit::Set, "set", "Replace the RRset at NAME with one record",
             "TTL TYPE RDATA...");
}

}  // namespace tidal::ctl
