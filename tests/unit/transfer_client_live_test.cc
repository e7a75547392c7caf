// The transfer client against real primaries started on loopback by each test: knotd (Knot DNS,
// a Debian package) and tidald from this build. AXFR with and without TSIG, wrong keys, IXFR
// after an edit on the primary applied to a local store, up to date, unknown serials.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/dns/name.h"
#include "core/store/zone_store.h"
#include "core/xfr/transfer_client.h"
#include "core/zone/rr_text.h"
#include "core/zone/zone_file_reader.h"

extern char** environ;

namespace tidal::xfr {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

#ifndef TIDAL_TIDALD_PATH
#define TIDAL_TIDALD_PATH ""
#endif
#ifndef TIDAL_TIDALCTL_PATH
#define TIDAL_TIDALCTL_PATH ""
#endif

constexpr char kOrigin[] = "example.test.";
constexpr char kKeyName[] = "xfr-key";
constexpr char kSecret[] = "dGlkYWwtdHJhbnNmZXItY2xpZW50LXRlc3Qta2V5ISE=";
constexpr char kWrongSecret[] = "d3Jvbmctc2VjcmV0LWZvci10aGUtdHNpZy10ZXN0cyE=";

std::string source_dir() {
    const char* env = std::getenv("TIDAL_SOURCE_DIR");
    return env != nullptr && *env != '\0' ? env : TIDAL_SOURCE_DIR;
}

std::string zone_file() {
    return source_dir() + "/zones/example.test.zone";
}

// The binary named by the environment variable (as ctest sets for the script tests), else the
// one built beside these tests, else fallback.
std::string binary(const char* env_name, const char* built, const char* fallback = "") {
    const char* env = std::getenv(env_name);
    if (env != nullptr && *env != '\0') {
        return env;
    }
    return *built != '\0' ? built : fallback;
}

bool executable(const std::string& path) {
    return !path.empty() && access(path.c_str(), X_OK) == 0;
}

std::string apex() {
    return dns::name_lowered(dns::name_from_text(kOrigin).value());
}

tsig::Key key(const char* secret = kSecret, const char* name = kKeyName) {
    auto parsed = tsig::key_from_spec(std::string(name) + ":hmac-sha256:" + secret);
    EXPECT_TRUE(parsed.ok());
    return parsed.value();
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The records sorted as presentation text: comparable across servers, readable on failure.
std::vector<std::string> sorted_texts(std::vector<Record> records) {
    std::sort(records.begin(), records.end());
    std::vector<std::string> out;
    for (const Record& rr : records) {
        out.push_back(zone::record_to_text(rr));
    }
    return out;
}

// The zone as our own zone file reader sees it: an independent path to the same data.
std::vector<std::string> zone_file_texts() {
    auto zone = zone::read_zone_file(zone_file(), apex());
    EXPECT_TRUE(zone.ok()) << (zone.ok() ? "" : zone.error().message);
    return zone.ok() ? sorted_texts(zone->records) : std::vector<std::string>{};
}

// A port free on 127.0.0.1 for both TCP and UDP right now.
uint16_t free_port() {
    for (int attempt = 0; attempt < 50; ++attempt) {
        const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        getsockname(tcp, reinterpret_cast<sockaddr*>(&addr), &len);
        const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        const bool both = bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        close(udp);
        close(tcp);
        if (both) {
            return ntohs(addr.sin_port);
        }
    }
    ADD_FAILURE() << "no free loopback port";
    return 0;
}

// A child process with stdout and stderr appended to a log file; stopped by pid (SIGTERM, then
// SIGKILL after a bounded wait) at the latest on destruction.
class Child {
  public:
    Child(const std::vector<std::string>& argv, const std::string& log) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        std::vector<char*> args;
        for (const auto& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));
        }
        args.push_back(nullptr);
        if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) {
            pid_ = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    bool started() const { return pid_ > 0; }
    bool alive() {
        if (pid_ <= 0 || exited_) {
            return false;
        }
        return !reap(0ms);
    }
    // Waits up to timeout for the process to end; true when it has (status in exit_status()).
    bool reap(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            int status = 0;
            const pid_t done = waitpid(pid_, &status, WNOHANG);
            if (done == pid_) {
                exited_ = true;
                status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return true;
            }
            if (done < 0 || std::chrono::steady_clock::now() >= deadline) {
                return done < 0;
            }
            std::this_thread::sleep_for(10ms);
        }
    }
    void stop() {
        if (pid_ <= 0 || exited_) {
            return;
        }
        kill(pid_, SIGTERM);
        if (!reap(10s)) {
            kill(pid_, SIGKILL);
            reap(5s);
        }
    }
    int exit_status() const { return status_; }

  private:
    pid_t pid_ = -1;
    bool exited_ = false;
    int status_ = -1;
};

// Runs a program to completion (at most timeout); its exit status, or -1 when killed.
int run_program(const std::vector<std::string>& argv, const std::string& log,
                std::chrono::milliseconds timeout = 60s) {
    {
        std::ofstream(log, std::ios::app) << "$";
        for (const auto& arg : argv) {
            std::ofstream(log, std::ios::app) << " " << arg;
        }
        std::ofstream(log, std::ios::app) << "\n";
    }
    Child child(argv, log);
    if (!child.started()) {
        return -1;
    }
    if (!child.reap(timeout)) {
        child.stop();
        return -1;
    }
    return child.exit_status();
}

// Polls the primary's SOA serial until pred holds (bounded); the last serial seen, if any.
template <typename Pred>
std::optional<uint32_t> wait_for_serial(const Endpoint& endpoint, Pred pred,
                                        std::chrono::milliseconds limit, Child* child) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::optional<uint32_t> last;
    while (std::chrono::steady_clock::now() < deadline) {
        if (child != nullptr && !child->alive()) {
            return last;
        }
        auto serial = query_soa_serial(endpoint, apex(), nullptr, 300ms);
        if (serial.ok()) {
            last = serial.value();
            if (pred(serial.value())) {
                return last;
            }
        }
        std::this_thread::sleep_for(50ms);
    }
    return last;
}

// A fresh store in the test's directory that receives what the client fetched.
std::unique_ptr<store::ZoneStore> open_store(const std::string& path) {
    auto store = store::ZoneStore::open(path, store::ZoneStore::Mode::ReadWrite);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(store.value()) : nullptr;
}

std::vector<std::string> stored_texts(store::ZoneStore& store) {
    auto contents = store.read_zone(apex());
    EXPECT_TRUE(contents.ok()) << contents.error().message;
    return contents.ok() ? sorted_texts(contents->records) : std::vector<std::string>{};
}

// Shared body: a primary that serves example.test. with the key, and a way to edit it.
class LivePrimaryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "tidal-xfrlive-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override {
        child_.reset();
        if (HasFailure()) {
            std::cerr << "--- " << log_ << " ---\n" << read_text(log_) << "\n";
        }
        fs::remove_all(dir_);
    }

    // Starts the server (argv from make_argv(port)) until its zone answers; three tries on
    // fresh ports in case another process took the port meanwhile.
    template <typename MakeArgv>
    void start(MakeArgv make_argv) {
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = free_port();
            child_ = std::make_unique<Child>(make_argv(port_), log_);
            ASSERT_TRUE(child_->started()) << "cannot start the server, see " << log_;
            auto serial = wait_for_serial(
                endpoint(), [](uint32_t) { return true; }, 20s, child_.get());
            if (serial) {
                initial_serial_ = *serial;
                return;
            }
            child_.reset();
        }
        FAIL() << "the server did not answer for " << kOrigin << " on 127.0.0.1:" << port_;
    }

    Endpoint endpoint() const { return {"127.0.0.1", port_}; }

    // Waits until the primary serves serial wanted; false (after a failure) when it does not.
    bool wait_serial(uint32_t wanted) {
        auto serial = wait_for_serial(
            endpoint(), [wanted](uint32_t s) { return s == wanted; }, 20s, child_.get());
        EXPECT_EQ(serial.value_or(0), wanted) << "the primary does not serve serial " << wanted;
        return serial && *serial == wanted;
    }

    // The checks common to both primaries. Knot writes names inside rdata lowercased (names
    // compare case-insensitively, RFC 4343), so for it the comparison ignores case.
    void check_axfr_with_and_without_tsig(bool ignore_case) {
        auto fold = [ignore_case](std::vector<std::string> texts) {
            for (auto& text : texts) {
                for (char& c : text) {
                    c = ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                                    : c;
                }
            }
            return texts;
        };
        const auto expected = fold(zone_file_texts());
        ASSERT_FALSE(expected.empty());
        const tsig::Key k = key();
        for (const tsig::Key* with : {static_cast<const tsig::Key*>(nullptr), &k}) {
            auto result = fetch_zone(endpoint(), apex(), std::nullopt, with);
            ASSERT_TRUE(result.ok()) << result.error().message;
            EXPECT_EQ(result->kind, TransferKind::Axfr);
            EXPECT_EQ(result->serial, 2024010101u);
            EXPECT_EQ(fold(sorted_texts(result->records)), expected);
            EXPECT_TRUE(result->warnings.empty());
            if (result->expire) {
                EXPECT_EQ(*result->expire, 1209600u);  // a primary reports its SOA EXPIRE
            }
            // The SOA check, signed or not (the answer's TSIG verified).
            auto serial = query_soa_serial(endpoint(), apex(), with, 2s);
            ASSERT_TRUE(serial.ok()) << serial.error().message;
            EXPECT_EQ(serial.value(), 2024010101u);
        }
    }

    void check_wrong_keys() {
        const tsig::Key wrong = key(kWrongSecret);
        auto result = fetch_zone(endpoint(), apex(), std::nullopt, &wrong);
        ASSERT_FALSE(result.ok());
        EXPECT_NE(result.error().message.find("NOTAUTH (TSIG error BADSIG)"), std::string::npos)
            << result.error().message;
        EXPECT_NE(result.error().message.find("(key xfr-key)"), std::string::npos)
            << result.error().message;

        auto serial = query_soa_serial(endpoint(), apex(), &wrong, 2s);
        ASSERT_FALSE(serial.ok());
        EXPECT_NE(serial.error().message.find("BADSIG"), std::string::npos)
            << serial.error().message;

        const tsig::Key unknown = key(kSecret, "nobody-knows-me");
        result = fetch_zone(endpoint(), apex(), 2024010101u, &unknown);
        ASSERT_FALSE(result.ok());
        EXPECT_NE(result.error().message.find("BADKEY"), std::string::npos)
            << result.error().message;
    }

    // Edits the primary through edit(s1) (which must add www2 A 192.0.2.99 and remove the host
    // HINFO, and return the serial the primary will then serve), then checks IXFR end to end: the
    // difference, its application to a local store, and the store equal to a fresh AXFR.
    template <typename Edit>
    void check_ixfr_after_edit(Edit edit) {
        const tsig::Key k = key();
        auto store = open_store(dir_ + "/secondary.db");
        ASSERT_TRUE(store);
        auto first = fetch_zone(endpoint(), apex(), std::nullopt, &k);
        ASSERT_TRUE(first.ok()) << first.error().message;
        const uint32_t s1 = first->serial;
        ASSERT_TRUE(store->apply_axfr(apex(), first->records).ok());

        // Current already: the SOA alone.
        auto current = fetch_zone(endpoint(), apex(), s1, &k);
        ASSERT_TRUE(current.ok()) << current.error().message;
        EXPECT_EQ(current->kind, TransferKind::UpToDate);
        EXPECT_EQ(current->serial, s1);

        const uint32_t s2 = edit(s1);
        ASSERT_TRUE(wait_serial(s2));
        auto soa = query_soa(endpoint(), apex(), nullptr, 2s);
        ASSERT_TRUE(soa.ok()) << soa.error().message;
        EXPECT_EQ(soa->serial, s2);

        auto ixfr = fetch_zone(endpoint(), apex(), s1, &k);
        ASSERT_TRUE(ixfr.ok()) << ixfr.error().message;
        EXPECT_EQ(ixfr->kind, TransferKind::Ixfr) << ixfr->describe();
        EXPECT_EQ(ixfr->serial, s2);
        ASSERT_FALSE(ixfr->differences.empty());
        EXPECT_EQ(ixfr->differences.front().serial_from, s1);
        EXPECT_EQ(ixfr->differences.back().serial_to, s2);
        std::vector<Record> added;
        std::vector<Record> removed;
        for (const auto& diff : ixfr->differences) {
            added.insert(added.end(), diff.added.begin() + 1, diff.added.end());
            removed.insert(removed.end(), diff.removed.begin() + 1, diff.removed.end());
        }
        EXPECT_EQ(sorted_texts(added),
                  std::vector<std::string>{"www2.example.test.\t300\tIN\tA\t192.0.2.99"});
        ASSERT_EQ(removed.size(), 1u);
        EXPECT_NE(zone::record_to_text(removed[0]).find("HINFO"), std::string::npos);

        auto applied = store->apply_ixfr(apex(), ixfr->differences);
        ASSERT_TRUE(applied.ok()) << applied.error().message;
        EXPECT_EQ(applied.value(), s2);
        auto full = fetch_zone(endpoint(), apex(), std::nullopt, &k);
        ASSERT_TRUE(full.ok()) << full.error().message;
        EXPECT_EQ(full->serial, s2);
        EXPECT_EQ(stored_texts(*store), sorted_texts(full->records));
        // What we received we can serve onward (IXFR from our journal).
        auto journal = store->read_journal(apex(), s1);
        ASSERT_TRUE(journal.ok() && journal.value());
        EXPECT_EQ(journal.value()->size(), ixfr->differences.size());

        // A serial the primary has no history for: the whole zone, AXFR-style.
        auto unknown = fetch_zone(endpoint(), apex(), s1 - 1000, &k);
        ASSERT_TRUE(unknown.ok()) << unknown.error().message;
        EXPECT_EQ(unknown->kind, TransferKind::IxfrAxfr);
        EXPECT_EQ(sorted_texts(unknown->records), sorted_texts(full->records));

        // A serial newer than the primary's: its serial went backwards for us.
        auto ahead = fetch_zone(endpoint(), apex(), s2 + 5, &k);
        ASSERT_FALSE(ahead.ok());
        EXPECT_NE(ahead.error().message.find("older than ours"), std::string::npos)
            << ahead.error().message;
    }

    std::string dir_;
    std::string log_;
    uint16_t port_ = 0;
    uint32_t initial_serial_ = 0;
    std::unique_ptr<Child> child_;
};

// --- Knot DNS -------------------------------------------------------------------------------

class KnotPrimaryTest : public LivePrimaryTest {
  protected:
    void SetUp() override {
        LivePrimaryTest::SetUp();
        knotd_ = binary("KNOTD", "", "/usr/sbin/knotd");
        knotc_ = binary("KNOTC", "", "/usr/sbin/knotc");
        ASSERT_TRUE(executable(knotd_) && executable(knotc_))
            << "knotd/knotc not found (Debian package knot; `make deps` installs it)";
        log_ = dir_ + "/knotd.log";
        socket_ = dir_ + "/knot.sock";
        fs::create_directories(dir_ + "/db");
        start([this](uint16_t port) {
            write_config(port);
            return std::vector<std::string>{knotd_, "-c", dir_ + "/knot.conf"};
        });
    }

    void write_config(uint16_t port) {
        std::ofstream conf(dir_ + "/knot.conf");
        conf << "server:\n"
             << "    listen: 127.0.0.1@" << port << "\n"
             << "    rundir: " << dir_ << "\n"
             << "    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n"
             << "control:\n    listen: " << socket_ << "\n"
             << "database:\n    storage: " << dir_ << "/db\n"
             << "log:\n  - target: stderr\n    any: info\n"
             << "key:\n  - id: " << kKeyName
             << "\n    algorithm: hmac-sha256\n    secret: " << kSecret << "\n"
             << "acl:\n"
             << "  - id: keyed\n    address: 127.0.0.1\n    key: " << kKeyName
             << "\n    action: transfer\n"
             << "  - id: open\n    address: 127.0.0.1\n    action: transfer\n"
             << "template:\n  - id: default\n    storage: " << dir_ << "\n"
             << "    zonefile-sync: -1\n    zonefile-load: whole\n"
             << "    journal-content: changes\n    semantic-checks: on\n"
             << "    acl: [keyed, open]\n"
             << "zone:\n  - domain: " << kOrigin << "\n    file: " << zone_file() << "\n";
    }

    void knotc(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {knotc_, "-s", socket_, "-t", "10"};
        argv.insert(argv.end(), args.begin(), args.end());
        ASSERT_EQ(run_program(argv, log_), 0) << "knotc failed, see " << log_;
    }

    std::string knotd_;
    std::string knotc_;
    std::string socket_;
};

TEST_F(KnotPrimaryTest, AxfrWithAndWithoutTsig) {
    check_axfr_with_and_without_tsig(true);
}

TEST_F(KnotPrimaryTest, WrongKeysAreReportedWithTheTsigError) {
    check_wrong_keys();
}

TEST_F(KnotPrimaryTest, IxfrAfterAnEditOnThePrimary) {
    check_ixfr_after_edit([this](uint32_t serial) {
        knotc({"zone-begin", kOrigin});
        knotc({"zone-set", kOrigin, "www2", "300", "A", "192.0.2.99"});
        knotc({"zone-unset", kOrigin, "host", "HINFO"});
        knotc({"zone-commit", kOrigin});
        return serial + 1;  // one transaction; Knot's default serial-policy is increment
    });
}

// --- tidald from this build -----------------------------------------------------------------

class TidalPrimaryTest : public LivePrimaryTest {
  protected:
    void SetUp() override {
        LivePrimaryTest::SetUp();
        tidald_ = binary("TIDALD", TIDAL_TIDALD_PATH);
        tidalctl_ = binary("TIDALCTL", TIDAL_TIDALCTL_PATH);
        if (!executable(tidald_) || !executable(tidalctl_)) {
            GTEST_SKIP() << "tidald/tidalctl not built here; set TIDALD and TIDALCTL";
        }
        log_ = dir_ + "/tidald.log";
        config_ = dir_ + "/tidal.yaml";
        start([this](uint16_t port) {
            write_config(port);
            return std::vector<std::string>{tidald_, "--config", config_};
        });
    }

    void write_config(uint16_t port) {
        {
            std::ofstream conf(config_);
            conf << "database: " << dir_ << "/tidal.db\n"
                 << "control: " << dir_ << "/control.sock\n"
                 << "log: {level: info, target: stderr}\n"
                 << "server:\n  listen: [\"127.0.0.1:" << port << "\"]\n  workers: 1\n"
                 << "keys:\n  - { name: " << kKeyName << ", algorithm: hmac-sha256, secret: \""
                 << kSecret << "\" }\n"
                 << "zones:\n  - name: " << kOrigin << "\n    role: primary\n"
                 << "    allow-transfer: [" << kKeyName << ", \"127.0.0.1/32\"]\n";
        }
        if (!fs::exists(dir_ + "/tidal.db")) {
            tidalctl({"zone", "import", zone_file(), "--origin", kOrigin});
        }
    }

    void tidalctl(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {tidalctl_, "--config", config_};
        argv.insert(argv.end(), args.begin(), args.end());
        ASSERT_EQ(run_program(argv, log_), 0) << "tidalctl failed, see " << log_;
    }

    std::string tidald_;
    std::string tidalctl_;
    std::string config_;
};

TEST_F(TidalPrimaryTest, AxfrWithAndWithoutTsig) {
    check_axfr_with_and_without_tsig(false);
}

TEST_F(TidalPrimaryTest, WrongKeysAreReportedWithTheTsigError) {
    check_wrong_keys();
}

TEST_F(TidalPrimaryTest, IxfrAfterAnEditOnThePrimary) {
    check_ixfr_after_edit([this](uint32_t serial) {
        // Two separate changes: tidald may condense them into one difference (RFC 1995 §5).
        tidalctl({"record", "add", "www2.example.test.", "300", "A", "192.0.2.99"});
        tidalctl({"record", "del", "host.example.test.", "HINFO"});
        return serial + 2;  // serial-policy increment: one per change
    });
}

}  // namespace
}  // namespace tidal::xfr
