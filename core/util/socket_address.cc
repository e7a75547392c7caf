// address_text: inet_ntop for both families.
#include "core/util/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

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

}  // namespace tidal
