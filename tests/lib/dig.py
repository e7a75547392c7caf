"""Runs dig (BIND 9.18) and kdig (Knot 3.2) against a server and parses their text output.

Both clients print a header line, a flags line, an optional OPT/EDNS pseudo-section and the
sections as presentation-format RRs; the parser turns each answer into a Response. Timeouts
and transport errors give None (or an empty list).
"""

import collections
import re
import subprocess

from . import paths

RR = collections.namedtuple("RR", "owner ttl rclass rtype rdata")
Question = collections.namedtuple("Question", "name rclass rtype")


class Response:
    """One DNS response as the client printed it."""

    def __init__(self):
        self.opcode = None      # "QUERY", "NOTIFY", "RESERVED3", ...
        self.rcode = None       # "NOERROR", "NXDOMAIN", "BADVERS", ... (extended rcode applied)
        self.id = None
        self.flags = set()      # {"qr", "aa", "tc", "rd", "ra", "ad", "cd"}
        self.counts = {}        # {"QUERY": n, "ANSWER": n, "AUTHORITY": n, "ADDITIONAL": n}
        self.edns = None        # None without OPT, else {"version", "udp", "flags", "options"}
        self.question = []
        self.answer = []
        self.authority = []
        self.additional = []    # without the OPT pseudo-RR (see edns)
        self.size = None        # octets received, when the client printed it
        self.transport = None   # "UDP"/"TCP" when printed (kdig)
        self.warnings = []      # client warnings about this message (malformed, mismatch, ...)
        self.text = ""

    def section(self, name):
        return {"answer": self.answer, "authority": self.authority,
                "additional": self.additional}[name]

    def rrs(self, section, rtype=None, owner=None):
        """RRs of a section, optionally only one type and/or owner (case-insensitive)."""
        out = []
        for rr in self.section(section):
            if rtype is not None and rr.rtype != rtype.upper():
                continue
            if owner is not None and not same_name(rr.owner, owner):
                continue
            out.append(rr)
        return out

    def rdatas(self, section, rtype=None, owner=None):
        return sorted(rr.rdata for rr in self.rrs(section, rtype, owner))

    def __repr__(self):
        return "<Response %s %s %s>" % (self.rcode, " ".join(sorted(self.flags)), self.question)

    def __str__(self):
        return self.text


def same_name(a, b):
    """DNS names compare case-insensitively (RFC 4343); a trailing dot is implied."""
    return a.rstrip(".").lower() == b.rstrip(".").lower()


_DIG_HEADER = re.compile(r"^;; ->>HEADER<<- opcode: (\S+?)[,;] status: (\S+?)[,;] id: (\d+)")
_DIG_FLAGS = re.compile(r"^;; [Ff]lags:([^;]*);\s*QUERY: (\d+)[,;] ANSWER: (\d+)[,;] "
                        r"AUTHORITY: (\d+)[,;] ADDITIONAL: (\d+)")
_DIG_EDNS = re.compile(r"^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)")
_KDIG_EDNS = re.compile(r"^;; Version: (\d+); flags:([^;]*); UDP size: (\d+) B")
_SECTION = re.compile(r"^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:")
_DIG_SIZE = re.compile(r"^;; MSG SIZE\s+rcvd: (\d+)")
_KDIG_SIZE = re.compile(r"^;; Received (\d+) B")
_KDIG_FROM = re.compile(r"^;; From \S+\((UDP|TCP)\)")
_TRAILER = re.compile(r"^;; (Query time|SERVER|WHEN|MSG SIZE|Time|From|Received)\b")


def _normalise_rdata(text):
    return " ".join(text.split())


def parse_rr(line):
    """One presentation-format RR line (owner TTL class type rdata) as an RR, or None."""
    parts = line.split(None, 4)
    if len(parts) < 4:
        return None
    owner, ttl, rclass, rtype = parts[:4]
    rdata = parts[4] if len(parts) > 4 else ""
    try:
        ttl = int(ttl)
    except ValueError:
        return None
    return RR(owner, ttl, rclass.upper(), rtype.upper(), _normalise_rdata(rdata))


def parse(text):
    """Parses dig or kdig output into a list of Responses, in the order printed."""
    responses = []
    cur = None
    section = None
    for raw in text.splitlines():
        line = raw.rstrip()
        m = _DIG_HEADER.match(line)
        if m:
            cur = Response()
            responses.append(cur)
            cur.opcode, cur.rcode, cur.id = m.group(1), m.group(2), int(m.group(3))
            section = None
            cur.text = ""
        if cur is None:
            continue
        cur.text += raw + "\n"
        if m:
            continue
        m = _DIG_FLAGS.match(line)
        if m:
            cur.flags = set(m.group(1).split())
            cur.counts = dict(zip(("QUERY", "ANSWER", "AUTHORITY", "ADDITIONAL"),
                                  (int(g) for g in m.groups()[1:])))
            continue
        m = _DIG_EDNS.match(line) or _KDIG_EDNS.match(line)
        if m:
            cur.edns = {"version": int(m.group(1)), "flags": set(m.group(2).split()),
                        "udp": int(m.group(3)), "options": []}
            continue
        if line.startswith(";; OPT PSEUDOSECTION") or line.startswith(";; EDNS PSEUDOSECTION"):
            section = "opt"
            continue
        m = _SECTION.match(line)
        if m:
            section = m.group(1).lower()
            continue
        if _TRAILER.match(line):
            section = None
            m = _DIG_SIZE.match(line) or _KDIG_SIZE.match(line)
            if m:
                cur.size = int(m.group(1))
            m = _KDIG_FROM.match(line)
            if m:
                cur.transport = m.group(1)
            continue
        if not line.strip():
            continue
        if section == "opt" and line.startswith(";") and cur.edns is not None:
            cur.edns["options"].append(line.lstrip("; "))
            continue
        if section == "question" and line.startswith(";"):
            parts = line.lstrip(";").split()
            if len(parts) >= 3:
                cur.question.append(Question(parts[0], parts[1].upper(), parts[2].upper()))
            elif len(parts) == 2:  # dig omits nothing, kdig neither; be lenient
                cur.question.append(Question(parts[0], "IN", parts[1].upper()))
            continue
        if line.startswith(";"):
            low = line.lower()
            if "warning" in low or "mismatch" in low or "malformed" in low or "error" in low:
                if "recursion requested but not available" not in low:
                    cur.warnings.append(line)
            continue
        if section in ("answer", "authority", "additional"):
            rr = parse_rr(line)
            if rr is not None:
                getattr(cur, section).append(rr)
    return responses


class Dig:
    """A client bound to one server: query() runs dig (or kdig) once and parses the answer.

    By default dig is asked not to fall back to TCP on TC (+ignore) so tests see truncation,
    and to try once with a 2 s timeout.
    """

    DIG_DEFAULTS = ["+noall", "+comments", "+question", "+answer", "+authority",
                    "+additional", "+stats", "+ignore", "+time=2", "+tries=2"]
    KDIG_DEFAULTS = ["+ignore", "+timeout=2", "+retry=1"]

    def __init__(self, port, server="127.0.0.1", tool="dig"):
        self.port = port
        self.server = server
        self.tool = tool

    def command(self, name, rtype="A", rclass=None, opts=()):
        if self.tool == "kdig":
            argv = [paths.kdig(), "@" + self.server, "-p", str(self.port)]
            argv += self.KDIG_DEFAULTS
        else:
            argv = [paths.dig(), "@" + self.server, "-p", str(self.port)]
            argv += self.DIG_DEFAULTS
        argv += list(opts)
        if rclass:
            argv += ["-c", rclass]
        argv += ["-q", name, "-t", rtype]
        return argv

    def query(self, name, rtype="A", rclass=None, opts=(), timeout=30):
        """The (last) response printed for one query, or None on timeout/error."""
        responses, _ = self.query_all(name, rtype, rclass, opts, timeout)
        return responses[-1] if responses else None

    def query_all(self, name, rtype="A", rclass=None, opts=(), timeout=30):
        """All responses printed for one invocation, and the raw output."""
        argv = self.command(name, rtype, rclass, opts)
        return self.run(argv, timeout)

    def run(self, argv, timeout=30):
        try:
            done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            return [], "$ %s\n(timed out after %s s)\n%s" % (" ".join(argv), timeout, out)
        return parse(done.stdout), "$ %s\n%s" % (" ".join(argv), done.stdout)
