// UdpBatch: recvmmsg -> Responder -> sendmmsg, answering from the address each query came to.
#include "server/udp_batch.h"

#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/snapshot/zone_set.h"
#include "core/update/update_handler.h"
#include "server/update_job.h"

namespace tidal::server {
namespace {

// For a socket bound to a wildcard address, the reply must leave from the address the query was
// sent to, or the client (which matches the answer's source) drops it. The received PKTINFO says
// which address that was; it goes back as the source of the answer. The interface index is
// cleared so that routing picks the way out (as Knot does), except for IPv6 link-local
// addresses, which only mean something together with their interface.
void set_reply_source(msghdr& rx, msghdr& tx, uint8_t* control) {
    tx.msg_control = nullptr;
    tx.msg_controllen = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&rx); c != nullptr; c = CMSG_NXTHDR(&rx, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof(info));
            info.ipi_spec_dst = info.ipi_addr;
            info.ipi_ifindex = 0;
            tx.msg_control = control;
            tx.msg_controllen = CMSG_SPACE(sizeof(info));
            cmsghdr* out = CMSG_FIRSTHDR(&tx);
            out->cmsg_level = IPPROTO_IP;
            out->cmsg_type = IP_PKTINFO;
            out->cmsg_len = CMSG_LEN(sizeof(info));
            std::memcpy(CMSG_DATA(out), &info, sizeof(info));
            return;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof(info));
            if (!IN6_IS_ADDR_LINKLOCAL(&info.ipi6_addr)) {
                info.ipi6_ifindex = 0;
            }
            tx.msg_control = control;
            tx.msg_controllen = CMSG_SPACE(sizeof(info));
            cmsghdr* out = CMSG_FIRSTHDR(&tx);
            out->cmsg_level = IPPROTO_IPV6;
            out->cmsg_type = IPV6_PKTINFO;
            out->cmsg_len = CMSG_LEN(sizeof(info));
            std::memcpy(CMSG_DATA(out), &info, sizeof(info));
            return;
        }
    }
}

}  // namespace

UdpBatch::UdpBatch(WorkerState& state, std::chrono::microseconds batch_wait)
    : state_(state), batch_wait_(batch_wait), slots_(new Slot[kBatchSize]) {
    for (size_t i = 0; i < kBatchSize; ++i) {
        rx_iov_[i].iov_base = slots_[i].query;
        rx_iov_[i].iov_len = kQueryBytes;
        msghdr& hdr = rx_[i].msg_hdr;
        hdr.msg_name = &slots_[i].peer;
        hdr.msg_iov = &rx_iov_[i];
        hdr.msg_iovlen = 1;
        hdr.msg_control = slots_[i].rx_control;
    }
}

void UdpBatch::serve(int fd) {
    for (size_t round = 0; round < kMaxRounds; ++round) {
        // The kernel overwrites these lengths with what it filled in; reset them every batch.
        for (auto& message : rx_) {
            message.msg_hdr.msg_namelen = sizeof(sockaddr_storage);
            message.msg_hdr.msg_controllen = kControlBytes;
            message.msg_hdr.msg_flags = 0;
        }
        const int received = recvmmsg(fd, rx_.data(), kBatchSize, MSG_DONTWAIT, nullptr);
        if (received < 0 && errno == EINTR) {
            continue;
        }
        if (received <= 0) {
            return;  // EAGAIN: drained. Other errors are per-datagram and already consumed.
        }
        const snapshot::ZoneSet& zones = state_.zones.get();
        warm_caches(zones, size_t(received));
        size_t count = 0;
        for (size_t i = 0; i < size_t(received); ++i) {
            if (answer(fd, i, zones, count)) {
                ++count;
            }
        }
        send(fd, count);
        if (size_t(received) == kBatchSize) {
            continue;  // more are likely queued: read again at once
        }
        // A short batch means the socket is drained (which saves the EAGAIN round trip). A
        // lightly loaded worker goes back to the loop; a busy one lets the next batch gather.
        if (size_t(received) < kBusyBatch || batch_wait_.count() == 0 || round + 1 == kMaxRounds) {
            return;
        }
        wait_for_more();
    }
}

void UdpBatch::wait_for_more() const {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(batch_wait_).count();
    const timespec duration{time_t(ns / 1000000000), long(ns % 1000000000)};
    // Interrupted early (a signal), the next read comes sooner: harmless.
    (void)clock_nanosleep(CLOCK_MONOTONIC, 0, &duration, nullptr);
}

void UdpBatch::warm_caches(const snapshot::ZoneSet& zones, size_t received) {
    if (received < 2) {
        return;  // nothing to overlap with
    }
    for (size_t i = 0; i < received; ++i) {
        hints_[i].start(zones, slots_[i].query, rx_[i].msg_len);
    }
    for (size_t i = 0; i < received; ++i) {
        hints_[i].node();
    }
    for (size_t i = 0; i < received; ++i) {
        hints_[i].name();
    }
}

bool UdpBatch::answer(int fd, size_t i, const snapshot::ZoneSet& zones, size_t count) {
    mmsghdr& in = rx_[i];
    if ((in.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        return false;  // larger than any query we serve over UDP; its tail is lost anyway
    }
    Slot& slot = slots_[i];
    if (update::is_update(slot.query, in.msg_len)) {
        // Writes stay off the query path: answered from the thread pool, sent later.
        msghdr reply{};
        set_reply_source(in.msg_hdr, reply, slot.tx_control);
        queue_udp_update(state_, fd, slot.query, in.msg_len, slot.peer, in.msg_hdr.msg_namelen,
                         slot.tx_control, reply.msg_controllen);
        return false;
    }
    const auto* peer = reinterpret_cast<const sockaddr*>(&slot.peer);
    size_t length = state_.responder.respond(slot.query, in.msg_len, slot.answer, kAnswerBytes,
                                             zones, query::Transport::Udp, peer);
    if (state_.rate_limiter != nullptr && length != 0) {
        // RRL: an answer over its bucket's rate is dropped or slipped (truncated, TC=1).
        length = state_.rate_limiter->apply(slot.answer, length, peer, uv_now(state_.loop));
    }
    if (length == 0) {
        return false;
    }
    tx_iov_[count].iov_base = slot.answer;
    tx_iov_[count].iov_len = length;
    msghdr& out = tx_[count].msg_hdr;
    out.msg_name = &slot.peer;
    out.msg_namelen = in.msg_hdr.msg_namelen;
    out.msg_iov = &tx_iov_[count];
    out.msg_iovlen = 1;
    out.msg_flags = 0;
    set_reply_source(in.msg_hdr, out, slot.tx_control);
    return true;
}

void UdpBatch::send(int fd, size_t count) {
    size_t sent = 0;
    while (sent < count) {
        const int r = sendmmsg(fd, tx_.data() + sent, unsigned(count - sent), 0);
        if (r > 0) {
            sent += size_t(r);
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;  // send buffer full: drop the rest, as a congested network would
        } else {
            ++sent;  // this one datagram cannot go (e.g. no route to its peer): skip it
        }
    }
}

}  // namespace tidal::server
