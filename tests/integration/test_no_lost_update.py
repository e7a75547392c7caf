"""No lost update: many editors at once on one primary — tidalctl writing the local database,
tidalctl --server and BIND's nsupdate sending TSIG-signed RFC 2136 UPDATEs to tidald — each
adding its own records, and all of them incrementing one shared counter by compare-and-set
(read the value, then an edit with the prerequisite "the counter is exactly v": delete v, add
v+1; a loser gets NXRRSET and retries, bounded). At the end:
  - the zone equals the initial zone plus every acknowledged add, with the counter equal to
    the number of acknowledged increments (the serial application of what was acknowledged);
  - nothing acknowledged is missing, nothing unacknowledged appeared;
  - the serial went up by exactly one per acknowledged change, the journal has one entry per
    change and its serials chain strictly increasing (RFC 1982);
  - an IXFR from the initial serial, applied to the initial zone, gives the final zone.
"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, transfer  # noqa: E402
from lib.replication import ZoneSpec  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

ORIGIN = "race.test."
INITIAL_SERIAL = 1000
ZONE_TEXT = """$ORIGIN race.test.
$TTL 300
@       SOA   ns1 hostmaster %d 3600 900 1209600 300
@       NS    ns1
ns1     A     192.0.2.53
counter TXT   "0"
""" % INITIAL_SERIAL

LOCAL_WRITERS = 6
REMOTE_CTL_WRITERS = 3
NSUPDATE_WRITERS = 3
ADDS_EACH = 4
INCREMENTS_EACH = 3
CAS_ATTEMPTS = 60        # per increment, before the writer gives up (the test then fails)
TEST_DEADLINE = 400      # seconds for all writers together
COMMAND_TIMEOUT = 60


def run(argv, stdin_text=""):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                              input=stdin_text)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(argv, -1, "", "timed out: %s" % e)


class Writer(threading.Thread):
    """One editor: ADDS_EACH adds of its own names and INCREMENTS_EACH compare-and-set
    increments of the counter, interleaved, each retried only when a prerequisite failed."""

    def __init__(self, test, kind, index):
        super().__init__(name="%s-%d" % (kind, index), daemon=True)
        self.test = test
        self.kind = kind  # "local", "remote" (tidalctl --server) or "nsupdate"
        self.index = index
        self.acked_adds = []      # (owner, address)
        self.acked_increments = []  # values written
        self.errors = []
        self.serials = []         # serials local tidalctl reported
        self.rng = random.Random("%s-%d" % (kind, index))

    # --- the three ways to send one edit -----------------------------------------------

    def send(self, lines):
        """Sends edit lines ("add NAME TTL TYPE RDATA", "del ...", "prereq ...") as one change.
        Returns (acknowledged, prerequisite_failed, output)."""
        t = self.test
        if self.kind == "nsupdate":
            text = "server 127.0.0.1 %d\nzone %s\n" % (t.server.port, ORIGIN)
            for line in lines:
                words = line.split(None, 1)
                if words[0] == "prereq":
                    text += "prereq %s\n" % _absolute_nsupdate(words[1])
                elif words[0] == "add":
                    text += "update add %s\n" % _absolute_nsupdate(words[1])
                elif words[0] == "del":
                    text += "update delete %s\n" % _absolute_nsupdate(words[1])
            done = run([paths.nsupdate(), "-v", "-y", t.key.dig_arg()], text + "send\n")
            out = done.stdout + done.stderr
            return done.returncode == 0, "NXRRSET" in out, out
        argv = [paths.tidalctl(), "--config", t.server.config_path]
        if self.kind == "remote":
            argv += ["--server", "127.0.0.1:%d" % t.server.port, "--key", t.key.dig_arg()]
        argv += ["apply", "--zone", ORIGIN, "-"]
        done = run(argv, "\n".join(lines) + "\n")
        out = done.stdout + done.stderr
        if done.returncode == 0 and self.kind == "local":
            m = re.search(r"serial (\d+)", done.stdout)
            if m:
                self.serials.append(int(m.group(1)))
        return done.returncode == 0, done.returncode == 1 and "NXRRSET" in out, out

    # --- operations ----------------------------------------------------------------------

    def add(self, n):
        owner = "w-%s-%d-%d" % (self.kind, self.index, n)
        address = "10.%d.%d.%d" % (["local", "remote", "nsupdate"].index(self.kind),
                                   self.index, n + 1)
        ok, _, out = self.send(["add %s 300 A %s" % (owner, address)])
        if ok:
            self.acked_adds.append((owner + "." + ORIGIN, address))
        else:
            self.errors.append("add %s failed: %s" % (owner, out.strip()))

    def increment(self):
        for _ in range(CAS_ATTEMPTS):
            value = self.test.read_counter()
            if value is None:
                time.sleep(0.05)
                continue
            ok, lost, out = self.send([
                'prereq yxrrset counter TXT "%d"' % value,
                'del counter TXT "%d"' % value,
                'add counter 300 TXT "%d"' % (value + 1)])
            if ok:
                self.acked_increments.append(value + 1)
                return
            if not lost:
                self.errors.append("increment from %d failed: %s" % (value, out.strip()))
                return
            time.sleep(self.rng.uniform(0.0, 0.1))  # lost the race: read again
        self.errors.append("increment gave up after %d attempts" % CAS_ATTEMPTS)

    def run(self):
        ops = ["add"] * ADDS_EACH + ["inc"] * INCREMENTS_EACH
        self.rng.shuffle(ops)
        self.test.start_gate.wait(timeout=60)
        n = 0
        for op in ops:
            if time.monotonic() > self.test.deadline:
                self.errors.append("ran out of time")
                return
            if op == "add":
                self.add(n)
                n += 1
            else:
                self.increment()


def _absolute_nsupdate(rest):
    """'counter TXT "5"' -> 'counter.race.test. TXT "5"' (nsupdate wants absolute names;
    for prereq lines the first word is the prerequisite kind)."""
    words = rest.split(None, 1)
    if words[0] in ("yxrrset", "nxrrset", "yxdomain", "nxdomain"):
        kind, rest = words[0], words[1]
        return kind + " " + _absolute_nsupdate(rest)
    name, tail = rest.split(None, 1)
    return "%s.%s %s" % (name, ORIGIN, tail)


class NoLostUpdateTest(unittest.TestCase):
    def setUp(self):
        if not os.environ.get("TIDALCTL"):
            self.fail("TIDALCTL is not set (run through ctest)")
        self.tmp = tempfile.mkdtemp(prefix="tidal-race-")
        self.zone_file = os.path.join(self.tmp, "race.test.zone")
        with open(self.zone_file, "w") as f:
            f.write(ZONE_TEXT)
        self.key = TsigKey.random("editor")
        spec = ZoneSpec(ORIGIN, self.zone_file, allow_update=[self.key],
                        allow_transfer=["127.0.0.1"])
        self.server = TidalServer(self.tmp, [spec])
        self.server.start()
        self.db = os.path.join(self.tmp, "tidal.db")
        self.start_gate = threading.Event()
        self.deadline = time.monotonic() + TEST_DEADLINE

    def tearDown(self):
        try:
            self.server.stop()
            self.assertEqual(self.server.sanitizer_reports(), [])
        finally:
            if os.environ.get("TIDAL_KEEP_TMP"):
                print("\ntest files kept in %s" % self.tmp)
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def read_counter(self):
        """The counter as the database holds it now (a read-only SQLite query, independent of
        tidalctl and tidald)."""
        done = run(["sqlite3", "-readonly", self.db,
                    "SELECT hex(rdata) FROM records WHERE type = 16 AND owner = x'%s'"
                    % _wire_hex("counter." + ORIGIN)])
        if done.returncode != 0 or not done.stdout.strip():
            return None
        rdata = bytes.fromhex(done.stdout.split()[0])
        return int(rdata[1:1 + rdata[0]].decode())

    def nsupdate_works(self):
        text = "server 127.0.0.1 %d\nzone %s\nupdate add probe.%s 60 A 192.0.2.250\nsend\n" % (
            self.server.port, ORIGIN, ORIGIN)
        done = run([paths.nsupdate(), "-v", "-y", self.key.dig_arg()], text)
        if done.returncode == 0:
            return True, ""
        return False, done.stdout + done.stderr

    def test_concurrent_editors_lose_nothing(self):
        remote_ok, why = self.nsupdate_works()
        if not remote_ok and os.environ.get("TIDAL_UPDATE_READY") != "1" and \
                ("NOTIMP" in why or "REFUSED" in why):
            remote = 0  # tidald does not take UPDATE yet: the local editors race alone
            print("\nnote: tidald refuses UPDATE (%s); local editors only" % why.strip())
        else:
            self.assertTrue(remote_ok, "nsupdate with the allowed key: " + why)
            remote = 1
        initial = self.export_rrs()
        initial_serial = self.stored_serial()

        writers = [Writer(self, "local", i) for i in range(LOCAL_WRITERS)]
        if remote:
            writers += [Writer(self, "remote", i) for i in range(REMOTE_CTL_WRITERS)]
            writers += [Writer(self, "nsupdate", i) for i in range(NSUPDATE_WRITERS)]
        for w in writers:
            w.start()
        self.start_gate.set()
        for w in writers:
            w.join(timeout=max(1.0, self.deadline - time.monotonic() + 30))
            self.assertFalse(w.is_alive(), "%s did not finish in time" % w.name)
        errors = [e for w in writers for e in w.errors]
        self.assertEqual(errors, [], "editors failed")

        acked_adds = [a for w in writers for a in w.acked_adds]
        increments = sorted(v for w in writers for v in w.acked_increments)
        changes = len(acked_adds) + len(increments)
        self.assertEqual(len(acked_adds), len(writers) * ADDS_EACH)
        self.assertEqual(len(increments), len(writers) * INCREMENTS_EACH)
        # Every value 1..n written exactly once: no two editors won the same compare-and-set.
        self.assertEqual(increments, list(range(1, len(increments) + 1)))

        # The zone is the serial application of what was acknowledged.
        final = self.export_rrs()
        expected = {rr for rr in initial if rr.rtype != "SOA" and
                    not (rr.owner == "counter." + ORIGIN)}
        expected |= {transfer.CanonicalRR(owner, 300, "IN", "A", address)
                     for owner, address in acked_adds}
        expected.add(transfer.CanonicalRR("counter." + ORIGIN, 300, "IN", "TXT",
                                          '"%d"' % len(increments)))
        final_no_soa = {rr for rr in final if rr.rtype != "SOA"}
        self.assertEqual(final_no_soa, expected,
                         transfer.describe_difference(final_no_soa, expected, "zone",
                                                      "acknowledged"))

        # One serial per acknowledged change, one journal entry each, chained and increasing.
        final_serial = self.stored_serial()
        self.assertEqual(final_serial, initial_serial + changes)
        chain = self.journal_since(initial_serial)
        self.assertEqual(len(chain), changes)
        previous = initial_serial
        for serial_from, serial_to in chain:
            self.assertEqual(serial_from, previous)
            self.assertTrue(transfer.serial_gt(serial_to, serial_from), (serial_from, serial_to))
            previous = serial_to
        local_serials = [s for w in writers for s in w.serials]
        self.assertEqual(len(local_serials), len(set(local_serials)),
                         "two local edits reported the same serial")

        # tidald serves the last serial, and an IXFR from the first applied to the initial
        # zone gives the final one.
        self.server.wait_serial(ORIGIN, final_serial, timeout=10)
        ixfr = transfer.ixfr(self.server.port, ORIGIN, initial_serial)
        self.assertTrue(ixfr.is_incremental(), ixfr.describe())
        self.assertEqual(ixfr.serial(), final_serial)
        replayed = self.replay(initial, ixfr)
        final_cmp = {(rr.owner, rr.rtype, rr.rdata) for rr in final if rr.rtype != "SOA"}
        self.assertEqual(replayed, final_cmp)

    # --- helpers -------------------------------------------------------------------------

    def export_rrs(self):
        done = self.server.tidalctl("zone", "export", ORIGIN)
        self.assertEqual(done.returncode, 0, done.stderr)
        return transfer.canonical_rrs(ORIGIN, done.stdout, workdir=self.tmp)

    def stored_serial(self):
        done = run(["sqlite3", "-readonly", self.db,
                    "SELECT serial FROM zones WHERE name_text = '%s'" % ORIGIN])
        self.assertEqual(done.returncode, 0, done.stderr)
        return int(done.stdout.strip())

    def journal_since(self, serial):
        """(serial_from, serial_to) of the journal entries after serial, in commit order."""
        done = run(["sqlite3", "-readonly", self.db,
                    "SELECT serial_from, serial_to FROM journal ORDER BY id"])
        self.assertEqual(done.returncode, 0, done.stderr)
        rows = [tuple(int(x) for x in line.split("|")) for line in done.stdout.split()]
        start = [i for i, (f, _) in enumerate(rows) if f == serial]
        self.assertEqual(len(start), 1, rows)
        return rows[start[0]:]

    def replay(self, initial, ixfr):
        """initial (CanonicalRRs) with the IXFR's difference sequences applied (RFC 1995 §4),
        as a set of (owner, type, rdata)."""
        zone = {(rr.owner, rr.rtype, rr.rdata) for rr in initial if rr.rtype != "SOA"}
        rrs = ixfr.rrs[1:-1]  # without the framing SOAs
        removing = None
        for rr in rrs:
            if rr.rtype == "SOA":
                removing = not removing if removing is not None else True
                continue
            key = (rr.owner.lower(), rr.rtype, transfer.rdata_key(rr.rtype, rr.rdata))
            if removing:
                self.assertIn(key, zone, "IXFR removes an RR that is not there")
                zone.discard(key)
            else:
                zone.add(key)
        return zone


def _wire_hex(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return (out + b"\0").hex()


if __name__ == "__main__":
    unittest.main(verbosity=2)
