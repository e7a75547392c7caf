// TSIG: our signatures verified by ldns and ldns' verified by us, plus every error case.
#include "core/tsig/tsig.h"

#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <ctime>

#include "tests/unit/dns_test_support.h"

namespace tidal::test {
namespace {

using tsig::RequestCheck;

constexpr char kSecret[] = "c2VjcmV0LWZvci10c2lnLXRlc3RzLTMyLW9jdGV0cyE=";

tsig::Key make_key(const char* name = "transfer", const char* alg = "hmac-sha256") {
    auto key = tsig::key_from_spec(std::string(name) + ":" + alg + ":" + kSecret);
    EXPECT_TRUE(key.ok());
    return key.value();
}

uint64_t now() {
    return uint64_t(std::time(nullptr));
}

// A query signed by ldns; empty when ldns cannot sign with that algorithm (its build decides).
std::vector<uint8_t> ldns_signed_query(const char* alg_name, const char* key_name = "transfer.") {
    ldns_pkt* pkt = nullptr;
    EXPECT_EQ(
        ldns_pkt_query_new_frm_str(&pkt, "example.test.", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN, 0),
        LDNS_STATUS_OK);
    ldns_pkt_set_id(pkt, 777);
    std::vector<uint8_t> out;
    if (ldns_pkt_tsig_sign(pkt, key_name, kSecret, 300, alg_name, nullptr) == LDNS_STATUS_OK) {
        uint8_t* wire = nullptr;
        size_t size = 0;
        EXPECT_EQ(ldns_pkt2wire(&wire, pkt, &size), LDNS_STATUS_OK);
        out.assign(wire, wire + size);
        free(wire);  // NOLINT
    }
    ldns_pkt_free(pkt);
    return out;
}

TEST(Tsig, VerifiesWhatLdnsSignsForEveryAlgorithm) {
    int checked_against_ldns = 0;
    for (const char* alg :
         {"hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"}) {
        tsig::KeyRing ring;
        ring.add(make_key("transfer", alg));
        const std::string ldns_name =
            std::string(alg) + (std::string(alg) == "hmac-md5" ? ".sig-alg.reg.int." : ".");
        // Debian's ldns signs with md5, sha1, sha256 and sha512 only (and leaks when asked for
        // another); the other two are checked against our own signer.
        const bool ldns_has =
            std::string(alg) != "hmac-sha224" && std::string(alg) != "hmac-sha384";
        auto signed_query =
            ldns_has ? ldns_signed_query(ldns_name.c_str()) : std::vector<uint8_t>{};
        if (signed_query.empty()) {
            // ldns was built without this algorithm: our own signature must still verify.
            signed_query =
                test::query("example.test.", LDNS_RR_TYPE_AXFR, QueryOptions{.edns = false});
            const size_t size = signed_query.size();
            signed_query.resize(512);
            const size_t n =
                tsig::sign(signed_query.data(), size, signed_query.size(),
                           *ring.find(make_key("transfer", alg).name_wire), {}, false, now());
            ASSERT_GT(n, size) << alg;
            signed_query.resize(n);
        } else {
            ++checked_against_ldns;
        }
        const RequestCheck check =
            tsig::verify_request(signed_query.data(), signed_query.size(), ring, now());
        EXPECT_EQ(check.status, RequestCheck::Status::Valid) << alg;
        EXPECT_LT(check.unsigned_size, signed_query.size()) << alg;
    }
    EXPECT_EQ(checked_against_ldns, 4);
}

TEST(Tsig, RejectsBadSignatureUnknownKeyWrongAlgorithmAndStaleTime) {
    tsig::KeyRing ring;
    ring.add(make_key());
    auto query = ldns_signed_query("hmac-sha256.");

    auto tampered = query;
    tampered[13] ^= 0x20;  // a letter of the question changes case: the MAC no longer holds
    EXPECT_EQ(tsig::verify_request(tampered.data(), tampered.size(), ring, now()).status,
              RequestCheck::Status::BadSig);

    auto other_key = ldns_signed_query("hmac-sha256.", "someone-else.");
    const RequestCheck unknown =
        tsig::verify_request(other_key.data(), other_key.size(), ring, now());
    EXPECT_EQ(unknown.status, RequestCheck::Status::BadKey);
    EXPECT_EQ(unknown.error_code(), tsig::error::BADKEY);

    auto other_alg = ldns_signed_query("hmac-sha512.");
    EXPECT_EQ(tsig::verify_request(other_alg.data(), other_alg.size(), ring, now()).status,
              RequestCheck::Status::BadKey);

    const RequestCheck late = tsig::verify_request(query.data(), query.size(), ring, now() + 301);
    EXPECT_EQ(late.status, RequestCheck::Status::BadTime);
    EXPECT_NE(late.key, nullptr);  // BADTIME answers are signed

    auto unsigned_query = test::query("example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(
        tsig::verify_request(unsigned_query.data(), unsigned_query.size(), ring, now()).status,
        RequestCheck::Status::Unsigned);
}

// The signed query with its TSIG MAC cut to mac_size octets (or padded with zeros beyond the
// hash size), RDLENGTH adjusted. The MAC of a truncated TSIG is the leading octets of the full one
// (RFC 8945 §5.2.2.1), so a cut MAC is still a genuine signature, just a shorter one.
std::vector<uint8_t> with_mac_size(const std::vector<uint8_t>& signed_query, size_t mac_size) {
    // hmac-sha256, no other data: the RDATA ends with MAC size, 32 octets of MAC, original ID,
    // error and other length (2 octets each).
    constexpr size_t kFullMac = 32;
    constexpr size_t kTail = 6;
    const size_t mac_at = signed_query.size() - kTail - kFullMac;
    const size_t rdata_length_at = mac_at - 2 - 2 - 6 - 13 - 2;  // size, fudge, time, algorithm
    std::vector<uint8_t> out(signed_query.begin(), signed_query.begin() + long(mac_at) - 2);
    out.push_back(uint8_t(mac_size >> 8));
    out.push_back(uint8_t(mac_size & 0xff));
    for (size_t i = 0; i < mac_size; ++i) {
        out.push_back(i < kFullMac ? signed_query[mac_at + i] : 0);
    }
    out.insert(out.end(), signed_query.end() - kTail, signed_query.end());
    const size_t rdata_length =
        ((size_t(out[rdata_length_at]) << 8) | out[rdata_length_at + 1]) - kFullMac + mac_size;
    out[rdata_length_at] = uint8_t(rdata_length >> 8);
    out[rdata_length_at + 1] = uint8_t(rdata_length & 0xff);
    return out;
}

TEST(Tsig, TruncatedMacRules) {
    tsig::KeyRing ring;
    ring.add(make_key());
    const auto query = ldns_signed_query("hmac-sha256.");
    ASSERT_FALSE(query.empty());
    ASSERT_EQ(tsig::verify_request(query.data(), query.size(), ring, now()).status,
              RequestCheck::Status::Valid);
    // RFC 8945 §5.2.2.1: half the hash (16 of 32 octets, and at least 10) may be sent.
    const auto half = with_mac_size(query, 16);
    EXPECT_EQ(tsig::verify_request(half.data(), half.size(), ring, now()).status,
              RequestCheck::Status::Valid);
    // Shorter than that: BADTRUNC, answered signed so the client learns why.
    const auto short_mac = with_mac_size(query, 8);
    const RequestCheck too_short =
        tsig::verify_request(short_mac.data(), short_mac.size(), ring, now());
    EXPECT_EQ(too_short.status, RequestCheck::Status::BadTrunc);
    EXPECT_EQ(too_short.error_code(), tsig::error::BADTRUNC);
    // Longer than the hash itself: malformed.
    const auto long_mac = with_mac_size(query, 40);
    EXPECT_EQ(tsig::verify_request(long_mac.data(), long_mac.size(), ring, now()).status,
              RequestCheck::Status::FormErr);
    // A cut MAC that is not the leading part of the real one: BADSIG.
    auto forged = with_mac_size(query, 16);
    forged[forged.size() - 6 - 1] ^= 0x01;
    EXPECT_EQ(tsig::verify_request(forged.data(), forged.size(), ring, now()).status,
              RequestCheck::Status::BadSig);
}

TEST(Tsig, TsigNotLastIsMalformed) {
    tsig::KeyRing ring;
    ring.add(make_key());
    auto query = ldns_signed_query("hmac-sha256.");
    // Append an OPT after the TSIG: TSIG is no longer the last record.
    const uint8_t opt[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
    query.insert(query.end(), opt, opt + sizeof opt);
    query[11] += 1;
    EXPECT_EQ(tsig::verify_request(query.data(), query.size(), ring, now()).status,
              RequestCheck::Status::FormErr);
}

TEST(Tsig, LdnsVerifiesOurSignedRequestAndAnswerStream) {
    const tsig::Key key = make_key();
    // Our signed request, checked by ldns.
    auto request = query("example.test.", LDNS_RR_TYPE_AXFR, QueryOptions{.edns = false});
    request.resize(512);
    std::string request_mac;
    const size_t signed_size =
        tsig::sign(request.data(), 30, request.size(), key, {}, false, now(), &request_mac);
    ASSERT_GT(signed_size, 30u);
    request.resize(signed_size);
    ldns_pkt* pkt = nullptr;
    ASSERT_EQ(ldns_wire2pkt(&pkt, request.data(), request.size()), LDNS_STATUS_OK);
    EXPECT_TRUE(
        ldns_pkt_tsig_verify(pkt, request.data(), request.size(), "transfer.", kSecret, nullptr));
    ldns_pkt_free(pkt);

    // A three-message answer signed by us, checked by ldns message by message and by our own
    // stream verifier.
    tsig::StreamVerifier verifier(key, request_mac);
    std::string prior = request_mac;
    for (int i = 0; i < 3; ++i) {
        std::vector<uint8_t> answer(request.begin(), request.begin() + 30);
        answer[2] |= 0x84;            // QR, AA
        answer[10] = answer[11] = 0;  // the request's ARCOUNT counted its TSIG
        answer.resize(512);
        std::string mac;
        const size_t n =
            tsig::sign(answer.data(), 30, answer.size(), key, prior, i > 0, now(), &mac);
        ASSERT_GT(n, 30u);
        answer.resize(n);
        ldns_pkt* reply = nullptr;
        ASSERT_EQ(ldns_wire2pkt(&reply, answer.data(), answer.size()), LDNS_STATUS_OK);
        ldns_rdf* prior_rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 0, nullptr);
        {
            std::string with_len;
            with_len.push_back(char(prior.size() >> 8));
            with_len.push_back(char(prior.size()));
            with_len += prior;
            ldns_rdf_deep_free(prior_rdf);
            prior_rdf =
                ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, with_len.size(), with_len.data());
        }
        EXPECT_TRUE(ldns_pkt_tsig_verify_next(reply, answer.data(), answer.size(), "transfer.",
                                              kSecret, prior_rdf, i > 0))
            << "message " << i;
        ldns_rdf_deep_free(prior_rdf);
        ldns_pkt_free(reply);
        EXPECT_EQ(verifier.add(answer.data(), answer.size(), now()), "") << "message " << i;
        prior = mac;
    }
    EXPECT_TRUE(verifier.last_signed());
}

TEST(Tsig, StreamVerifierCoversUnsignedMessagesAndCatchesTampering) {
    const tsig::Key key = make_key();
    const std::string request_mac(32, 'r');
    auto message = [](uint8_t tag) {
        std::vector<uint8_t> m(12, 0);
        m[0] = tag;
        m[2] = 0x84;
        m.resize(256);
        return m;
    };
    // Signer side: message 1 signed, message 2 unsigned, message 3 signed covering 2 and 3.
    auto m1 = message(1);
    std::string mac1;
    const size_t n1 = tsig::sign(m1.data(), 12, m1.size(), key, request_mac, false, now(), &mac1);
    m1.resize(n1);
    auto m2 = message(2);
    m2.resize(12);
    // sign() over m3 alone would not cover m2; build the expected digest input by signing
    // m2+m3 concatenated is not a message, so check the verifier rejects a forged last MAC.
    auto m3 = message(3);
    std::string mac3;
    const size_t n3 = tsig::sign(m3.data(), 12, m3.size(), key, mac1, true, now(), &mac3);
    m3.resize(n3);

    tsig::StreamVerifier good(key, request_mac);
    EXPECT_EQ(good.add(m1.data(), m1.size(), now()), "");
    EXPECT_EQ(good.add(m3.data(), m3.size(), now()), "");

    tsig::StreamVerifier with_gap(key, request_mac);
    EXPECT_EQ(with_gap.add(m1.data(), m1.size(), now()), "");
    EXPECT_EQ(with_gap.add(m2.data(), m2.size(), now()), "");  // pending
    EXPECT_FALSE(with_gap.last_signed());
    // m3's MAC does not cover m2, so it must not verify.
    EXPECT_NE(with_gap.add(m3.data(), m3.size(), now()), "");

    tsig::StreamVerifier unsigned_first(key, request_mac);
    EXPECT_NE(unsigned_first.add(m2.data(), m2.size(), now()), "");
}

}  // namespace
}  // namespace tidal::test
