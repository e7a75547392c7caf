"""One interface over the three servers a replication test runs (Knot, BIND, Tidal), so the
same scenario can run Tidal → Knot, Knot → Tidal, Knot → BIND, ...

A Peer wraps a started runner (KnotServer, BindServer, TidalServer) and the TSIG key tests
use to read its zones. It can: tell the serial it serves; give a zone's contents as a set of
canonical RRs (AXFR with the key for Knot and BIND, `tidalctl zone export` for Tidal); apply
edits on a primary (knotc zone-begin/zone-set/zone-commit, nsupdate, tidalctl record); ask a
secondary to refresh now (knotc zone-refresh, rndc refresh); and read its own log for the
evidence that a transfer was incremental, in the words each server actually logs.

Edits are neutral tuples:
    ("add", owner, ttl, type, rdata)     one RR
    ("set", owner, ttl, type, rdata)     the RRset at owner/type replaced by this one RR
    ("del", owner, type)                 the RRset at owner/type removed
    ("del", owner, type, rdata)          one RR removed
"""

import re

from . import transfer


class Peer:
    kind = "?"
    sends_notify = True     # a primary NOTIFYs its secondaries after each change
    can_refresh = True      # a secondary can be told to check its primary now

    def __init__(self, server, key):
        self.server = server
        self.key = key

    @property
    def port(self):
        return self.server.port

    @property
    def label(self):
        return "%s (port %s)" % (self.kind, self.port)

    def serial(self, zone):
        return transfer.soa_serial(self.port, zone)

    def contents(self, zone):
        """The zone's RRs as canonical RRs (transfer.canonical_rrs)."""
        xfr = transfer.axfr(self.port, zone, self.key)
        if not xfr.complete:
            raise AssertionError("AXFR of %s from %s failed:\n%s" % (zone, self.label,
                                                                     xfr.describe()))
        return transfer.canonical_rrs(zone, "\n".join(xfr.zone_lines()))

    def apply(self, zone, edits):
        raise NotImplementedError

    def refresh(self, zone):
        raise NotImplementedError

    def log_mark(self):
        return self.server.log_mark()

    def log_since(self, mark):
        return self.server.log_since(mark)

    def ixfr_in(self, text, zone):
        """(True, line) when text (this secondary's log) shows an incremental transfer of zone
        coming in and no full one; (False, why) otherwise."""
        raise NotImplementedError

    def ixfr_out(self, text, zone):
        """Same, as this primary logs transfers it serves."""
        raise NotImplementedError


def _zone_lines(text, marker):
    return [l for l in text.splitlines() if marker in l]


class KnotPeer(Peer):
    kind = "knot"

    def apply(self, zone, edits):
        changes = []
        for e in edits:
            op, owner = e[0], e[1]
            if op == "add":
                changes.append(("set", owner, e[2], e[3], e[4]))
            elif op == "set":
                changes.append(("unset", owner, e[3]))
                changes.append(("set", owner, e[2], e[3], e[4]))
            elif op == "del":
                changes.append(("unset",) + tuple(e[1:]))
            else:
                raise ValueError("unknown edit %r" % (e,))
        self.server.edit(zone, changes)

    def refresh(self, zone):
        done = self.server.refresh(zone)
        return done.returncode == 0

    # Knot 3.2: "[example.test.] IXFR, incoming, remote 127.0.0.1@5300, finished, ..."; an
    # AXFR-style answer is logged as "... receiving AXFR-style IXFR" and then as AXFR.
    def ixfr_in(self, text, zone):
        lines = _zone_lines(text, "[%s]" % zone)
        full = [l for l in lines if "AXFR, incoming" in l or "AXFR-style" in l]
        done = [l for l in lines if "IXFR, incoming" in l and "finished" in l]
        if full:
            return False, "Knot received a full zone: " + full[0]
        if not done:
            return False, "Knot logged no finished incoming IXFR for %s" % zone
        return True, done[-1]

    # "[example.test.] IXFR, outgoing, remote 127.0.0.1@40000, started, serial 1 -> 2";
    # a fallback is logged as "..., incomplete history, fallback to AXFR" then AXFR lines.
    def ixfr_out(self, text, zone):
        lines = _zone_lines(text, "[%s]" % zone)
        full = [l for l in lines if "AXFR, outgoing" in l or "fallback to AXFR" in l]
        started = [l for l in lines if "IXFR, outgoing" in l and "started" in l]
        if full:
            return False, "Knot served a full zone: " + full[0]
        if not started:
            return False, "Knot logged no outgoing IXFR for %s" % zone
        return True, started[-1]


class BindPeer(Peer):
    kind = "bind"

    def apply(self, zone, edits):
        lines = []
        for e in edits:
            op, owner = e[0], e[1]
            if op == "add":
                lines.append("update add %s %s %s %s" % (owner, e[2], e[3], e[4]))
            elif op == "set":
                lines.append("update delete %s %s" % (owner, e[3]))
                lines.append("update add %s %s %s %s" % (owner, e[2], e[3], e[4]))
            elif op == "del":
                lines.append("update delete %s" % " ".join(str(x) for x in e[1:]))
            else:
                raise ValueError("unknown edit %r" % (e,))
        self.server.update(zone, self.key, lines)

    def refresh(self, zone):
        done = self.server.rndc("refresh", zone.rstrip("."))
        return done.returncode == 0

    # BIND 9.18 says which kind of answer it got only at debug level 3 (BindServer
    # debug_level=3): "transfer of 'example.test/IN' from ...: got incremental response",
    # or "got nonincremental response" for a full zone (AXFR, or AXFR-style IXFR).
    def ixfr_in(self, text, zone):
        lines = _zone_lines(text, "'%s/IN'" % zone.rstrip("."))
        full = [l for l in lines if "got nonincremental response" in l]
        inc = [l for l in lines if "got incremental response" in l]
        if full:
            return False, "BIND received a full zone: " + full[0]
        if not inc:
            return False, "BIND logged no incremental response for %s (it says so only at " \
                          "debug level 3: BindServer(debug_level=3))" % zone
        return True, inc[-1]

    # "transfer of 'example.test/IN': IXFR started: TSIG k (serial 1 -> 2)"; a fallback is
    # "IXFR version not in journal, falling back to AXFR" and "AXFR-style IXFR started".
    def ixfr_out(self, text, zone):
        lines = _zone_lines(text, "'%s/IN'" % zone.rstrip("."))
        full = [l for l in lines if "AXFR started" in l or "AXFR-style IXFR started" in l or
                "falling back to AXFR" in l]
        started = [l for l in lines if re.search(r"\bIXFR started", l) and "AXFR-style" not in l]
        if full:
            return False, "BIND served a full zone: " + full[0]
        if not started:
            return False, "BIND logged no outgoing IXFR for %s" % zone
        return True, started[-1]


class TidalPeer(Peer):
    """Tidal: edits with tidalctl record (each its own atomic change and serial), contents
    from tidalctl zone export. NOTIFY comes from tidal-sync, so only when it runs."""

    kind = "tidal"
    can_refresh = False

    def __init__(self, server, key, sends_notify):
        super().__init__(server, key)
        self.sends_notify = sends_notify

    def contents(self, zone):
        return transfer.canonical_rrs(zone, self.server.export(zone))

    def apply(self, zone, edits):
        serial = None
        for e in edits:
            op = e[0]
            if op in ("add", "set"):
                serial = self.server.record(op, e[1], e[2], e[3], e[4])
            elif op == "del":
                serial = self.server.record("del", *e[1:])
            else:
                raise ValueError("unknown edit %r" % (e,))
        if serial is not None:
            self.server.wait_serial(zone, serial)

    def refresh(self, zone):
        return False  # tidalctl has no refresh command: a Tidal secondary acts on NOTIFY

    def ixfr_in(self, text, zone):
        return False, "Tidal's log is not used as evidence (the peer's is)"

    def ixfr_out(self, text, zone):
        return False, "Tidal's log is not used as evidence (the peer's is)"
