#!/usr/bin/python3
"""A Tidal cluster of one primary and three secondaries, each a separate host (its own network
namespace, veth link to a switch namespace, address 10.53.0.N; or 127.0.0.x addresses where
namespaces cannot be made, which the output says), each with its own tidald, tidal-sync,
config and database. Checked as an operator would, with dig from the network and tidalctl on
each host:

    test_1  >= 200 random edits on the primary (tidalctl record add/del/set, seeded, A, AAAA,
            TXT, MX and CNAME) reach every secondary: dig SOA on each shows the primary's
            serial, each `tidalctl zone export` equals the primary's, and the primary holds
            what the edits say;
    test_2  `tidalctl wait` on the primary returns 0 once every secondary serves the serial,
            and `tidalctl status` shows the zone's serial and every secondary;
    test_3  a secondary cut off from the network during edits (its switch port down) falls
            behind, `tidalctl wait` times out (non-zero), and once the link is back it
            converges by itself: by NOTIFY retry, and by SOA refresh alone for a zone the
            primary sends no NOTIFY for (SOA refresh 2 s, retry 1 s: within 10 s);
    test_4  the primary stops: the secondaries keep answering zones with max-staleness 6 s,
            with TTLs that never reach past the last confirmation + 6 s and shrink toward it,
            then follow the stale policy: `refuse` answers SERVFAIL, `serve` keeps answering
            with TTL <= 30 s (RFC 8767).

TIDAL_CLUSTER_SEED sets the seed of the edits (printed); TIDAL_CLUSTER_EDITS their number.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import process, transfer  # noqa: E402
from lib.cluster import ClusterTestCase, ClusterZone, write_zone  # noqa: E402
from lib.random_edits import EditGenerator, ZoneModel  # noqa: E402
from lib.testcase import main  # noqa: E402

EDIT_ZONE = "edit.cluster."
REFRESH_ZONE = "refresh.cluster."  # no NOTIFY: the secondaries follow by SOA refresh alone
REFUSE_ZONE = "stale-refuse.cluster."
SERVE_ZONE = "stale-serve.cluster."
STALENESS = 6          # seconds of max-staleness on the stale-* zones
STALE_REFRESH = 1      # their SOA refresh: the secondaries confirm every second
SERVE_STALE_TTL = 30   # RFC 8767 §4: TTL of stale answers, at most
CONVERGE_TIMEOUT = 30.0


def stale_zone_body():
    return ["www IN A 192.0.2.80", "www IN TXT \"served while fresh\""]


class ClusterReplication(ClusterTestCase):
    TAG = "repl"
    SECONDARIES = 3
    edits_done = False
    final_serial = None

    @classmethod
    def cluster_zones(cls, workdir):
        files = os.path.join(workdir, "zones")
        os.makedirs(files, exist_ok=True)
        return [
            ClusterZone(EDIT_ZONE, write_zone(os.path.join(files, "edit.zone"), EDIT_ZONE,
                                              refresh=2, retry=1,
                                              body=["www IN A 192.0.2.10"])),
            ClusterZone(REFRESH_ZONE, write_zone(os.path.join(files, "refresh.zone"),
                                                 REFRESH_ZONE, refresh=2, retry=1,
                                                 body=["www IN A 192.0.2.20"]), notify=False),
            ClusterZone(REFUSE_ZONE, write_zone(os.path.join(files, "refuse.zone"),
                                                REFUSE_ZONE, refresh=STALE_REFRESH, retry=1,
                                                body=stale_zone_body()),
                        max_staleness="%ds" % STALENESS, stale_policy="refuse"),
            ClusterZone(SERVE_ZONE, write_zone(os.path.join(files, "serve.zone"), SERVE_ZONE,
                                               refresh=STALE_REFRESH, retry=1,
                                               body=stale_zone_body()),
                        max_staleness="%ds" % STALENESS, stale_policy="serve"),
        ]

    # --- helpers ---------------------------------------------------------------------------

    def primary_serial(self, zone):
        serial = self.cluster.serial(self.cluster.primary, zone)
        self.assertIsNotNone(serial, "the primary does not answer SOA %s" % zone)
        return serial

    def wait_converged(self, hosts, zone, serial, timeout=CONVERGE_TIMEOUT):
        seen = self.cluster.wait_serial(hosts, zone, serial, timeout)
        late = ["%s serves %s" % (name, s) for name, s in seen.items() if s != serial]
        self.assertEqual(late, [], "%s serial %s (the primary's) not reached within %.0f s: %s"
                         % (zone, serial, timeout, "; ".join(late)))

    def edit(self, argv):
        return self.cluster.primary.server.record(*argv)

    def require_edits(self):
        if not type(self).edits_done:
            self.fail("test_1 did not complete its edits: nothing to check here")

    # --- the tests ----------------------------------------------------------------------------

    def test_1_random_edits_reach_every_secondary(self):
        for zone in (EDIT_ZONE, REFRESH_ZONE, REFUSE_ZONE, SERVE_ZONE):
            self.wait_converged(self.cluster.secondaries, zone, self.primary_serial(zone))
        seed = int(os.environ.get("TIDAL_CLUSTER_SEED", "20261121"))
        count = int(os.environ.get("TIDAL_CLUSTER_EDITS", "200"))
        print("\n%d random edits of %s, seed %d (TIDAL_CLUSTER_SEED)" % (count, EDIT_ZONE, seed),
              file=sys.stderr)
        model = ZoneModel(EDIT_ZONE)
        gen = EditGenerator(model, seed)
        before = self.primary_serial(EDIT_ZONE)
        started = time.monotonic()
        serial = None
        for i in range(count):
            argv, what = gen.next_edit()
            try:
                serial = self.edit(argv)
            except RuntimeError as e:
                self.fail("edit %d (%s) failed: %s" % (i + 1, what, e))
            self.assertIsNotNone(serial, "tidalctl did not print the new serial for %s" % what)
        took = time.monotonic() - started
        self.assertTrue(transfer.serial_gt(serial, before), "serial %s after the edits, %s "
                        "before" % (serial, before))
        self.cluster.primary.server.wait_serial(EDIT_ZONE, serial, 5.0)
        wait_started = time.monotonic()
        self.wait_converged(self.cluster.secondaries, EDIT_ZONE, serial)
        self.note("%d edits in %.1f s; every secondary served serial %s %.2f s after the last "
                  "commit" % (count, took, serial, time.monotonic() - wait_started))
        want = self.cluster.contents(self.cluster.primary, EDIT_ZONE)
        # The primary holds what the edits say (so a primary that lost edits fails too).
        frame = ("@ 300 IN SOA ns1 hostmaster 1 2 1 3600 60\n@ 300 IN NS ns1\n"
                 "ns1 300 IN A 192.0.2.1\n")
        edited = set(model.names())
        expected = {rr for rr in transfer.canonical_rrs(EDIT_ZONE, frame + model.master_text(),
                                                         self.workdir) if rr.owner in edited}
        held = {rr for rr in want if rr.owner in edited}
        diff = transfer.describe_difference(expected, held, "the edits", "the primary")
        self.assertFalse(diff, "the primary's %s is not what the edits made:\n%s" % (EDIT_ZONE,
                                                                                      diff))
        for host in self.cluster.secondaries:
            with self.subTest(secondary=host.name):
                self.assertSameZone(EDIT_ZONE, host, want, " after the edits")
                self.assertEqual(self.cluster.serial(host, EDIT_ZONE), serial)
        type(self).edits_done = True
        type(self).final_serial = serial

    def test_2_tidalctl_wait_and_status(self):
        self.require_edits()
        primary = self.cluster.primary.server
        serial = type(self).final_serial
        done = primary.tidalctl("wait", EDIT_ZONE, "--serial", str(serial), "--timeout", "10",
                                timeout=30)
        self.assertEqual(done.returncode, 0, "tidalctl wait %s --serial %s on the primary, with "
                         "every secondary serving it: exit %d\n%s%s" % (
                             EDIT_ZONE, serial, done.returncode, done.stdout, done.stderr))
        done = primary.tidalctl("status", EDIT_ZONE, timeout=30)
        self.assertEqual(done.returncode, 0, "tidalctl status: exit %d\n%s" % (done.returncode,
                                                                             done.stderr))
        self.assertIn(str(serial), done.stdout, "tidalctl status does not show the serial:\n"
                      + done.stdout)
        for host in self.cluster.secondaries:
            named = host.name in done.stdout or host.server.listen_address in done.stdout
            self.assertTrue(named, "tidalctl status on the primary does not show secondary %s "
                            "(%s):\n%s" % (host.name, host.server.listen_address, done.stdout))
        for host in self.cluster.secondaries:
            done = host.server.tidalctl("status", EDIT_ZONE, timeout=30)
            self.assertEqual(done.returncode, 0, "tidalctl status on %s: exit %d\n%s" % (
                host.name, done.returncode, done.stderr))
            self.assertIn(str(serial), done.stdout, "tidalctl status on %s:\n%s" % (
                host.name, done.stdout))

    def test_3_cut_off_secondary_converges_when_back(self):
        self.require_edits()
        ok, why = self.cluster.network.can_cut()
        if not ok:
            raise unittest.SkipTest("cannot cut a secondary off: " + why)
        net = self.cluster.network
        victim = self.cluster.secondaries[-1]
        others = self.cluster.secondaries[:-1]
        before = self.primary_serial(EDIT_ZONE)
        self.wait_converged([victim], EDIT_ZONE, before)
        refresh_before = self.primary_serial(REFRESH_ZONE)
        self.wait_converged([victim], REFRESH_ZONE, refresh_before)
        interface_problems = []
        net.cut(victim.index)
        try:
            self.assertIsNone(self.cluster.serial(victim, EDIT_ZONE),
                              "%s still answers over the network after its link went down" %
                              victim.name)
            serial = None
            for i in range(30):
                serial = self.edit(["add", "cut%02d.%s" % (i, EDIT_ZONE), 300, "A",
                                    "203.0.113.%d" % (i + 1)])
                if i == 10:
                    time.sleep(1.5)  # let NOTIFY rounds fail and back off
            refresh_serial = self.edit(["add", "cut.%s" % REFRESH_ZONE, 300, "A",
                                        "203.0.113.99"])
            self.cluster.primary.server.wait_serial(EDIT_ZONE, serial, 5.0)
            self.wait_converged(others, EDIT_ZONE, serial)
            # No NOTIFY for this zone: the others find the change at their next refresh (2 s).
            self.wait_converged(others, REFRESH_ZONE, refresh_serial, timeout=10.0)
            # Asked from inside its own namespace, the cut-off host still serves the old copy.
            local = victim.server.serial(EDIT_ZONE)
            self.assertEqual(local, before, "%s, cut off, serves %s serial %s (before the cut: "
                             "%s)" % (victim.name, EDIT_ZONE, local, before))
            done = self.cluster.primary.server.tidalctl("wait", EDIT_ZONE, "--serial",
                                                        str(serial), "--timeout", "2",
                                                        timeout=30)
            if done.returncode != 1:
                # INTERFACE.md: non-zero on timeout (1, a runtime failure; 2 would be a usage
                # error, e.g. a tidalctl without `wait`).
                interface_problems.append("tidalctl wait %s --serial %s --timeout 2 exited %d "
                                          "while %s was cut off, not 1\n%s%s" % (
                                              EDIT_ZONE, serial, done.returncode, victim.name,
                                              done.stdout, done.stderr))
            time.sleep(2.0)  # past a refresh interval: the victim's SOA checks fail too
        finally:
            net.restore(victim.index)
        restored = time.monotonic()
        self.wait_converged([victim], EDIT_ZONE, serial, timeout=20.0)
        self.note("%s converged %.1f s after its link came back" % (
            victim.name, time.monotonic() - restored))
        self.assertSameZone(EDIT_ZONE, victim, what=" after the cut")
        # Its failed refreshes are retried after the SOA RETRY (1 s), then every REFRESH (2 s).
        self.wait_converged([victim], REFRESH_ZONE, refresh_serial, timeout=10.0)
        self.note("%s had %s (no NOTIFY) %.1f s after its link came back" % (
            victim.name, REFRESH_ZONE, time.monotonic() - restored))
        self.assertSameZone(REFRESH_ZONE, victim, what=" after the cut")
        self.assertEqual(interface_problems, [])

    def test_4_primary_stopped_then_stale_policy(self):
        hosts = self.cluster.secondaries
        for zone in (REFUSE_ZONE, SERVE_ZONE):
            self.wait_converged(hosts, zone, self.primary_serial(zone))
        name = {REFUSE_ZONE: "www." + REFUSE_ZONE, SERVE_ZONE: "www." + SERVE_ZONE}
        # While the primary runs, no answer may be cached past last confirmation + S.
        for zone in (REFUSE_ZONE, SERVE_ZONE):
            for host in hosts:
                # Bounded wait: a secondary cut off in test_3 confirms again within a second
                # or two of its link coming back.
                box = [None]

                def answered(host=host, zone=zone, box=box):
                    box[0] = self.cluster.query(host, name[zone], "A")
                    return box[0] is not None and box[0].rcode == "NOERROR"

                process.wait_until(answered, 10.0, 0.2)
                r = box[0]
                self.assertIsNotNone(r, "%s does not answer %s" % (host.name, name[zone]))
                self.assertEqual((r.rcode, r.rdatas("answer", "A")), ("NOERROR", ["192.0.2.80"]),
                                 "%s: %s" % (host.name, r))
                self.assertLessEqual(r.answer[0].ttl, STALENESS, "%s gives %s a TTL of %d with "
                                     "max-staleness %d s:\n%s" % (host.name, name[zone],
                                                                  r.answer[0].ttl, STALENESS, r))
        self.cluster.stop_host(self.cluster.primary)
        stopped = time.monotonic()
        # Poll one secondary per zone (the third checks both at the end) until well past the
        # bound: at most S after the last confirmation, which came at most one refresh before
        # the stop.
        observed = {REFUSE_ZONE: [], SERVE_ZONE: []}
        watched = {REFUSE_ZONE: hosts[0], SERVE_ZONE: hosts[1]}
        end = stopped + STALENESS + STALE_REFRESH + 4.0
        for _ in range(1000):
            if time.monotonic() >= end:
                break
            for zone in (REFUSE_ZONE, SERVE_ZONE):
                # The server answered between sent and received (seconds after the stop):
                # upper bounds are checked against sent, lower bounds against received.
                sent = time.monotonic() - stopped
                r = self.cluster.query(watched[zone], name[zone], "A")
                received = time.monotonic() - stopped
                if r is None:
                    observed[zone].append((sent, received, "TIMEOUT", None, []))
                else:
                    observed[zone].append((sent, received, r.rcode,
                                           r.answer[0].ttl if r.answer else None,
                                           r.rdatas("answer", "A")))
            time.sleep(0.15)

        def timeline(rows):
            return "\n".join("  +%.2f..%.2f s %s ttl=%s %s" % row for row in rows)

        # refuse: answers until the bound (TTL never past it, shrinking), then SERVFAIL.
        rows = observed[REFUSE_ZONE]
        text = "%s on %s after the primary stopped:\n%s" % (name[REFUSE_ZONE],
                                                            watched[REFUSE_ZONE].name,
                                                            timeline(rows))
        self.assertNotIn("TIMEOUT", [r[2] for r in rows], text)
        fresh = [r for r in rows if r[2] == "NOERROR"]
        failing = [r for r in rows if r[2] == "SERVFAIL"]
        self.assertTrue(fresh and fresh[0][0] < 1.0, "no answer right after the stop\n" + text)
        self.assertTrue(all(r[4] == ["192.0.2.80"] for r in fresh), text)
        self.assertTrue(failing, "stale-policy refuse: no SERVFAIL %.1f s after the primary "
                        "stopped (max-staleness %d s)\n%s" % (end - stopped, STALENESS, text))
        # The last confirmation came at most one refresh (plus a round trip) before the stop.
        self.assertGreaterEqual(failing[0][1], STALENESS - STALE_REFRESH - 0.5,
                                "SERVFAIL came before max-staleness ran out\n" + text)
        late_answers = [r for r in fresh if r[0] > STALENESS + 0.5]
        self.assertEqual(late_answers, [], "answers (not SERVFAIL) later than max-staleness "
                         "after the primary's last answer\n" + text)
        self.assertEqual([r for r in rows if r[0] > failing[0][1] and r[2] != "SERVFAIL"], [],
                         "answers again after SERVFAIL with the primary still down\n" + text)
        for sent, _, _, ttl, _ in fresh:
            self.assertLessEqual(ttl, max(0, STALENESS - sent) + 1,
                                 "a TTL of %d at +%.2f s reaches past the last confirmation + "
                                 "%d s\n%s" % (ttl, sent, STALENESS, text))
        ttls = [r[3] for r in fresh]
        self.assertEqual(ttls, sorted(ttls, reverse=True), "TTLs do not shrink\n" + text)
        self.assertLessEqual(ttls[-1], STALENESS // 2, "the last TTL before SERVFAIL is %d\n%s"
                             % (ttls[-1], text))

        # serve: never refused; TTL <= S while fresh, <= 30 s once stale.
        rows = observed[SERVE_ZONE]
        text = "%s on %s after the primary stopped:\n%s" % (name[SERVE_ZONE],
                                                            watched[SERVE_ZONE].name,
                                                            timeline(rows))
        bad = [r for r in rows if r[2] != "NOERROR" or r[4] != ["192.0.2.80"]]
        self.assertEqual(bad, [], "stale-policy serve must keep answering\n" + text)
        for sent, received, _, ttl, _ in rows:
            limit = max(0, STALENESS - sent) + 1 if received < STALENESS - STALE_REFRESH - 0.5 \
                else SERVE_STALE_TTL
            self.assertLessEqual(ttl, limit, "TTL %d at +%.2f s\n%s" % (ttl, sent, text))
        late = [r for r in rows if r[0] > STALENESS + 1.5]
        self.assertTrue(late, text)

        # Every secondary, at the end: refuse -> SERVFAIL, serve -> answer with TTL <= 30.
        for host in hosts:
            r = self.cluster.query(host, name[REFUSE_ZONE], "A")
            self.assertEqual(r.rcode if r else None, "SERVFAIL", "%s: %s" % (host.name, r))
            r = self.cluster.query(host, name[SERVE_ZONE], "A")
            self.assertEqual((r.rcode, r.rdatas("answer", "A")) if r else None,
                             ("NOERROR", ["192.0.2.80"]), "%s: %s" % (host.name, r))
            self.assertLessEqual(r.answer[0].ttl, SERVE_STALE_TTL, "%s: %s" % (host.name, r))
            # The zone that needs no freshness is still served as it was.
            r = self.cluster.query(host, "www." + EDIT_ZONE, "A")
            self.assertEqual(r.rcode if r else None, "NOERROR", "%s: %s" % (host.name, r))


if __name__ == "__main__":
    main()
