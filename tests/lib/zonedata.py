"""The contents of the served zones, read back by AXFR from a reference server (Knot), so the
differential test can generate queries from the data and check additional-section records."""

import collections

from .dig import Dig, parse_rr

NAME_RDATA_TYPES = {"CNAME", "NS", "PTR", "MX", "SRV", "SOA", "DNAME"}


def rdata_key(rtype, rdata):
    """rdata for comparison: names in rdata compare case-insensitively (RFC 4343 §3)."""
    text = " ".join(rdata.split())
    return text.lower() if rtype in NAME_RDATA_TYPES else text


def axfr(port, zone, timeout=60):
    """The zone's RRs by AXFR from 127.0.0.1:port (TCP), SOA listed once."""
    client = Dig(port)
    argv = client.command(zone, "AXFR", opts=[])
    argv = [a for a in argv if a not in ("+comments", "+question", "+authority", "+additional",
                                         "+stats")]
    _, raw = client.run(argv, timeout=timeout)
    rrs = []
    seen_soa = False
    for line in raw.splitlines():
        if not line or line.startswith(";") or line.startswith("$"):
            continue
        rr = parse_rr(line)
        if rr is None:
            continue
        if rr.rtype == "SOA":
            if seen_soa:
                continue
            seen_soa = True
        rrs.append(rr)
    if not seen_soa:
        raise RuntimeError("AXFR of %s from port %d failed:\n%s" % (zone, port, raw[:2000]))
    return rrs


class ZoneData:
    """All RRs of the served zones, indexed by (lowercased) owner and type."""

    def __init__(self, zones_rrs):
        """zones_rrs: {origin: [RR, ...]}"""
        self.zones = {z.lower(): rrs for z, rrs in zones_rrs.items()}
        self.nodes = collections.defaultdict(lambda: collections.defaultdict(list))
        self.owner_case = {}
        for zone, rrs in self.zones.items():
            for rr in rrs:
                owner = rr.owner.lower()
                self.nodes[owner][rr.rtype].append(rr)
                self.owner_case.setdefault(owner, rr.owner)
        self.ents = set()
        for zone, rrs in self.zones.items():
            for rr in rrs:
                labels = rr.owner.lower().split(".")
                for i in range(1, len(labels)):
                    parent = ".".join(labels[i:])
                    if len(parent) < len(zone) or not parent.endswith(zone):
                        break
                    if parent not in self.nodes:
                        self.ents.add(parent)

    @classmethod
    def from_axfr(cls, port, origins):
        return cls({z: axfr(port, z) for z in origins})

    def owners(self):
        return sorted(self.nodes)

    def types_at(self, name):
        return sorted(self.nodes.get(name.lower().rstrip(".") + ".", {}).keys())

    def has_rr(self, owner, rtype, rdata, ttl=None):
        """True if owner/rtype/rdata (with this TTL, if given) is in some served zone."""
        key = rdata_key(rtype, rdata)
        for rr in self.nodes.get(owner.lower().rstrip(".") + ".", {}).get(rtype, []):
            if rdata_key(rtype, rr.rdata) == key and (ttl is None or rr.ttl == ttl):
                return True
        return False

    def wildcards(self):
        return sorted(n for n in self.nodes if n.startswith("*."))

    def cuts(self):
        """Delegation points: owners with NS that are not a zone apex."""
        return sorted(n for n, types in self.nodes.items() if "NS" in types and n not in self.zones)
