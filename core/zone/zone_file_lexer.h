// Splits master-file text into entries (RFC 1035 §5.1): comments dropped, ( ) lines joined.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"

namespace tidal::zone {

// One directive or RR as written, on one line: comments removed, the parentheses that group
// lines replaced by spaces, quoted strings and backslash escapes left exactly as written.
struct ZoneFileEntry {
    std::string text;          // without the leading blanks
    size_t line = 0;           // 1-based line where the entry starts
    bool blank_owner = false;  // the entry started with a blank: it reuses the previous owner
};

// Splits text (the contents of the file `path`) into entries, skipping blank and comment-only
// lines. Errors are "path:line: reason" (unbalanced parentheses, unterminated quotes).
Result<std::vector<ZoneFileEntry>> split_zone_entries(std::string_view text,
                                                      const std::string& path);

// Splits off the next blank-separated token of text starting at pos (a quoted string with its
// quotes is one token; backslash escapes are kept). Returns an empty view at the end.
std::string_view next_zone_token(std::string_view text, size_t& pos);

}  // namespace tidal::zone
