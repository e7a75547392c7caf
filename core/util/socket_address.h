// Socket addresses as text, for logs and access-list messages.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace tidal {

// "192.0.2.1" or "2001:db8::1" (no port); "" for nullptr or another address family.
std::string address_text(const sockaddr* address);

// The client's IP address in network order into address[0..16) (IPv4 in the first 4 octets, the
// rest zero) and its family into *ipv6. An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2) counts
// as the IPv4 address it carries, so dual-stack sockets group clients as IPv4 ones do. False
// (and nothing set) for nullptr or another family.
bool address_octets(const sockaddr* address, uint8_t* octets, bool* ipv6);

}  // namespace tidal
