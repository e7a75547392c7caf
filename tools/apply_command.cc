// tidalctl apply FILE: several edits from a file (or stdin) as one atomic change.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "tools/commands.h"
#include "tools/edit_runner.h"

namespace tidal::ctl {

namespace {

// docs/editing.md describes the same format; keep the two in step.
constexpr char kFormatHelp[] = R"(FILE format: one edit per line, all in one zone
  add NAME TTL [IN] TYPE RDATA...     add a record (its RRset takes the TTL)
  del NAME [TYPE [RDATA...]]          delete all at NAME, an RRset, or one record
  set NAME TTL [IN] TYPE RDATA...     replace the RRset with this record
  prereq yxdomain|nxdomain NAME       NAME must (not) have records (RFC 2136 2.4)
  prereq yxrrset NAME TYPE [RDATA...] the RRset must exist (exactly these RRs)
  prereq nxrrset NAME TYPE            the RRset must not exist
Names are relative to --zone or absolute; '#' starts a comment line, ';' a comment;
blank lines are skipped. Any bad line: FILE:LINE: why, exit 2, nothing written.
'-' reads standard input.
)";

struct ApplyOptions {
    std::string file;
    std::string zone;
};

Result<std::string> read_input(const std::string& file) {
    std::ostringstream text;
    if (file == "-") {
        text << std::cin.rdbuf();
        if (std::cin.bad()) {
            return Error{"cannot read standard input"};
        }
        return text.str();
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return Error{file + ": cannot open: " + std::strerror(errno)};
    }
    text << in.rdbuf();
    if (in.bad()) {
        return Error{file + ": read failed: " + std::strerror(errno)};
    }
    return text.str();
}

int apply_file(const Context& ctx, const ApplyOptions& opts) {
    auto origin = origin_from_zone_arg(opts.zone);
    if (!origin) {
        return fail(kExitUsage, origin.error().message);
    }
    auto text = read_input(opts.file);
    if (!text) {
        return fail(kExitUsage, text.error().message);
    }
    const std::string path = opts.file == "-" ? "<stdin>" : opts.file;
    auto lines = zone::parse_edit_file(text.value(), path, origin.value());
    if (!lines) {
        return fail(kExitUsage, lines.error().message);
    }
    return run_edits(ctx, lines.value(), origin.value());
}

}  // namespace

void add_apply_command(CLI::App& app, Context& ctx) {
    auto opts = std::make_shared<ApplyOptions>();
    CLI::App* cmd = app.add_subcommand(
        "apply", "Apply several edits from FILE as one atomic change (one serial bump)");
    cmd->footer(kFormatHelp);
    cmd->add_option("FILE", opts->file, "Edit file, or - for standard input")->required();
    cmd->add_option("--zone", opts->zone,
                    "Zone that relative names belong to (and, with --server, the zone to update)");
    cmd->callback([&ctx, opts] { ctx.run = [&ctx, opts] { return apply_file(ctx, *opts); }; });
}

}  // namespace tidal::ctl
