// Master-file lexer: tracks quotes, escapes, comments and parentheses across lines (RFC 1035 §5.1).
#include "core/zone/zone_file_lexer.h"

#include <algorithm>

namespace tidal::zone {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::string at(const std::string& path, size_t line) {
    return path + ":" + std::to_string(line) + ": ";
}

class Lexer {
  public:
    Lexer(std::string_view text, const std::string& path) : text_(text), path_(path) {}

    Result<std::vector<ZoneFileEntry>> run() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (at_line_start_ && depth_ == 0) {
                finish_entry();
                entry_.line = line_;
                entry_.blank_owner = is_blank(c);
            }
            at_line_start_ = false;
            if (c == '\0') {
                // ldns reads C strings: a NUL would silently cut the entry short.
                return Error{at(path_, line_) + "NUL character in the file"};
            }
            Status status = in_quote_ ? quoted(c) : plain(c);
            if (!status) {
                return status.error();
            }
        }
        if (in_quote_) {
            return Error{at(path_, quote_line_) + "unterminated quoted string"};
        }
        if (depth_ > 0) {
            return Error{at(path_, paren_line_) + "'(' is never closed"};
        }
        finish_entry();
        return std::move(entries_);
    }

  private:
    // Copies a backslash and the character it escapes (RFC 1035 §5.1: \X and \DDD).
    void escape() {
        entry_.text += text_[pos_++];
        if (pos_ < text_.size() && text_[pos_] != '\n') {
            entry_.text += text_[pos_++];
        }
    }

    Status quoted(char c) {
        if (c == '\\') {
            escape();
        } else if (c == '\n') {
            return Error{at(path_, quote_line_) + "unterminated quoted string"};
        } else {
            in_quote_ = c != '"';
            entry_.text += c;
            ++pos_;
        }
        return Status::success();
    }

    Status plain(char c) {
        switch (c) {
            case '\\':
                escape();
                break;
            case '"':
                in_quote_ = true;
                quote_line_ = line_;
                entry_.text += c;
                ++pos_;
                break;
            case ';':
                while (pos_ < text_.size() && text_[pos_] != '\n') {
                    ++pos_;
                }
                break;
            case '(':
                if (depth_++ == 0) {
                    paren_line_ = line_;
                }
                entry_.text += ' ';
                ++pos_;
                break;
            case ')':
                if (depth_ == 0) {
                    return Error{at(path_, line_) + "')' without a matching '('"};
                }
                --depth_;
                entry_.text += ' ';
                ++pos_;
                break;
            case '\n':
                ++line_;
                ++pos_;
                at_line_start_ = true;
                entry_.text += ' ';
                break;
            default:
                entry_.text += is_blank(c) ? ' ' : c;
                ++pos_;
        }
        return Status::success();
    }

    void finish_entry() {
        const size_t first = entry_.text.find_first_not_of(' ');
        if (first != std::string::npos) {
            const size_t last = entry_.text.find_last_not_of(' ');
            entry_.text = entry_.text.substr(first, last - first + 1);
            entries_.push_back(std::move(entry_));
        }
        entry_ = ZoneFileEntry{};
    }

    std::string_view text_;
    const std::string& path_;
    size_t pos_ = 0;
    size_t line_ = 1;
    size_t depth_ = 0;
    size_t paren_line_ = 0;
    size_t quote_line_ = 0;
    bool in_quote_ = false;
    bool at_line_start_ = true;
    ZoneFileEntry entry_;
    std::vector<ZoneFileEntry> entries_;
};

}  // namespace

Result<std::vector<ZoneFileEntry>> split_zone_entries(std::string_view text,
                                                      const std::string& path) {
    return Lexer(text, path).run();
}

std::string_view next_zone_token(std::string_view text, size_t& pos) {
    while (pos < text.size() && is_blank(text[pos])) {
        ++pos;
    }
    const size_t start = pos;
    bool quoted = false;
    while (pos < text.size()) {
        const char c = text[pos];
        if (c == '\\') {
            pos += 2;
            continue;
        }
        if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && is_blank(c)) {
            break;
        }
        ++pos;
    }
    pos = std::min(pos, text.size());
    return text.substr(start, pos - start);
}

}  // namespace tidal::zone
