// MessageWriter: name compression (RFC 1035 §4.1.4), RFC 3597 §4 limits, all-or-nothing writes.
#include "core/query/message_writer.h"

#include <gtest/gtest.h>

#include "tests/unit/dns_test_support.h"

namespace tidal::test {
namespace {

using query::MessageWriter;
using query::Section;

const uint8_t* bytes(const std::string& s) {
    return reinterpret_cast<const uint8_t*>(s.data());
}

class MessageWriterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        writer_.begin(buf_.data(), buf_.size());
        question_ = wire_name("www.example.test.") + std::string("\0\1\0\1", 4);
        ASSERT_TRUE(
            writer_.write_question(bytes(question_), question_.size(), question_.size() - 4));
    }
    MessageWriter writer_;
    std::vector<uint8_t> buf_ = std::vector<uint8_t>(4096);
    std::string question_;
};

TEST_F(MessageWriterTest, OwnerEqualToQuestionBecomesAPointer) {
    const std::string owner = wire_name("WWW.EXAMPLE.TEST.");
    const uint8_t rdata[] = {192, 0, 2, 1};
    const size_t before = writer_.size();
    ASSERT_TRUE(writer_.write_rr(Section::Answer, bytes(owner), 1, 1, 60, rdata, 4));
    EXPECT_EQ(writer_.size() - before, 2u + 10u + 4u);
    EXPECT_EQ(buf_[before], 0xC0);
    EXPECT_EQ(buf_[before + 1], 12);
}

TEST_F(MessageWriterTest, SuffixesAndNamesInsideRfc1035RdataAreCompressed) {
    const std::string owner = wire_name("example.test.");
    const std::string ns = wire_name("ns1.example.test.");
    ASSERT_TRUE(writer_.write_rr(Section::Answer, bytes(owner), 2, 1, 60, bytes(ns), ns.size()));
    // owner: pointer (2), fixed (10), rdata: "ns1" label (4) + pointer (2).
    EXPECT_EQ(writer_.size(), 12u + question_.size() + 2 + 10 + 4 + 2);
    const size_t n = writer_.finish();
    auto pkt = parse(buf_.data(), n);
    EXPECT_EQ(section(pkt.get(), LDNS_SECTION_ANSWER),
              std::vector<std::string>{"example.test. 60 IN NS ns1.example.test."});
}

TEST_F(MessageWriterTest, SrvTargetIsNotCompressed) {
    const std::string owner = wire_name("_sip._udp.example.test.");
    std::string rdata("\0\1\0\2\x13\xc4", 6);
    rdata += wire_name("www.example.test.");
    const size_t before = writer_.size();
    ASSERT_TRUE(
        writer_.write_rr(Section::Answer, bytes(owner), 33, 1, 60, bytes(rdata), rdata.size()));
    // RFC 3597 §4 / RFC 2782: the target is written in full although it matches the question.
    const size_t owner_size = 5 + 5 + 2;  // "_sip" "_udp" + pointer
    EXPECT_EQ(writer_.size() - before, owner_size + 10 + rdata.size());
}

TEST_F(MessageWriterTest, WriteThatDoesNotFitChangesNothing) {
    writer_.begin(buf_.data(), 12 + question_.size() + 10);
    ASSERT_TRUE(writer_.write_question(bytes(question_), question_.size(), question_.size() - 4));
    const size_t before = writer_.size();
    const std::string owner = wire_name("other.name.example.");
    const uint8_t rdata[] = {192, 0, 2, 1};
    EXPECT_FALSE(writer_.write_rr(Section::Answer, bytes(owner), 1, 1, 60, rdata, 4));
    EXPECT_EQ(writer_.size(), before);
    EXPECT_EQ(writer_.count(Section::Answer), 0);
}

TEST_F(MessageWriterTest, RollbackForgetsCompressionTargets) {
    const MessageWriter::Mark mark = writer_.mark();
    const std::string owner = wire_name("mail.other.test.");
    const uint8_t rdata[] = {192, 0, 2, 1};
    ASSERT_TRUE(writer_.write_rr(Section::Answer, bytes(owner), 1, 1, 60, rdata, 4));
    writer_.rollback(mark);
    // Written again after the rollback, the name must not point into the discarded bytes.
    ASSERT_TRUE(writer_.write_rr(Section::Answer, bytes(owner), 1, 1, 60, rdata, 4));
    const size_t n = writer_.finish();
    auto pkt = parse(buf_.data(), n);
    EXPECT_EQ(section(pkt.get(), LDNS_SECTION_ANSWER),
              std::vector<std::string>{"mail.other.test. 60 IN A 192.0.2.1"});
}

}  // namespace
}  // namespace tidal::test
