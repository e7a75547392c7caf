// Parsing edits: tidalctl apply FILE's format (comments, quoting, continuation lines, errors
// as FILE:LINE), command-line words, and turning lines into an EditScript for one zone; and the
// RFC 2136 UPDATE built from a script (sections, classes, TSIG).
#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <ctime>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/tsig/tsig.h"
#include "core/update/update_builder.h"
#include "core/zone/edit_script.h"
#include "core/zone/rr_text.h"

namespace tidal::zone {
namespace {

namespace rrtype = dns::rrtype;

std::string wire(const std::string& text) {
    auto name = dns::name_from_text(text);
    EXPECT_TRUE(name.ok()) << text;
    return name.ok() ? dns::name_lowered(name.value()) : std::string();
}

const std::string kPath = "edits.txt";

std::vector<EditLine> parse_ok(const std::string& text,
                               const std::optional<std::string>& origin = std::nullopt) {
    auto lines = parse_edit_file(text, kPath, origin);
    EXPECT_TRUE(lines.ok()) << lines.error().message;
    return lines.ok() ? lines.value() : std::vector<EditLine>{};
}

// The error message, "" when parsing succeeded.
std::string parse_error(const std::string& text,
                        const std::optional<std::string>& origin = std::nullopt) {
    auto lines = parse_edit_file(text, kPath, origin);
    return lines.ok() ? std::string() : lines.error().message;
}

TEST(ApplyFile, ParsesEveryKindOfLine) {
    const auto lines = parse_ok(
        "# a comment line\n"
        "\n"
        "add www 300 A 192.0.2.1   ; a trailing comment\n"
        "  del old\n"
        "del old2 AAAA\n"
        "del old3 MX 10 mail.example.com.\n"
        "set txt 60 IN TXT \"hello # not a comment ; nor this\" \"second\"\n"
        "prereq yxdomain www\n"
        "prereq nxdomain free\n"
        "prereq yxrrset counter TXT \"7\"\n"
        "prereq nxrrset counter AAAA\n"
        "ADD multi 300 MX ( 10\n"
        "    mail )\n",
        wire("example.com."));
    ASSERT_EQ(lines.size(), 10u);
    EXPECT_EQ(lines[0].op, EditLine::Op::Add);
    EXPECT_EQ(lines[0].owner, wire("www.example.com."));
    EXPECT_EQ(lines[0].ttl, 300u);
    EXPECT_EQ(lines[0].type, rrtype::A);
    EXPECT_EQ(lines[0].rdata_text, "192.0.2.1");
    EXPECT_EQ(lines[0].where, kPath + ":3");
    EXPECT_EQ(lines[1].op, EditLine::Op::Del);
    EXPECT_FALSE(lines[1].type);
    EXPECT_EQ(lines[1].where, kPath + ":4");
    EXPECT_EQ(lines[2].type, rrtype::AAAA);
    EXPECT_TRUE(lines[2].rdata_text.empty());
    EXPECT_EQ(lines[3].rdata_text, "10 mail.example.com.");
    EXPECT_EQ(lines[4].op, EditLine::Op::Set);
    EXPECT_EQ(lines[4].rdata_text, "\"hello # not a comment ; nor this\" \"second\"");
    EXPECT_EQ(lines[5].op, EditLine::Op::PrereqYxDomain);
    EXPECT_EQ(lines[6].op, EditLine::Op::PrereqNxDomain);
    EXPECT_EQ(lines[7].op, EditLine::Op::PrereqYxRrset);
    EXPECT_EQ(lines[7].rdata_text, "\"7\"");
    EXPECT_EQ(lines[8].op, EditLine::Op::PrereqNxRrset);
    EXPECT_EQ(lines[9].where, kPath + ":12");  // the line where the entry starts
    EXPECT_EQ(lines[9].rdata_text, "10 mail");
}

TEST(ApplyFile, NamesAreRelativeToTheZoneOrAbsolute) {
    auto lines = parse_ok(
        "add a.example.com. 60 A 192.0.2.1\nadd b 60 A 192.0.2.2\n"
        "add @ 60 TXT \"apex\"\n",
        wire("example.com."));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].owner, wire("a.example.com."));
    EXPECT_EQ(lines[1].owner, wire("b.example.com."));
    EXPECT_EQ(lines[2].owner, wire("example.com."));
    // Without --zone every name is absolute, trailing dot or not.
    lines = parse_ok("add a.example.com 60 A 192.0.2.1\n");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].owner, wire("a.example.com."));
    EXPECT_NE(parse_error("add @ 60 A 192.0.2.1\n").find("--zone"), std::string::npos);
}

TEST(ApplyFile, BadLinesNameFileAndLine) {
    const std::string head = "add ok 60 A 192.0.2.1\n# comment\n";
    struct Case {
        std::string line;
        std::string word;  // in the message
    };
    const Case cases[] = {
        {"frob x 60 A 192.0.2.1", "unknown edit 'frob'"},
        {"add x sixty A 192.0.2.1", "TTL"},
        {"add x 2147483648 A 192.0.2.1", "2147483647"},
        {"add x 60 NOSUCH 1", "NOSUCH"},
        {"add x 60 A", "rdata"},
        {"add", "name"},
        {"del", "name"},
        {"prereq maybe x", "maybe"},
        {"prereq yxrrset x", "NAME TYPE"},
        {"prereq nxrrset x A 192.0.2.1", "no rdata"},
        {"prereq nxdomain x A", "NAME only"},
        {"add bad..name 60 A 192.0.2.1", "bad..name"},
        {"add x 60 TXT \"unterminated", "quoted"},
    };
    for (const Case& c : cases) {
        const std::string why = parse_error(head + c.line + "\n", wire("example.com."));
        EXPECT_EQ(why.rfind(kPath + ":3: ", 0), 0u) << c.line << " -> " << why;
        EXPECT_NE(why.find(c.word), std::string::npos) << c.line << " -> " << why;
    }
    EXPECT_NE(parse_error("# only comments\n\n"), "");
    EXPECT_NE(parse_error(""), "");
}

TEST(ApplyFile, WordsFromTheCommandLine) {
    auto line =
        parse_edit_words("add", {"www.example.com", "1h", "TXT", "\"a b\"", "c"}, std::nullopt, "");
    ASSERT_TRUE(line.ok()) << line.error().message;
    EXPECT_EQ(line->ttl, 3600u);
    EXPECT_EQ(line->rdata_text, "\"a b\" c");
    EXPECT_TRUE(line->where.empty());
    auto bad = parse_edit_words("set", {"x"}, std::nullopt, "");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.find(':'), std::string::npos) << bad.error().message;
}

TEST(ApplyFile, ScriptForOneZone) {
    const std::string apex = wire("example.com.");
    auto lines = parse_ok(
        "add www 300 A 192.0.2.1\n"
        "set mail 60 MX 10 mx1\n"
        "del old\n"
        "del www AAAA\n"
        "del www A 192.0.2.9\n"
        "prereq yxrrset counter TXT \"1\"\n",
        apex);
    auto script = script_from_lines(lines, apex);
    ASSERT_TRUE(script.ok()) << script.error().message;
    EXPECT_EQ(script->zone, apex);
    ASSERT_EQ(script->edits.size(), 6u);
    using K = RecordEdit::Kind;
    EXPECT_EQ(script->edits[0].kind, K::Add);
    EXPECT_FALSE(script->edits[0].must_match);
    EXPECT_EQ(script->edits[1].kind, K::DeleteRrset);  // set = delete RRset + add
    EXPECT_FALSE(script->edits[1].must_match);
    EXPECT_EQ(script->edits[2].kind, K::Add);
    // Relative names inside rdata take the zone as origin.
    EXPECT_EQ(rdata_to_text(rrtype::MX, script->edits[2].rr.rdata), "10 mx1.example.com.");
    EXPECT_EQ(script->edits[3].kind, K::DeleteName);
    EXPECT_TRUE(script->edits[3].must_match);
    EXPECT_EQ(script->edits[4].kind, K::DeleteRrset);
    EXPECT_EQ(script->edits[5].kind, K::DeleteRr);
    ASSERT_EQ(script->prerequisites.size(), 1u);
    EXPECT_EQ(script->prerequisites[0].kind, Prerequisite::Kind::RrsetEquals);

    // A name outside the zone, and rdata that does not parse, name their line.
    auto outside = script_from_lines(parse_ok("add a 60 A 192.0.2.1\nadd x.example.net. 60 A "
                                              "192.0.2.1\n",
                                              apex),
                                     apex);
    ASSERT_FALSE(outside.ok());
    EXPECT_EQ(outside.error().message.rfind(kPath + ":2: x.example.net. is outside zone", 0), 0u)
        << outside.error().message;
    auto bad_rdata =
        script_from_lines(parse_ok("add a 60 A 192.0.2.1\n\nadd b 60 A 192.0.2.300\n", apex), apex);
    ASSERT_FALSE(bad_rdata.ok());
    EXPECT_EQ(bad_rdata.error().message.rfind(kPath + ":3: ", 0), 0u) << bad_rdata.error().message;
}

// --- the UPDATE built from a script --------------------------------------------------------

struct PacketDeleter {
    void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

TEST(UpdateBuilder, SectionsAndClassesFollowRfc2136) {
    const std::string apex = wire("example.com.");
    auto lines = parse_ok(
        "prereq yxdomain a\nprereq nxdomain b\nprereq yxrrset c TXT\nprereq yxrrset d TXT \"v\"\n"
        "prereq nxrrset e TXT\n"
        "add f 300 A 192.0.2.1\ndel g\ndel h A\ndel i A 192.0.2.2\nadd j 60 A 192.0.2.3\n"
        "del j A 192.0.2.3\n",
        apex);
    auto script = script_from_lines(lines, apex);
    ASSERT_TRUE(script.ok()) << script.error().message;
    auto key =
        tsig::key_from_spec("editor:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==");
    ASSERT_TRUE(key.ok()) << key.error().message;
    const auto now = static_cast<uint64_t>(std::time(nullptr));
    auto request = update::build_update(script.value(), &key.value(), now);
    ASSERT_TRUE(request.ok()) << request.error().message;

    // The TSIG verifies as a server would check it.
    tsig::KeyRing ring;
    ring.add(key.value());
    const auto check = tsig::verify_request(request->wire.data(), request->wire.size(), ring, now);
    EXPECT_EQ(check.status, tsig::RequestCheck::Status::Valid);

    ldns_pkt* raw = nullptr;
    ASSERT_EQ(ldns_wire2pkt(&raw, request->wire.data(), request->wire.size()), LDNS_STATUS_OK);
    std::unique_ptr<ldns_pkt, PacketDeleter> pkt(raw);
    EXPECT_EQ(ldns_pkt_get_opcode(pkt.get()), LDNS_PACKET_UPDATE);
    EXPECT_EQ(ldns_pkt_id(pkt.get()), request->id);
    // Zone section: example.com. SOA IN.
    ASSERT_EQ(ldns_pkt_qdcount(pkt.get()), 1);
    const ldns_rr* zone = ldns_rr_list_rr(ldns_pkt_question(pkt.get()), 0);
    EXPECT_EQ(ldns_rr_get_type(zone), LDNS_RR_TYPE_SOA);
    // Prerequisites: the five given, plus yxdomain g, yxrrset h A, yxrrset i A for the dels
    // (j is added first, so its del gets none).
    struct Expect {
        const char* owner;
        uint16_t type;
        uint16_t rclass;
        bool rdata;
    };
    const Expect pre[] = {
        {"a.example.com.", rrtype::ANY, dns::rrclass::ANY, false},
        {"b.example.com.", rrtype::ANY, dns::rrclass::NONE, false},
        {"c.example.com.", rrtype::TXT, dns::rrclass::ANY, false},
        {"d.example.com.", rrtype::TXT, dns::rrclass::IN, true},
        {"e.example.com.", rrtype::TXT, dns::rrclass::NONE, false},
        {"g.example.com.", rrtype::ANY, dns::rrclass::ANY, false},
        {"h.example.com.", rrtype::A, dns::rrclass::ANY, false},
        {"i.example.com.", rrtype::A, dns::rrclass::ANY, false},
    };
    const Expect upd[] = {
        {"f.example.com.", rrtype::A, dns::rrclass::IN, true},
        {"g.example.com.", rrtype::ANY, dns::rrclass::ANY, false},
        {"h.example.com.", rrtype::A, dns::rrclass::ANY, false},
        {"i.example.com.", rrtype::A, dns::rrclass::NONE, true},
        {"j.example.com.", rrtype::A, dns::rrclass::IN, true},
        {"j.example.com.", rrtype::A, dns::rrclass::NONE, true},
    };
    const auto compare = [](const ldns_rr_list* list, const Expect* expect, size_t n) {
        ASSERT_EQ(ldns_rr_list_rr_count(list), n);
        for (size_t i = 0; i < n; ++i) {
            const ldns_rr* r = ldns_rr_list_rr(list, i);
            const ldns_rdf* owner = ldns_rr_owner(r);
            const std::string name(reinterpret_cast<const char*>(ldns_rdf_data(owner)),
                                   ldns_rdf_size(owner));
            EXPECT_EQ(dns::name_to_text(name), expect[i].owner) << i;
            EXPECT_EQ(ldns_rr_get_type(r), expect[i].type) << i;
            EXPECT_EQ(ldns_rr_get_class(r), expect[i].rclass) << i;
            EXPECT_EQ(ldns_rr_rd_count(r) > 0, expect[i].rdata) << i;
            if (expect[i].rclass != dns::rrclass::IN || expect[i].type == rrtype::TXT) {
                EXPECT_EQ(ldns_rr_ttl(r), 0u) << i;
            }
        }
    };
    compare(ldns_pkt_answer(pkt.get()), pre, std::size(pre));
    compare(ldns_pkt_authority(pkt.get()), upd, std::size(upd));
    EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_authority(pkt.get()), 0)), 300u);
}

TEST(UpdateBuilder, ReadsAnswersAndTheirSignature) {
    const std::string apex = wire("example.com.");
    auto script = script_from_lines(parse_ok("add f 300 A 192.0.2.1\n", apex), apex);
    ASSERT_TRUE(script.ok());
    auto key =
        tsig::key_from_spec("editor:hmac-sha256:c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==");
    ASSERT_TRUE(key.ok());
    const auto now = static_cast<uint64_t>(std::time(nullptr));
    auto request = update::build_update(script.value(), &key.value(), now);
    ASSERT_TRUE(request.ok());

    // A server's answer: the header echoed with QR and an rcode, signed over the request MAC.
    const auto answer_with = [&](uint8_t rcode, bool sign) {
        std::vector<uint8_t> answer(request->wire.begin(), request->wire.begin() + 12);
        answer[2] = static_cast<uint8_t>(0x80 | (dns::opcode::UPDATE << 3));
        answer[3] = rcode;
        for (int i = 4; i < 12; ++i) {
            answer[i] = 0;
        }
        if (sign) {
            const size_t size = answer.size();
            answer.resize(size + tsig::signature_size(key.value()));
            const size_t n = tsig::sign(answer.data(), size, answer.size(), key.value(),
                                        request->mac, false, now);
            answer.resize(n);
        }
        return answer;
    };
    auto good = answer_with(0, true);
    auto read =
        update::read_update_answer(good.data(), good.size(), request.value(), &key.value(), now);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(read->rcode, 0);
    EXPECT_TRUE(read->verified) << read->signature_problem;

    auto refused = answer_with(dns::rcode::NXRRSET, true);
    read = update::read_update_answer(refused.data(), refused.size(), request.value(), &key.value(),
                                      now);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->rcode, dns::rcode::NXRRSET);

    auto unsigned_answer = answer_with(0, false);
    read = update::read_update_answer(unsigned_answer.data(), unsigned_answer.size(),
                                      request.value(), &key.value(), now);
    ASSERT_TRUE(read.ok());
    EXPECT_FALSE(read->verified);
    EXPECT_FALSE(read->signature_problem.empty());

    auto tampered = answer_with(0, true);
    tampered[3] = dns::rcode::NOERROR;
    tampered[1] ^= 1;  // another ID
    EXPECT_FALSE(update::read_update_answer(tampered.data(), tampered.size(), request.value(),
                                            &key.value(), now)
                     .ok());
}

}  // namespace
}  // namespace tidal::zone
