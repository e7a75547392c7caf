// The host's YAML configuration (INTERFACE.md), parsed and validated into plain structs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/zone/serial_policy.h"

namespace tidal::config {

struct ListenAddress {
    std::string host;  // numeric IPv4 or IPv6 address, no brackets
    uint16_t port = 53;
    bool ipv6 = false;
};

struct ServerConfig {
    std::vector<ListenAddress> listen;  // parse_config fills 0.0.0.0:53 and [::]:53 if absent
    unsigned workers = 0;               // 0 = auto: one per core
    uint16_t udp_max_payload = 1232;    // 512..4096
    // How long a busy worker lets datagrams gather before its next UDP read (0 = never waits);
    // see server/udp_batch.h and docs/query-engine.md.
    std::chrono::microseconds udp_batch_wait{100};
    std::chrono::milliseconds tcp_idle_timeout{10000};
    unsigned tcp_max_connections = 1024;  // per worker
    // Traffic limits (server_limits.cc, docs/traffic-limits.md).
    unsigned tcp_max_connections_per_client = 64;    // per client address, all workers; 0 = none
    std::chrono::milliseconds tcp_io_timeout{2000};  // to receive or send one message
    uint32_t rate_limit = 0;                         // UDP responses/s per bucket; 0 = off
    unsigned rate_limit_slip = 2;                    // 0 = drop all limited, 1 = truncate all
    uint32_t rate_limit_table_size = 393241;
    unsigned rate_limit_ipv4_prefix = 24;
    unsigned rate_limit_ipv6_prefix = 56;
    std::vector<std::string> rate_limit_exempt;  // validated CIDR prefixes or addresses
};

struct LogConfig {
    std::string level = "info";   // trace|debug|info|warn|error
    std::string target = "auto";  // auto|journald|stderr
};

struct TsigKey {
    std::string name;       // as written in the file
    std::string name_wire;  // lowercased absolute wire form of name: how TSIG records carry it
    std::string algorithm;  // hmac-sha256 | hmac-sha512 | hmac-sha1 | ...
    std::string secret;     // base64, as written
};

struct Remote {
    std::string id;
    ListenAddress address;
    std::string key;  // TsigKey name or empty
};

enum class ZoneRole { Primary, Secondary };
using SerialPolicy = zone::SerialPolicy;  // serial-policy: increment | unixtime | dateserial
enum class StalePolicy { Refuse, Serve };
// transfer-sync: whether a secondary syncs each applied transfer to disk before serving it.
enum class TransferSync { Normal, Full };

struct ZoneConfig {
    std::string name;       // presentation, absolute, lowercased ("example.com.")
    std::string name_wire;  // lowercased wire
    ZoneRole role = ZoneRole::Primary;
    std::vector<std::string> notify;
    std::vector<std::string> allow_transfer;
    std::vector<std::string> allow_update;
    std::vector<std::string> primaries;
    std::vector<std::string> allow_notify;
    SerialPolicy serial_policy = SerialPolicy::Increment;
    std::chrono::seconds max_staleness{0};  // 0 = unbounded
    StalePolicy stale_policy = StalePolicy::Refuse;
    // Secondaries: SOA timers that override the zone's SOA REFRESH, RETRY, EXPIRE (0 = the SOA's).
    std::chrono::seconds refresh{0};
    std::chrono::seconds retry{0};
    std::chrono::seconds expire{0};
    // The journal (IXFR history) keeps the newest journal_max_changes changes, then drops the
    // oldest while it holds more than journal_max_size bytes (always keeping the newest one).
    uint64_t journal_max_changes = 1000;
    uint64_t journal_max_size = uint64_t(64) << 20;
    // Secondaries: Normal serves a transfer as soon as it is committed and leaves the disk sync
    // to the next checkpoint (a power loss may lose the newest transfers, which are fetched again
    // at start); Full waits for the sync first.
    TransferSync transfer_sync = TransferSync::Normal;
};

struct Config {
    std::string source;  // file the config came from
    std::string database = "/var/lib/tidal/tidal.db";
    std::string control = "/run/tidal/control.sock";
    LogConfig log;
    ServerConfig server;
    std::vector<TsigKey> keys;
    std::vector<Remote> remotes;
    std::vector<ZoneConfig> zones;

    // The zone whose apex is name_wire (compared case-insensitively), or nullptr.
    const ZoneConfig* find_zone(std::string_view name_wire) const;
    // The key named name (as in the file; TSIG names compare case-insensitively), or nullptr.
    const TsigKey* find_key(std::string_view name) const;
    // The remote with this id (exact match), or nullptr.
    const Remote* find_remote(std::string_view id) const;
};

constexpr char kDefaultConfigPath[] = "/etc/tidal/tidal.yaml";

// Reads and validates the file. Errors are "path:line:column: what is wrong".
Result<Config> load_config(const std::string& path);
// Same for text already in memory; source names it in errors.
Result<Config> parse_config(std::string_view yaml_text, const std::string& source);

}  // namespace tidal::config
