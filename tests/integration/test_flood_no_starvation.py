#!/usr/bin/python3
"""A flood of UDP queries never starves replication (issue 7: "floods of queries never starve
zone transfers or NOTIFY handling").

A Tidal primary and a Tidal secondary on loopback, with tidal-sync on both. dnsperf floods the
primary's tidald with UDP queries from 127.0.0.1 (as many outstanding as it can keep), and a
second, open-loop flooder sends from another address without waiting for answers. While that
runs:
- an edit on the primary (tidalctl record add) must reach the secondary within 15 s: NOTIFY
  from the primary's tidal-sync, then the secondary's SOA check and IXFR against the flooded
  tidald;
- an AXFR of the zone with dig over TCP from the flooded primary completes and holds the edit;
- a second edit follows the first the same way.
The flood is checked to have been a flood (dnsperf's own count), so the test cannot pass
vacuously.
"""

import os
import re
import shutil
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import process, transfer, wire  # noqa: E402
from lib.ports import free_port, udp_socket_drops  # noqa: E402
from lib.replication import Remote, ZoneSpec  # noqa: E402
from lib.replication_case import ensure_dir  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

ZONE = "flood.test."
FLOOD_SECONDS = 25   # dnsperf's own limit; stopped earlier once the checks are done
PROPAGATION = 15.0   # seconds an edit may take to reach the secondary under the flood
EDITS = 4
ZONE_TEXT = """$ORIGIN flood.test.
$TTL 300
@ IN SOA ns1 hostmaster 1 3600 600 86400 300
@ IN NS ns1
ns1 IN A 192.0.2.1
www IN A 192.0.2.80
mail IN A 192.0.2.25
@ IN MX 10 mail
"""


class OpenLoopFlooder(threading.Thread):
    """Sends queries from source to port as fast as one socket takes them, reading nothing
    back, until stop() or `seconds` pass (bounded)."""

    def __init__(self, port, source, seconds):
        super().__init__(daemon=True)
        self.port = port
        self.source = source
        self.seconds = seconds
        self.sent = 0
        self._halt = threading.Event()

    def run(self):
        queries = [wire.build_query(name, "A", msg_id=i, rd=False, edns=1232)
                   for i, name in enumerate(("www.flood.test.", "nx.flood.test.",
                                             "mail.flood.test.", "other.test."))]
        deadline = time.monotonic() + self.seconds
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((self.source, 0))
            s.setblocking(False)
            while not self._halt.is_set() and time.monotonic() < deadline:
                for q in queries:
                    try:
                        s.sendto(q, ("127.0.0.1", self.port))
                        self.sent += 1
                    except (BlockingIOError, OSError):
                        time.sleep(0.001)

    def stop(self):
        self._halt.set()
        self.join(timeout=5)


class FloodNoStarvationTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "tidal-sync")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        if shutil.which("dnsperf") is None:
            raise AssertionError("dnsperf is not installed (make deps)")
        cls.make_workdir("tidal-flood-")
        zone_file = os.path.join(cls.workdir, "flood.zone")
        with open(zone_file, "w") as f:
            f.write(ZONE_TEXT)
        cls.key = TsigKey.random("flood", "hmac-sha256")
        ports = [free_port() for _ in range(2)]
        primary_remote = Remote("primary", ports[0], cls.key)
        secondary_remote = Remote("secondary", ports[1], cls.key)
        cls.primary = TidalServer(
            ensure_dir(os.path.join(cls.workdir, "primary")),
            [ZoneSpec(ZONE, zone_file, notify=[secondary_remote], allow_transfer=[cls.key])],
            port=ports[0])
        cls.secondary = TidalServer(
            ensure_dir(os.path.join(cls.workdir, "secondary")),
            [ZoneSpec(ZONE, role="secondary", primaries=[primary_remote],
                      allow_notify=[primary_remote], allow_transfer=[cls.key])],
            port=ports[1], workers=1)
        for server in (cls.primary, cls.secondary):
            cls.add_server(server)
            server.start()
            server.start_sync()
        cls.secondary.wait_serial(ZONE, 1, timeout=20)

    @classmethod
    def tearDownClass(cls):
        cls.stop_and_clean_up()

    def start_dnsperf(self):
        data = os.path.join(self.workdir, "queries.txt")
        with open(data, "w") as f:
            f.write("www.flood.test. A\nnx.flood.test. A\nflood.test. MX\nwww.other.test. A\n"
                    "mail.flood.test. AAAA\n")
        self.dnsperf_log = os.path.join(self.workdir, "dnsperf.log")
        return process.ManagedProcess(
            ["dnsperf", "-s", "127.0.0.1", "-p", str(self.primary.port), "-d", data,
             "-l", str(FLOOD_SECONDS), "-c", "4", "-q", "2000", "-t", "1"], self.dnsperf_log)

    def test_edits_and_transfers_go_through_a_query_flood(self):
        flood = self.start_dnsperf()
        flooder = OpenLoopFlooder(self.primary.port, "127.0.0.9", FLOOD_SECONDS)
        flooder.start()
        results = []
        try:
            time.sleep(2.0)  # let the flood build up
            self.assertTrue(flood.alive(), "dnsperf must be running:\n" + flood.log_text())
            drops_before = udp_socket_drops(self.primary.port)
            for i in range(1, EDITS + 1):
                time.sleep(1.0)  # edits spread over the flood
                serial = self.primary.record("add", "edit%d.flood.test." % i, 300, "A",
                                             "192.0.2.%d" % (100 + i))
                self.assertIsNotNone(serial)
                started = time.monotonic()
                seen = transfer.wait_for_serial(self.secondary.port, ZONE, serial, PROPAGATION)
                took = time.monotonic() - started
                self.assertTrue(seen is not None and transfer.serial_ge(seen, serial),
                                "edit %d (serial %s) not on the secondary %.0f s into the flood "
                                "(it serves %s)" % (i, serial, PROPAGATION, seen))
                started = time.monotonic()
                axfr = transfer.axfr(self.primary.port, ZONE, key=self.key, timeout=15)
                axfr_took = time.monotonic() - started
                self.assertTrue(axfr.complete, axfr.describe())
                self.assertEqual(axfr.serial(), serial)
                self.assertTrue(any(l.startswith("edit%d.flood.test." % i)
                                    for l in axfr.zone_lines()), axfr.describe())
                results.append((took, axfr_took))
            self.assertTrue(flood.alive(), "the flood must last the whole test")
            drops = udp_socket_drops(self.primary.port) - drops_before
        finally:
            flooder.stop()
            # SIGINT: dnsperf stops early and still prints its summary (SIGTERM would not).
            if flood.alive():
                flood.proc.send_signal(signal.SIGINT)
                process.wait_until(lambda: not flood.alive(), 5.0)
            flood.stop()
        text = flood.log_text()
        sent = re.search(r"Queries sent:\s+(\d+)", text)
        qps = re.search(r"Queries per second:\s+([\d.]+)", text)
        sys.stderr.write("flood: dnsperf %s queries (%s qps answered), open-loop flooder %d "
                         "datagrams, %d of them dropped by the kernel at tidald's full UDP sockets; "
                         "propagation %s s, AXFR %s s\n" % (
                             sent.group(1) if sent else "?", qps.group(1) if qps else "?",
                             flooder.sent, drops, ", ".join("%.2f" % r[0] for r in results),
                             ", ".join("%.2f" % r[1] for r in results)))
        # A flood worth the name: thousands of queries a second over the test, from each source.
        self.assertGreater(flooder.sent, 20000, "the open-loop flooder barely sent anything")
        if sent:  # dnsperf stopped by a signal may not print its summary
            self.assertGreater(int(sent.group(1)), 20000, text[-2000:])


if __name__ == "__main__":
    main()
