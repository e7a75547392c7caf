// AccessList: a remote id means "from its address, signed with its key if it has one"; a key
// name means "signed with that key, from anywhere"; a prefix means "from inside it".
#include "core/acl/access_list.h"

#include <netinet/in.h>

#include <array>
#include <cstring>
#include <span>

#include "core/dns/name.h"

namespace tidal::acl {

namespace {

Result<std::string> key_wire(const config::Config& config, const std::string& name) {
    const config::TsigKey* key = config.find_key(name);
    if (key == nullptr) {
        return Error{"unknown key '" + name + "'"};
    }
    return key->name_wire;
}

}  // namespace

Result<AccessList> AccessList::compile(const std::vector<std::string>& entries,
                                       const config::Config& config) {
    AccessList list;
    for (const std::string& entry : entries) {
        Rule rule;
        if (const config::Remote* remote = config.find_remote(entry)) {
            auto prefix = config::parse_prefix(remote->address.host +
                                               (remote->address.ipv6 ? "/128" : "/32"));
            if (!prefix) {
                return Error{"remote " + entry + ": " + prefix.error().message};
            }
            rule.match_address = true;
            rule.prefix = prefix.value();
            if (!remote->key.empty()) {
                auto key = key_wire(config, remote->key);
                if (!key) {
                    return Error{"remote " + entry + ": " + key.error().message};
                }
                rule.key_name_wire = key.value();
            }
        } else if (config.find_key(entry) != nullptr) {
            rule.key_name_wire = key_wire(config, entry).value();
        } else {
            auto prefix = config::parse_prefix(entry);
            if (!prefix) {
                return Error{"'" + entry + "' is not a remote id, a key name or a CIDR prefix"};
            }
            rule.match_address = true;
            rule.prefix = prefix.value();
        }
        list.rules_.push_back(std::move(rule));
    }
    return list;
}

bool AccessList::allows(const Peer& peer) const {
    std::array<uint8_t, 16> bytes{};
    size_t size = 0;
    if (peer.address != nullptr && peer.address->sa_family == AF_INET) {
        const auto* in4 = reinterpret_cast<const sockaddr_in*>(peer.address);
        std::memcpy(bytes.data(), &in4->sin_addr, 4);
        size = 4;
    } else if (peer.address != nullptr && peer.address->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(peer.address);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            std::memcpy(bytes.data(), in6->sin6_addr.s6_addr + 12, 4);
            size = 4;
        } else {
            std::memcpy(bytes.data(), in6->sin6_addr.s6_addr, 16);
            size = 16;
        }
    }
    for (const Rule& rule : rules_) {
        if (rule.match_address &&
            (size == 0 || !config::prefix_contains(rule.prefix, std::span(bytes.data(), size)))) {
            continue;
        }
        if (!rule.key_name_wire.empty() &&
            (peer.key == nullptr || peer.key->name_wire != rule.key_name_wire)) {
            continue;
        }
        return true;
    }
    return false;
}

}  // namespace tidal::acl
