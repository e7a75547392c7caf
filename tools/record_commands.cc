// tidalctl record add | del | set: one atomic change per command, to the local database or, with
// --server, as one RFC 2136 UPDATE.
#include <memory>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/edit_runner.h"

namespace tidal::ctl {

namespace {

struct RecordOptions {
    std::string op;    // add, del, set
    std::string zone;  // --zone: the zone relative names belong to
    std::string name;
    std::vector<std::string> args;  // TTL TYPE RDATA... (add, set) or [TYPE [RDATA...]] (del)
};

int record_edit(const Context& ctx, const RecordOptions& opts) {
    auto origin = origin_from_zone_arg(opts.zone);
    if (!origin) {
        return fail(kExitUsage, origin.error().message);
    }
    std::vector<std::string> words;
    words.reserve(opts.args.size() + 1);
    words.push_back(opts.name);
    words.insert(words.end(), opts.args.begin(), opts.args.end());
    auto line = zone::parse_edit_words(opts.op, words, origin.value(), "");
    if (!line) {
        return fail(kExitUsage, line.error().message);
    }
    return run_edits(ctx, {line.value()}, origin.value());
}

void add_edit(CLI::App& group, Context& ctx, const char* op, const char* help,
              const char* args_help) {
    auto opts = std::make_shared<RecordOptions>();
    opts->op = op;
    CLI::App* cmd = group.add_subcommand(op, help);
    cmd->add_option("--zone", opts->zone,
                    "Zone that relative names belong to (and, with --server, the zone to update)");
    cmd->add_option("NAME", opts->name, "Owner name")->required();
    auto* args = cmd->add_option("ARGS", opts->args, args_help);
    if (std::string(op) != "del") {
        args->required();
    }
    cmd->callback([&ctx, opts] { ctx.run = [&ctx, opts] { return record_edit(ctx, *opts); }; });
}

}  // namespace

void add_record_commands(CLI::App& app, Context& ctx) {
    CLI::App* group = app.add_subcommand(
        "record", "Edit records: one atomic change, one serial bump (local, or --server)");
    group->require_subcommand(1);
    add_edit(*group, ctx, "add", "Add a record; its RRset takes its TTL", "TTL [IN] TYPE RDATA...");
    add_edit(*group, ctx, "del",
             "Delete every RRset at NAME, the RRset of TYPE, or the one record with RDATA "
             "(an error when nothing matches)",
             "[TYPE [RDATA...]]");
    add_edit(*group, ctx, "set", "Replace the RRset of TYPE at NAME with one record",
             "TTL [IN] TYPE RDATA...");
}

}  // namespace tidal::ctl
