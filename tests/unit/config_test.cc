// Tests for the YAML configuration loader: the INTERFACE.md example, defaults, and each error kind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/config/config.h"
#include "core/config/config_values.h"

namespace tidal::config {
namespace {

using namespace std::chrono_literals;

// The example from INTERFACE.md, with real secrets ("transfer-secret" and "editor-secret").
constexpr char kExample[] = R"(database: /var/lib/tidal/tidal.db
control: /run/tidal/control.sock
log:
  level: info
  target: auto
server:
  listen: ["0.0.0.0:53", "[::]:53"]
  workers: auto
  udp-max-payload: 1232
keys:
  - { name: transfer, algorithm: hmac-sha256, secret: "dHJhbnNmZXItc2VjcmV0" }
  - { name: editor,   algorithm: hmac-sha256, secret: "ZWRpdG9yLXNlY3JldA==" }
remotes:
  - { id: ns1, address: "192.0.2.1:53", key: transfer }
  - { id: ns2, address: "192.0.2.2:53", key: transfer }
zones:
  - name: example.com.
    role: primary
    notify: [ns2]
    allow-transfer: [ns2]
    allow-update: [editor]
    serial-policy: increment
    max-staleness: 1h
    stale-policy: refuse
  - name: example.net.
    role: secondary
    primaries: [ns1]
    allow-notify: [ns1]
)";

// Keys and remotes that the error cases below refer to.
constexpr char kPreamble[] = R"(keys:
  - { name: transfer, algorithm: hmac-sha256, secret: "dHJhbnNmZXItc2VjcmV0" }
remotes:
  - { id: ns1, address: "192.0.2.1:53", key: transfer }
zones:
)";
constexpr int kPreambleLines = 5;

std::string wire(std::initializer_list<std::string_view> labels) {
    std::string out;
    for (const std::string_view label : labels) {
        out += char(label.size());
        out += label;
    }
    out += '\0';
    return out;
}

// Parses text and expects failure with an error on the given 1-based line mentioning each part.
void expect_error(const std::string& text, int line, std::initializer_list<std::string> parts) {
    auto result = parse_config(text, "test.yaml");
    ASSERT_FALSE(result.ok()) << "accepted:\n" << text;
    const std::string& message = result.error().message;
    EXPECT_NE(message.find("test.yaml:" + std::to_string(line) + ":"), std::string::npos)
        << "wanted line " << line << " in: " << message;
    for (const std::string& part : parts) {
        EXPECT_NE(message.find(part), std::string::npos)
            << "wanted '" << part << "' in: " << message;
    }
}

// A zone list entry appended to kPreamble; the zone starts on line kPreambleLines + 1.
std::string with_zone(const std::string& zone_lines) {
    return kPreamble + zone_lines;
}

TEST(ConfigTest, InterfaceExampleParses) {
    auto result = parse_config(kExample, "example.yaml");
    ASSERT_TRUE(result.ok()) << result.error().message;
    const Config& c = result.value();
    EXPECT_EQ(c.source, "example.yaml");
    EXPECT_EQ(c.database, "/var/lib/tidal/tidal.db");
    EXPECT_EQ(c.control, "/run/tidal/control.sock");
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.log.target, "auto");
    ASSERT_EQ(c.server.listen.size(), 2U);
    EXPECT_EQ(c.server.listen[0].host, "0.0.0.0");
    EXPECT_EQ(c.server.listen[0].port, 53);
    EXPECT_FALSE(c.server.listen[0].ipv6);
    EXPECT_EQ(c.server.listen[1].host, "::");
    EXPECT_TRUE(c.server.listen[1].ipv6);
    EXPECT_EQ(c.server.workers, 0U);
    EXPECT_EQ(c.server.udp_max_payload, 1232);
    EXPECT_EQ(c.server.udp_batch_wait, 100us);

    ASSERT_EQ(c.keys.size(), 2U);
    EXPECT_EQ(c.keys[0].name, "transfer");
    EXPECT_EQ(c.keys[0].name_wire, wire({"transfer"}));
    EXPECT_EQ(c.keys[0].algorithm, "hmac-sha256");
    EXPECT_EQ(c.keys[0].secret, "dHJhbnNmZXItc2VjcmV0");
    EXPECT_EQ(c.keys[1].name, "editor");

    ASSERT_EQ(c.remotes.size(), 2U);
    EXPECT_EQ(c.remotes[1].id, "ns2");
    EXPECT_EQ(c.remotes[1].address.host, "192.0.2.2");
    EXPECT_EQ(c.remotes[1].address.port, 53);
    EXPECT_EQ(c.remotes[1].key, "transfer");

    ASSERT_EQ(c.zones.size(), 2U);
    const ZoneConfig& com = c.zones[0];
    EXPECT_EQ(com.name, "example.com.");
    EXPECT_EQ(com.name_wire, wire({"example", "com"}));
    EXPECT_EQ(com.role, ZoneRole::Primary);
    EXPECT_EQ(com.notify, std::vector<std::string>{"ns2"});
    EXPECT_EQ(com.allow_transfer, std::vector<std::string>{"ns2"});
    EXPECT_EQ(com.allow_update, std::vector<std::string>{"editor"});
    EXPECT_EQ(com.serial_policy, SerialPolicy::Increment);
    EXPECT_EQ(com.max_staleness, 3600s);
    EXPECT_EQ(com.stale_policy, StalePolicy::Refuse);
    EXPECT_TRUE(com.primaries.empty());

    const ZoneConfig& net = c.zones[1];
    EXPECT_EQ(net.name, "example.net.");
    EXPECT_EQ(net.role, ZoneRole::Secondary);
    EXPECT_EQ(net.primaries, std::vector<std::string>{"ns1"});
    EXPECT_EQ(net.allow_notify, std::vector<std::string>{"ns1"});

    EXPECT_EQ(c.find_zone(wire({"EXAMPLE", "Net"})), &net);
    EXPECT_EQ(c.find_zone(wire({"example", "org"})), nullptr);
    EXPECT_EQ(c.find_key("EDITOR."), &c.keys[1]);
    EXPECT_EQ(c.find_key("nobody"), nullptr);
    EXPECT_EQ(c.find_remote("ns1"), &c.remotes[0]);
    EXPECT_EQ(c.find_remote("ns3"), nullptr);
}

TEST(ConfigTest, DefaultsForAnEmptyFile) {
    auto result = parse_config("", "empty.yaml");
    ASSERT_TRUE(result.ok()) << result.error().message;
    const Config& c = result.value();
    EXPECT_EQ(c.database, "/var/lib/tidal/tidal.db");
    EXPECT_EQ(c.control, "/run/tidal/control.sock");
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.log.target, "auto");
    ASSERT_EQ(c.server.listen.size(), 2U);
    EXPECT_EQ(format_socket_address(c.server.listen[0]), "0.0.0.0:53");
    EXPECT_EQ(format_socket_address(c.server.listen[1]), "[::]:53");
    EXPECT_EQ(c.server.workers, 0U);
    EXPECT_EQ(c.server.udp_max_payload, 1232);
    EXPECT_EQ(c.server.tcp_idle_timeout, 10s);
    EXPECT_EQ(c.server.tcp_max_connections, 1024U);
    EXPECT_TRUE(c.keys.empty());
    EXPECT_TRUE(c.remotes.empty());
    EXPECT_TRUE(c.zones.empty());
}

TEST(ConfigTest, ZoneDefaults) {
    auto result = parse_config(with_zone("  - name: Example.ORG\n"
                                         "  - name: example.net.\n"
                                         "    role: secondary\n"
                                         "    primaries: [ns1]\n"),
                               "t.yaml");
    ASSERT_TRUE(result.ok()) << result.error().message;
    const ZoneConfig& org = result->zones[0];
    EXPECT_EQ(org.name, "example.org.");  // lowercased, absolute
    EXPECT_EQ(org.name_wire, wire({"example", "org"}));
    EXPECT_EQ(org.role, ZoneRole::Primary);
    EXPECT_EQ(org.serial_policy, SerialPolicy::Increment);
    EXPECT_EQ(org.stale_policy, StalePolicy::Refuse);
    EXPECT_EQ(org.max_staleness, 0s);
    EXPECT_TRUE(org.allow_notify.empty());
    EXPECT_TRUE(org.allow_transfer.empty());
    // allow-notify defaults to the primaries.
    EXPECT_EQ(result->zones[1].allow_notify, std::vector<std::string>{"ns1"});
    EXPECT_EQ(result->zones[1].transfer_sync, TransferSync::Normal);
}

TEST(ConfigTest, TransferSync) {
    const std::string secondary = "  - name: a.test.\n    role: secondary\n    primaries: [ns1]\n";
    auto full = parse_config(with_zone(secondary + "    transfer-sync: full\n"), "t.yaml");
    ASSERT_TRUE(full.ok()) << full.error().message;
    EXPECT_EQ(full->zones[0].transfer_sync, TransferSync::Full);
    auto normal = parse_config(with_zone(secondary + "    transfer-sync: normal\n"), "t.yaml");
    ASSERT_TRUE(normal.ok()) << normal.error().message;
    EXPECT_EQ(normal->zones[0].transfer_sync, TransferSync::Normal);
    expect_error(with_zone(secondary + "    transfer-sync: sometimes\n"), kPreambleLines + 4,
                 {"zones[0].transfer-sync", "normal or full", "'sometimes'"});
    // A primary's own commits are always synced: the key there is a mistake, said as such.
    expect_error(with_zone("  - name: a.test.\n    transfer-sync: normal\n"), kPreambleLines + 2,
                 {"a.test.", "primary", "transfer-sync"});
}

TEST(ConfigTest, ServerSettings) {
    auto result = parse_config(R"(server:
  listen: ["127.0.0.1:5300", "[::1]:5300", "192.0.2.7", "2001:db8::1"]
  workers: 4
  udp-max-payload: 4096
  udp-batch-wait: 250us
  tcp-idle-timeout: 30s
  tcp-max-connections: 50
log: { level: debug, target: stderr }
zones:
  - name: a.test.
    serial-policy: dateserial
    stale-policy: serve
    max-staleness: 2d
    allow-transfer: ["10.0.0.0/8", "2001:db8::/32", ns1]
remotes:
  - { id: ns1, address: "[2001:db8::53]" }
)",
                               "t.yaml");
    ASSERT_TRUE(result.ok()) << result.error().message;
    const ServerConfig& s = result->server;
    ASSERT_EQ(s.listen.size(), 4U);
    EXPECT_EQ(format_socket_address(s.listen[0]), "127.0.0.1:5300");
    EXPECT_EQ(format_socket_address(s.listen[1]), "[::1]:5300");
    EXPECT_EQ(format_socket_address(s.listen[2]), "192.0.2.7:53");
    EXPECT_EQ(format_socket_address(s.listen[3]), "[2001:db8::1]:53");
    EXPECT_EQ(s.workers, 4U);
    EXPECT_EQ(s.udp_max_payload, 4096);
    EXPECT_EQ(s.udp_batch_wait, 250us);
    EXPECT_EQ(s.tcp_idle_timeout, 30s);
    EXPECT_EQ(s.tcp_max_connections, 50U);
    EXPECT_EQ(result->log.level, "debug");
    EXPECT_EQ(result->log.target, "stderr");
    const ZoneConfig& zone = result->zones[0];
    EXPECT_EQ(zone.serial_policy, SerialPolicy::DateSerial);
    EXPECT_EQ(zone.stale_policy, StalePolicy::Serve);
    EXPECT_EQ(zone.max_staleness, 48h);
    EXPECT_EQ(zone.allow_transfer.size(), 3U);
    EXPECT_EQ(result->remotes[0].address.port, 53);
    EXPECT_TRUE(result->remotes[0].address.ipv6);
    EXPECT_TRUE(result->remotes[0].key.empty());
}

TEST(ConfigTest, UnknownKeysAreNamedWithTheirLine) {
    expect_error("database: /tmp/x.db\ndatabse: /tmp/y.db\n", 2,
                 {"unknown key 'databse'", "did you mean 'database'"});
    expect_error("server:\n  workers: 2\n  listn: [\"127.0.0.1:53\"]\n", 3,
                 {"unknown key 'listn'", "server", "did you mean 'listen'"});
    expect_error(with_zone("  - name: example.com.\n    alow-transfer: [ns1]\n"),
                 kPreambleLines + 2, {"unknown key 'alow-transfer'", "allow-transfer"});
    expect_error("keys:\n  - { name: k, algorithm: hmac-sha256, secret: \"aGVsbG8=\", x: 1 }\n", 2,
                 {"unknown key 'x'", "keys[0]"});
    expect_error("frobnicate: yes\n", 1, {"unknown key 'frobnicate'", "expected one of"});
}

TEST(ConfigTest, DuplicateYamlKey) {
    expect_error("database: /a\ncontrol: /c\ndatabase: /b\n", 3,
                 {"duplicate key 'database'", "line 1"});
}

TEST(ConfigTest, WrongTypes) {
    expect_error("log:\n  level: info\nserver:\n  listen: { a: b }\n", 4,
                 {"server.listen", "a mapping"});
    expect_error("server: [1, 2]\n", 1, {"'server' must be a mapping", "a list"});
    expect_error("database:\n  - a\n", 2, {"'database'", "a list"});
    expect_error("database:\ncontrol: /c\n", 1, {"'database'", "needs a value"});
    expect_error("zones: example.com\n", 1, {"'zones' must be a list"});
    expect_error("- a\n- b\n", 1, {"must be a mapping"});
}

TEST(ConfigTest, ServerValueRanges) {
    expect_error("server:\n  workers: 0\n", 2, {"server.workers", "'auto' or a number"});
    expect_error("server:\n  workers: 257\n", 2, {"server.workers"});
    expect_error("server:\n  workers: lots\n", 2, {"server.workers", "'lots'"});
    expect_error("server:\n  udp-max-payload: 511\n", 2, {"server.udp-max-payload", "512"});
    expect_error("server:\n  udp-max-payload: 4097\n", 2, {"server.udp-max-payload", "4096"});
    expect_error("server:\n  udp-batch-wait: 2ms\n", 2, {"server.udp-batch-wait", "at most 1ms"});
    expect_error("server:\n  udp-batch-wait: 1001us\n", 2, {"server.udp-batch-wait", "1ms"});
    expect_error("server:\n  udp-batch-wait: 50\n", 2, {"server.udp-batch-wait", "50us"});
    expect_error("server:\n  udp-batch-wait: fast\n", 2, {"server.udp-batch-wait", "'fast'"});
    for (const auto& [text, expected] :
         {std::pair{"0", 0us}, std::pair{"1ms", 1000us}, std::pair{"75us", 75us}}) {
        auto ok = parse_config(std::string("server:\n  udp-batch-wait: ") + text + "\n", "t");
        ASSERT_TRUE(ok.ok()) << text << ": " << ok.error().message;
        EXPECT_EQ(ok->server.udp_batch_wait, expected) << text;
    }
    expect_error("server:\n  tcp-idle-timeout: soon\n", 2, {"server.tcp-idle-timeout", "'soon'"});
    expect_error("server:\n  tcp-idle-timeout: 0\n", 2, {"server.tcp-idle-timeout"});
    expect_error("server:\n  tcp-max-connections: 0\n", 2, {"server.tcp-max-connections"});
    expect_error("server:\n  listen: []\n", 2, {"server.listen", "at least one"});
    for (const int workers : {1, 256}) {
        auto ok = parse_config("server:\n  workers: " + std::to_string(workers) + "\n", "t");
        ASSERT_TRUE(ok.ok()) << ok.error().message;
        EXPECT_EQ(ok->server.workers, unsigned(workers));
    }
}

TEST(ConfigTest, LogValues) {
    expect_error("log:\n  level: verbose\n", 2, {"log.level", "'verbose'"});
    expect_error("log:\n  target: syslog\n", 2, {"log.target", "'syslog'"});
    for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
        auto ok = parse_config(std::string("log: {level: ") + level + "}\n", "t");
        ASSERT_TRUE(ok.ok()) << ok.error().message;
        EXPECT_EQ(ok->log.level, level);
    }
}

TEST(ConfigTest, Addresses) {
    expect_error("server:\n  listen:\n    - \"127.0.0.1:53\"\n    - \"ns.example.com:53\"\n", 4,
                 {"server.listen", "ns.example.com:53"});
    expect_error("server:\n  listen: [\"127.0.0.1:70000\"]\n", 2, {"70000"});
    expect_error("server:\n  listen: [\"127.0.0.1:\"]\n", 2, {"empty port"});
    expect_error("server:\n  listen: [\"[::1\"]\n", 2, {"']'"});
    expect_error("server:\n  listen: [\"[::1]53\"]\n", 2, {"[::1]53"});
    expect_error("server:\n  listen: [\"1.2.3.4:0\"]\n", 2, {"1.2.3.4:0"});
    expect_error("remotes:\n  - id: ns1\n    address: \"192.0.2.300:53\"\n", 3,
                 {"remotes[0].address", "192.0.2.300"});
    expect_error("remotes:\n  - id: ns1\n", 2, {"remotes[0]", "'address'"});
}

TEST(ConfigTest, Durations) {
    const std::pair<const char*, std::chrono::seconds> cases[] = {
        {"30", 30s}, {"30s", 30s}, {"5m", 300s}, {"1h", 3600s}, {"2d", 172800s}, {"0", 0s}};
    for (const auto& [text, expected] : cases) {
        auto parsed = parse_duration(text);
        ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
        EXPECT_EQ(parsed.value(), expected) << text;
    }
    for (const char* bad : {"", "s", "1.5h", "-1", "5x", "1h30m", " 5m", "99999999999999999999d"}) {
        EXPECT_FALSE(parse_duration(bad).ok()) << "accepted '" << bad << "'";
    }
    expect_error(with_zone("  - name: a.test.\n    max-staleness: 5x\n"), kPreambleLines + 2,
                 {"max-staleness", "'5x'"});
}

TEST(ConfigTest, ShortDurations) {
    const std::pair<const char*, std::chrono::microseconds> cases[] = {
        {"0", 0us}, {"0us", 0us}, {"50us", 50us}, {"2ms", 2000us}, {"1000us", 1000us}};
    for (const auto& [text, expected] : cases) {
        auto parsed = parse_short_duration(text);
        ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
        EXPECT_EQ(parsed.value(), expected) << text;
    }
    // A bare number other than 0 is refused: 50 could mean 50 us or 50 ms.
    for (const char* bad : {"", "us", "ms", "50", "5s", "-5us", "1.5ms", " 5us", "5 us", "5uss",
                            "99999999999999999999us"}) {
        EXPECT_FALSE(parse_short_duration(bad).ok()) << "accepted '" << bad << "'";
    }
}

TEST(ConfigTest, Keys) {
    expect_error("keys:\n  - name: k\n    algorithm: hmac-sha999\n    secret: \"aGVsbG8=\"\n", 3,
                 {"keys[0].algorithm", "hmac-sha999"});
    expect_error("keys:\n  - name: k\n    algorithm: hmac-sha256\n    secret: \"not base64!\"\n", 4,
                 {"keys[0].secret", "base64"});
    expect_error("keys:\n  - name: k\n    algorithm: hmac-sha256\n    secret: \"\"\n", 4,
                 {"keys[0].secret"});
    expect_error("keys:\n  - { name: k, secret: \"aGVsbG8=\" }\n", 2,
                 {"keys[0]", "missing", "'algorithm'"});
    expect_error(
        "keys:\n  - { name: k, algorithm: hmac-sha1, secret: \"aGVsbG8=\" }\n"
        "  - { name: K., algorithm: hmac-sha1, secret: \"aGVsbG8=\" }\n",
        3, {"keys[1].name", "defined twice"});
    for (const char* algorithm :
         {"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"}) {
        auto ok = parse_config(
            std::string("keys: [{name: k, algorithm: ") + algorithm + ", secret: \"aGVsbG8=\"}]\n",
            "t");
        EXPECT_TRUE(ok.ok()) << algorithm << ": " << ok.error().message;
    }
}

TEST(ConfigTest, Remotes) {
    expect_error("remotes:\n  - { id: ns1, address: \"192.0.2.1:53\", key: nokey }\n", 2,
                 {"remotes[0].key", "'nokey'"});
    expect_error(
        "remotes:\n  - { id: ns1, address: \"192.0.2.1:53\" }\n"
        "  - { id: ns1, address: \"192.0.2.2:53\" }\n",
        3, {"remotes[1].id", "'ns1'", "defined twice"});
}

TEST(ConfigTest, ZoneReferences) {
    expect_error(with_zone("  - name: a.test.\n    notify: [ns1, ns9]\n"), kPreambleLines + 2,
                 {"zones[0].notify", "'ns9'"});
    expect_error(with_zone("  - name: a.test.\n    role: secondary\n    primaries:\n      - nsx\n"),
                 kPreambleLines + 4, {"zones[0].primaries", "'nsx'"});
    expect_error(with_zone("  - name: a.test.\n    role: secondary\n    primaries: [ns1]\n"
                           "    allow-notify: [ns2]\n"),
                 kPreambleLines + 4, {"zones[0].allow-notify", "'ns2'"});
    expect_error(with_zone("  - name: a.test.\n    allow-transfer: [ns1, bogus]\n"),
                 kPreambleLines + 2, {"zones[0].allow-transfer", "'bogus'"});
    expect_error(with_zone("  - name: a.test.\n    allow-update: [192.0.2.1]\n"),
                 kPreambleLines + 2, {"zones[0].allow-update", "192.0.2.1/32"});
    expect_error(with_zone("  - name: a.test.\n    allow-transfer: [10.0.0.1/8]\n"),
                 kPreambleLines + 2, {"zones[0].allow-transfer", "10.0.0.1/8"});
    expect_error(with_zone("  - name: a.test.\n    allow-transfer: [10.0.0.0/33]\n"),
                 kPreambleLines + 2, {"10.0.0.0/33"});
    // A key name and a CIDR prefix are fine in allow-update.
    auto ok =
        parse_config(with_zone("  - name: a.test.\n    allow-update: [transfer, ::1/128]\n"), "t");
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->zones[0].allow_update, (std::vector<std::string>{"transfer", "::1/128"}));
}

TEST(ConfigTest, ZoneNamesAndRoles) {
    expect_error(with_zone("  - name: a..test.\n"), kPreambleLines + 1, {"zones[0].name"});
    expect_error(with_zone("  - name: a.test.\n  - name: A.TEST\n"), kPreambleLines + 2,
                 {"zones[1].name", "a.test.", "defined twice"});
    expect_error(with_zone("  - role: primary\n"), kPreambleLines + 1, {"zones[0]", "'name'"});
    expect_error(with_zone("  - name: a.test.\n    role: secondary\n"), kPreambleLines + 2,
                 {"a.test.", "secondary", "primaries"});
    expect_error(with_zone("  - name: a.test.\n    primaries: [ns1]\n"), kPreambleLines + 2,
                 {"a.test.", "primary", "primaries"});
    expect_error(with_zone("  - name: a.test.\n    role: master\n"), kPreambleLines + 2,
                 {"zones[0].role", "'master'"});
    expect_error(with_zone("  - name: a.test.\n    serial-policy: random\n"), kPreambleLines + 2,
                 {"zones[0].serial-policy", "'random'"});
    expect_error(with_zone("  - name: a.test.\n    stale-policy: maybe\n"), kPreambleLines + 2,
                 {"zones[0].stale-policy", "'maybe'"});
}

TEST(ConfigTest, YamlSyntaxErrorHasItsLine) {
    // Line 3 opens a flow list that never closes: the parser gives up on line 3 or later.
    auto result =
        parse_config("database: /a\ncontrol: /b\nzones: [\n  {name: a.test.\n", "syntax.yaml");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("YAML syntax error"), std::string::npos);
    EXPECT_EQ(result.error().message.rfind("syntax.yaml:", 0), 0U) << result.error().message;
    // A tab-indented key is reported on its own line.
    expect_error("log:\n  level: info\n\ttarget: stderr\n", 3, {"YAML syntax error"});
}

TEST(ConfigTest, EveryErrorIsReported) {
    auto result = parse_config("server:\n  workers: 0\nlog:\n  level: loud\n", "t.yaml");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("t.yaml:2:"), std::string::npos);
    EXPECT_NE(result.error().message.find("t.yaml:4:"), std::string::npos);
}

TEST(ConfigTest, LoadConfigReadsFilesAndNamesUnreadableOnes) {
    auto missing = load_config("/nonexistent/tidal.yaml");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("/nonexistent/tidal.yaml"), std::string::npos);
    EXPECT_NE(missing.error().message.find("No such file or directory"), std::string::npos);

    auto directory = load_config("/");
    ASSERT_FALSE(directory.ok());
    EXPECT_NE(directory.error().message.find("directory"), std::string::npos)
        << directory.error().message;

    char path[] = "/tmp/tidal-config-test-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    {
        std::ofstream out(path);
        out << "database: /tmp/x.db\nserver:\n  workers: 3\n  udp-max-payload: 9000\n";
    }
    auto bad = load_config(path);
    std::remove(path);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find(std::string(path) + ":4:"), std::string::npos)
        << bad.error().message;
}

TEST(ConfigValuesTest, Prefixes) {
    auto v4 = parse_prefix("10.0.0.0/8");
    ASSERT_TRUE(v4.ok());
    const std::array<uint8_t, 4> inside{10, 200, 3, 4};
    const std::array<uint8_t, 4> outside{11, 0, 0, 1};
    EXPECT_TRUE(prefix_contains(v4.value(), inside));
    EXPECT_FALSE(prefix_contains(v4.value(), outside));

    auto v6 = parse_prefix("2001:db8::/33");
    ASSERT_TRUE(v6.ok());
    std::array<uint8_t, 16> address{0x20, 0x01, 0x0d, 0xb8, 0x7f};
    EXPECT_TRUE(prefix_contains(v6.value(), address));
    address[4] = 0x80;  // bit 33 set: outside /33
    EXPECT_FALSE(prefix_contains(v6.value(), address));
    EXPECT_FALSE(prefix_contains(v6.value(), inside));  // other family

    auto all = parse_prefix("0.0.0.0/0");
    ASSERT_TRUE(all.ok());
    EXPECT_TRUE(prefix_contains(all.value(), outside));

    for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.1/8", "10.0.0.0/33", "::/129",
                            "example/8", "10.0.0.0/x"}) {
        EXPECT_FALSE(parse_prefix(bad).ok()) << "accepted '" << bad << "'";
    }
}

TEST(ConfigValuesTest, Base64) {
    auto decoded = decode_base64("aGVsbG8=");
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded.value(), "hello");
    EXPECT_FALSE(decode_base64("").ok());
    EXPECT_FALSE(decode_base64("aGVsbG8").ok());
    EXPECT_FALSE(decode_base64("a$b=").ok());
}

}  // namespace
}  // namespace tidal::config
