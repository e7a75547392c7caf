// Typed field access on yaml-cpp nodes: unknown/duplicate key checks, scalars, string lists.
#include "core/config/yaml_fields.h"

#include <algorithm>

namespace tidal::config::detail {

namespace {

// Stops a file full of mistakes from burying the first ones.
constexpr size_t kMaxErrors = 50;

// Levenshtein distance, for "did you mean" on unknown keys.
size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string unknown_key_message(std::string_view key, std::string_view path,
                                std::initializer_list<std::string_view> allowed) {
    std::string message = "unknown key '" + std::string(key) + "'";
    if (!path.empty()) {
        message += " in " + std::string(path);
    }
    std::string_view best;
    size_t best_distance = 3;  // suggest only close matches
    for (const std::string_view candidate : allowed) {
        const size_t distance = edit_distance(key, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    if (!best.empty()) {
        return message + " (did you mean '" + std::string(best) + "'?)";
    }
    message += " (expected one of:";
    for (const std::string_view candidate : allowed) {
        message += " " + std::string(candidate);
    }
    return message + ")";
}

}  // namespace

void Diagnostics::add(const YAML::Mark& mark, std::string_view what) {
    if (errors_.size() == kMaxErrors) {
        errors_.push_back(source_ + ": too many errors, stopping here");
    }
    if (errors_.size() > kMaxErrors) {
        return;
    }
    std::string line = source_;
    if (!mark.is_null()) {
        line += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }
    line += ": ";
    line += what;
    errors_.push_back(std::move(line));
}

std::string Diagnostics::joined() const {
    std::string out;
    for (const std::string& error : errors_) {
        if (!out.empty()) {
            out += '\n';
        }
        out += error;
    }
    return out;
}

YAML::Mark Field::mark() const {
    // An empty value ("database:") is placed by yaml-cpp where the next token starts, often the
    // next line: blame the key instead.
    const YAML::Mark value_mark = value.Mark();
    return value_mark.is_null() || value.IsNull() ? key.Mark() : value_mark;
}

std::string child_path(std::string_view parent, std::string_view key) {
    if (parent.empty()) {
        return std::string(key);
    }
    return std::string(parent) + "." + std::string(key);
}

std::string_view describe_node(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Scalar:
            return "a value";
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            break;
    }
    return "nothing";
}

MapFields::MapFields(const YAML::Node& node, std::string path, const YAML::Mark& fallback,
                     std::initializer_list<std::string_view> allowed, Diagnostics& diag)
    : path_(std::move(path)), mark_(node.Mark().is_null() ? fallback : node.Mark()) {
    if (!node.IsMap()) {
        diag.add(mark_, (path_.empty() ? std::string("the file") : "'" + path_ + "'") +
                            " must be a mapping of keys to values, not " +
                            std::string(describe_node(node)));
        return;
    }
    is_map_ = true;
    for (const auto& pair : node) {
        const YAML::Node key = pair.first;
        if (!key.IsScalar()) {
            diag.add(key.Mark(), "keys must be plain names, not " +
                                     std::string(describe_node(key)) +
                                     (path_.empty() ? "" : " (in " + path_ + ")"));
            continue;
        }
        const std::string name = key.Scalar();
        if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
            diag.add(key.Mark(), unknown_key_message(name, path_, allowed));
            continue;
        }
        const auto [it, inserted] =
            fields_.emplace(name, Field{child_path(path_, name), key, pair.second});
        if (!inserted) {
            diag.add(key.Mark(), "duplicate key '" + child_path(path_, name) +
                                     "' (first given on line " +
                                     std::to_string(it->second.key.Mark().line + 1) + ")");
        }
    }
}

const Field* MapFields::find(std::string_view key) const {
    const auto it = fields_.find(key);
    return it == fields_.end() ? nullptr : &it->second;
}

std::optional<std::string> read_scalar(const Field& field, Diagnostics& diag) {
    if (!field.value.IsScalar()) {
        diag.add(field.mark(), "'" + field.path + "' needs a value, not " +
                                   std::string(describe_node(field.value)));
        return std::nullopt;
    }
    return field.value.Scalar();
}

std::vector<ListItem> read_string_list(const Field& field, Diagnostics& diag) {
    std::vector<ListItem> items;
    const YAML::Node& value = field.value;
    if (value.IsNull()) {
        return items;
    }
    if (value.IsScalar()) {
        items.push_back(ListItem{value.Scalar(), field.mark()});
        return items;
    }
    if (!value.IsSequence()) {
        diag.add(field.mark(), "'" + field.path + "' must be a list of names, not " +
                                   std::string(describe_node(value)));
        return items;
    }
    for (size_t i = 0; i < value.size(); ++i) {
        const YAML::Node entry = value[i];
        const YAML::Mark mark = entry.Mark().is_null() ? field.mark() : entry.Mark();
        if (!entry.IsScalar()) {
            diag.add(mark, "'" + field.path + "[" + std::to_string(i) + "]' must be a name, not " +
                               std::string(describe_node(entry)));
            continue;
        }
        items.push_back(ListItem{entry.Scalar(), mark});
    }
    return items;
}

}  // namespace tidal::config::detail
