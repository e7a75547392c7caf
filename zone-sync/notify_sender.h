// NOTIFY out (RFC 1996) for one zone: after each change, every `notify` remote, with retries.
#pragma once

#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "zone-sync/refresh_job.h"

namespace tidal::sync {

// Lives on tidal-sync's loop thread; sending happens on the thread pool. changed() starts a
// round to every target with the zone's current SOA; targets that do not answer are retried
// with back-off (1, 2, 4, 8, 16 s: RFC 1996 §3.6 asks for retries, bounded) until they answer
// or a newer change starts a new round.
class NotifySender {
  public:
    // local: this host's tidald. A NOTIFY goes out only once tidald serves the new serial, or
    // secondaries that ask it for the SOA (Knot, BIND) would see the old one and stop there.
    NotifySender(uv_loop_t* loop, std::string apex, std::string database,
                 std::vector<PrimaryTarget> targets, std::optional<xfr::Endpoint> local);
    NotifySender(const NotifySender&) = delete;
    NotifySender& operator=(const NotifySender&) = delete;

    void changed();
    // tidald says it answers from serial now (control message "serving"). Any thread.
    void served(uint32_t serial);
    void close(std::function<void()> done);
    const std::string& apex() const { return apex_; }

  private:
    static void on_timer(uv_timer_t* timer);
    static void on_work(uv_work_t* work);
    static void on_done(uv_work_t* work, int status);
    static void on_closed(uv_handle_t* handle);
    void start_round();
    // Work thread: returns once this host's tidald serves want or newer (its "serving" message,
    // or an SOA query when no message comes), or after a bounded wait.
    void wait_until_served(uint32_t want);
    void maybe_finish_close();

    static constexpr int kMaxAttempts = 6;

    uv_loop_t* loop_;
    std::string apex_;
    std::string database_;
    std::vector<PrimaryTarget> targets_;
    std::optional<xfr::Endpoint> local_;
    std::vector<bool> pending_;        // targets still to be told (loop thread only)
    std::vector<bool> round_targets_;  // pending_ when the round in flight started
    std::vector<bool> round_ok_;       // targets that answered in that round (work thread)
    std::vector<std::string> errors_;  // last error per target (work thread writes, loop reads)
    std::vector<std::string> sent_;    // targets that answered in the last round
    // The work thread's read connection, kept between rounds (rounds never overlap).
    std::unique_ptr<store::ZoneStore> store_;
    std::string store_error_;
    std::mutex served_mutex_;
    std::condition_variable served_changed_;
    std::optional<uint32_t> served_serial_;  // the newest serial tidald said it serves
    int attempt_ = 0;
    uv_timer_t timer_{};
    uv_work_t work_{};
    bool running_ = false;
    bool again_ = false;
    bool closing_ = false;
    bool timer_closed_ = false;
    std::function<void()> closed_;
};

}  // namespace tidal::sync
