// tidalctl --server: the UPDATE exchange over TCP (RFC 7766 framing), zone discovery by an SOA
// query, and the messages an editor sees.
#include "tools/remote_update.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netdb.h>
#include <sys/socket.h>

#include <ctime>
#include <iostream>
#include <memory>
#include <vector>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/update/update_builder.h"
#include "core/xfr/client_message.h"

namespace tidal::ctl {

namespace {

uint64_t unix_now() {
    return static_cast<uint64_t>(std::time(nullptr));
}

// "192.0.2.1:53", "[2001:db8::1]:53", "ns1.example.net:5353", "192.0.2.1" -> host and port.
Result<xfr::Endpoint> parse_server(const std::string& text) {
    std::string host = text;
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string::npos) {
            return Error{"--server '" + text + "': missing ']'"};
        }
        host = text.substr(1, close - 1);
        if (close + 1 < text.size()) {
            if (text[close + 1] != ':') {
                return Error{"--server '" + text + "': expected ':PORT' after ']'"};
            }
            port_text = text.substr(close + 2);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        const size_t colon = text.find(':');
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    if (host.empty()) {
        return Error{"--server '" + text + "': no host"};
    }
    xfr::Endpoint endpoint;
    if (!port_text.empty()) {
        char* end = nullptr;
        const unsigned long port = std::strtoul(port_text.c_str(), &end, 10);
        if (*end != '\0' || port == 0 || port > 65535) {
            return Error{"--server '" + text + "': bad port '" + port_text + "'"};
        }
        endpoint.port = static_cast<uint16_t>(port);
    }
    // A host name is resolved once, here; ClientSocket takes numeric addresses.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
        return Error{"--server '" + text + "': cannot resolve " + host + ": " + gai_strerror(rc)};
    }
    char numeric[NI_MAXHOST];
    const int named = getnameinfo(found->ai_addr, found->ai_addrlen, numeric, sizeof numeric,
                                  nullptr, 0, NI_NUMERICHOST);
    freeaddrinfo(found);
    if (named != 0) {
        return Error{"--server '" + text + "': " + gai_strerror(named)};
    }
    endpoint.address = numeric;
    return endpoint;
}

// One request and its answer over a fresh TCP connection (RFC 7766 §8: two-octet length).
Result<std::vector<uint8_t>> exchange_tcp(const RemoteTarget& target,
                                          const std::vector<uint8_t>& request) {
    const auto deadline = xfr::Clock::now() + target.timeout;
    auto socket = xfr::ClientSocket::connect_tcp(target.endpoint, deadline);
    if (!socket) {
        return socket.error();
    }
    std::vector<uint8_t> framed;
    framed.reserve(request.size() + 2);
    framed.push_back(static_cast<uint8_t>(request.size() >> 8));
    framed.push_back(static_cast<uint8_t>(request.size()));
    framed.insert(framed.end(), request.begin(), request.end());
    Status sent = socket->send_all(framed.data(), framed.size(), deadline);
    if (!sent) {
        return sent.error();
    }
    uint8_t length[2];
    auto got = socket->read_exact(length, 2, target.timeout, deadline);
    if (!got) {
        return got.error();
    }
    if (!got.value()) {
        return Error{"the server closed the connection without answering"};
    }
    std::vector<uint8_t> answer(static_cast<size_t>((length[0] << 8) | length[1]));
    got = socket->read_exact(answer.data(), answer.size(), target.timeout, deadline);
    if (!got) {
        return got.error();
    }
    if (!got.value()) {
        return Error{"the server closed the connection in the middle of its answer"};
    }
    return answer;
}

struct PacketDeleter {
    void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};

std::string owner_of(const ldns_rr* rr) {
    const ldns_rdf* owner = ldns_rr_owner(rr);
    return dns::name_lowered(
        std::string(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner)));
}

// The owner of the first SOA in list that is owner or one of its ancestors.
std::optional<std::string> soa_owner(const ldns_rr_list* list, std::string_view owner) {
    const size_t count = list != nullptr ? ldns_rr_list_rr_count(list) : 0;
    for (size_t i = 0; i < count; ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(list, i);
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA) {
            continue;
        }
        std::string name = owner_of(rr);
        if (dns::name_is_subdomain(owner, name)) {
            return name;
        }
    }
    return std::nullopt;
}

}  // namespace

Result<RemoteTarget> remote_target(const Context& ctx) {
    RemoteTarget target;
    target.server_text = ctx.server;
    auto endpoint = parse_server(ctx.server);
    if (!endpoint) {
        return endpoint.error();
    }
    target.endpoint = std::move(endpoint.value());
    if (!(ctx.timeout_s > 0 && ctx.timeout_s <= 3600)) {
        return Error{"--timeout must be between 0 and 3600 seconds"};
    }
    target.timeout = std::chrono::milliseconds(static_cast<int64_t>(ctx.timeout_s * 1000));
    if (ctx.key.empty()) {
        return target;
    }
    if (ctx.key.find(':') != std::string::npos) {
        auto key = tsig::key_from_spec(ctx.key);
        if (!key) {
            return Error{"--key: " + key.error().message};
        }
        target.key = std::move(key.value());
        return target;
    }
    // A key name: its algorithm and secret come from the configuration file.
    auto config = load_config(ctx);
    if (!config) {
        return Error{"--key " + ctx.key + " names a key of the configuration file, which " +
                     "cannot be read: " + config.error().message};
    }
    auto ring = tsig::KeyRing::from_config(config.value());
    if (!ring) {
        return ring.error();
    }
    const tsig::Key* key = ring.value()->find_configured(ctx.key);
    if (key == nullptr) {
        return Error{"--key: no key named '" + ctx.key + "' in " + ctx.config_path +
                     " (give NAME:ALGORITHM:SECRET or a configured key name)"};
    }
    target.key = *key;
    return target;
}

Result<std::string> discover_zone(const RemoteTarget& target, std::string_view owner) {
    auto request = xfr::build_request(owner, dns::rrtype::SOA, std::nullopt, nullptr, unix_now());
    if (!request) {
        return request.error();
    }
    const std::string where = "finding the zone of " + dns::name_to_text(owner) + " at " +
                              target.server_text + " (or give --zone)";
    auto answer = exchange_tcp(target, request->wire);
    if (!answer) {
        return Error{where + ": " + answer.error().message};
    }
    ldns_pkt* raw = nullptr;
    const ldns_status status = ldns_wire2pkt(&raw, answer->data(), answer->size());
    std::unique_ptr<ldns_pkt, PacketDeleter> pkt(raw);
    if (status != LDNS_STATUS_OK) {
        return Error{where + ": malformed answer: " + ldns_get_errorstr_by_id(status)};
    }
    const auto rcode = static_cast<uint16_t>(ldns_pkt_get_rcode(pkt.get()));
    if (ldns_pkt_id(pkt.get()) != request->id) {
        return Error{where + ": the answer has another ID"};
    }
    if (rcode != dns::rcode::NOERROR && rcode != dns::rcode::NXDOMAIN) {
        return Error{where + ": the server answered " + xfr::rcode_text(rcode)};
    }
    if (auto zone = soa_owner(ldns_pkt_answer(pkt.get()), owner)) {
        return *zone;
    }
    if (auto zone = soa_owner(ldns_pkt_authority(pkt.get()), owner)) {
        return *zone;
    }
    return Error{where + ": the answer holds no SOA (is the server authoritative for it?)"};
}

int send_update(const RemoteTarget& target, const zone::EditScript& script) {
    const tsig::Key* key = target.key ? &*target.key : nullptr;
    auto request = update::build_update(script, key, unix_now());
    if (!request) {
        return fail(kExitUsage, request.error().message);
    }
    auto wire = exchange_tcp(target, request->wire);
    if (!wire) {
        return fail(kExitFailure,
                    "UPDATE to " + target.server_text + " failed: " + wire.error().message);
    }
    auto answer =
        update::read_update_answer(wire->data(), wire->size(), request.value(), key, unix_now());
    if (!answer) {
        return fail(kExitFailure, "UPDATE to " + target.server_text +
                                      ": unusable answer: " + answer.error().message);
    }
    const std::string zone_text = dns::name_to_text(script.zone);
    if (answer->rcode != dns::rcode::NOERROR) {
        std::string why = answer->tsig_error != 0
                              ? "TSIG error " + xfr::tsig_error_text(answer->tsig_error)
                              : update::update_rcode_meaning(answer->rcode);
        if (!answer->extended_error.empty()) {
            why += "; server says " + answer->extended_error;
        }
        if (key == nullptr && answer->rcode == dns::rcode::REFUSED) {
            why += "; the UPDATE was not signed: give --key";
        }
        return fail(kExitFailure, "UPDATE refused by " + target.server_text + ": " +
                                      xfr::rcode_text(answer->rcode) + " (" + why + ")");
    }
    if (key != nullptr && !answer->verified) {
        return fail(kExitFailure, "UPDATE to " + target.server_text +
                                      ": the server answered NOERROR, but its answer's TSIG " +
                                      "does not verify (" + answer->signature_problem +
                                      "); the zone may or may not have changed");
    }
    std::cout << "zone " << zone_text << ": update accepted by " << target.server_text << '\n';
    return kExitOk;
}

}  // namespace tidal::ctl
