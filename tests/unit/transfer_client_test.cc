// The transfer client without a real server: TransferReader's reading of AXFR/IXFR answers
// (RFC 5936 §2.2, RFC 1995 §4), and fake primaries on loopback for the failures a real one
// does not produce on demand (connections cut midway, silence, truncation, stray datagrams).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "core/xfr/client_message.h"
#include "core/xfr/client_transfer_reader.h"
#include "core/xfr/transfer_client.h"
#include "core/zone/rr_text.h"
#include "tests/unit/dns_test_support.h"

namespace tidal::xfr {
namespace {

using namespace std::chrono_literals;
using test::record;

const std::string kZone = "example.test.";

std::string soa_text(uint32_t serial) {
    return "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. " +
           std::to_string(serial) + " 7200 900 1209600 300";
}

std::vector<Record> rrs(const std::vector<std::string>& texts) {
    std::vector<Record> out;
    for (const auto& text : texts) {
        out.push_back(record(text));
    }
    return out;
}

// Records as presentation text, so that failures print readably.
std::vector<std::string> texts(const std::vector<Record>& records) {
    std::vector<std::string> out;
    for (const Record& rr : records) {
        out.push_back(zone::record_to_text(rr));
    }
    return out;
}

TransferReader reader(std::optional<uint32_t> have = std::nullopt, uint64_t cap = 1000) {
    return TransferReader(test::wire_name(kZone), have, cap);
}

// Feeds messages until one fails; returns the first error, or the result of finish().
Result<TransferResult> read_all(TransferReader& r,
                                const std::vector<std::vector<std::string>>& messages) {
    for (const auto& message : messages) {
        Status status = r.add_message(rrs(message));
        if (!status) {
            return status.error();
        }
    }
    return r.finish();
}

std::string error_of(const Result<TransferResult>& result) {
    return result.ok() ? std::string("(no error)") : result.error().message;
}

// --- TransferReader -------------------------------------------------------------------------

TEST(TransferReader, AxfrOverSeveralMessages) {
    auto r = reader();
    auto result = read_all(r, {{soa_text(7), "example.test. 3600 IN NS ns1.example.test."},
                               {"ns1.example.test. 3600 IN A 192.0.2.53"},
                               {"www.example.test. 300 IN A 192.0.2.80", soa_text(7)}});
    ASSERT_TRUE(result.ok()) << error_of(result);
    EXPECT_EQ(result->kind, TransferKind::Axfr);
    EXPECT_EQ(result->serial, 7u);
    EXPECT_EQ(texts(result->records),
              texts(rrs({soa_text(7), "example.test. 3600 IN NS ns1.example.test.",
                         "ns1.example.test. 3600 IN A 192.0.2.53",
                         "www.example.test. 300 IN A 192.0.2.80"})));
    EXPECT_EQ(result->messages, 3u);
    EXPECT_EQ(result->rr_count, 5u);
    EXPECT_TRUE(result->warnings.empty());
}

TEST(TransferReader, SoaOnlyZone) {
    auto r = reader();
    auto result = read_all(r, {{soa_text(1), soa_text(1)}});
    ASSERT_TRUE(result.ok()) << error_of(result);
    EXPECT_EQ(texts(result->records), texts(rrs({soa_text(1)})));
}

TEST(TransferReader, AxfrViolationsAreErrors) {
    {
        auto r = reader();
        auto result = read_all(r, {{"www.example.test. 300 IN A 192.0.2.80", soa_text(7)}});
        EXPECT_NE(error_of(result).find("first record is not the zone's SOA"), std::string::npos)
            << error_of(result);
    }
    {
        auto r = reader();  // the SOA of another zone first
        auto result = read_all(r, {{"other.test. 3600 IN SOA a. b. 1 2 3 4 5"}});
        EXPECT_NE(error_of(result).find("first record"), std::string::npos) << error_of(result);
    }
    {
        auto r = reader();
        auto result = read_all(
            r, {{soa_text(7), "www.example.test. 300 IN A 192.0.2.80", soa_text(8), soa_text(7)}});
        EXPECT_NE(error_of(result).find("second SOA (serial 8)"), std::string::npos)
            << error_of(result);
    }
    {
        auto r = reader();
        auto result = read_all(r, {{soa_text(7), "www.example.test. 300 IN A 192.0.2.80",
                                    soa_text(7), "late.example.test. 300 IN A 192.0.2.1"}});
        EXPECT_NE(error_of(result).find("after the final SOA"), std::string::npos)
            << error_of(result);
    }
    {
        auto r = reader();  // never closed
        auto result = read_all(r, {{soa_text(7), "www.example.test. 300 IN A 192.0.2.80"}});
        EXPECT_NE(error_of(result).find("ended before the final SOA"), std::string::npos)
            << error_of(result);
    }
    {
        auto r = reader();
        auto result = read_all(r, {{soa_text(7), "www.example.test. 300 CH TXT \"x\""}});
        EXPECT_NE(error_of(result).find("class 3"), std::string::npos) << error_of(result);
    }
    {
        auto r = reader();
        auto result = read_all(r, {{soa_text(7), "sub.example.test. 3600 IN SOA a. b. 1 2 3 4 5"}});
        EXPECT_NE(error_of(result).find("not at the zone apex"), std::string::npos)
            << error_of(result);
    }
    {
        auto r = reader();
        auto result = read_all(r, {{}});
        EXPECT_NE(error_of(result).find("holds no records"), std::string::npos) << error_of(result);
    }
}

TEST(TransferReader, RecordsOutsideTheZoneAreDroppedWithAWarning) {
    auto r = reader();
    auto result = read_all(
        r, {{soa_text(7), "www.example.test. 300 IN A 192.0.2.80",
             "www.elsewhere.test. 300 IN A 192.0.2.1", "test. 300 IN A 192.0.2.2", soa_text(7)}});
    ASSERT_TRUE(result.ok()) << error_of(result);
    EXPECT_EQ(texts(result->records),
              texts(rrs({soa_text(7), "www.example.test. 300 IN A 192.0.2.80"})));
    ASSERT_EQ(result->warnings.size(), 1u);
    EXPECT_NE(result->warnings[0].find("dropped 2 records outside the zone"), std::string::npos)
        << result->warnings[0];
    EXPECT_NE(result->warnings[0].find("www.elsewhere.test."), std::string::npos);
}

TEST(TransferReader, RecordCapIsEnforced) {
    auto r = reader(std::nullopt, 3);
    auto result = read_all(r, {{soa_text(7), "a.example.test. 1 IN A 192.0.2.1",
                                "b.example.test. 1 IN A 192.0.2.2", soa_text(7)}});
    EXPECT_NE(error_of(result).find("more than 3 records"), std::string::npos) << error_of(result);
}

TEST(TransferReader, IxfrDifferencesThatChain) {
    auto r = reader(10);
    auto result = read_all(r, {{soa_text(13), soa_text(10), "www.example.test. 300 IN A 192.0.2.80",
                                soa_text(11), "www.example.test. 300 IN A 192.0.2.81"},
                               {soa_text(11), soa_text(13),
                                "api.example.test. 60 IN AAAA 2001:db8::1", soa_text(13)}});
    ASSERT_TRUE(result.ok()) << error_of(result);
    EXPECT_EQ(result->kind, TransferKind::Ixfr);
    EXPECT_EQ(result->serial, 13u);
    ASSERT_EQ(result->differences.size(), 2u);
    const auto& first = result->differences[0];
    EXPECT_EQ(first.serial_from, 10u);
    EXPECT_EQ(first.serial_to, 11u);
    EXPECT_EQ(texts(first.removed),
              texts(rrs({soa_text(10), "www.example.test. 300 IN A 192.0.2.80"})));
    EXPECT_EQ(texts(first.added),
              texts(rrs({soa_text(11), "www.example.test. 300 IN A 192.0.2.81"})));
    const auto& second = result->differences[1];
    EXPECT_EQ(second.serial_from, 11u);
    EXPECT_EQ(second.serial_to, 13u);
    EXPECT_EQ(texts(second.removed), texts(rrs({soa_text(11)})));
    EXPECT_EQ(texts(second.added),
              texts(rrs({soa_text(13), "api.example.test. 60 IN AAAA 2001:db8::1"})));
    EXPECT_TRUE(result->records.empty());
}

TEST(TransferReader, IxfrThatDoesNotChainIsAnError) {
    {
        auto r = reader(10);  // starts from 9, not from the serial we asked from
        auto result = read_all(r, {{soa_text(13), soa_text(9), soa_text(13), soa_text(13)}});
        EXPECT_NE(error_of(result).find("not at the serial we asked from (10)"), std::string::npos)
            << error_of(result);
    }
    {
        auto r = reader(10);  // a gap: 10 -> 11, then 12 -> 13
        auto result = read_all(r, {{soa_text(13), soa_text(10), soa_text(11), soa_text(12),
                                    soa_text(13), soa_text(13)}});
        EXPECT_NE(error_of(result).find("starts at serial 12, expected 11"), std::string::npos)
            << error_of(result);
    }
    {
        auto r = reader(10);  // ends at 11 although the answer announced 13
        auto result = read_all(r, {{soa_text(13), soa_text(10), soa_text(11), soa_text(13)}});
        EXPECT_FALSE(result.ok());
    }
    {
        auto r = reader(10);  // a difference that goes backwards
        auto result = read_all(r, {{soa_text(13), soa_text(10), soa_text(9), soa_text(13)}});
        EXPECT_NE(error_of(result).find("not forward"), std::string::npos) << error_of(result);
    }
}

TEST(TransferReader, IxfrUpToDateAndOlderPrimary) {
    {
        auto r = reader(10);
        ASSERT_TRUE(r.add_message(rrs({soa_text(10)})).ok());
        EXPECT_TRUE(r.done());  // no more messages are awaited
        auto result = r.finish();
        ASSERT_TRUE(result.ok()) << error_of(result);
        EXPECT_EQ(result->kind, TransferKind::UpToDate);
        EXPECT_EQ(result->serial, 10u);
    }
    {
        auto r = reader(10);
        auto result = read_all(r, {{soa_text(9)}});
        EXPECT_NE(error_of(result).find("serial 9 is older than ours (10)"), std::string::npos)
            << error_of(result);
    }
    {
        auto r = reader(10);  // newer: the rest follows in later messages
        ASSERT_TRUE(r.add_message(rrs({soa_text(11)})).ok());
        EXPECT_FALSE(r.done());
        ASSERT_TRUE(r.add_message(rrs({soa_text(10), soa_text(11), soa_text(11)})).ok());
        auto result = r.finish();
        ASSERT_TRUE(result.ok()) << error_of(result);
        EXPECT_EQ(result->kind, TransferKind::Ixfr);
    }
}

TEST(TransferReader, IxfrAnsweredAxfrStyle) {
    {
        auto r = reader(10);
        auto result = read_all(
            r, {{soa_text(13), "example.test. 3600 IN NS ns1.example.test.", soa_text(13)}});
        ASSERT_TRUE(result.ok()) << error_of(result);
        EXPECT_EQ(result->kind, TransferKind::IxfrAxfr);
        EXPECT_TRUE(result->full_zone());
        EXPECT_EQ(texts(result->records),
                  texts(rrs({soa_text(13), "example.test. 3600 IN NS ns1.example.test."})));
    }
    {
        auto r = reader(20);  // the whole zone, but older than ours
        auto result = read_all(
            r, {{soa_text(13), "example.test. 3600 IN NS ns1.example.test.", soa_text(13)}});
        EXPECT_NE(error_of(result).find("older than ours"), std::string::npos) << error_of(result);
    }
}

// --- Requests -------------------------------------------------------------------------------

TEST(ClientRequest, IxfrRequestCarriesOurSerialAndExpireAndIsSigned) {
    auto key = tsig::key_from_spec("xfr:hmac-sha256:c2VjcmV0LWZvci10c2lnLXRlc3RzLTMyLW9jdGV0cyE=");
    ASSERT_TRUE(key.ok());
    auto request = build_request(test::wire_name(kZone), LDNS_RR_TYPE_IXFR, 4242, &key.value(),
                                 static_cast<uint64_t>(time(nullptr)));
    ASSERT_TRUE(request.ok()) << request.error().message;
    EXPECT_FALSE(request->mac.empty());
    auto pkt = test::parse(request->wire.data(), request->wire.size());
    ASSERT_TRUE(pkt);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), request->id);
    EXPECT_FALSE(ldns_pkt_rd(pkt.get()));
    const auto authority = test::section(pkt.get(), LDNS_SECTION_AUTHORITY);
    ASSERT_EQ(authority.size(), 1u);
    EXPECT_NE(authority[0].find("SOA"), std::string::npos);
    EXPECT_NE(authority[0].find(" 4242 "), std::string::npos) << authority[0];
    EXPECT_EQ(ldns_pkt_edns_udp_size(pkt.get()), kClientUdpPayload);
    ASSERT_NE(ldns_pkt_tsig(pkt.get()), nullptr);
    // ldns verifies our signature.
    ldns_rdf* mac = nullptr;
    EXPECT_TRUE(ldns_pkt_tsig_verify(pkt.get(), request->wire.data(), request->wire.size(), "xfr.",
                                     "c2VjcmV0LWZvci10c2lnLXRlc3RzLTMyLW9jdGV0cyE=", mac));
}

// --- Fake primaries on loopback -------------------------------------------------------------

// One DNS answer to query built by ldns: same ID (+ id_delta), QR AA, the question echoed.
std::vector<uint8_t> make_answer(const std::vector<uint8_t>& query,
                                 const std::vector<std::string>& answer, uint8_t rcode = 0,
                                 bool tc = false, int id_delta = 0) {
    auto q = test::parse(query.data(), query.size());
    ldns_pkt* a = ldns_pkt_new();
    ldns_pkt_set_id(a, static_cast<uint16_t>(ldns_pkt_id(q.get()) + id_delta));
    ldns_pkt_set_qr(a, true);
    ldns_pkt_set_aa(a, true);
    ldns_pkt_set_tc(a, tc);
    ldns_pkt_set_rcode(a, rcode);
    ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION,
                     ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q.get()), 0)));
    for (const auto& text : answer) {
        ldns_rr* rr = nullptr;
        EXPECT_EQ(ldns_rr_new_frm_str(&rr, text.c_str(), 3600, nullptr, nullptr), LDNS_STATUS_OK);
        ldns_pkt_push_rr(a, LDNS_SECTION_ANSWER, rr);
    }
    uint8_t* wire = nullptr;
    size_t size = 0;
    EXPECT_EQ(ldns_pkt2wire(&wire, a, &size), LDNS_STATUS_OK);
    std::vector<uint8_t> out(wire, wire + size);
    free(wire);  // NOLINT: ldns allocates with malloc
    ldns_pkt_free(a);
    return out;
}

std::vector<uint8_t> framed(const std::vector<uint8_t>& message) {
    std::vector<uint8_t> out = {static_cast<uint8_t>(message.size() >> 8),
                                static_cast<uint8_t>(message.size())};
    out.insert(out.end(), message.begin(), message.end());
    return out;
}

void send_bytes(int fd, const std::vector<uint8_t>& bytes) {
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
}

int loopback_socket(int type, uint16_t& port) {
    const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port = ntohs(addr.sin_port);
    return fd;
}

// Serves TCP connections one at a time on 127.0.0.1 from a thread: reads one length-prefixed
// query and hands it with the connection to the handler, then closes. Stopped and joined on
// destruction; every wait is bounded.
class FakeTcpPrimary {
  public:
    using Handler = std::function<void(int fd, const std::vector<uint8_t>& query,
                                       const std::atomic<bool>& stopping)>;
    explicit FakeTcpPrimary(Handler handler) : handler_(std::move(handler)) {
        fd_ = loopback_socket(SOCK_STREAM, port_);
        EXPECT_EQ(listen(fd_, 4), 0);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeTcpPrimary() {
        stopping_ = true;
        thread_.join();
        close(fd_);
    }
    Endpoint endpoint() const { return {"127.0.0.1", port_}; }

  private:
    void run() {
        while (!stopping_) {
            pollfd pfd{fd_, POLLIN, 0};
            if (poll(&pfd, 1, 20) <= 0) {
                continue;
            }
            const int conn = accept(fd_, nullptr, nullptr);
            if (conn < 0) {
                continue;
            }
            std::vector<uint8_t> query;
            if (read_query(conn, query)) {
                handler_(conn, query, stopping_);
            }
            close(conn);
        }
    }
    bool read_query(int conn, std::vector<uint8_t>& query) {
        std::vector<uint8_t> data;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < deadline && !stopping_) {
            pollfd pfd{conn, POLLIN, 0};
            if (poll(&pfd, 1, 20) <= 0) {
                continue;
            }
            uint8_t buf[4096];
            const ssize_t n = recv(conn, buf, sizeof buf, 0);
            if (n <= 0) {
                return false;
            }
            data.insert(data.end(), buf, buf + n);
            if (data.size() >= 2 && data.size() >= 2 + size_t((data[0] << 8) | data[1])) {
                query.assign(data.begin() + 2, data.begin() + 2 + ((data[0] << 8) | data[1]));
                return true;
            }
        }
        return false;
    }

    Handler handler_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

// Answers UDP queries on 127.0.0.1 from a thread with whatever datagrams the handler returns.
class FakeUdpPrimary {
  public:
    using Handler = std::function<std::vector<std::vector<uint8_t>>(const std::vector<uint8_t>&)>;
    explicit FakeUdpPrimary(Handler handler, uint16_t port = 0) : handler_(std::move(handler)) {
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(port);
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        socklen_t len = sizeof addr;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeUdpPrimary() {
        stopping_ = true;
        thread_.join();
        close(fd_);
    }
    Endpoint endpoint() const { return {"127.0.0.1", port_}; }
    int queries() const { return queries_; }

  private:
    void run() {
        while (!stopping_) {
            pollfd pfd{fd_, POLLIN, 0};
            if (poll(&pfd, 1, 20) <= 0) {
                continue;
            }
            uint8_t buf[4096];
            sockaddr_storage from{};
            socklen_t len = sizeof from;
            const ssize_t n =
                recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0) {
                continue;
            }
            ++queries_;
            for (const auto& reply : handler_(std::vector<uint8_t>(buf, buf + n))) {
                sendto(fd_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
            }
        }
    }

    Handler handler_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> queries_{0};
    std::thread thread_;
};

TransferLimits quick_limits() {
    TransferLimits limits;
    limits.connect_timeout = 2s;
    limits.idle_timeout = 2s;
    limits.total_timeout = 10s;
    return limits;
}

TEST(FakePrimary, ConnectionClosedInTheMiddleOfAMessage) {
    FakeTcpPrimary primary([](int fd, const std::vector<uint8_t>& query, const auto&) {
        const auto answer = framed(make_answer(
            query, {soa_text(5), "www.example.test. 300 IN A 192.0.2.80", soa_text(5)}));
        send_bytes(fd, std::vector<uint8_t>(answer.begin(), answer.begin() + answer.size() / 2));
    });
    auto result = fetch_zone(primary.endpoint(), test::wire_name(kZone), std::nullopt, nullptr,
                             quick_limits());
    ASSERT_FALSE(result.ok());
    const std::string& why = result.error().message;
    EXPECT_NE(why.find("AXFR of example.test. from 127.0.0.1:"), std::string::npos) << why;
    EXPECT_NE(why.find("message 1"), std::string::npos) << why;
    EXPECT_NE(why.find("closed"), std::string::npos) << why;
}

TEST(FakePrimary, ConnectionClosedBetweenMessagesBeforeTheFinalSoa) {
    FakeTcpPrimary primary([](int fd, const std::vector<uint8_t>& query, const auto&) {
        send_bytes(fd,
                   framed(make_answer(query, {soa_text(5), "a.example.test. 1 IN A 192.0.2.1"})));
        send_bytes(fd, framed(make_answer(query, {"b.example.test. 1 IN A 192.0.2.2"})));
    });
    auto result =
        fetch_zone(primary.endpoint(), test::wire_name(kZone), 4, nullptr, quick_limits());
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("IXFR of example.test."), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("after 2 messages, before the final SOA"),
              std::string::npos)
        << result.error().message;
}

TEST(FakePrimary, AxfrInSeveralMessagesWithOutOfZoneRecords) {
    FakeTcpPrimary primary([](int fd, const std::vector<uint8_t>& query, const auto&) {
        send_bytes(fd, framed(make_answer(query, {soa_text(5), "a.example.test. 1 IN A 192.0.2.1",
                                                  "glue.elsewhere. 1 IN A 192.0.2.9"})));
        send_bytes(fd, framed(make_answer(
                           query, {"b.example.test. 1 IN MX 10 Mail.example.test.", soa_text(5)})));
    });
    auto result = fetch_zone(primary.endpoint(), test::wire_name(kZone), std::nullopt, nullptr,
                             quick_limits());
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->kind, TransferKind::Axfr);
    EXPECT_EQ(result->messages, 2u);
    // Names inside rdata arrive decompressed (ldns compressed the suffix against the
    // earlier example.test.), with the case of the labels as sent.
    EXPECT_EQ(texts(result->records),
              texts(rrs({soa_text(5), "a.example.test. 1 IN A 192.0.2.1",
                         "b.example.test. 1 IN MX 10 Mail.example.test."})));
    ASSERT_EQ(result->warnings.size(), 1u);
    EXPECT_NE(result->describe().find("AXFR serial 5"), std::string::npos) << result->describe();
}

TEST(FakePrimary, ErrorRcodeIsReportedByName) {
    FakeTcpPrimary primary([](int fd, const std::vector<uint8_t>& query, const auto&) {
        send_bytes(fd, framed(make_answer(query, {}, LDNS_RCODE_REFUSED)));
    });
    auto result = fetch_zone(primary.endpoint(), test::wire_name(kZone), std::nullopt, nullptr,
                             quick_limits());
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("REFUSED"), std::string::npos) << result.error().message;
}

TEST(FakePrimary, UnsignedAnswerToASignedRequestIsRejected) {
    FakeTcpPrimary primary([](int fd, const std::vector<uint8_t>& query, const auto&) {
        send_bytes(fd, framed(make_answer(query, {soa_text(5), soa_text(5)})));
    });
    auto key = tsig::key_from_spec("xfr:hmac-sha256:c2VjcmV0LWZvci10c2lnLXRlc3RzLTMyLW9jdGV0cyE=");
    ASSERT_TRUE(key.ok());
    auto result = fetch_zone(primary.endpoint(), test::wire_name(kZone), std::nullopt, &key.value(),
                             quick_limits());
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("TSIG"), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("not signed"), std::string::npos)
        << result.error().message;
}

TEST(FakePrimary, SilentPrimaryTimesOutWithinTheIdleLimit) {
    FakeTcpPrimary primary([](int, const std::vector<uint8_t>&, const std::atomic<bool>& stop) {
        for (int i = 0; i < 500 && !stop; ++i) {  // at most 10 s
            std::this_thread::sleep_for(20ms);
        }
    });
    TransferLimits limits = quick_limits();
    limits.idle_timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    auto result =
        fetch_zone(primary.endpoint(), test::wire_name(kZone), std::nullopt, nullptr, limits);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("timed out"), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("300 ms"), std::string::npos) << result.error().message;
    EXPECT_GE(took, 290ms);
    EXPECT_LT(took, 3s);
}

TEST(FakePrimary, TricklingPrimaryHitsTheOverallLimit) {
    FakeTcpPrimary primary(
        [](int fd, const std::vector<uint8_t>& query, const std::atomic<bool>& stop) {
            const auto answer = framed(make_answer(query, {soa_text(5), soa_text(5)}));
            for (size_t i = 0; i < answer.size() && !stop; ++i) {  // one octet every 50 ms
                if (send(fd, &answer[i], 1, MSG_NOSIGNAL) != 1) {
                    return;
                }
                std::this_thread::sleep_for(50ms);
            }
        });
    TransferLimits limits = quick_limits();
    limits.total_timeout = 500ms;
    const auto start = std::chrono::steady_clock::now();
    auto result =
        fetch_zone(primary.endpoint(), test::wire_name(kZone), std::nullopt, nullptr, limits);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("overall time limit"), std::string::npos)
        << result.error().message;
    EXPECT_LT(took, 3s);
}

TEST(FakePrimary, NobodyListening) {
    uint16_t port = 0;
    close(loopback_socket(SOCK_STREAM, port));  // a port nobody listens on
    auto result = fetch_zone({"127.0.0.1", port}, test::wire_name(kZone), std::nullopt, nullptr,
                             quick_limits());
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("refused"), std::string::npos) << result.error().message;

    const auto start = std::chrono::steady_clock::now();
    auto soa = query_soa_serial({"127.0.0.1", port}, test::wire_name(kZone), nullptr, 3s);
    ASSERT_FALSE(soa.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << soa.error().message;

    auto bad = query_soa_serial({"not-an-address", 53}, test::wire_name(kZone), nullptr, 1s);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("not a numeric"), std::string::npos) << bad.error().message;
}

TEST(FakePrimary, SoaQueryIgnoresStrayAnswersAndRetriesLostOnes) {
    std::atomic<int> seen{0};
    FakeUdpPrimary primary([&seen](const std::vector<uint8_t>& query) {
        if (seen++ == 0) {
            return std::vector<std::vector<uint8_t>>{};  // the first query is "lost"
        }
        // A datagram with another ID first (it must be ignored), then the answer.
        return std::vector<std::vector<uint8_t>>{make_answer(query, {soa_text(99)}, 0, false, 1),
                                                 make_answer(query, {soa_text(77)})};
    });
    auto soa = query_soa(primary.endpoint(), test::wire_name("EXAMPLE.test."), nullptr, 1500ms);
    ASSERT_TRUE(soa.ok()) << soa.error().message;
    EXPECT_EQ(soa->serial, 77u);
    EXPECT_FALSE(soa->over_tcp);
    EXPECT_EQ(primary.queries(), 2);
}

TEST(FakePrimary, SoaQueryTimesOutWithinItsLimit) {
    FakeUdpPrimary primary(
        [](const std::vector<uint8_t>&) { return std::vector<std::vector<uint8_t>>{}; });
    const auto start = std::chrono::steady_clock::now();
    auto soa = query_soa_serial(primary.endpoint(), test::wire_name(kZone), nullptr, 600ms);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(soa.ok());
    EXPECT_NE(soa.error().message.find("no answer within 600 ms"), std::string::npos)
        << soa.error().message;
    EXPECT_GE(took, 590ms);
    EXPECT_LT(took, 2s);
    EXPECT_EQ(primary.queries(), 3);
}

TEST(FakePrimary, TruncatedSoaAnswerIsAskedAgainOverTcp) {
    FakeTcpPrimary tcp([](int fd, const std::vector<uint8_t>& query, const auto&) {
        send_bytes(fd, framed(make_answer(query, {soa_text(31)})));
    });
    FakeUdpPrimary udp(
        [](const std::vector<uint8_t>& query) {
            return std::vector<std::vector<uint8_t>>{make_answer(query, {}, 0, true)};
        },
        tcp.endpoint().port);
    auto soa = query_soa(udp.endpoint(), test::wire_name(kZone), nullptr, 2s);
    ASSERT_TRUE(soa.ok()) << soa.error().message;
    EXPECT_EQ(soa->serial, 31u);
    EXPECT_TRUE(soa->over_tcp);
}

TEST(FakePrimary, SoaAnswerCarriesEdnsExpire) {
    FakeUdpPrimary primary([](const std::vector<uint8_t>& query) {
        // The query asked for EXPIRE (RFC 7314 §2): an OPT with an empty option 9.
        auto q = test::parse(query.data(), query.size());
        const ldns_rdf* options = ldns_pkt_edns_data(q.get());
        const bool asked = options != nullptr && ldns_rdf_size(options) == 4 &&
                           ldns_rdf_data(options)[1] == 9 && ldns_rdf_data(options)[3] == 0;
        auto answer = make_answer(query, {soa_text(8)});
        if (asked) {
            // OPT: root, type 41, payload 1232, TTL 0, EXPIRE = 86400.
            const uint8_t opt[] = {0, 0, 41, 0x04, 0xD0, 0, 0, 0,    0,   0,
                                   8, 0, 9,  0,    4,    0, 1, 0x51, 0x80};
            answer.insert(answer.end(), opt, opt + sizeof opt);
            answer[11] = 1;  // ARCOUNT
        }
        return std::vector<std::vector<uint8_t>>{answer};
    });
    auto soa = query_soa(primary.endpoint(), test::wire_name(kZone), nullptr, 1s);
    ASSERT_TRUE(soa.ok()) << soa.error().message;
    ASSERT_TRUE(soa->expire);
    EXPECT_EQ(*soa->expire, 86400u);
}

TEST(FakePrimary, SoaAnswerWithoutAaOrSoaIsAnError) {
    FakeUdpPrimary primary([](const std::vector<uint8_t>& query) {
        auto answer = make_answer(query, {"example.test. 300 IN A 192.0.2.1"});
        return std::vector<std::vector<uint8_t>>{answer};
    });
    auto soa = query_soa(primary.endpoint(), test::wire_name(kZone), nullptr, 1s);
    ASSERT_FALSE(soa.ok());
    EXPECT_NE(soa.error().message.find("no SOA"), std::string::npos) << soa.error().message;
}

}  // namespace
}  // namespace tidal::xfr
