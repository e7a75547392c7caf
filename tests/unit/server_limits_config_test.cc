// Tests for the traffic-limit keys of server: (rate-limit*, tcp-io-timeout, per-client cap).
#include <gtest/gtest.h>

#include <string>

#include "core/config/config.h"

namespace tidal::config {
namespace {

using namespace std::chrono_literals;

TEST(ServerLimitsConfig, Defaults) {
    auto result = parse_config("", "t.yaml");
    ASSERT_TRUE(result.ok()) << result.error().message;
    const ServerConfig& s = result->server;
    EXPECT_EQ(s.rate_limit, 0u);  // off unless asked for, as in BIND and Knot
    EXPECT_EQ(s.rate_limit_slip, 2u);
    EXPECT_EQ(s.rate_limit_table_size, 393241u);
    EXPECT_EQ(s.rate_limit_ipv4_prefix, 24u);
    EXPECT_EQ(s.rate_limit_ipv6_prefix, 56u);
    EXPECT_TRUE(s.rate_limit_exempt.empty());
    EXPECT_EQ(s.tcp_max_connections_per_client, 64u);
    EXPECT_EQ(s.tcp_io_timeout, 2000ms);
}

TEST(ServerLimitsConfig, EveryKeyRead) {
    auto result = parse_config(R"(server:
  rate-limit: 20
  rate-limit-slip: 0
  rate-limit-table-size: 100000
  rate-limit-ipv4-prefix: 32
  rate-limit-ipv6-prefix: 64
  rate-limit-exempt: ["10.0.0.0/8", "192.0.2.53", "2001:db8::/48", "::1"]
  tcp-max-connections-per-client: 0
  tcp-io-timeout: 500ms
)",
                               "t.yaml");
    ASSERT_TRUE(result.ok()) << result.error().message;
    const ServerConfig& s = result->server;
    EXPECT_EQ(s.rate_limit, 20u);
    EXPECT_EQ(s.rate_limit_slip, 0u);
    EXPECT_EQ(s.rate_limit_table_size, 100000u);
    EXPECT_EQ(s.rate_limit_ipv4_prefix, 32u);
    EXPECT_EQ(s.rate_limit_ipv6_prefix, 64u);
    EXPECT_EQ(s.rate_limit_exempt, (std::vector<std::string>{"10.0.0.0/8", "192.0.2.53/32",
                                                             "2001:db8::/48", "::1/128"}));
    EXPECT_EQ(s.tcp_max_connections_per_client, 0u);
    EXPECT_EQ(s.tcp_io_timeout, 500ms);
}

TEST(ServerLimitsConfig, DurationsInSecondsToo) {
    auto result = parse_config("server:\n  tcp-io-timeout: 3s\n", "t.yaml");
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->server.tcp_io_timeout, 3000ms);
    result = parse_config("server:\n  tcp-io-timeout: 0\n", "t.yaml");
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->server.tcp_io_timeout, 0ms);  // no limit, as Knot's 0
}

void expect_error(const std::string& text, int line, const std::string& part) {
    auto result = parse_config(text, "test.yaml");
    ASSERT_FALSE(result.ok()) << "accepted:\n" << text;
    const std::string& message = result.error().message;
    EXPECT_NE(message.find("test.yaml:" + std::to_string(line) + ":"), std::string::npos)
        << message;
    EXPECT_NE(message.find(part), std::string::npos) << "wanted '" << part << "' in: " << message;
}

TEST(ServerLimitsConfig, BadValuesNamedWithTheirLine) {
    expect_error("server:\n  rate-limit: fast\n", 2, "server.rate-limit");
    expect_error("server:\n  rate-limit: -1\n", 2, "from 0 to 1000000");
    expect_error("server:\n  rate-limit-slip: 11\n", 2, "server.rate-limit-slip");
    expect_error("server:\n  rate-limit-table-size: 10\n", 2, "from 1024");
    expect_error("server:\n  rate-limit-ipv4-prefix: 33\n", 2, "server.rate-limit-ipv4-prefix");
    expect_error("server:\n  rate-limit-ipv6-prefix: 8\n", 2, "server.rate-limit-ipv6-prefix");
    expect_error("server:\n  workers: 2\n  rate-limit-exempt: [\"10.0.0.1/8\"]\n", 3,
                 "server.rate-limit-exempt");
    expect_error("server:\n  rate-limit-exempt: [ns1]\n", 2, "server.rate-limit-exempt");
    expect_error("server:\n  tcp-io-timeout: soon\n", 2, "server.tcp-io-timeout");
    expect_error("server:\n  tcp-io-timeout: 5xms\n", 2, "500ms");
    expect_error("server:\n  tcp-max-connections-per-client: many\n", 2,
                 "server.tcp-max-connections-per-client");
    expect_error("server:\n  rate-limt: 5\n", 2, "rate-limt");
}

}  // namespace
}  // namespace tidal::config
