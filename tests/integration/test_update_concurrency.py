#!/usr/bin/python3
"""No lost update: N nsupdate clients at once against one tidald primary (issue 4, point 4).

Each of N clients (half over UDP, half over TCP) runs ROUNDS compare-and-set edits, each ONE
UPDATE message that
  - requires its own new name to be absent (prereq nxdomain) and adds it, and
  - requires the shared counter to hold the value the client last read (prereq yxrrset with
    the value: RFC 2136 §2.4.2) and replaces it with value + 1.
A client whose prerequisite fails (another client won the race: NXRRSET) reads the counter
again and retries, a bounded number of times. Meanwhile a watcher asks for the SOA serial in
a loop.

At the end, as if the acknowledged updates had been applied one after the other:
  - the counter equals the number of NOERROR-acknowledged updates (no two were applied on the
    same counter value: nothing was lost or applied twice),
  - every acknowledged name is present, no refused one is,
  - the serial went up by exactly the number of acknowledged updates,
  - the serials the watcher saw never went down.
"""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import nsupdate, paths, transfer  # noqa: E402
from lib.dig import Dig  # noqa: E402
from lib.replication import ZoneSpec  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

ZONE = "example.test."
COUNTER = "counter.example.test."
CLIENTS = 8
ROUNDS = 4
MAX_ATTEMPTS = 40  # per round; a client that loses this often fails the test
DEADLINE = 240.0   # seconds for the whole run


class ConcurrentUpdates(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "nsupdate")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        workdir = cls.make_workdir("tidal-update-race-")
        cls.editor = TsigKey.random("editor")
        cls.server = cls.add_server(TidalServer(
            os.path.join(workdir, "tidal"),
            [ZoneSpec(ZONE, paths.zone_path("example.test.zone"), allow_update=[cls.editor])],
            workers=2))
        os.makedirs(cls.server.workdir, exist_ok=True)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.stop_and_clean_up()

    def counter(self):
        r = Dig(self.server.port).query(COUNTER, "TXT", opts=["+norec", "+time=2", "+tries=2"])
        if r is None:
            return None
        values = r.rdatas("answer", "TXT")
        return int(values[0].strip('"')) if len(values) == 1 else None

    def test_concurrent_compare_and_set(self):
        port = self.server.port
        out = nsupdate.update(port, ZONE, ['update add %s 60 TXT "0"' % COUNTER], key=self.editor)
        self.assertEqual(out.rcode, "NOERROR", out.describe())
        start_serial = transfer.wait_for_serial(port, ZONE, 2024010102, 5.0)
        self.assertEqual(start_serial, 2024010102)
        self.assertEqual(self.counter(), 0)

        acknowledged = []   # names whose UPDATE was answered NOERROR
        refused = []        # names whose UPDATE was answered with a prerequisite rcode
        problems = []
        lock = threading.Lock()
        stop_watch = threading.Event()
        serials = []
        deadline = time.monotonic() + DEADLINE

        def watcher():
            while not stop_watch.is_set() and time.monotonic() < deadline:
                s = transfer.soa_serial(port, ZONE)
                if s is not None:
                    serials.append(s)
                time.sleep(0.02)

        def client(index):
            tcp = index % 2 == 1
            for round_ in range(ROUNDS):
                name = "c%d-r%d.example.test." % (index, round_)
                for attempt in range(MAX_ATTEMPTS):
                    if time.monotonic() > deadline:
                        with lock:
                            problems.append("client %d ran out of time" % index)
                        return
                    value = self.counter()
                    if value is None:
                        continue
                    # The answer is published ~100 ms after a commit, so the value read may be
                    # stale: then the prerequisite fails (NXRRSET) and the client retries.
                    out = nsupdate.update(port, ZONE, [
                        "prereq nxdomain %s" % name,
                        'prereq yxrrset %s TXT "%d"' % (COUNTER, value),
                        'update delete %s TXT' % COUNTER,
                        'update add %s 60 TXT "%d"' % (COUNTER, value + 1),
                        'update add %s 300 TXT "client %d round %d"' % (name, index, round_),
                    ], key=self.editor, tcp=tcp)
                    with lock:
                        if out.rcode == "NOERROR":
                            acknowledged.append(name)
                            break
                        if out.rcode in ("NXRRSET", "YXDOMAIN"):
                            refused.append(name)
                            continue
                        problems.append("client %d: unexpected %s" % (index, out.describe()))
                        return
                else:
                    with lock:
                        problems.append("client %d round %d: %d attempts lost the race" % (
                            index, round_, MAX_ATTEMPTS))

        watch = threading.Thread(target=watcher)
        watch.start()
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(DEADLINE + 30)
        stop_watch.set()
        watch.join(10)

        sys.stderr.write("%d updates acknowledged, %d lost a race and were retried, %d "
                         "distinct serials seen\n" % (len(acknowledged), len(refused),
                                                      len(set(serials))))
        self.assertEqual(problems, [])
        self.assertEqual(len(acknowledged), CLIENTS * ROUNDS)
        final = transfer.wait_for_serial(port, ZONE, start_serial + len(acknowledged), 5.0)
        # One serial per acknowledged update, and nothing else was applied.
        self.assertEqual(final, start_serial + len(acknowledged))
        self.assertEqual(self.counter(), len(acknowledged))
        dig = Dig(port)
        for name in acknowledged:
            r = dig.query(name, "TXT", opts=["+norec"])
            self.assertEqual(len(r.rdatas("answer", "TXT")), 1, "%s acknowledged, missing" % name)
        # Monotonic reads: the served serial never went back.
        for a, b in zip(serials, serials[1:]):
            self.assertTrue(transfer.serial_ge(b, a), "serial went from %d to %d" % (a, b))
        self.assertGreater(len(set(serials)), 1, "the watcher saw no change at all")
        self.assertEqual(self.server.sanitizer_reports(), [])


if __name__ == "__main__":
    main()
