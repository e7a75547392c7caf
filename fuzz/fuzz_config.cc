// Fuzz target: the configuration loader (config::parse_config) on the input as YAML. An accepted
// configuration must be one the daemons can use: keys decode, every access list compiles, every
// reference resolves; a refused one must say where.
#include <set>
#include <string>
#include <string_view>

#include "core/acl/access_list.h"
#include "core/config/config.h"
#include "core/dns/name.h"
#include "core/tsig/tsig_key.h"
#include "fuzz/fuzz_support.h"

namespace {

using tidal::fuzz::check;
namespace config = tidal::config;

constexpr char kSource[] = "fuzz.yaml";

void check_list(const std::vector<std::string>& entries, const config::Config& cfg,
                const std::string& what) {
    auto list = tidal::acl::AccessList::compile(entries, cfg);
    check(list.ok(), what + " accepted by the loader but does not compile: " +
                         (list.ok() ? std::string() : list.error().message));
}

void check_accepted(const config::Config& cfg) {
    auto ring = tidal::tsig::KeyRing::from_config(cfg);
    check(ring.ok(), "keys accepted by the loader but unusable: " +
                         (ring.ok() ? std::string() : ring.error().message));
    check(ring.value()->size() == cfg.keys.size(), "key ring size");
    for (const config::TsigKey& key : cfg.keys) {
        check(ring.value()->find(key.name_wire) != nullptr, "key not found by its wire name");
    }
    check(!cfg.database.empty() && !cfg.control.empty(), "empty path accepted");
    check(!cfg.server.listen.empty(), "no listen address");
    check(cfg.server.udp_max_payload >= 512 && cfg.server.udp_max_payload <= 4096,
          "udp-max-payload out of 512..4096");
    check(cfg.server.udp_batch_wait.count() >= 0 && cfg.server.udp_batch_wait.count() <= 1000,
          "udp-batch-wait out of 0..1ms");
    for (const config::Remote& remote : cfg.remotes) {
        check(remote.key.empty() || cfg.find_key(remote.key) != nullptr,
              "remote " + remote.id + " names an unknown key");
        check(cfg.find_remote(remote.id) == &remote, "remote ids not unique: " + remote.id);
    }
    std::set<std::string> apexes;
    for (const config::ZoneConfig& zone : cfg.zones) {
        auto wire = tidal::dns::name_from_text(zone.name);
        check(wire.ok() && tidal::dns::name_lowered(wire.value()) == zone.name_wire,
              "zone name and wire name disagree: " + zone.name);
        check(apexes.insert(zone.name_wire).second, "zone listed twice: " + zone.name);
        check(cfg.find_zone(zone.name_wire) == &zone, "find_zone misses " + zone.name);
        check_list(zone.allow_transfer, cfg, "allow-transfer of " + zone.name);
        check_list(zone.allow_notify, cfg, "allow-notify of " + zone.name);
        check_list(zone.allow_update, cfg, "allow-update of " + zone.name);
        for (const std::string& id : zone.primaries) {
            check(cfg.find_remote(id) != nullptr, "zone " + zone.name + " names unknown primary");
        }
        for (const std::string& id : zone.notify) {
            check(cfg.find_remote(id) != nullptr, "zone " + zone.name + " notifies unknown " + id);
        }
        if (zone.role == config::ZoneRole::Secondary) {
            check(!zone.primaries.empty(), "secondary zone " + zone.name + " without primaries");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tidal::fuzz::quiet_logging();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto cfg = config::parse_config(text, kSource);
    if (!cfg) {
        const std::string& message = cfg.error().message;
        check(message.rfind(kSource, 0) == 0, "an error that does not name the file: " + message);
        return 0;
    }
    check(cfg->source == kSource, "source not kept");
    check_accepted(cfg.value());
    return 0;
}
