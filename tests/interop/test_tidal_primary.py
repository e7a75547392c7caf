#!/usr/bin/python3
"""Tidal as a primary, Knot DNS 3.2 and BIND 9.18 as its secondaries, TSIG everywhere.

TidalPrimaryToKnotAndBind runs the scenario of lib/replication_case.py: tidald serves zones
imported with tidalctl, `allow-transfer` names the keys (hmac-sha256 for Knot, hmac-sha512 for
BIND); the secondaries load them by AXFR, then edits made with `tidalctl record add/del/set`
reach them by IXFR (Knot's and BIND's logs say which kind of transfer they got) and their
copies equal `tidalctl zone export`. NOTIFY comes from tidal-sync; while tidal-sync does not
replicate yet, the test tells the secondaries to refresh (knotc zone-refresh, rndc refresh)
and says so in its output. Transfers without the key, with a wrong secret, an unknown key or
a known key that allow-transfer does not list are refused.

TidalServesTransfers asks tidald directly with dig: AXFR signed with each algorithm
(hmac-sha256, hmac-sha512, hmac-sha1), IXFR from an older serial (RFC 1995: the deltas,
applied to the old copy, give the new one), IXFR from the current serial (the SOA alone),
IXFR from before the journal (the whole zone, AXFR-style).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, replication_case, transfer  # noqa: E402
from lib.bind import BindServer  # noqa: E402
from lib.knot import KnotServer  # noqa: E402
from lib.peers import BindPeer, KnotPeer, TidalPeer  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.replication import Remote, ZoneSpec  # noqa: E402
from lib.replication_case import ensure_dir, zone_files  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402
from lib.zonedata import rdata_key  # noqa: E402


def check_binaries():
    missing = require_binaries("tidald", "tidalctl", "tidal-sync", "knotd", "knotc", "named",
                               "rndc", "named-compilezone")
    if missing:
        raise AssertionError("binaries missing: %s (build first, or set TIDALD/TIDALCTL/"
                             "TIDAL_SYNC)" % ", ".join(missing))


class TidalPrimaryToKnotAndBind(replication_case.ReplicationCase):
    @classmethod
    def build(cls):
        check_binaries()
        knot_key = TsigKey.random("tidal-knot", "hmac-sha256")
        bind_key = TsigKey.random("tidal-bind", "hmac-sha512")
        # Known to tidald (in keys:) but not in allow-transfer: must be refused.
        cls.refused_keys = [TsigKey.random("tidal-editor", "hmac-sha256")]
        tidal_port, knot_port, bind_port = free_port(), free_port(), free_port()
        knot_remote = Remote("knot", knot_port, knot_key)
        bind_remote = Remote("bind", bind_port, bind_key)

        tidal = cls.add_server(TidalServer(
            ensure_dir(os.path.join(cls.workdir, "tidal")),
            [ZoneSpec(origin, path, notify=[knot_remote, bind_remote],
                      allow_transfer=[knot_key, bind_key])
             for origin, path in zone_files(cls.ZONES)],
            port=tidal_port, keys=cls.refused_keys))
        ready, why = tidal.sync_implemented()
        tidal.start()
        if ready:
            tidal.start_sync()
        else:
            cls.note("no NOTIFY from Tidal: " + why)

        knot = cls.add_server(KnotServer(
            ensure_dir(os.path.join(cls.workdir, "knot")),
            [ZoneSpec(origin, role="secondary", primaries=[Remote("tidal", tidal_port, knot_key)],
                      allow_notify=[knot_key], allow_transfer=[knot_key])
             for origin, _ in cls.ZONES],
            port=knot_port))
        knot.start()
        bind = cls.add_server(BindServer(
            ensure_dir(os.path.join(cls.workdir, "bind")),
            [ZoneSpec(origin, role="secondary", primaries=[Remote("tidal", tidal_port, bind_key)],
                      allow_notify=[bind_key], allow_transfer=[bind_key])
             for origin, _ in cls.ZONES],
            port=bind_port, debug_level=3))
        bind.start()
        cls.primary = TidalPeer(tidal, knot_key, sends_notify=ready)
        cls.secondaries = [KnotPeer(knot, knot_key), BindPeer(bind, bind_key)]


def rr_set(rrs):
    """dig-printed RRs as comparable tuples (owner and names in RDATA lowercased)."""
    return set((rr.owner.lower(), rr.ttl, rr.rclass, rr.rtype, rdata_key(rr.rtype, rr.rdata))
               for rr in rrs)


def apply_ixfr(old, xfr):
    """Applies an incremental reply (RFC 1995 §4: new SOA, then per change the old SOA, the
    deleted RRs, the new SOA, the added RRs; new SOA at the end) to old (a set from rr_set,
    SOA included). Returns the new set; raises AssertionError when a deletion is not in the
    copy (the deltas do not fit the old version)."""
    rrs = xfr.rrs
    current = set(old)
    i = 1
    while i < len(rrs) - 1:
        # deletions: starting with the old SOA, up to the next SOA
        old_soa = rrs[i]
        if old_soa.rtype != "SOA":
            raise AssertionError("expected an SOA opening a deletion list at RR %d" % i)
        j = i + 1
        while rrs[j].rtype != "SOA":
            j += 1
        new_soa = rrs[j]
        k = j + 1
        while k < len(rrs) and rrs[k].rtype != "SOA":
            k += 1
        for rr in rr_set([old_soa] + rrs[i + 1:j]):
            if rr not in current:
                raise AssertionError("IXFR deletes %r, which the old copy does not hold" % (rr,))
            current.discard(rr)
        current |= rr_set([new_soa] + rrs[j + 1:k])
        i = k
    return current


class TidalServesTransfers(ServerTestCase):
    """tidald alone, asked with dig: every algorithm, IXFR deltas, up-to-date and too-old
    IXFR requests."""

    ZONE = "example.test."

    @classmethod
    def setUpClass(cls):
        check_binaries()
        cls.make_workdir("tidal-%s-" % cls.__name__)
        cls.keys = [TsigKey.random("xfr-sha256", "hmac-sha256"),
                    TsigKey.random("xfr-sha512", "hmac-sha512"),
                    TsigKey.random("xfr-sha1", "hmac-sha1")]
        try:
            cls.tidal = cls.add_server(TidalServer(
                ensure_dir(os.path.join(cls.workdir, "tidal")),
                [ZoneSpec(cls.ZONE, paths.zone_path("example.test.zone"),
                          allow_transfer=cls.keys)]))
            cls.tidal.start()
        except Exception:
            cls._failed = True
            cls.print_logs("set-up failed")
            cls.stop_servers()
            cls.cleanup_workdir()
            raise
        cls.port = cls.tidal.port

    @classmethod
    def tearDownClass(cls):
        alive = cls.tidal.alive()
        status = cls.tidal.stop()
        problems = cls.tidal.sanitizer_reports()
        if not alive:
            problems.append("tidald had died before the end of the tests (exit %s)" % status)
        elif status != 0:
            problems.append("tidald exited with status %s on SIGTERM, not 0" % status)
        if problems:
            cls._failed = True
            cls.print_logs("tidald did not stop cleanly")
        cls.cleanup_workdir()
        if problems:
            raise AssertionError("\n".join(problems))

    def export_set(self):
        return transfer.canonical_rrs(self.ZONE, self.tidal.export(self.ZONE))

    def axfr_ok(self, key):
        xfr = transfer.axfr(self.port, self.ZONE, key)
        self.assertTrue(xfr.complete, "AXFR with %s:\n%s" % (key, xfr.describe()))
        return xfr

    def test_axfr_with_each_algorithm(self):
        want = self.export_set()
        for key in self.keys:
            with self.subTest(algorithm=key.algorithm):
                xfr = self.axfr_ok(key)
                got = transfer.canonical_rrs(self.ZONE, "\n".join(xfr.zone_lines()))
                diff = transfer.describe_difference(want, got, "tidalctl export", "AXFR")
                self.assertFalse(diff, diff)
                # RFC 5936 §2.2: the SOA opens and closes the transfer, once each.
                self.assertEqual([rr.rtype for rr in xfr.rrs].count("SOA"), 2, xfr.describe())

    def test_ixfr_deltas_rebuild_the_new_version(self):
        key = self.keys[0]
        old_xfr = self.axfr_ok(key)
        old_serial = old_xfr.serial()
        old = rr_set(old_xfr.rrs[:-1])
        self.tidal.record("add", "ixfr1.example.test.", 300, "A", "192.0.2.201")
        self.tidal.record("set", "host.example.test.", 600, "TXT", '"replaced"')
        serial = self.tidal.record("del", "www.example.test.", "AAAA")
        self.assertIsNotNone(serial, "tidalctl record del did not print the new serial")
        self.tidal.wait_serial(self.ZONE, serial)
        new_xfr = self.axfr_ok(key)
        new = rr_set(new_xfr.rrs[:-1])
        self.assertTrue(transfer.serial_gt(new_xfr.serial(), old_serial), new_xfr.describe())

        ixfr = transfer.ixfr(self.port, self.ZONE, old_serial, key)
        self.assertTrue(ixfr.complete, ixfr.describe())
        self.assertEqual(ixfr.serial(), new_xfr.serial(), ixfr.describe())
        self.assertTrue(ixfr.is_incremental(), "RFC 1995 §4: an incremental reply was "
                        "expected for serial %d (in the journal):\n%s" % (old_serial,
                                                                          ixfr.describe()))
        self.assertEqual(int(ixfr.rrs[1].rdata.split()[2]), old_serial,
                         "the first delta must start at the serial asked for\n" +
                         ixfr.describe())
        rebuilt = apply_ixfr(old, ixfr)
        self.assertEqual(sorted(rebuilt ^ new), [],
                         "old copy + IXFR deltas != new AXFR\n" + ixfr.describe())
        # One change costs in proportion to the change, not to the zone.
        self.assertLess(len(ixfr.rrs), len(new_xfr.rrs), ixfr.describe())

    def test_signed_query_gets_a_signed_answer(self):
        """RFC 8945 §5.3: the answer to a signed request is signed with the same key. BIND
        secondaries sign their SOA queries (UDP) and drop an unsigned answer ("expected a
        TSIG or SIG(0)"); §5.2: a request whose MAC does not verify gets NOTAUTH."""
        key = self.keys[1]
        for transport in ("+notcp", "+tcp"):
            with self.subTest(transport=transport):
                responses, raw = transfer.query_with_key(self.port, self.ZONE, "SOA", key,
                                                         opts=[transport, "+norec"])
                self.assertTrue(responses, raw)
                self.assertEqual(responses[-1].rcode, "NOERROR", raw)
                self.assertNotIn("Couldn't verify", raw)
                self.assertIn("TSIG PSEUDOSECTION", raw, "no TSIG in the answer\n" + raw)
                responses, raw = transfer.query_with_key(self.port, self.ZONE, "SOA",
                                                         key.wrong_secret(),
                                                         opts=[transport, "+norec"])
                self.assertTrue(responses, raw)
                self.assertEqual(responses[-1].rcode, "NOTAUTH", raw)

    def test_ixfr_when_up_to_date_is_one_soa(self):
        key = self.keys[1]
        serial = transfer.soa_serial(self.port, self.ZONE)
        ixfr = transfer.ixfr(self.port, self.ZONE, serial, key)
        # RFC 1995 §2: a client with the current (or a newer) version gets the SOA alone.
        self.assertTrue(ixfr.is_single_soa(), ixfr.describe())
        self.assertEqual(ixfr.serial(), serial)

    def test_ixfr_from_before_the_journal_is_the_whole_zone(self):
        key = self.keys[2]
        want = self.export_set()
        # Serial 1 is older (RFC 1982) than anything the store holds a journal for.
        ixfr = transfer.ixfr(self.port, self.ZONE, 1, key)
        self.assertTrue(ixfr.complete, ixfr.describe())
        self.assertFalse(ixfr.is_incremental(), "RFC 1995 §4: without the history the reply "
                         "is the whole zone (AXFR-style)\n" + ixfr.describe())
        got = transfer.canonical_rrs(self.ZONE, "\n".join(ixfr.zone_lines()))
        diff = transfer.describe_difference(want, got, "tidalctl export", "IXFR")
        self.assertFalse(diff, diff)


if __name__ == "__main__":
    main()
