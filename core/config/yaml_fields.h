// Reading typed fields out of yaml-cpp nodes while collecting "path:line:column: what" errors.
// Internal to core/config: the rest of the tree sees only config.h.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tidal::config::detail {

// Collects every error found in one file, each prefixed with source:line:column (1-based).
class Diagnostics {
  public:
    explicit Diagnostics(std::string source) : source_(std::move(source)) {}

    // Records an error at mark; a null mark (node without position) prints the source alone.
    void add(const YAML::Mark& mark, std::string_view what);
    bool empty() const { return errors_.empty(); }
    // All errors, one per line, in the order found.
    std::string joined() const;
    const std::string& source() const { return source_; }

  private:
    std::string source_;
    std::vector<std::string> errors_;
};

// One key: value pair of a mapping, with the best position to blame for its value.
struct Field {
    std::string path;  // "server.workers", "zones[1].role": names the key in error messages
    YAML::Node key;
    YAML::Node value;
    // Where the value starts, or the key when the value has no position of its own.
    YAML::Mark mark() const;
};

// The keys of one mapping, checked against the keys it may hold. Reports (into diag) a node that
// is not a mapping, keys that are not plain names, unknown keys (with the closest known key as a
// suggestion) and keys given twice.
class MapFields {
  public:
    MapFields(const YAML::Node& node, std::string path, const YAML::Mark& fallback,
              std::initializer_list<std::string_view> allowed, Diagnostics& diag);

    // False when the node was not a mapping (already reported).
    bool is_map() const { return is_map_; }
    // The field named key, or nullptr when the mapping does not have it.
    const Field* find(std::string_view key) const;
    // Where the mapping starts: for "missing key" errors.
    const YAML::Mark& mark() const { return mark_; }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    YAML::Mark mark_;
    bool is_map_ = false;
    std::map<std::string, Field, std::less<>> fields_;
};

// Joins a parent path and a key: "" + "server" = "server", "server" + "workers" = "server.workers".
std::string child_path(std::string_view parent, std::string_view key);

// A scalar's text. Reports and returns nullopt when the value is missing (null), a list or a
// mapping.
std::optional<std::string> read_scalar(const Field& field, Diagnostics& diag);

// One entry of a string list, with its position for later reference checks.
struct ListItem {
    std::string text;
    YAML::Mark mark;
};

// A list of scalars. A single scalar counts as a one-entry list and null as an empty list; a
// mapping, or a list entry that is not a scalar, is reported.
std::vector<ListItem> read_string_list(const Field& field, Diagnostics& diag);

// Human name of what a node holds ("a list", "a mapping", "nothing", "a value"), for errors.
std::string_view describe_node(const YAML::Node& node);

}  // namespace tidal::config::detail
