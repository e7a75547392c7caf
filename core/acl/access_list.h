// Who may do what: allow-transfer / allow-update / allow-notify lists compiled for matching.
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/config/config_values.h"
#include "core/tsig/tsig_key.h"
#include "core/util/result.h"

namespace tidal::acl {

// The client of a request: its address and the TSIG key its request was validly signed with.
struct Peer {
    const sockaddr* address = nullptr;  // sockaddr_in or sockaddr_in6 (v4-mapped v6 accepted)
    const tsig::Key* key = nullptr;     // nullptr when the request was not signed
};

// An ordered list of rules; a request is allowed when any rule matches. Empty = deny all
// (transfers, updates and notifies are denied unless configured).
class AccessList {
  public:
    // entries: as written in the configuration (remote ids, key names, CIDR prefixes); the
    // configuration loader has already checked that each one resolves.
    static Result<AccessList> compile(const std::vector<std::string>& entries,
                                      const config::Config& config);

    bool allows(const Peer& peer) const;
    bool empty() const { return rules_.empty(); }

  private:
    struct Rule {
        bool match_address = false;
        config::AddressPrefix prefix;  // a remote's address is a /32 or /128 prefix
        std::string key_name_wire;     // required key (empty: none required)
    };
    std::vector<Rule> rules_;
};

}  // namespace tidal::acl
