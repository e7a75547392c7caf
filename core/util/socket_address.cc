// address_text: inet_ntop for both families; address_octets: the raw address, v4-mapped unwrapped.
#include "core/util/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace tidal {

std::string address_text(const sockaddr* address) {
    char host[INET6_ADDRSTRLEN] = "";
    if (address != nullptr && address->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, host,
                  sizeof host);
    } else if (address != nullptr && address->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, host,
                  sizeof host);
    }
    return host;
}

bool address_octets(const sockaddr* address, uint8_t* octets, bool* ipv6) {
    if (address == nullptr) {
        return false;
    }
    if (address->sa_family == AF_INET) {
        sockaddr_in in;
        std::memcpy(&in, address, sizeof(in));
        std::memset(octets, 0, 16);
        std::memcpy(octets, &in.sin_addr, 4);
        *ipv6 = false;
        return true;
    }
    if (address->sa_family == AF_INET6) {
        sockaddr_in6 in6;
        std::memcpy(&in6, address, sizeof(in6));
        std::memset(octets, 0, 16);
        if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
            std::memcpy(octets, in6.sin6_addr.s6_addr + 12, 4);
            *ipv6 = false;
        } else {
            std::memcpy(octets, in6.sin6_addr.s6_addr, 16);
            *ipv6 = true;
        }
        return true;
    }
    return false;
}

}  // namespace tidal
