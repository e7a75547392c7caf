"""The replication scenario every interop pair runs (Tidal → Knot/BIND, Knot/BIND → Tidal, and
Knot ↔ BIND to check the harness itself): one primary, one or more secondaries, TSIG on every
transfer and NOTIFY.

    test_1  initial transfer: every secondary comes to serve the primary's serial of every
            zone (bounded wait), and holds the same RRs as the primary;
    test_2  edits on the primary (add, delete, replace, multi-RR changes) reach every
            secondary by NOTIFY (or, where the primary does not send NOTIFY yet, by a refresh
            the test asks for) and by IXFR, as the logs of the peers say; after each edit the
            secondary's copy equals the primary's;
    test_3  the converged contents of every zone are equal on all servers;
    test_4  a transfer without the key, with a wrong secret, with a key the server does not
            know or one it knows but does not allow is refused and changes nothing (asked of
            the primary, or of whichever server transfer_target() names).

Subclasses set ZONES and EDITS and implement build() (start the servers and set cls.primary
and cls.secondaries, lib.peers.Peer objects).
"""

import os
import time
import unittest

from . import paths, process, transfer
from .testcase import ServerTestCase
from .tsigkeys import TsigKey

# Zones the scenario transfers: the README example (many types), odd names and types (escaped
# labels, RFC 3597 unknown types, SVCB/HTTPS, binary TXT), and ~2260 RRs (several messages).
DEFAULT_ZONES = [("example.test.", "example.test.zone"), ("names.test.", "names.test.zone"),
                 ("big.test.", "big.test.zone")]

# One step = one change on the primary: (zone, [edits]) in lib.peers' neutral form.
DEFAULT_EDITS = [
    ("example.test.", [("add", "new1.example.test.", 300, "A", "192.0.2.101")]),
    ("example.test.", [("del", "www.example.test.", "TXT")]),
    ("example.test.", [("set", "mail.example.test.", 600, "A", "192.0.2.125")]),
    ("example.test.", [("add", "txt.new1.example.test.", 300, "TXT", '"two words" "and more"')]),
    # Several RRs in one change (one transaction on Knot and BIND, one tidalctl per RR on
    # Tidal) in a zone of ~2260 RRs: an IXFR must carry these and not the whole zone.
    ("big.test.", [("add", "added%d.big.test." % i, 300, "A", "192.0.2.%d" % (100 + i))
                   for i in range(8)] +
     [("del", "many.big.test.", "A", "10.3.0.7"), ("del", "txt.big.test.", "TXT")]),
    # The zone file says "20 Mail2": names in RDATA match whatever their case (RFC 4343 §3).
    ("example.test.", [("del", "example.test.", "MX", "20 mail2.example.test.")]),
]


def zone_files(zones):
    return [(origin, paths.zone_path(f)) for origin, f in zones]


class ReplicationCase(ServerTestCase):
    ZONES = DEFAULT_ZONES
    EDITS = DEFAULT_EDITS
    INITIAL_TIMEOUT = 20.0   # seconds for every secondary to load every zone
    PUBLISH_TIMEOUT = 5.0    # seconds for the primary to serve its own new serial
    NOTIFY_TIMEOUT = 5.0     # seconds for a change to arrive by NOTIFY
    REFRESH_TIMEOUT = 10.0   # seconds for a change to arrive after a refresh by hand

    primary = None
    secondaries = []
    refused_keys = []        # keys the primary knows but does not allow to transfer
    initial_ok = False
    notes = []

    # --- set-up ---------------------------------------------------------------------------

    @classmethod
    def build(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.make_workdir("tidal-%s-" % cls.__name__)
        cls.initial_ok = False
        cls.notes = []
        try:
            cls.build()
        except unittest.SkipTest:
            cls.stop_servers()
            cls.cleanup_workdir()
            raise
        except Exception:
            cls._failed = True
            cls.print_logs("set-up failed")
            cls.stop_servers()
            cls.cleanup_workdir()
            raise

    @classmethod
    def tearDownClass(cls):
        problems = []
        for s in cls.servers:
            if not s.alive():
                problems.append("%s on port %s had died before the end of the tests" %
                                (type(s).__name__, s.port))
        statuses = cls.stop_servers()
        for name, status in statuses.items():
            if status not in (0, None):
                problems.append("%s exited with status %s on SIGTERM, not 0" % (name, status))
        for s in cls.servers:
            if getattr(s, "sync", None) is not None and s.sync_status not in (0, None):
                problems.append("tidal-sync beside %s exited with status %s on SIGTERM" %
                                (type(s).__name__, s.sync_status))
            if hasattr(s, "sanitizer_reports"):
                problems += s.sanitizer_reports()
        if cls.notes:
            print("\nnotes from %s:\n  %s" % (cls.__name__, "\n  ".join(cls.notes)))
        if problems:
            cls._failed = True
            cls.print_logs("a server did not stop cleanly")
        cls.cleanup_workdir()
        if problems:
            raise AssertionError("\n".join(problems))

    @classmethod
    def note(cls, text):
        cls.notes.append(text)

    # --- helpers ---------------------------------------------------------------------------

    def origins(self):
        return [origin for origin, _ in self.ZONES]

    def assertSameContents(self, zone, secondary, what=""):
        want = self.primary.contents(zone)
        got = secondary.contents(zone)
        diff = transfer.describe_difference(want, got, self.primary.label, secondary.label)
        self.assertFalse(diff, "%s: %s differs%s:\n%s" % (secondary.label, zone, what, diff))
        return want

    def require_initial(self):
        if not type(self).initial_ok:
            self.fail("the secondaries never loaded the zones (test_1 failed): nothing to edit")

    def published_serial(self, zone, before):
        """The primary's serial once it serves one later than before (bounded wait: tidald
        publishes a commit within ~100 ms, not at once), else the serial it serves."""
        seen = [None]

        def newer():
            seen[0] = self.primary.serial(zone)
            return seen[0] is not None and transfer.serial_gt(seen[0], before)

        process.wait_until(newer, self.PUBLISH_TIMEOUT)
        return seen[0]

    def wait_all(self, zone, serial, secondaries, timeout):
        """{peer: serial seen} after waiting (one shared deadline) for each to reach serial."""
        deadline = time.monotonic() + timeout
        seen = {}
        for sec in secondaries:
            seen[sec] = transfer.wait_for_serial(sec.port, zone, serial,
                                                 max(0.0, deadline - time.monotonic()))
        return seen

    # --- the scenario ----------------------------------------------------------------------

    def test_1_initial_transfer(self):
        deadline = time.monotonic() + self.INITIAL_TIMEOUT
        for zone in self.origins():
            serial = self.primary.serial(zone)
            self.assertIsNotNone(serial, "the primary %s does not serve %s" %
                                 (self.primary.label, zone))
            for sec in self.secondaries:
                got = transfer.wait_for_serial(sec.port, zone, serial,
                                               max(0.0, deadline - time.monotonic()))
                self.assertEqual(got, serial, "%s does not serve %s serial %s after %.0f s "
                                 "(it serves %s)" % (sec.label, zone, serial,
                                                     self.INITIAL_TIMEOUT, got))
        for zone in self.origins():
            for sec in self.secondaries:
                with self.subTest(zone=zone, secondary=sec.label):
                    self.assertSameContents(zone, sec, " after the initial transfer")
        type(self).initial_ok = True

    def _expect_edit_done(self, zone, edits, contents):
        """The primary's contents show the edits (so a primary that ignored them fails)."""
        by_key = {}
        for rr in contents:
            by_key.setdefault((rr.owner, rr.rtype), []).append(rr)
        for e in edits:
            owner, rtype = e[1].lower(), (e[3] if e[0] in ("add", "set") else e[2]).upper()
            have = by_key.get((owner, rtype), [])
            if e[0] in ("add", "set"):
                self.assertTrue(have, "the primary has no %s %s after %r" % (owner, rtype, e))
                if e[0] == "set":
                    self.assertEqual(len(have), 1, "set left %d RRs at %s %s" % (
                        len(have), owner, rtype))
            elif len(e) == 3:
                self.assertFalse(have, "the primary still has %s %s after %r" %
                                 (owner, rtype, e))

    def test_2_edits_propagate_by_notify_and_ixfr(self):
        self.require_initial()
        peers = [self.primary] + self.secondaries
        for step, (zone, edits) in enumerate(self.EDITS, 1):
            marks = {p: p.log_mark() for p in peers}
            before = self.primary.serial(zone)
            self.primary.apply(zone, edits)
            after = self.published_serial(zone, before)
            self.assertIsNotNone(after, "the primary stopped serving %s" % zone)
            self.assertTrue(transfer.serial_gt(after, before),
                            "step %d: the primary's serial of %s went from %s to %s" %
                            (step, zone, before, after))
            waiting = list(self.secondaries)
            if self.primary.sends_notify:
                seen = self.wait_all(zone, after, waiting, self.NOTIFY_TIMEOUT)
                late = ["%s (serves %s)" % (s.label, seen[s]) for s in waiting
                        if seen[s] != after]
                self.assertEqual(late, [], "step %d: NOTIFY from %s did not bring the "
                                 "secondaries to %s serial %s within %.0f s" % (
                                     step, self.primary.label, zone, after,
                                     self.NOTIFY_TIMEOUT))
            else:
                if step == 1:
                    self.note("%s sends no NOTIFY yet: the secondaries were told to refresh "
                              "(knotc zone-refresh / rndc refresh)" % self.primary.label)
                for sec in waiting:
                    self.assertTrue(sec.refresh(zone), "could not ask %s to refresh %s" %
                                    (sec.label, zone))
                seen = self.wait_all(zone, after, waiting, self.REFRESH_TIMEOUT)
                for sec in waiting:
                    self.assertEqual(seen[sec], after, "step %d: %s did not reach %s serial %s "
                                     "within %.0f s of a refresh: it serves %s" % (
                                         step, sec.label, zone, after, self.REFRESH_TIMEOUT,
                                         seen[sec]))
            for sec in self.secondaries:
                # The evidence comes from the non-Tidal side of each pair: Knot and BIND say
                # in their own words whether the transfer was incremental.
                if sec.kind != "tidal":
                    ok, why = sec.ixfr_in(sec.log_since(marks[sec]), zone)
                else:
                    ok, why = self.primary.ixfr_out(self.primary.log_since(marks[self.primary]),
                                                    zone)
                self.assertTrue(ok, "step %d (%s %r): the change did not arrive by IXFR: %s" %
                                (step, zone, edits[:2], why))
                want = self.assertSameContents(zone, sec, " after step %d" % step)
            self._expect_edit_done(zone, edits, want)

    def test_3_converged_contents(self):
        self.require_initial()
        for zone in self.origins():
            for sec in self.secondaries:
                with self.subTest(zone=zone, secondary=sec.label):
                    self.assertEqual(sec.serial(zone), self.primary.serial(zone))
                    self.assertSameContents(zone, sec)

    def transfer_target(self):
        """The server whose transfer access control test_4 checks (the primary by default;
        a Tidal secondary in the secondary tests: it serves transfers too)."""
        return self.primary

    def test_4_transfer_without_the_right_key_is_refused(self):
        zone = self.origins()[0]
        target = self.transfer_target()
        port = target.port
        before_serial = target.serial(zone)
        self.assertIsNotNone(before_serial, "%s does not serve %s" % (target.label, zone))
        before = target.contents(zone)
        others = [p for p in [self.primary] + self.secondaries if p is not target]
        other_serials = {s: s.serial(zone) for s in others}
        good = target.key
        attempts = [
            ("AXFR without TSIG", transfer.axfr(port, zone), ("REFUSED", "NOTAUTH")),
            ("IXFR without TSIG", transfer.ixfr(port, zone, 1), ("REFUSED", "NOTAUTH")),
            # RFC 8945 §5.2.2: a MAC that does not verify -> NOTAUTH, TSIG error BADSIG.
            ("AXFR with a wrong secret", transfer.axfr(port, zone, good.wrong_secret()),
             ("NOTAUTH",)),
            # RFC 8945 §5.2.1: a key the server does not know -> NOTAUTH, BADKEY.
            ("AXFR with an unknown key", transfer.axfr(
                port, zone, TsigKey.random("no-such-key", good.algorithm)), ("NOTAUTH",)),
        ]
        for key in self.refused_keys:
            attempts.append(("AXFR with key %s, known but not allowed" % key.name,
                             transfer.axfr(port, zone, key), ("REFUSED", "NOTAUTH")))
        for what, xfr, rcodes in attempts:
            with self.subTest(what):
                self.assertTrue(xfr.refused(), "%s: %s handed out zone data\n%s" % (
                    what, target.label, xfr.describe()))
                self.assertIn(xfr.rcode, rcodes, "%s: rcode\n%s" % (what, xfr.describe()))
        # Nothing changed: the zone there, the other servers' serials; the key still works.
        self.assertEqual(target.serial(zone), before_serial)
        after = target.contents(zone)
        self.assertFalse(transfer.describe_difference(before, after, "before", "after"))
        for s, serial in other_serials.items():
            self.assertEqual(s.serial(zone), serial, "%s changed serial" % s.label)
        xfr = transfer.axfr(port, zone, good)
        self.assertTrue(xfr.complete, "AXFR with the right key failed after the refused "
                        "attempts:\n" + xfr.describe())


def ensure_dir(path):
    os.makedirs(path, exist_ok=True)
    return path
