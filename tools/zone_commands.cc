// tidalctl zone import | export | list | create | delete.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/rr_text.h"
#include "core/zone/zone_file_reader.h"
#include "core/zone/zone_file_writer.h"
#include "tools/commands.h"

namespace tidal::ctl {

namespace {

struct ImportOptions {
    std::string file;
    std::string origin;
};

struct ExportOptions {
    std::string zone;
    std::string file;
};

struct CreateOptions {
    std::string zone;
    std::string soa;
    std::vector<std::string> ns;
    uint32_t ttl = 3600;
};

int zone_import(const Context& ctx, const ImportOptions& opts) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    std::optional<std::string> origin;
    if (!opts.origin.empty()) {
        auto name = zone_name_from_arg(opts.origin);
        if (!name) {
            return fail(kExitUsage, "--origin: " + name.error().message);
        }
        origin = std::move(name.value());
    }
    // The whole file is read and checked before the database is opened: a bad file changes
    // nothing.
    auto zone = zone::read_zone_file(opts.file, origin);
    if (!zone) {
        return fail(kExitUsage, zone.error().message);
    }
    for (const std::string& warning : zone->warnings) {
        std::cerr << "tidalctl: warning: " << warning << '\n';
    }
    const std::string name = dns::name_to_text(zone->origin);
    if (zone_role(config.value(), zone->origin) == "secondary") {
        std::cerr << "tidalctl: warning: " << name << " is a secondary zone in " << ctx.config_path
                  << "; its next transfer replaces what is imported\n";
    }
    auto store = open_store_rw(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);
    }
    auto serial = store.value()->replace_zone(zone->origin, zone->records);
    if (!serial) {
        return fail(kExitFailure, serial.error().message);
    }
    std::cout << "imported " << name << " serial " << serial.value() << " (" << zone->records.size()
              << " records)\n";
    return kExitOk;
}

// Writes text to path through a temporary file and a rename, so that a reader never sees half a
// zone and a failure leaves the old file.
Status write_file_atomically(const std::string& path, const std::string& text) {
    const std::string temp = path + ".tmp." + std::to_string(getpid());
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            return Error{temp + ": cannot create: " + std::strerror(errno)};
        }
        out << text;
        out.flush();
        if (!out) {
            std::filesystem::remove(temp);
            return Error{temp + ": write failed: " + std::strerror(errno)};
        }
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        return Error{path + ": cannot replace: " + ec.message()};
    }
    return Status::success();
}

int zone_export(const Context& ctx, const ExportOptions& opts) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    auto apex = zone_name_from_arg(opts.zone);
    if (!apex) {
        return fail(kExitUsage, apex.error().message);
    }
    auto store = open_store_ro(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);
    }
    if (!store.value()) {
        return fail(kExitFailure, "zone " + dns::name_to_text(apex.value()) +
                                      " not found: database " + config->database +
                                      " does not exist");
    }
    auto contents = store.value()->read_zone(apex.value());
    if (!contents) {
        return fail(kExitFailure, contents.error().message + " in " + config->database);
    }
    std::ostringstream text;
    Status status = zone::write_zone_file(apex.value(), contents->records, text);
    if (!status) {
        return fail(kExitFailure, status.message());
    }
    if (opts.file.empty() || opts.file == "-") {
        std::cout << text.str();
        std::cout.flush();
        return std::cout ? kExitOk : fail(kExitFailure, "cannot write to standard output");
    }
    status = write_file_atomically(opts.file, text.str());
    if (!status) {
        return fail(kExitFailure, status.message());
    }
    return kExitOk;
}

int zone_list(const Context& ctx) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    auto store = open_store_ro(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);
    }
    struct Row {
        std::string role;
        std::string serial = "-";
        std::string records = "-";
    };
    std::map<std::string, Row> rows;  // by presentation name, for a stable order
    if (store.value()) {
        auto zones = store.value()->list_zones();
        if (!zones) {
            return fail(kExitFailure, zones.error().message);
        }
        for (const store::ZoneInfo& zone : zones.value()) {
            auto count = store.value()->count_records(zone.name);
            if (!count) {
                return fail(kExitFailure, count.error().message);
            }
            rows[dns::name_to_text(zone.name)] = {zone_role(config.value(), zone.name),
                                                  std::to_string(zone.serial),
                                                  std::to_string(count.value())};
        }
    }
    // Configured zones without data yet (a secondary before its first transfer).
    for (const config::ZoneConfig& zone : config->zones) {
        const std::string name = dns::name_to_text(zone.name_wire);
        if (rows.count(name) == 0) {
            rows[name] = {zone_role(config.value(), zone.name_wire)};
        }
    }
    size_t width = 4;
    for (const auto& [name, row] : rows) {
        width = std::max(width, name.size());
    }
    for (const auto& [name, row] : rows) {
        std::cout << std::left << std::setw(static_cast<int>(width)) << name << "  " << std::setw(9)
                  << row.role << "  " << std::right << std::setw(10) << row.serial << "  "
                  << std::setw(8) << row.records << '\n';
    }
    return kExitOk;
}

// Builds the records of a new zone: an SOA and the NS RRset.
Result<std::vector<Record>> new_zone_records(const std::string& apex, const CreateOptions& opts) {
    const std::string name = dns::name_to_text(apex);
    const std::string soa_text =
        opts.soa.empty() ? "ns1." + name + " hostmaster." + name + " 1 3600 900 1209600 300"
                         : opts.soa;
    std::vector<std::string> ns = opts.ns;
    if (ns.empty()) {
        ns.push_back("ns1." + name);
    }
    std::vector<Record> records;
    Record soa;
    soa.owner = apex;
    soa.type = dns::rrtype::SOA;
    soa.ttl = opts.ttl;
    auto rdata = zone::rdata_from_text(dns::rrtype::SOA, soa_text, apex);
    if (!rdata) {
        return Error{"--soa: " + rdata.error().message};
    }
    soa.rdata = std::move(rdata.value());
    records.push_back(std::move(soa));
    for (const std::string& target : ns) {
        Record rr;
        rr.owner = apex;
        rr.type = dns::rrtype::NS;
        rr.ttl = opts.ttl;
        auto ns_rdata = zone::rdata_from_text(dns::rrtype::NS, target, apex);
        if (!ns_rdata) {
            return Error{"--ns: " + ns_rdata.error().message};
        }
        rr.rdata = std::move(ns_rdata.value());
        records.push_back(std::move(rr));
    }
    return records;
}

int zone_create(const Context& ctx, const CreateOptions& opts) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    auto apex = zone_name_from_arg(opts.zone);
    if (!apex) {
        return fail(kExitUsage, apex.error().message);
    }
    auto records = new_zone_records(apex.value(), opts);
    if (!records) {
        return fail(kExitUsage, records.error().message);
    }
    auto store = open_store_rw(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);
    }
    auto serial = store.value()->create_zone(apex.value(), records.value());
    if (!serial) {
        return fail(kExitFailure, serial.error().message + " in " + config->database);
    }
    std::cout << "created " << dns::name_to_text(apex.value()) << " serial " << serial.value()
              << '\n';
    return kExitOk;
}

int zone_delete(const Context& ctx, const std::string& zone) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    auto apex = zone_name_from_arg(zone);
    if (!apex) {
        return fail(kExitUsage, apex.error().message);
    }
    auto store = open_store_rw(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);
    }
    Status status = store.value()->delete_zone(apex.value());
    if (!status) {
        return fail(kExitFailure, status.message() + " in " + config->database);
    }
    std::cout << "deleted " << dns::name_to_text(apex.value()) << '\n';
    return kExitOk;
}

}  // namespace

void add_zone_commands(CLI::App& app, Context& ctx) {
    CLI::App* group = app.add_subcommand("zone", "Zone commands");
    group->require_subcommand(1);

    auto import_opts = std::make_shared<ImportOptions>();
    CLI::App* import = group->add_subcommand(
        "import", "Load or replace a zone from an RFC 1035 master file (stores only the changes)");
    import->add_option("FILE", import_opts->file, "Master file")->required();
    import->add_option("--origin", import_opts->origin,
                       "Zone name (default: the owner of the file's SOA)");
    import->callback([&ctx, import_opts] {
        ctx.run = [&ctx, import_opts] { return zone_import(ctx, *import_opts);
};
}  // namespace tidal::ctl
);

auto export_opts = std::make_shared<ExportOptions>();
CLI::App* exp = group->add_subcommand("export", "Write a zone as a master file");
exp->add_option("NAME", export_opts->zone, "Zone name")->required();
exp->add_option("FILE", export_opts->file, "Output file (default: standard output)");
exp->callback([&ctx, export_opts] {
    ctx.run = [&ctx, export_opts] { return zone_export(ctx, *export_opts); };
});

CLI::App* list = group->add_subcommand("list", "Zones on this host: name, role, serial, records");
list->callback([&ctx] { ctx.run = [&ctx] { return zone_list(ctx); }; });

auto create_opts = std::make_shared<CreateOptions>();
CLI::App* create = group->add_subcommand("create", "Create an empty zone (SOA and NS)");
create->add_option("NAME", create_opts->zone, "Zone name")->required();
create->add_option("--soa", create_opts->soa,
                   "SOA rdata: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM "
                   "(default: ns1.NAME. hostmaster.NAME. 1 3600 900 1209600 300)");
create->add_option("--ns", create_opts->ns, "Name servers (default: ns1.NAME.)");
create->add_option("--ttl", create_opts->ttl, "TTL of the SOA and NS records")
    ->check(CLI::Range(0u, 2147483647u));
create->callback([&ctx, create_opts] {
    ctx.run = [&ctx, create_opts] { return zone_create(ctx, *create_opts); };
});

auto delete_zone_name = std::make_shared<std::string>();
CLI::App* del = group->add_subcommand("delete", "Delete a zone and all its data");
del->add_option("NAME", *delete_zone_name, "Zone name")->required();
del->callback([&ctx, delete_zone_name] {
    ctx.run = [&ctx, delete_zone_name] { return zone_delete(ctx, *delete_zone_name); };
});
}

}  // namespace tidal::ctl
