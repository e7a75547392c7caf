// Creates and binds tidald's listening sockets by hand, one UDP and one TCP socket per worker and
// listen address (SO_REUSEPORT), so that a bind failure is reported at start, before any worker
// runs.
#pragma once

#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/util/result.h"

namespace tidal::server {

// Owns one file descriptor; closes it on destruction unless release()d.
class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return fd_; }
    // Gives up ownership: the caller (e.g. a libuv handle) now closes the descriptor.
    int release();
    void reset();

  private:
    int fd_ = -1;
};

// One bound socket for one listen address.
struct BoundSocket {
    UniqueFd fd;
    config::ListenAddress address;
    // Bound to 0.0.0.0 or ::: the socket reports each datagram's destination address
    // (IP_PKTINFO / IPV6_RECVPKTINFO) so the answer can leave from that same address.
    bool wildcard = false;
};

// The sockets one worker serves: udp[i] and tcp[i] are for listen address i. TCP sockets are
// already listening.
struct WorkerSockets {
    std::vector<BoundSocket> udp;
    std::vector<BoundSocket> tcp;
};

// Creates `workers` sets of sockets for every address: non-blocking, SO_REUSEADDR + SO_REUSEPORT
// (the kernel spreads datagrams and connections over the workers' sockets), IPV6_V6ONLY on IPv6
// (so 0.0.0.0:53 and [::]:53 bind side by side), enlarged UDP buffers. On any failure closes what
// it created and returns an error naming the protocol, address and reason, e.g.
// "cannot bind UDP 127.0.0.1:53: Address already in use". Main thread, before workers start.
Result<std::vector<WorkerSockets>> bind_listen_sockets(
    const std::vector<config::ListenAddress>& addresses, unsigned workers);

// "127.0.0.1:53" or "[::1]:53".
std::string format_address(const config::ListenAddress& address);

}  // namespace tidal::server
