"""Zone transfers and zone contents as the replication tests see them: SOA serials (RFC 1982
comparison), AXFR/IXFR with dig (optionally TSIG-signed), and zone contents as sets of RRs
so two servers' copies can be compared whatever text format each prints.

Every copy goes through the same canonical form before comparison: the RRs are written to a
master file and read back by BIND's named-compilezone (`-s full`: one RR per line, absolute
names, one renderer for every RR type), then owner names and the names inside RDATA are
lowercased (RFC 4343: case does not matter for equality).
"""

import collections
import os
import subprocess
import tempfile

from . import paths, process
from .dig import Dig, parse, parse_rr
from .zonedata import rdata_key

CanonicalRR = collections.namedtuple("CanonicalRR", "owner ttl rclass rtype rdata")


# --- serials ---------------------------------------------------------------------------

def serial_gt(a, b):
    """RFC 1982 §3.2: a is greater than b in 32-bit serial number arithmetic."""
    return a != b and ((a < b and b - a > 2 ** 31) or (a > b and a - b < 2 ** 31))


def serial_ge(a, b):
    return a == b or serial_gt(a, b)


def soa(port, zone, key=None):
    """The zone's SOA as an RR from 127.0.0.1:port (no recursion, UDP), or None when there
    is no authoritative NOERROR answer with an SOA."""
    opts = ["+norec", "+time=1", "+tries=1"]
    if key is not None:
        opts += ["-y", key.dig_arg()]
    r = Dig(port).query(zone, "SOA", opts=opts, timeout=10)
    if r is None or r.rcode != "NOERROR":
        return None
    soas = [rr for rr in r.answer if rr.rtype == "SOA"]
    return soas[0] if soas else None


def soa_serial(port, zone):
    """The SOA serial served on port for zone, or None."""
    rr = soa(port, zone)
    if rr is None:
        return None
    try:
        return int(rr.rdata.split()[2])
    except (IndexError, ValueError):
        return None


def wait_for_serial(port, zone, serial, timeout, interval=0.1):
    """Polls (bounded by timeout seconds) until the server on port serves serial or a later
    one (RFC 1982). Returns the serial last seen (None if never answered)."""
    seen = [None]

    def reached():
        seen[0] = soa_serial(port, zone)
        return seen[0] is not None and serial_ge(seen[0], serial)

    process.wait_until(reached, timeout, interval)
    return seen[0]


# --- transfers -------------------------------------------------------------------------

class Transfer:
    """What dig printed for an AXFR or IXFR: the RR lines in order, the raw output, and
    whether it looked complete (starts and ends with an SOA, no failure line)."""

    def __init__(self, argv, raw):
        self.argv = argv
        self.raw = raw
        self.lines = []
        self.rrs = []
        self.failure = None
        headers = parse(raw)
        # The rcode of the first message, when dig printed one (it does for errors).
        self.rcode = headers[0].rcode if headers else None
        for line in raw.splitlines():
            text = line.strip()
            if not text:
                continue
            if text.startswith(";"):
                low = text.lower()
                if self.failure is None and ("transfer failed" in low or "couldn't" in low or
                                             "tsig" in low and ("fail" in low or "error" in low)
                                             or "communications error" in low or
                                             "connection refused" in low or "timed out" in low):
                    self.failure = text
                continue
            if text.startswith("$"):
                continue
            rr = parse_rr(text)
            if rr is None:
                continue
            self.lines.append(text)
            self.rrs.append(rr)

    @property
    def complete(self):
        return self.failure is None and len(self.rrs) >= 2 and self.rrs[0].rtype == "SOA" and \
            self.rrs[-1].rtype == "SOA"

    def serial(self):
        """The serial of the first SOA (the server's current serial), or None."""
        if not self.rrs or self.rrs[0].rtype != "SOA":
            return None
        return int(self.rrs[0].rdata.split()[2])

    def zone_lines(self):
        """For an AXFR: the RR lines without the closing SOA (RFC 5936 §2.2)."""
        if not self.complete:
            raise AssertionError("incomplete transfer:\n%s" % self.describe())
        return self.lines[:-1]

    def is_incremental(self):
        """RFC 1995 §4: an incremental reply has, right after the new SOA, the SOA of the
        serial the client asked from; an AXFR-style reply goes on with the zone's other RRs
        and has only the two SOAs that frame it."""
        return self.complete and len(self.rrs) >= 4 and self.rrs[1].rtype == "SOA"

    def is_single_soa(self):
        """RFC 1995 §2: the reply to a client that is up to date is the SOA alone."""
        return self.failure is None and len(self.rrs) == 1 and self.rrs[0].rtype == "SOA"

    def refused(self):
        """Nothing of the zone was handed out: no RR at all in the output, and the transfer
        did not complete."""
        return not self.rrs and not self.complete

    def describe(self, limit=4000):
        return "$ %s\n%s" % (" ".join(self.argv), self.raw[:limit])


def _transfer(port, zone, qtype, key=None, timeout=60, extra=()):
    argv = [paths.dig(), "@127.0.0.1", "-p", str(port), "+noall", "+comments", "+answer",
            "+time=5", "+tries=1"] + list(extra)
    if key is not None:
        argv += ["-y", key.dig_arg()]
    argv += [zone, qtype]
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        raw = done.stdout
    except subprocess.TimeoutExpired as e:
        raw = (e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")) + \
            "\n; (timed out after %s s)\n" % timeout
    return Transfer(argv, raw)


def axfr(port, zone, key=None, timeout=60):
    """AXFR of zone from 127.0.0.1:port over TCP (signed with key if given)."""
    return _transfer(port, zone, "AXFR", key, timeout)


def ixfr(port, zone, serial, key=None, timeout=60):
    """IXFR of zone from serial (RFC 1995) over TCP (signed with key if given)."""
    return _transfer(port, zone, "IXFR=%d" % serial, key, timeout)


def query_with_key(port, zone, rtype, key=None, opts=()):
    """A dig query (TCP for AXFR-like types is the caller's business) returning all the
    parsed responses and the raw text, to look at rcodes and TSIG errors."""
    argv = [paths.dig(), "@127.0.0.1", "-p", str(port), "+time=5", "+tries=1"] + list(opts)
    if key is not None:
        argv += ["-y", key.dig_arg()]
    argv += [zone, rtype]
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    return parse(done.stdout), "$ %s\n%s" % (" ".join(argv), done.stdout)


# --- contents --------------------------------------------------------------------------

def canonical_rrs(origin, text, workdir=None):
    """The RRs of a master file text (absolute or relative to origin) as a set of
    CanonicalRR, via named-compilezone. Raises with its output when BIND cannot read it."""
    origin = origin if origin.endswith(".") else origin + "."
    with tempfile.TemporaryDirectory(prefix="tidal-canon-", dir=workdir) as tmp:
        src = os.path.join(tmp, "in.zone")
        out = os.path.join(tmp, "out.zone")
        with open(src, "w") as f:
            f.write("$ORIGIN %s\n%s\n" % (origin, text))
        argv = [paths.named_compilezone(), "-q", "-i", "none", "-k", "ignore", "-n", "ignore",
                "-m", "ignore", "-r", "ignore", "-M", "ignore", "-S", "ignore", "-T", "ignore",
                "-W", "ignore", "-f", "text", "-F", "text", "-s", "full", "-o", out, origin, src]
        done = process.run(argv, timeout=120)
        if done.returncode != 0:
            raise RuntimeError("named-compilezone could not read the zone %s (exit %d):\n%s%s"
                               % (origin, done.returncode, done.stdout, done.stderr))
        with open(out) as f:
            lines = f.read().splitlines()
    result = set()
    for line in lines:
        if not line.strip() or line.startswith(";") or line.startswith("$"):
            continue
        rr = parse_rr(line)
        if rr is None:
            raise RuntimeError("unexpected line from named-compilezone: %r" % line)
        result.add(CanonicalRR(rr.owner.lower(), rr.ttl, rr.rclass, rr.rtype,
                               rdata_key(rr.rtype, rr.rdata)))
    return result


def describe_difference(a, b, name_a="a", name_b="b", limit=40):
    """Text listing the RRs only in a and only in b (at most limit of each), or "" if equal."""
    only_a = sorted(a - b)
    only_b = sorted(b - a)
    if not only_a and not only_b:
        return ""
    out = ["%d RRs only in %s, %d only in %s" % (len(only_a), name_a, len(only_b), name_b)]
    for label, rrs in ((name_a, only_a), (name_b, only_b)):
        for rr in rrs[:limit]:
            out.append("  only in %s: %s %d %s %s %s" % (label, rr.owner, rr.ttl, rr.rclass,
                                                         rr.rtype, rr.rdata))
        if len(rrs) > limit:
            out.append("  ... %d more only in %s" % (len(rrs) - limit, label))
    return "\n".join(out)
