// spdlog setup: one process logger whose sink (stderr or journald) can be swapped on reload.
#include "core/util/logging.h"

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>

namespace tidal {

namespace {

// The logger's only sink; replacing its children is thread-safe, unlike replacing the default
// logger while other threads log through it.
std::shared_ptr<spdlog::sinks::dist_sink_mt>& router() {
    static auto sink = std::make_shared<spdlog::sinks::dist_sink_mt>();
    return sink;
}

std::atomic<bool> g_to_journald{false};

// True when stderr is the journal stream systemd gave us (systemd.exec(5), $JOURNAL_STREAM holds
// "device:inode" of it); a child whose stderr was redirected inherits the variable but fails
// this check.
bool stderr_is_journal_stream() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (stream == nullptr) {
        return false;
    }
    struct stat st {};
    if (fstat(STDERR_FILENO, &st) != 0) {
        return false;
    }
    const std::string expected = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    return expected == stream;
}

bool journal_available() {
    return access("/run/systemd/journal/socket", W_OK) == 0;
}

// target auto: journald when systemd started us (the journal stream, or a service without one
// whose output is not a terminal), stderr otherwise or when no journal is running.
bool choose_journald(const std::string& target) {
    if (target == "journald") {
        return true;
    }
    if (target != "auto" || !journal_available()) {
        return false;
    }
    if (stderr_is_journal_stream()) {
        return true;
    }
    return std::getenv("JOURNAL_STREAM") == nullptr && std::getenv("INVOCATION_ID") != nullptr &&
           isatty(STDERR_FILENO) == 0;
}

spdlog::level::level_enum parse_level(const std::string& level) {
    const auto parsed = spdlog::level::from_str(level);
    // from_str answers "off" for names it does not know; the config only allows known ones.
    return parsed == spdlog::level::off && level != "off" ? spdlog::level::info : parsed;
}

void install(bool journald, spdlog::level::level_enum level, std::string_view program) {
    std::shared_ptr<spdlog::sinks::sink> sink;
    if (journald) {
        // journald stamps time, identifier and priority itself: the message alone.
        sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(std::string(program));
    } else {
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
        sink->set_pattern("%Y-%m-%d %H:%M:%S.%e %n[%P] %^%l%$: %v");
    }
    router()->set_sinks({sink});
    g_to_journald.store(journald);

    const std::string name(program);
    std::shared_ptr<spdlog::logger> current = spdlog::default_logger();
    if (!current || current->name() != name || current->sinks().size() != 1 ||
        current->sinks().front() != router()) {
        // First call (or a new program name): one logger for the life of the process.
        auto logger = std::make_shared<spdlog::logger>(name, router());
        spdlog::set_default_logger(logger);
        current = logger;
    }
    current->set_level(level);
    current->flush_on(spdlog::level::warn);
}

}  // namespace

void setup_logging(const config::LogConfig& log, std::string_view program) {
    install(choose_journald(log.target), parse_level(log.level), program);
}

void setup_default_logging(std::string_view program) {
    install(false, spdlog::level::info, program);
}

bool logging_to_journald() {
    return g_to_journald.load();
}

}  // namespace tidal
