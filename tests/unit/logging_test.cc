// Tests for setup_logging: stderr lines carry program and level, the level filters, reload works.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "core/util/logging.h"

namespace tidal {
namespace {

// Runs body with stderr captured and returns what it wrote.
template <typename Body>
std::string captured_stderr(Body body) {
    testing::internal::CaptureStderr();
    body();
    spdlog::default_logger()->flush();
    return testing::internal::GetCapturedStderr();
}

class LoggingTest : public testing::Test {
  protected:
    void TearDown() override { setup_default_logging("tidal_unit_tests"); }
};

TEST_F(LoggingTest, StderrLinesNameProgramAndLevel) {
    config::LogConfig log;
    log.target = "stderr";
    log.level = "info";
    setup_logging(log, "tidal-test");
    EXPECT_FALSE(logging_to_journald());
    const std::string out = captured_stderr([] { spdlog::warn("disk {} is full", "sda"); });
    EXPECT_NE(out.find("tidal-test"), std::string::npos) << out;
    EXPECT_NE(out.find("warn"), std::string::npos) << out;
    EXPECT_NE(out.find("disk sda is full"), std::string::npos) << out;
}

TEST_F(LoggingTest, LevelFiltersAndReloadChangesIt) {
    config::LogConfig log;
    log.target = "stderr";
    log.level = "error";
    setup_logging(log, "tidal-test");
    std::string out = captured_stderr([] {
        spdlog::info("quiet info");
        spdlog::error("loud error");
    });
    EXPECT_EQ(out.find("quiet info"), std::string::npos) << out;
    EXPECT_NE(out.find("loud error"), std::string::npos) << out;

    log.level = "debug";
    setup_logging(log, "tidal-test");  // as after SIGHUP
    out = captured_stderr([] {
        spdlog::debug("now visible");
        spdlog::trace("still hidden");
    });
    EXPECT_NE(out.find("now visible"), std::string::npos) << out;
    EXPECT_EQ(out.find("still hidden"), std::string::npos) << out;
}

TEST_F(LoggingTest, AutoUsesStderrWhenStderrIsNotTheJournal) {
    // A redirected child inherits JOURNAL_STREAM from a systemd service; its stderr differs.
    setenv("JOURNAL_STREAM", "1:1", 1);
    config::LogConfig log;  // target auto
    setup_logging(log, "tidal-test");
    unsetenv("JOURNAL_STREAM");
    EXPECT_FALSE(logging_to_journald());
    const std::string out = captured_stderr([] { spdlog::info("to stderr"); });
    EXPECT_NE(out.find("to stderr"), std::string::npos) << out;
}

TEST_F(LoggingTest, DefaultLoggingIsInfoOnStderr) {
    setup_default_logging("tidal-test");
    const std::string out = captured_stderr([] {
        spdlog::debug("hidden debug");
        spdlog::info("shown info");
    });
    EXPECT_EQ(out.find("hidden debug"), std::string::npos) << out;
    EXPECT_NE(out.find("shown info"), std::string::npos) << out;
}

}  // namespace
}  // namespace tidal
