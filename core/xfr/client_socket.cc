// ClientSocket: non-blocking sockets driven by poll() against deadlines, so a silent or slow
// primary can never hold a tidal-sync worker longer than the caller allows.
#include "core/xfr/client_socket.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tidal::xfr {

namespace {

constexpr size_t kReadAhead = 64 * 1024;

std::string errno_text(int error) {
    return std::strerror(error);
}

// The numeric address as a sockaddr; Error when it is not a numeric IPv4/IPv6 address.
Result<sockaddr_storage> resolve(const Endpoint& endpoint, socklen_t& length) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(endpoint.port);
    const int rc = getaddrinfo(endpoint.address.c_str(), port.c_str(), &hints, &found);
    if (rc != 0 || found == nullptr) {
        return Error{"address " + endpoint.address + " is not a numeric IPv4 or IPv6 address" +
                     (rc != 0 ? std::string(" (") + gai_strerror(rc) + ")" : std::string())};
    }
    sockaddr_storage out{};
    std::memcpy(&out, found->ai_addr, found->ai_addrlen);
    length = found->ai_addrlen;
    freeaddrinfo(found);
    return out;
}

int milliseconds_until(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    // Round up so a wait does not return just before the deadline and spin.
    return static_cast<int>(std::clamp<int64_t>(left + 1, 0, 1 << 30));
}

Result<int> open_socket(const Endpoint& endpoint, int type, sockaddr_storage& address,
                        socklen_t& length) {
    auto resolved = resolve(endpoint, length);
    if (!resolved) {
        return resolved.error();
    }
    address = resolved.value();
    const int fd = socket(address.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return Error{"cannot create a socket for " + endpoint.to_string() + ": " +
                     errno_text(errno)};
    }
    return fd;
}

}  // namespace

Endpoint Endpoint::from_remote(const config::Remote& remote) {
    return Endpoint{remote.address.host, remote.address.port};
}

std::optional<Endpoint> Endpoint::local_server(const config::Config& config) {
    if (config.server.listen.empty()) {
        return std::nullopt;
    }
    const config::ListenAddress& listen = config.server.listen.front();
    Endpoint endpoint{listen.host, listen.port};
    if (listen.host == "0.0.0.0") {
        endpoint.address = "127.0.0.1";
    } else if (listen.host == "::") {
        endpoint.address = "::1";
    }
    return endpoint;
}

Result<Endpoint> Endpoint::from_sockaddr(const sockaddr* address) {
    char host[INET6_ADDRSTRLEN] = "";
    if (address != nullptr && address->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(address);
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        return Endpoint{host, ntohs(in->sin_port)};
    }
    if (address != nullptr && address->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        return Endpoint{host, ntohs(in6->sin6_port)};
    }
    return Error{"not an IPv4 or IPv6 socket address"};
}

std::string Endpoint::to_string() const {
    if (address.find(':') != std::string::npos) {
        return "[" + address + "]:" + std::to_string(port);
    }
    return address + ":" + std::to_string(port);
}

ClientSocket::~ClientSocket() {
    if (fd_ >= 0) {
        close(fd_);
    }
}

ClientSocket::ClientSocket(ClientSocket&& other) noexcept
    : fd_(other.fd_), buffer_(std::move(other.buffer_)), begin_(other.begin_), end_(other.end_) {
    other.fd_ = -1;
}

ClientSocket& ClientSocket::operator=(ClientSocket&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            close(fd_);
        }
        fd_ = other.fd_;
        other.fd_ = -1;
        buffer_ = std::move(other.buffer_);
        begin_ = other.begin_;
        end_ = other.end_;
    }
    return *this;
}

Status ClientSocket::wait(short events, Clock::time_point deadline, const char* what) {
    for (;;) {
        pollfd pfd{fd_, events, 0};
        const int rc = poll(&pfd, 1, milliseconds_until(deadline));
        if (rc > 0) {
            return Status::success();  // ready, or an error the next call reports
        }
        if (rc == 0) {
            return Error{std::string("timed out ") + what};
        }
        if (errno != EINTR) {
            return Error{std::string("poll failed ") + what + ": " + errno_text(errno)};
        }
    }
}

Result<ClientSocket> ClientSocket::connect_tcp(const Endpoint& endpoint,
                                               Clock::time_point deadline) {
    sockaddr_storage address{};
    socklen_t length = 0;
    auto fd = open_socket(endpoint, SOCK_STREAM, address, length);
    if (!fd) {
        return fd.error();
    }
    ClientSocket socket(fd.value());
    const std::string where = "TCP connection to " + endpoint.to_string();
    if (connect(socket.fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        if (errno != EINPROGRESS) {
            return Error{where + ": " + errno_text(errno)};
        }
        Status ready = socket.wait(POLLOUT, deadline, "connecting");
        if (!ready) {
            return Error{where + ": " + ready.message()};
        }
        int error = 0;
        socklen_t size = sizeof error;
        if (getsockopt(socket.fd_, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
            error = errno;
        }
        if (error != 0) {
            return Error{where + ": " + errno_text(error)};
        }
    }
    return socket;
}

Result<ClientSocket> ClientSocket::open_udp(const Endpoint& endpoint) {
    sockaddr_storage address{};
    socklen_t length = 0;
    auto fd = open_socket(endpoint, SOCK_DGRAM, address, length);
    if (!fd) {
        return fd.error();
    }
    ClientSocket socket(fd.value());
    if (connect(socket.fd_, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        return Error{"UDP socket to " + endpoint.to_string() + ": " + errno_text(errno)};
    }
    return socket;
}

Status ClientSocket::send_all(const uint8_t* data, size_t size, Clock::time_point deadline) {
    size_t sent = 0;
    while (sent < size) {
        const ssize_t n = send(fd_, data + sent, size - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            Status ready = wait(POLLOUT, deadline, "sending the request");
            if (!ready) {
                return ready;
            }
            continue;
        }
        return Error{"sending the request failed: " + errno_text(n < 0 ? errno : EPIPE)};
    }
    return Status::success();
}

Result<size_t> ClientSocket::receive_datagram(std::vector<uint8_t>& out,
                                              Clock::time_point deadline) {
    for (;;) {
        const ssize_t n = recv(fd_, out.data(), out.size(), 0);
        if (n >= 0) {
            return static_cast<size_t>(n);
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            // ICMP errors on a connected socket: port unreachable shows as ECONNREFUSED.
            return Error{"receiving the answer failed: " + errno_text(errno)};
        }
        Status ready = wait(POLLIN, deadline, "waiting for the answer");
        if (!ready) {
            return ready.error();
        }
    }
}

Result<bool> ClientSocket::read_exact(uint8_t* out, size_t size, std::chrono::milliseconds idle,
                                      Clock::time_point deadline) {
    size_t got = 0;
    if (buffer_.empty()) {
        buffer_.resize(kReadAhead);
    }
    while (got < size) {
        if (begin_ < end_) {
            const size_t take = std::min(size - got, end_ - begin_);
            std::memcpy(out + got, buffer_.data() + begin_, take);
            begin_ += take;
            got += take;
            continue;
        }
        begin_ = end_ = 0;
        const ssize_t n = recv(fd_, buffer_.data(), buffer_.size(), 0);
        if (n > 0) {
            end_ = static_cast<size_t>(n);
            continue;
        }
        if (n == 0) {
            if (got == 0) {
                return false;
            }
            return Error{"connection closed by the peer after " + std::to_string(got) + " of " +
                         std::to_string(size) + " octets"};
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            return Error{"reading from the connection failed: " + errno_text(errno)};
        }
        const Clock::time_point idle_deadline = Clock::now() + idle;
        const bool idle_first = idle_deadline < deadline;
        Status ready = wait(POLLIN, idle_first ? idle_deadline : deadline, "waiting for data");
        if (!ready) {
            return Error{ready.message() +
                         (idle_first
                              ? " (nothing received for " + std::to_string(idle.count()) + " ms)"
                              : std::string(" (the overall time limit passed)"))};
        }
    }
    return true;
}

}  // namespace tidal::xfr
