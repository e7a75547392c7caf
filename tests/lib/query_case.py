"""Base class for the query tests: one server with all test zones for the whole class, dig
and kdig clients bound to it, and assertions phrased as what a user checks in dig output.

The target is tidald unless TIDAL_TEST_TARGET=knot, which runs the same tests against knotd
(to check the tests themselves; tests of Tidal-only policy call self.tidal_only()).
"""

import os

from . import paths
from .dig import Dig, same_name
from .knot import KnotServer
from .testcase import ServerTestCase, require_binaries
from .tidal import TidalServer

TARGET = os.environ.get("TIDAL_TEST_TARGET", "tidal")

ALL_ZONES = [(origin, paths.zone_path(f)) for origin, f in paths.STANDARD_ZONES + [paths.HUGE_ZONE]]


def start_server(workdir, zones=None, udp_max_payload=1232, name="server"):
    """Starts the target server (tidald, or knotd when TIDAL_TEST_TARGET=knot) in
    workdir/name with the given zones; returns it once every zone answers."""
    zones = ALL_ZONES if zones is None else zones
    sub = os.path.join(workdir, name)
    os.makedirs(sub, exist_ok=True)
    if TARGET == "knot":
        server = KnotServer(sub, zones, extra_server_conf="udp-max-payload: %d" % udp_max_payload)
    else:
        server = TidalServer(sub, zones, udp_max_payload=udp_max_payload)
    return server


class QueryTestCase(ServerTestCase):
    """setUpClass starts the server; tearDownClass stops it and checks it stopped cleanly."""

    udp_max_payload = 1232

    @classmethod
    def setUpClass(cls):
        cls.make_workdir("tidal-%s-" % cls.__name__)
        missing = require_binaries("knotd") if TARGET == "knot" else \
            require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s (build first, or set TIDALD/TIDALCTL)"
                                 % ", ".join(missing))
        try:
            cls.server = cls.add_server(start_server(cls.workdir, None, cls.udp_max_payload))
            cls.server.start()
        except Exception:
            cls._failed = True
            cls.print_logs("server start failed")
            cls.stop_servers()
            cls.cleanup_workdir()
            raise
        cls.port = cls.server.port
        cls.dig = Dig(cls.port)
        cls.kdig = Dig(cls.port, tool="kdig")

    @classmethod
    def tearDownClass(cls):
        alive = cls.server.alive()
        status = cls.server.stop()
        problems = []
        if not alive:
            problems.append("the server had died before the end of the tests (exit %s)" % status)
        elif status != 0:
            problems.append("the server exited with status %s on SIGTERM, not 0" % status)
        if hasattr(cls.server, "sanitizer_reports"):
            problems += cls.server.sanitizer_reports()
        if problems:
            cls._failed = True
            cls.print_logs("server did not stop cleanly")
        cls.cleanup_workdir()
        if problems:
            raise AssertionError("\n".join(problems))

    # --- helpers -------------------------------------------------------------------------

    def tidal_only(self, why):
        """Skips a check of Tidal's own policy when running against Knot."""
        if TARGET == "knot":
            self.skipTest("Tidal policy, not Knot's: " + why)

    def q(self, name, rtype="A", rclass=None, opts=(), client=None):
        """Queries and returns the response; fails the test if there was none."""
        client = client or self.dig
        r = client.query(name, rtype, rclass, opts)
        self.assertIsNotNone(r, "no response to %s %s %s (opts %s)" % (name, rclass or "IN",
                                                                      rtype, " ".join(opts)))
        self.assertNoDuplicates(r)
        return r

    def assertNoDuplicates(self, r):
        """RFC 2181 §5: an RRset holds no duplicate records; a section never repeats one."""
        for section in ("answer", "authority", "additional"):
            seen = set()
            for rr in r.section(section):
                key = (rr.owner.lower(), rr.rclass, rr.rtype, rr.rdata)
                self.assertNotIn(key, seen, "duplicate RR in %s: %s\n%s" % (section, rr, r.text))
                seen.add(key)

    def assertRcode(self, r, rcode):
        self.assertEqual(r.rcode, rcode, "rcode\n" + r.text)

    def assertFlags(self, r, has=(), lacks=()):
        for f in has:
            self.assertIn(f, r.flags, "flag %s expected\n%s" % (f, r.text))
        for f in lacks:
            self.assertNotIn(f, r.flags, "flag %s not expected\n%s" % (f, r.text))

    def assertQuestionEchoed(self, r, name, rtype, rclass="IN"):
        self.assertEqual(len(r.question), 1, "one question expected\n" + r.text)
        qn = r.question[0]
        self.assertEqual((qn.name.rstrip("."), qn.rtype, qn.rclass),
                         (name.rstrip("."), rtype, rclass), "question section\n" + r.text)

    def assertRRset(self, r, section, owner, rtype, rdatas, ttl=None):
        """The section holds exactly these rdatas at owner/rtype (order free; names in rdata
        compared case-insensitively for name-only types)."""
        got = r.rrs(section, rtype, owner)
        norm = (lambda s: s.lower()) if rtype in ("CNAME", "NS", "PTR", "MX", "SRV", "SOA",
                                                  "DNAME") else (lambda s: s)
        self.assertEqual(sorted(norm(rr.rdata) for rr in got), sorted(norm(x) for x in rdatas),
                         "%s %s in %s\n%s" % (owner, rtype, section, r.text))
        if ttl is not None:
            for rr in got:
                self.assertEqual(rr.ttl, ttl, "TTL of %s %s\n%s" % (owner, rtype, r.text))

    def assertSectionTypes(self, r, section, types):
        self.assertEqual(sorted(set(rr.rtype for rr in r.section(section))), sorted(types),
                         "types in %s\n%s" % (section, r.text))

    def assertEmpty(self, r, section):
        self.assertEqual(r.section(section), [], "%s section should be empty\n%s" %
                         (section, r.text))

    def assertNegative(self, r, rcode, zone, ttl, answer_types=()):
        """An authoritative negative answer (RFC 2308 §2): rcode, aa, the zone's SOA alone in
        the authority section with TTL min(SOA TTL, MINIMUM) (§5), answer holding only
        answer_types (e.g. the CNAMEs that led there)."""
        self.assertRcode(r, rcode)
        self.assertFlags(r, has=["qr", "aa"], lacks=["tc"])
        self.assertEqual(sorted(set(rr.rtype for rr in r.answer)), sorted(set(answer_types)),
                         "answer section\n" + r.text)
        soas = r.rrs("authority", "SOA")
        self.assertEqual(len(soas), 1, "one SOA in authority\n" + r.text)
        self.assertTrue(same_name(soas[0].owner, zone), "SOA owner\n" + r.text)
        self.assertEqual(soas[0].ttl, ttl, "negative TTL (RFC 2308 §5)\n" + r.text)
        self.assertEqual([rr for rr in r.authority if rr.rtype != "SOA"], [],
                         "only the SOA in authority\n" + r.text)

    def assertReferral(self, r, cut, ns_targets):
        """A referral (RFC 1034 §4.3.2 step 3b): NOERROR, no aa, empty answer, the cut's NS."""
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["qr"], lacks=["aa", "tc"])
        self.assertEmpty(r, "answer")
        self.assertRRset(r, "authority", cut, "NS", ns_targets)
