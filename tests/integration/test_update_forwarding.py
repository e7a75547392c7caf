#!/usr/bin/python3
"""Update forwarding (RFC 2136 §6) between two Tidal hosts, each running tidald and tidal-sync.

    primary    example.test. from a file, notify: [secondary], allow-update: [editor]
    secondary  example.test. role secondary, primaries: [primary] (does not know `editor`)
               stuck.test.   role secondary, primaries: [blackhole] (a TCP port that accepts
                             connections and never answers)

nsupdate signed with `editor` and sent to the SECONDARY is forwarded unchanged to the primary
(its TSIG stays valid there) and the primary's answer relayed: the client sees NOERROR (UDP and
TCP), the change is on the primary at once and then on the secondary (NOTIFY + IXFR); a failed
prerequisite and a wrong key come back with the primary's rcode. With no primary answering the
client gets SERVFAIL: at once when the primary is down (connection refused), and after the
5 s forwarding timeout when the primary accepts and stays silent.
"""

import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import nsupdate, paths, transfer  # noqa: E402
from lib.dig import Dig  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.replication import Remote, ZoneSpec  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

ZONE = "example.test."
FORWARD_TIMEOUT = 5.0  # tidald's per-primary forwarding timeout


class UpdateForwarding(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "tidal-sync", "nsupdate")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        workdir = cls.make_workdir("tidal-update-forward-")
        cls.editor = TsigKey.random("editor")
        xfr = TsigKey.random("xfr")
        primary_port, secondary_port = free_port(), free_port()
        # A listening socket that is never accepted from: connections complete in the kernel
        # (backlog) and the UPDATE is never answered.
        cls.blackhole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        cls.blackhole.bind(("127.0.0.1", 0))
        cls.blackhole.listen(16)
        blackhole_port = cls.blackhole.getsockname()[1]
        primary_remote = Remote("primary", primary_port, xfr)
        secondary_remote = Remote("secondary", secondary_port, xfr)
        blackhole_remote = Remote("blackhole", blackhole_port, xfr)
        try:
            cls.primary = cls.add_server(TidalServer(
                os.path.join(workdir, "primary"),
                [ZoneSpec(ZONE, paths.zone_path("example.test.zone"), notify=[secondary_remote],
                          allow_transfer=[xfr], allow_update=[cls.editor])],
                port=primary_port))
            cls.secondary = cls.add_server(TidalServer(
                os.path.join(workdir, "secondary"),
                [ZoneSpec(ZONE, role="secondary", primaries=[primary_remote],
                          allow_notify=[primary_remote], allow_transfer=[xfr]),
                 ZoneSpec("stuck.test.", role="secondary", primaries=[blackhole_remote])],
                port=secondary_port))
            for server in (cls.primary, cls.secondary):
                os.makedirs(server.workdir, exist_ok=True)
                server.start()
                server.start_sync()
            first = transfer.soa_serial(primary_port, ZONE)
            seen = transfer.wait_for_serial(secondary_port, ZONE, first, 20.0)
            if seen != first:
                raise AssertionError("the secondary did not transfer %s (serial %s, primary %s)"
                                     % (ZONE, seen, first))
        except Exception:
            cls._failed = True
            cls.print_logs("set-up failed")
            cls.stop_servers()
            cls.blackhole.close()
            cls.cleanup_workdir()
            raise

    @classmethod
    def tearDownClass(cls):
        statuses = cls.stop_servers()
        cls.blackhole.close()
        problems = [s.sanitizer_reports() for s in (cls.primary, cls.secondary)]
        cls.cleanup_workdir()
        cls.check_clean_exits(statuses)
        if any(problems):
            raise AssertionError("sanitizer reports: %s" % problems)

    def send(self, port, commands, zone=ZONE, **kwargs):
        kwargs.setdefault("key", self.editor)
        return nsupdate.update(port, zone, commands, log_path=self.secondary.log_path, **kwargs)

    def rdatas(self, port, name, rtype):
        r = Dig(port).query(name, rtype, opts=["+norec", "+time=2", "+tries=2"])
        self.assertIsNotNone(r)
        return r.rdatas("answer", rtype)

    def test_1_update_to_the_secondary_reaches_both(self):
        for transport, tcp in (("UDP", False), ("TCP", True)):
            with self.subTest(transport):
                name = "fwd-%s.example.test." % transport.lower()
                before = transfer.soa_serial(self.primary.port, ZONE)
                out = self.send(self.secondary.port,
                                ["update add %s 300 A 192.0.2.%d" % (name, 10 + tcp)], tcp=tcp)
                self.assertEqual(out.rcode, "NOERROR", out.describe())
                # On the primary as soon as it is published (~100 ms), one serial bump.
                self.assertEqual(
                    transfer.wait_for_serial(self.primary.port, ZONE, before + 1, 5.0),
                    before + 1)
                self.assertEqual(self.rdatas(self.primary.port, name, "A"),
                                 ["192.0.2.%d" % (10 + tcp)])
                # Then on the secondary, by NOTIFY and IXFR.
                self.assertEqual(
                    transfer.wait_for_serial(self.secondary.port, ZONE, before + 1, 15.0),
                    before + 1, self.secondary.log_text()[-4000:])
                self.assertEqual(self.rdatas(self.secondary.port, name, "A"),
                                 ["192.0.2.%d" % (10 + tcp)])
        self.assertRegex(self.secondary.proc.log_text(),
                         r"UPDATE example\.test\. from 127\.0\.0\.1 key .*forwarded to primary")

    def test_2_primary_rcodes_are_relayed(self):
        before = transfer.soa_serial(self.primary.port, ZONE)
        out = self.send(self.secondary.port, ["prereq nxdomain www.example.test.",
                                              "update add www.example.test. 300 A 192.0.2.1"])
        self.assertEqual(out.rcode, "YXDOMAIN", out.describe())
        out = self.send(self.secondary.port, ["update add bad.example.test. 300 A 192.0.2.1"],
                        key=self.editor.wrong_secret())
        self.assertEqual(out.rcode, "NOTAUTH", out.describe())
        out = self.send(self.secondary.port, ["update add bad.example.test. 300 A 192.0.2.1"],
                        key=None)
        self.assertEqual(out.rcode, "REFUSED", out.describe())
        time.sleep(0.3)
        self.assertEqual(transfer.soa_serial(self.primary.port, ZONE), before)

    def test_3_silent_primary_times_out_with_servfail(self):
        started = time.monotonic()
        out = self.send(self.secondary.port, ["update add x.stuck.test. 300 A 192.0.2.1"],
                        zone="stuck.test.", tcp=True, timeout=20)
        elapsed = time.monotonic() - started
        self.assertEqual(out.rcode, "SERVFAIL", out.describe())
        self.assertGreaterEqual(elapsed, FORWARD_TIMEOUT - 0.5)
        self.assertLess(elapsed, FORWARD_TIMEOUT + 4.0)

    def test_4_primary_down_gives_servfail(self):
        self.primary.proc.stop()
        try:
            started = time.monotonic()
            out = self.send(self.secondary.port, ["update add down.example.test. 300 A 192.0.2.1"])
            self.assertEqual(out.rcode, "SERVFAIL", out.describe())
            self.assertLess(time.monotonic() - started, FORWARD_TIMEOUT + 4.0)
            self.assertTrue(self.secondary.alive())
        finally:
            self.primary.proc = None  # stopped here; tearDown must not stop it again
            self.primary.sync.stop()
            self.primary.sync = None


if __name__ == "__main__":
    main()
