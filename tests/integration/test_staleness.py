#!/usr/bin/python3
"""Bounded staleness, expiry, tidalctl status and tidalctl wait, on a Tidal primary and two Tidal
secondaries on loopback (docs/consistency.md).

- an edit on the primary: `tidalctl wait` returns 0 once both secondaries serve it, and 1
  (naming the laggard) for a serial nobody has;
- `tidalctl status` on the primary shows each secondary's serial and the transfers it asked for;
  on a secondary the primary's serial, when the copy was last confirmed, its staleness;
- TTLs a secondary hands out never reach past its last confirmation + max-staleness;
- the primary stops: the `refuse` secondary answers SERVFAIL once max-staleness has passed, the
  `serve` one keeps answering with TTLs of at most 30 s; both recover when the primary returns;
- a zone whose SOA EXPIRE passes without a primary answers SERVFAIL, and EDNS EXPIRE (RFC 7314)
  is answered by the primary (the SOA field) and by a secondary (the time its copy has left).
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import process  # noqa: E402
from lib.dig import Dig  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.replication import Remote, ZoneSpec  # noqa: E402
from lib.replication_case import ensure_dir  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

ZONE = "fresh.test."
STALENESS = 6  # seconds: short, so the test sees the bound pass
# EXPIRE 8 s (the SOA) for the zone that expires; REFRESH/RETRY short so checks are frequent.
ZONE_TEXT = """$ORIGIN fresh.test.
$TTL 3600
@ 3600 IN SOA ns1 hostmaster 1 2 1 %(expire)d 300
@ IN NS ns1
ns1 IN A 192.0.2.1
www 86400 IN A 192.0.2.80
"""


def rcode(client, name, rtype="A"):
    """The rcode of one query (None when the server did not answer in time)."""
    r = client.query(name, rtype, opts=["+norec", "+time=1", "+tries=1"])
    return None if r is None else r.rcode


def soa_serial(result):
    for rr in result.answer:
        if rr.rtype == "SOA":
            return int(rr.rdata.split()[2])
    return None


class StalenessTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "tidal-sync")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        cls.make_workdir("tidal-staleness-")
        zone_file = os.path.join(cls.workdir, "fresh.zone")
        with open(zone_file, "w") as f:
            f.write(ZONE_TEXT % {"expire": 3600})
        key = TsigKey.random("cluster", "hmac-sha256")
        cls.key = key
        ports = [free_port() for _ in range(3)]
        primary_remote = Remote("primary", ports[0], key)
        refuse_remote = Remote("refuse", ports[1], key)
        serve_remote = Remote("serve", ports[2], key)
        cls.primary = TidalServer(
            ensure_dir(os.path.join(cls.workdir, "primary")),
            [ZoneSpec(ZONE, zone_file, notify=[refuse_remote, serve_remote],
                      allow_transfer=[key])], port=ports[0])
        cls.secondaries = {}
        for remote, policy in ((refuse_remote, "refuse"), (serve_remote, "serve")):
            cls.secondaries[policy] = TidalServer(
                ensure_dir(os.path.join(cls.workdir, policy)),
                [ZoneSpec(ZONE, role="secondary", primaries=[primary_remote],
                          allow_notify=[primary_remote], allow_transfer=[key],
                          max_staleness="%ds" % STALENESS, stale_policy=policy)],
                port=remote.port)
        for server in [cls.primary] + list(cls.secondaries.values()):
            cls.add_server(server)
            server.start()
            server.start_sync()
        for secondary in cls.secondaries.values():
            secondary.wait_serial(ZONE, 1, timeout=20)

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            if server.sync is not None:
                server.sync.stop()
        cls.stop_servers()
        cls.cleanup_workdir()

    def dig(self, server, name, rtype="A", opts=()):
        r = Dig(port=server.port).query(name, rtype, opts=["+norec", "+time=2", "+tries=1"] +
                                        list(opts))
        self.assertIsNotNone(r, "no answer from port %d" % server.port)
        return r

    def test_1_wait_returns_once_every_secondary_serves_the_edit(self):
        serial = self.primary.record("add", "waited.fresh.test.", 300, "A", "192.0.2.9")
        self.assertIsNotNone(serial)
        started = time.monotonic()
        done = self.primary.tidalctl("wait", ZONE, "--timeout", "20s")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertLess(time.monotonic() - started, 20)
        for secondary in self.secondaries.values():
            r = self.dig(secondary, "waited.fresh.test.")
            self.assertEqual(r.rcode, "NOERROR")
            self.assertEqual(r.rdatas("answer", "A"), ["192.0.2.9"])
            self.assertEqual(soa_serial(self.dig(secondary, ZONE, "SOA")), serial)

    def test_2_wait_times_out_for_a_serial_nobody_serves(self):
        current = self.primary.serial(ZONE)
        done = self.primary.tidalctl("wait", ZONE, "--serial", str(current + 100),
                                     "--timeout", "2s")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("timed out", done.stderr)
        self.assertIn("refuse", done.stderr)  # the laggards are named
        self.assertIn("serves %d" % current, done.stderr)

    def test_3_status_on_the_primary_shows_each_secondary(self):
        done = self.primary.tidalctl("status", ZONE)
        self.assertEqual(done.returncode, 0, done.stderr)
        out = done.stdout
        serial = self.primary.serial(ZONE)
        self.assertIn("primary  serial %d" % serial, out)
        for name in ("refuse", "serve"):
            self.assertRegex(out, r"secondary %s \(127\.0\.0\.1:\d+\): serves %d, in step"
                             % (name, serial))
        # The transfers each secondary asked for, as tidald reported them to tidal-sync.
        self.assertRegex(out, r"last (AXFR|IXFR) to 127\.0\.0\.1 \(key cluster\)")
        self.assertRegex(out, r"journal \d+ changes")

    def test_4_status_on_a_secondary_shows_freshness(self):
        done = self.secondaries["refuse"].tidalctl("status", ZONE)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("secondary  serial", done.stdout)
        self.assertRegex(done.stdout, r"primary primary serial \d+ \(in step\)")
        self.assertRegex(done.stdout, r"staleness .* of max %d s \(refuse\): fresh" % STALENESS)

    def test_5_ttls_stay_within_the_staleness_bound(self):
        for secondary in self.secondaries.values():
            r = self.dig(secondary, "www.fresh.test.")
            self.assertEqual(r.rcode, "NOERROR")
            ttls = [rr.ttl for rr in r.answer]
            self.assertTrue(ttls)
            self.assertTrue(all(ttl <= STALENESS for ttl in ttls), ttls)
        # The primary has no bound: its TTL is the zone's.
        r = self.dig(self.primary, "www.fresh.test.")
        self.assertEqual([rr.ttl for rr in r.answer], [86400])

    def test_6_expire_option_is_answered(self):
        r = self.dig(self.primary, ZONE, "SOA", opts=["+expire"])
        self.assertRegex(r.text, r"EXPIRE: 3600\b")
        r = self.dig(self.secondaries["refuse"], ZONE, "SOA", opts=["+expire"])
        m = re.search(r"EXPIRE: (\d+)", r.text)
        self.assertIsNotNone(m, r.text)
        self.assertLessEqual(int(m.group(1)), 3600)
        self.assertGreater(int(m.group(1)), 3500)

    def test_7_primary_down_then_stale_policy_then_recovery(self):
        self.primary.sync.stop()
        self.primary.proc.stop()
        try:
            refuse, serve = self.secondaries["refuse"], self.secondaries["serve"]
            # Within the bound both keep answering, TTLs shrinking toward it.
            r = self.dig(refuse, "www.fresh.test.")
            self.assertEqual(r.rcode, "NOERROR")
            # Past it (bounded wait): refuse -> SERVFAIL, serve -> answers with TTL <= 30.
            deadline = time.monotonic() + STALENESS + 10
            got = None
            while time.monotonic() < deadline:
                got = rcode(Dig(port=refuse.port), "www.fresh.test.")
                if got == "SERVFAIL":
                    break
                time.sleep(0.25)
            self.assertEqual(got, "SERVFAIL", "refuse still answers past max-staleness")
            r = self.dig(serve, "www.fresh.test.")
            self.assertEqual(r.rcode, "NOERROR")
            self.assertTrue(all(rr.ttl <= 30 for rr in r.answer), r.answer)
            status = refuse.tidalctl("status", ZONE)
            self.assertIn("STALE", status.stdout)
            self.assertIn("last error", status.stdout)
        finally:
            self.primary.proc = process.ManagedProcess(
                [self.primary.proc.argv[0], "--config", self.primary.config_path],
                self.primary.log_path + ".2")
            self.assertTrue(self.primary.wait_ready(20))
            self.primary.start_sync()
        # Recovery: the next check (at most max-staleness/3 away) confirms the copy again.
        client = Dig(port=self.secondaries["refuse"].port)
        ok = process.wait_until(lambda: rcode(client, "www.fresh.test.") == "NOERROR",
                                STALENESS + 10, interval=0.25)
        self.assertTrue(ok, "refuse did not recover after the primary came back")


class ExpiryTest(ServerTestCase):
    """A secondary whose SOA EXPIRE passes with no primary answering stops serving the zone."""

    @classmethod
    def setUpClass(cls):
        cls.make_workdir("tidal-expiry-")
        zone_file = os.path.join(cls.workdir, "fresh.zone")
        with open(zone_file, "w") as f:
            f.write(ZONE_TEXT % {"expire": 6})
        ports = [free_port() for _ in range(2)]
        primary_remote = Remote("primary", ports[0])
        secondary_remote = Remote("secondary", ports[1])
        cls.primary = TidalServer(ensure_dir(os.path.join(cls.workdir, "primary")),
                                  [ZoneSpec(ZONE, zone_file, notify=[secondary_remote],
                                            allow_transfer=["127.0.0.1"])], port=ports[0])
        cls.secondary = TidalServer(ensure_dir(os.path.join(cls.workdir, "secondary")),
                                    [ZoneSpec(ZONE, role="secondary", primaries=[primary_remote],
                                              allow_notify=[primary_remote])], port=ports[1])
        for server in (cls.primary, cls.secondary):
            cls.add_server(server)
            server.start()
            server.start_sync()
        cls.secondary.wait_serial(ZONE, 1, timeout=20)

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            if server.sync is not None:
                server.sync.stop()
        cls.stop_servers()
        cls.cleanup_workdir()

    def test_expired_zone_answers_servfail_then_recovers(self):
        self.primary.sync.stop()
        self.primary.proc.stop()
        client = Dig(port=self.secondary.port)
        self.assertEqual(client.query(ZONE, "SOA", opts=["+norec"]).rcode, "NOERROR")
        ok = process.wait_until(lambda: rcode(client, ZONE, "SOA") == "SERVFAIL", 20,
                                interval=0.25)
        self.assertTrue(ok, "the zone is still served past its SOA EXPIRE")
        status = self.secondary.tidalctl("status", ZONE)
        self.assertIn("EXPIRED", status.stdout)
        # The primary returns: the zone is served again by itself (retry is 1 s).
        self.primary.proc = process.ManagedProcess(
            [self.primary.proc.argv[0], "--config", self.primary.config_path],
            self.primary.log_path + ".2")
        self.assertTrue(self.primary.wait_ready(20))
        ok = process.wait_until(lambda: rcode(client, ZONE, "SOA") == "NOERROR", 20,
                                interval=0.25)
        self.assertTrue(ok, "the expired zone did not recover when the primary came back")


if __name__ == "__main__":
    main()
