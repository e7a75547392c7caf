// Blocking client sockets with deadlines for the transfer client: one UDP exchange, or a TCP
// stream read in exact-size pieces. For tidal-sync's worker threads, never for an event loop.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/util/result.h"

namespace tidal::xfr {

using Clock = std::chrono::steady_clock;

// Where a primary listens: a numeric IPv4 or IPv6 address (no brackets; an IPv6 scope such as
// "fe80::1%eth0" is accepted) and a port.
struct Endpoint {
    std::string address;
    uint16_t port = 53;

    // The address of a configured remote (INTERFACE.md remotes:).
    static Endpoint from_remote(const config::Remote& remote);
    // This host's tidald as a local client reaches it: the first `listen` address, a wildcard
    // one through loopback. nullopt when nothing is listed.
    static std::optional<Endpoint> local_server(const config::Config& config);
    // The address of a peer, e.g. the source of a NOTIFY; Error for other families.
    static Result<Endpoint> from_sockaddr(const sockaddr* address);
    // "192.0.2.1:53", "[2001:db8::1]:53": for messages and logs.
    std::string to_string() const;
};

// A connected socket, closed on destruction. Every call waits at most until its deadline and
// then fails with an Error saying how long it waited; none raises SIGPIPE.
class ClientSocket {
  public:
    ClientSocket() = default;
    ~ClientSocket();
    ClientSocket(ClientSocket&& other) noexcept;
    ClientSocket& operator=(ClientSocket&& other) noexcept;
    ClientSocket(const ClientSocket&) = delete;
    ClientSocket& operator=(const ClientSocket&) = delete;

    // A TCP connection to endpoint, established before deadline.
    static Result<ClientSocket> connect_tcp(const Endpoint& endpoint, Clock::time_point deadline);
    // A UDP socket connected to endpoint: the kernel drops datagrams from anyone else.
    static Result<ClientSocket> open_udp(const Endpoint& endpoint);

    // Sends all of data (TCP) or one datagram (UDP).
    Status send_all(const uint8_t* data, size_t size, Clock::time_point deadline);

    // UDP: one datagram into out (truncated to out's size); Error on timeout or ICMP errors.
    Result<size_t> receive_datagram(std::vector<uint8_t>& out, Clock::time_point deadline);

    // TCP: exactly size octets into out. Returns false (nothing read) when the peer closed the
    // connection before sending any of them; an Error when it closed midway (saying how many
    // octets arrived), on a socket error, or when no octet arrived for idle (or deadline
    // passed). Reads ahead into an internal buffer to save system calls.
    Result<bool> read_exact(uint8_t* out, size_t size, std::chrono::milliseconds idle,
                            Clock::time_point deadline);

  private:
    explicit ClientSocket(int fd) : fd_(fd) {}
    // Waits for events on the socket; Error when the deadline passes first.
    Status wait(short events, Clock::time_point deadline, const char* what);

    int fd_ = -1;
    std::vector<uint8_t> buffer_;  // octets read ahead: [begin_, end_)
    size_t begin_ = 0;
    size_t end_ = 0;
};

}  // namespace tidal::xfr
