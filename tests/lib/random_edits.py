"""Random record edits for a zone, from a seeded generator, with a model of what the zone must
hold afterwards: `tidalctl record add/del/set` argument lists mixing A, AAAA, TXT, MX (at host
names) and CNAME (at alias names, never beside other data: RFC 1034 §3.6.2).

Each edit is valid for the zone as the model says it is at that moment (deletes name records
that exist, adds never repeat an RR, a CNAME owner gets nothing else), so every edit must
succeed: a failed tidalctl is a failure of the server, not of the generator. The TTL of an
added RR applies to its whole RRset (RFC 2181 §5.2), as tidalctl does.
"""

import random

TTLS = (60, 300, 3600)
HOST_TYPES = ("A", "AAAA", "TXT", "MX")


class ZoneModel:
    """What the edited names hold: {(owner, type): (ttl, [rdata presentation])}."""

    def __init__(self, origin, hosts=40, aliases=10):
        self.origin = origin
        self.hosts = ["h%02d.%s" % (i, origin) for i in range(hosts)]
        self.aliases = ["alias%02d.%s" % (i, origin) for i in range(aliases)]
        self.rrsets = {}

    def names(self):
        return self.hosts + self.aliases

    def master_text(self):
        """The model as master-file lines (absolute names)."""
        lines = []
        for (owner, rtype), (ttl, rdatas) in sorted(self.rrsets.items()):
            for rdata in rdatas:
                lines.append("%s %d IN %s %s" % (owner, ttl, rtype, rdata))
        return "\n".join(lines)


class EditGenerator:
    """next_edit() -> (argv for `tidalctl record ...`, description); the model follows."""

    def __init__(self, model, seed):
        self.model = model
        self.rng = random.Random(seed)
        self.counter = 0

    def _rdata(self, rtype):
        self.counter += 1
        n = self.counter
        if rtype == "A":
            return "198.51.%d.%d" % (n // 250 % 250, n % 250 + 1)
        if rtype == "AAAA":
            return "2001:db8:%x::%x" % (n // 65536, n % 65536 + 1)
        if rtype == "TXT":
            return '"edit %d" "%s"' % (n, self.rng.choice(("alpha", "beta", "two words")))
        if rtype == "MX":
            return "%d mx%d.example.net." % (self.rng.choice((5, 10, 20)), n)
        if rtype == "CNAME":
            return self.rng.choice(self.model.hosts)
        raise ValueError(rtype)

    def _existing(self):
        return sorted(self.model.rrsets)

    def next_edit(self):
        rrsets = self.model.rrsets
        existing = self._existing()
        roll = self.rng.random()
        if not existing or roll < 0.45:
            return self._add()
        if roll < 0.65:
            return self._set()
        if roll < 0.82:
            return self._del_rr(existing)
        if roll < 0.93:
            owner, rtype = self.rng.choice(existing)
            del rrsets[(owner, rtype)]
            return ["del", owner, rtype], "delete RRset %s %s" % (owner, rtype)
        owner = self.rng.choice(existing)[0]
        for key in [k for k in rrsets if k[0] == owner]:
            del rrsets[key]
        return ["del", owner], "delete name %s" % owner

    def _add(self):
        rrsets = self.model.rrsets
        if self.rng.random() < 0.15:
            owner = self.rng.choice(self.model.aliases)
            if (owner, "CNAME") in rrsets:
                return self._set_at(owner, "CNAME")
            rdata = self._rdata("CNAME")
            ttl = self.rng.choice(TTLS)
            rrsets[(owner, "CNAME")] = (ttl, [rdata])
            return ["add", owner, ttl, "CNAME", rdata], "add CNAME at %s" % owner
        owner = self.rng.choice(self.model.hosts)
        rtype = self.rng.choice(HOST_TYPES)
        rdata = self._rdata(rtype)
        if (owner, rtype) in rrsets:
            ttl = rrsets[(owner, rtype)][0] if self.rng.random() < 0.8 else \
                self.rng.choice(TTLS)
            rrsets[(owner, rtype)] = (ttl, rrsets[(owner, rtype)][1] + [rdata])
        else:
            ttl = self.rng.choice(TTLS)
            rrsets[(owner, rtype)] = (ttl, [rdata])
        return ["add", owner, ttl, rtype] + _words(rtype, rdata), "add %s %s" % (owner, rtype)

    def _set(self):
        if self.rng.random() < 0.15:
            return self._set_at(self.rng.choice(self.model.aliases), "CNAME")
        return self._set_at(self.rng.choice(self.model.hosts), self.rng.choice(HOST_TYPES))

    def _set_at(self, owner, rtype):
        rdata = self._rdata(rtype)
        ttl = self.rng.choice(TTLS)
        self.model.rrsets[(owner, rtype)] = (ttl, [rdata])
        return ["set", owner, ttl, rtype] + _words(rtype, rdata), "set %s %s" % (owner, rtype)

    def _del_rr(self, existing):
        owner, rtype = self.rng.choice(existing)
        ttl, rdatas = self.model.rrsets[(owner, rtype)]
        rdata = self.rng.choice(rdatas)
        left = [r for r in rdatas if r != rdata]
        if left:
            self.model.rrsets[(owner, rtype)] = (ttl, left)
        else:
            del self.model.rrsets[(owner, rtype)]
        return ["del", owner, rtype] + _words(rtype, rdata), "delete one %s %s" % (owner, rtype)


def _words(rtype, rdata):
    """RDATA as tidalctl's arguments: one word per field, a TXT string with its quotes."""
    if rtype == "TXT":
        out = []
        rest = rdata
        while rest:
            rest = rest.strip()
            end = rest.index('"', 1)
            out.append(rest[:end + 1])
            rest = rest[end + 1:]
        return out
    return rdata.split()
