// Socket addresses as text, for logs and access-list messages.
#pragma once

#include <sys/socket.h>

#include <string>

namespace tidal {

// "192.0.2.1" or "2001:db8::1" (no port); "" for nullptr or another address family.
std::string address_text(const sockaddr* address);

}  // namespace tidal
