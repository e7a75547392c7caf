// The UDP hot path: a batch of datagrams in with recvmmsg, answered, out again with sendmmsg.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/query/lookup_prefetch.h"
#include "server/worker_state.h"

namespace tidal::server {

// Per worker: every buffer, iovec, mmsghdr and control-message area is allocated once here and
// reused for every datagram on every UDP socket of the worker, so serving allocates nothing.
// Only the worker's thread calls serve().
class UdpBatch {
  public:
    static constexpr size_t kBatchSize = 64;      // datagrams per recvmmsg / sendmmsg
    static constexpr size_t kMaxRounds = 4;       // batches per wakeup, then TCP gets its turn
    static constexpr size_t kQueryBytes = 4096;   // a larger datagram is dropped, not answered
    static constexpr size_t kAnswerBytes = 4096;  // >= the largest udp-max-payload allowed
    // A read that finds at least this many datagrams means the worker is busy: see serve().
    static constexpr size_t kBusyBatch = 4;

    // batch_wait: udp-batch-wait, how long a busy worker lets datagrams gather between reads.
    UdpBatch(WorkerState& state, std::chrono::microseconds batch_wait);
    UdpBatch(const UdpBatch&) = delete;
    UdpBatch& operator=(const UdpBatch&) = delete;

    // Receives, answers and sends the datagrams waiting on the non-blocking socket fd, until it
    // has none left or kMaxRounds batches were served (the poll handle is level-triggered, so
    // what remains wakes the loop again).
    //
    // While busy (a read found kBusyBatch datagrams or more, but not a full batch), it sleeps
    // batch_wait before reading again instead of going back to the loop. Every read, every send
    // and every wake-up of this thread or of the clients has a fixed cost in the kernel, which
    // dwarfs answering a query; letting a batch fill spreads that cost over more answers, as a
    // network card's interrupt coalescing does. A lightly loaded worker never waits, so an
    // idle server answers at once; a busy one adds at most batch_wait to a datagram's time.
    void serve(int fd);

  private:
    // Room for one IP_PKTINFO or IPV6_PKTINFO control message, with slack for the unexpected.
    static constexpr size_t kControlBytes = CMSG_SPACE(sizeof(in6_pktinfo)) + 64;

    struct Slot {
        sockaddr_storage peer;
        alignas(cmsghdr) uint8_t rx_control[kControlBytes];
        alignas(cmsghdr) uint8_t tx_control[kControlBytes];
        uint8_t query[kQueryBytes];
        uint8_t answer[kAnswerBytes];
    };

    // Answers slot i's datagram (received length rx_[i].msg_len) into tx_[count]; returns whether
    // there is an answer to send.
    // An UPDATE is handed to the thread pool instead (answered later, see update_job.h).
    // LookupPrefetch over the batch before any of it is answered (see lookup_prefetch.h).
    void warm_caches(const snapshot::ZoneSet& zones, size_t received);
    bool answer(int fd, size_t i, const snapshot::ZoneSet& zones, size_t count);
    void send(int fd, size_t count);
    void wait_for_more() const;

    WorkerState& state_;
    std::chrono::microseconds batch_wait_;
    std::unique_ptr<Slot[]> slots_;
    std::array<query::LookupPrefetch, kBatchSize> hints_;
    std::array<iovec, kBatchSize> rx_iov_{};
    std::array<iovec, kBatchSize> tx_iov_{};
    std::array<mmsghdr, kBatchSize> rx_{};
    std::array<mmsghdr, kBatchSize> tx_{};
};

}  // namespace tidal::server
