// Listening sockets for tidald: created, configured and bound in the main thread before workers
// run.
#include "server/listen_sockets.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace tidal::server {
namespace {

constexpr int kSocketBufferBytes = 4 * 1024 * 1024;
constexpr int kListenBacklog = 1024;

// A resolved numeric address: getaddrinfo handles IPv6 scope ids ("fe80::1%eth0").
struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_UNSPEC;
};

Result<SocketAddress> resolve(const config::ListenAddress& address) {
    addrinfo hints{};
    hints.ai_family = address.ipv6 ? AF_INET6 : AF_INET;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(address.port);
    const int rc = getaddrinfo(address.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0 || found == nullptr) {
        return Error{fmt::format("cannot use listen address {}: {}", format_address(address),
                                 gai_strerror(rc))};
    }
    SocketAddress result;
    std::memcpy(&result.storage, found->ai_addr, found->ai_addrlen);
    result.length = found->ai_addrlen;
    result.family = found->ai_family;
    freeaddrinfo(found);
    return result;
}

bool is_wildcard(const SocketAddress& address) {
    if (address.family == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, &address.storage, sizeof(in));
        return in.sin_addr.s_addr == htonl(INADDR_ANY);
    }
    sockaddr_in6 in6{};
    std::memcpy(&in6, &address.storage, sizeof(in6));
    return IN6_IS_ADDR_UNSPECIFIED(&in6.sin6_addr);
}

bool set_int_option(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof(value)) == 0;
}

// Large buffers absorb bursts while a worker is busy. SO_RCVBUFFORCE passes net.core.rmem_max
// when we have CAP_NET_ADMIN; otherwise the plain option is capped by the kernel. Best effort.
void enlarge_buffers(int fd) {
    if (!set_int_option(fd, SOL_SOCKET, SO_RCVBUFFORCE, kSocketBufferBytes)) {
        set_int_option(fd, SOL_SOCKET, SO_RCVBUF, kSocketBufferBytes);
    }
    if (!set_int_option(fd, SOL_SOCKET, SO_SNDBUFFORCE, kSocketBufferBytes)) {
        set_int_option(fd, SOL_SOCKET, SO_SNDBUF, kSocketBufferBytes);
    }
}

// exclusive: a probe without SO_REUSEPORT (see bind_listen_sockets); not configured further.
Result<BoundSocket> open_socket(const config::ListenAddress& address, const SocketAddress& resolved,
                                bool udp, bool exclusive = false) {
    const char* protocol = udp ? "UDP" : "TCP";
    auto fail = [&](const char* what) {
        return Error{fmt::format("cannot {} {} {}: {}", what, protocol, format_address(address),
                                 std::strerror(errno))};
    };
    const int type = (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
    UniqueFd fd(socket(resolved.family, type, 0));
    if (fd.get() < 0) {
        return fail("create socket for");
    }
    if (!set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1) ||
        (!exclusive && !set_int_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1))) {
        return fail("set SO_REUSEPORT on");
    }
    if (resolved.family == AF_INET6 && !set_int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1)) {
        return fail("set IPV6_V6ONLY on");
    }
    const bool wildcard = is_wildcard(resolved);
    if (udp && !exclusive) {
        enlarge_buffers(fd.get());
        // Answers are at most udp-max-payload (<= 4096) octets: never fragment on the strength of
        // a path MTU learnt from (possibly forged) ICMP; send at the interface MTU. Best effort.
        if (resolved.family == AF_INET) {
            set_int_option(fd.get(), IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT);
        } else {
            set_int_option(fd.get(), IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_OMIT);
        }
        if (wildcard) {
            const bool ok = resolved.family == AF_INET
                                ? set_int_option(fd.get(), IPPROTO_IP, IP_PKTINFO, 1)
                                : set_int_option(fd.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
            if (!ok) {
                return fail("enable packet info on");
            }
        }
    }
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&resolved.storage), resolved.length) !=
        0) {
        return fail("bind");
    }
    if (!udp && !exclusive && listen(fd.get(), kListenBacklog) != 0) {
        return fail("listen on");
    }
    BoundSocket bound;
    bound.fd = std::move(fd);
    bound.address = address;
    bound.wildcard = wildcard;
    return bound;
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = other.release();
    }
    return *this;
}

int UniqueFd::release() {
    return std::exchange(fd_, -1);
}

void UniqueFd::reset() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

std::string format_address(const config::ListenAddress& address) {
    if (address.ipv6) {
        return fmt::format("[{}]:{}", address.host, address.port);
    }
    return fmt::format("{}:{}", address.host, address.port);
}

Result<std::vector<WorkerSockets>> bind_listen_sockets(
    const std::vector<config::ListenAddress>& addresses, unsigned workers) {
    std::vector<SocketAddress> resolved;
    for (const auto& address : addresses) {
        auto r = resolve(address);
        if (!r) {
            return r.error();
        }
        resolved.push_back(r.value());
    }
    // SO_REUSEPORT would let us share a port with any other process of the same user that set
    // it too (another tidald, a knotd) and silently split the traffic with it. A probe bound
    // without SO_REUSEPORT fails with EADDRINUSE when anyone else holds the port, so a busy
    // address is an error at start, as it would be without SO_REUSEPORT.
    for (size_t i = 0; i < addresses.size(); ++i) {
        for (const bool udp : {true, false}) {
            auto probe = open_socket(addresses[i], resolved[i], udp, true);
            if (!probe) {
                return probe.error();
            }
        }
    }
    std::vector<WorkerSockets> result(workers);
    for (auto& sockets : result) {
        for (size_t i = 0; i < addresses.size(); ++i) {
            auto udp = open_socket(addresses[i], resolved[i], true);
            if (!udp) {
                return udp.error();
            }
            sockets.udp.push_back(std::move(udp.value()));
            auto tcp = open_socket(addresses[i], resolved[i], false);
            if (!tcp) {
                return tcp.error();
            }
            sockets.tcp.push_back(std::move(tcp.value()));
        }
    }
    return result;
}

}  // namespace tidal::server
