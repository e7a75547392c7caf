// Record edits as editors write them (tidalctl record, apply FILE) and RFC 2136 UPDATE carries
// them: prerequisites and edits for one zone, applied as one atomic change.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/zone/record.h"

namespace tidal::zone {

// One edit, in the four kinds of RFC 2136 §2.5. All owners are lowercased absolute wire names.
struct RecordEdit {
    enum class Kind {
        Add,          // add rr (§2.5.1); the RRset it joins takes its TTL (RFC 2181 §5.2)
        DeleteRr,     // delete the RR rr.owner rr.type rr.rdata (§2.5.4; names in rdata
                      // compare without case)
        DeleteRrset,  // delete the RRset rr.owner rr.type (§2.5.2)
        DeleteName,   // delete every RRset at rr.owner (§2.5.3; at the apex the SOA and NS
                      // stay, §3.4.2.3)
    };
    Kind kind = Kind::Add;
    Record rr;
    bool must_match = false;  // tidalctl `del`: matching nothing is an error, not a no-op
    std::string where;        // "FILE:LINE" or empty (command line): prefixes messages
};

// One prerequisite (RFC 2136 §2.4), checked against the zone before any edit.
struct Prerequisite {
    enum class Kind {
        NameInUse,     // yxdomain: some RR exists at rr.owner (§2.4.4)
        NameNotInUse,  // nxdomain: no RR exists at rr.owner (§2.4.5)
        RrsetExists,   // yxrrset without rdata: rr.owner rr.type exists (§2.4.1)
        RrsetEquals,   // yxrrset with rdata: rr is one RR of the exact RRset that must exist;
                       // all RrsetEquals of one owner and type together form it (§2.4.2)
        RrsetAbsent,   // nxrrset: rr.owner rr.type does not exist (§2.4.3)
    };
    Kind kind = Kind::NameInUse;
    Record rr;
    std::string where;
};

// Prerequisites and edits for one zone: one atomic change with one serial bump, or nothing.
struct EditScript {
    std::string zone;  // lowercased wire apex
    std::vector<Prerequisite> prerequisites;
    std::vector<RecordEdit> edits;  // applied in order, each seeing the ones before
};

// Why an edit script (or a change) was not applied; nothing was written.
struct Rejection {
    enum class Kind {
        Invalid,             // breaks a zone rule (zone/change_checks.h): a usage error
        PrerequisiteFailed,  // RFC 2136 §3.2: the zone is not as the editor expected
        NoMatch,             // a `del` with must_match found nothing to delete
    };
    Kind kind = Kind::Invalid;
    uint16_t rcode = 0;   // what an UPDATE would answer (REFUSED, NXDOMAIN, YXRRSET, ...)
    std::string message;  // names the record and the rule, prefixed with its "FILE:LINE: "
};

// One edit as written, parsed up to the rdata: rdata needs the zone as origin, which is known
// only once the owners have been read (the stored zone that holds them, or a server's answer).
struct EditLine {
    enum class Op { Add, Del, Set, PrereqYxDomain, PrereqNxDomain, PrereqYxRrset, PrereqNxRrset };
    Op op = Op::Add;
    std::string owner;             // lowercased absolute wire
    std::optional<uint32_t> ttl;   // Add, Set
    std::optional<uint16_t> type;  // Add, Set; optional for Del, PrereqYxRrset, PrereqNxRrset
    std::string rdata_text;        // as written (presentation format); may be empty
    std::string where;             // "FILE:LINE", or empty for the command line
};

// Parses one edit from its words: op is "add", "del", "set" (or "prereq" followed by yxdomain,
// nxdomain, yxrrset, nxrrset); args are what follows (NAME TTL [IN] TYPE RDATA... for add and
// set, NAME [TYPE [RDATA...]] for del, NAME [TYPE [RDATA...]] for prereq). RDATA words are
// joined with single blanks. origin completes a relative NAME (nullopt: names are absolute,
// "www.example.com" = "www.example.com."). where prefixes errors.
Result<EditLine> parse_edit_words(std::string_view op, const std::vector<std::string>& args,
                                  const std::optional<std::string>& origin,
                                  const std::string& where);

// Parses an edit file (docs/editing.md): one edit per line as parse_edit_words reads them;
// '#' starts a comment line, ';' a comment anywhere outside quotes (as in master files);
// blank lines are skipped; parentheses continue an entry over lines (RFC 1035 §5.1). path names
// the file in errors, which are "path:line: reason". An empty file is an error.
Result<std::vector<EditLine>> parse_edit_file(std::string_view text, const std::string& path,
                                              const std::optional<std::string>& origin);

// Turns lines into an EditScript for zone apex (lowercased wire): every owner must lie in the
// zone and rdata is parsed with apex as origin; set becomes DeleteRrset + Add; del is
// must_match. Errors are "where: reason".
Result<EditScript> script_from_lines(const std::vector<EditLine>& lines, std::string_view apex);

}  // namespace tidal::zone
