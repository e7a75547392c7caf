// The control socket's one-line messages: each kind survives encode → decode, and malformed lines
// are refused with a message instead of being half-read.
#include <gtest/gtest.h>

#include "core/control/control_message.h"
#include "core/dns/name.h"

namespace tidal::control {
namespace {

std::string wire(const std::string& text) {
    return dns::name_lowered(dns::name_from_text(text).value());
}

TEST(ControlMessageTest, EveryKindRoundTrips) {
    Message serving;
    serving.kind = Message::Kind::Serving;
    serving.zone = wire("example.com.");
    serving.serial = 4294967295u;
    EXPECT_EQ(encode(serving), "serving example.com. 4294967295\n");
    auto back = decode(encode(serving));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->kind, Message::Kind::Serving);
    EXPECT_EQ(back->zone, serving.zone);
    EXPECT_EQ(back->serial, serving.serial);

    Message notify;
    notify.kind = Message::Kind::Notify;
    notify.zone = wire("Example.NET.");
    notify.serial = 7;
    notify.peer = "192.0.2.1";
    back = decode(encode(notify));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->kind, Message::Kind::Notify);
    EXPECT_EQ(back->zone, wire("example.net."));
    EXPECT_EQ(back->serial, 7u);
    EXPECT_EQ(back->peer, "192.0.2.1");

    Message changed;
    changed.kind = Message::Kind::Changed;
    changed.zone = wire("example.org.");
    back = decode(encode(changed));
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->kind, Message::Kind::Changed);
}

TEST(ControlMessageTest, MalformedLinesAreRefused) {
    for (const char* line :
         {"serving example.com.\n", "serving example.com. -\n", "serving example.com. 4294967296\n",
          "serving example.com. 12x\n", "serving a..b. 1\n", "shout example.com.\n"}) {
        auto decoded = decode(line);
        EXPECT_FALSE(decoded.ok()) << "accepted: " << line;
        if (!decoded.ok()) {
            EXPECT_NE(decoded.error().message.find("control message"), std::string::npos)
                << decoded.error().message;
        }
    }
}

}  // namespace
}  // namespace tidal::control
