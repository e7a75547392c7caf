#!/usr/bin/python3
"""kill -9 of tidal-sync on a secondary in the middle of a large transfer, on a cluster of
separate hosts (network namespaces, or 127.0.0.x addresses where they cannot be made).

The secondary holds a small first version of big.cluster. (serial 1, 1,000 names). The primary
deletes the zone (and so its IXFR history, so the transfer is the whole zone) and imports a
version of about 200,000 records (60,000 with a sanitizer build, see BIG_RECORDS; serial 100)
in which every name of the first version has new data, most names are new and a marker TXT
says which version it is. The link out of the primary is slowed (tc tbf, about 3 s for the
zone). As soon as the secondary's tidal-sync has a TCP connection to the primary and has read
about a third of the zone (ss -ti: octets the connection delivered to it), it is killed with
SIGKILL. Then:

  - the secondary still serves version 1, whole, and its tidal-sync, restarted, brings it to
    serial 100 by itself; `tidalctl zone export` on it then equals the primary's;
  - all along (before the kill, after it, during the second transfer and its apply), a client
    on the network polls the secondary: SOA, three names and the marker, then SOA again; each
    round whose two SOAs agree must show that serial's data and nothing else (a half-applied
    zone would mix versions), and the serial never goes back.

If the transfer ends before the kill can land (a machine much faster than this test assumes),
the primary imports a third version and the test tries again, at most twice more.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import netns, paths, transfer, wire  # noqa: E402
from lib.cluster import ClusterTestCase, ClusterZone, write_zone  # noqa: E402
from lib.testcase import main  # noqa: E402

ZONE = "big.cluster."
OLD_NAMES = 1000
TRANSFER_TIMEOUT = 180.0


def sanitized(binary):
    """True when binary was built with ASan (about ten times slower to import a zone)."""
    try:
        with open(binary, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


# ~200,000 records; a Debug+ASan tidalctl needs a minute to import that many on a busy
# 2-core machine, so sanitizer builds get 60,000 (TIDAL_CLUSTER_BIG_RECORDS overrides).
BIG_RECORDS = int(os.environ.get("TIDAL_CLUSTER_BIG_RECORDS") or
                  (60000 if sanitized(paths.tidalctl()) else 200000))
PROBES = ("r000010", "r000990", "r%06d" % (BIG_RECORDS - 10))


def kill_after_octets():
    """About a third of the zone's transfer (some 24 octets per A record)."""
    return BIG_RECORDS * 8


class Version:
    """One version of the zone: its serial and what each probed name holds."""

    def __init__(self, serial, names, generation):
        self.serial = serial
        self.names = names
        self.generation = generation
        self.marker = '"version %d"' % serial

    def address(self, i):
        return "10.%d.%d.%d" % (self.generation * 4 + (i >> 16), (i >> 8) & 255, i & 255)

    def expected(self, label):
        """The A rdata of label, or None where the name does not exist."""
        i = int(label[1:])
        return self.address(i) if i < self.names else None

    def write(self, path):
        body = ["marker IN TXT %s" % self.marker]
        body += ["r%06d IN A %s" % (i, self.address(i)) for i in range(self.names)]
        return write_zone(path, ZONE, serial=self.serial, refresh=5, retry=1, body=body)


class Poller(threading.Thread):
    """Polls the secondary from the client's place on the network; keeps every round."""

    def __init__(self, namespace, address, port):
        super().__init__(daemon=True)
        self.namespace = namespace
        self.address = (address, port)
        self.rounds = []
        self.errors = []
        self.stopping = threading.Event()

    def ask(self, sock, name, qtype):
        msg_id = int.from_bytes(os.urandom(2), "big")
        sock.send(wire.build_query(name, qtype, msg_id=msg_id, rd=False))
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            try:
                m = wire.parse(sock.recv(65535))
            except socket.timeout:
                return None
            except (OSError, ValueError):
                return None
            if m.id == msg_id:
                return m
        return None

    def answer(self, sock, name, qtype):
        m = self.ask(sock, name, qtype)
        if m is None:
            return "TIMEOUT"
        if m.rcode_text() != "NOERROR":
            return m.rcode_text()
        rrs = [rr for rr in m.answer if rr.rtype == wire.TYPES[qtype]]
        if qtype == "SOA":
            # the serial follows two names: skip them to the fixed fields
            return int.from_bytes(rrs[0].rdata[-20:-16], "big") if rrs else "NODATA"
        if qtype == "A":
            return ".".join(str(b) for b in rrs[0].rdata) if rrs else "NODATA"
        if qtype == "TXT":
            data = rrs[0].rdata if rrs else b""
            return '"%s"' % data[1:1 + data[0]].decode() if data else "NODATA"
        return "?"

    def run(self):
        sock = netns.socket_in(self.namespace)
        try:
            sock.settimeout(1.0)
            sock.connect(self.address)
            for _ in range(200000):
                if self.stopping.is_set():
                    break
                at = time.monotonic()
                first = self.answer(sock, ZONE, "SOA")
                probes = {p: self.answer(sock, "%s.%s" % (p, ZONE), "A") for p in PROBES}
                marker = self.answer(sock, "marker." + ZONE, "TXT")
                last = self.answer(sock, ZONE, "SOA")
                self.rounds.append((at, first, probes, marker, last))
                time.sleep(0.01)
        except Exception as e:  # reported by the test
            self.errors.append(repr(e))
        finally:
            sock.close()


def transfer_progress(prefix, address, port):
    """Octets the application has read on its established TCP connections to address:port,
    from `ss -ti` run in the host's namespace (bytes_received less what waits in the receive
    queue), or None when there is no such connection."""
    argv = list(prefix) + ["ss", "-tinH", "state", "established", "dst", address, "dport",
                           "=", ":%d" % port]
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    total = None
    queued = 0
    for line in out.splitlines():
        fields = line.split()
        if not line[:1].isspace() and fields and fields[0].isdigit():
            queued = int(fields[0])  # Recv-Q of the connection the next line describes
            continue
        m = re.search(r"\bbytes_received:(\d+)", line)
        if m:
            total = (total or 0) + int(m.group(1)) - queued
    return total


class TransferKill(ClusterTestCase):
    TAG = "kill"
    SECONDARIES = 1
    versions = {}

    @classmethod
    def cluster_zones(cls, workdir):
        cls.zone_dir = os.path.join(workdir, "zones")
        os.makedirs(cls.zone_dir, exist_ok=True)
        first = Version(1, OLD_NAMES, 1)
        cls.versions = {first.serial: first}
        return [ClusterZone(ZONE, first.write(os.path.join(cls.zone_dir, "v1.zone")))]

    def check_round(self, rnd):
        """'' when the round is consistent, else what is wrong."""
        at, first, probes, marker, last = rnd
        if first != last or not isinstance(first, int):
            return ""  # the zone changed during the round (or no answer): nothing to pair
        version = self.versions.get(first)
        if version is None:
            return "serial %s is none of the versions %s" % (first, sorted(self.versions))
        wrong = []
        for label, got in probes.items():
            want = version.expected(label)
            if got != (want if want is not None else "NXDOMAIN"):
                wrong.append("%s: %s (version %d has %s)" % (label, got, first, want))
        if marker != version.marker:
            wrong.append("marker: %s (version %d has %s)" % (marker, first, version.marker))
        return "; ".join(wrong)

    def test_kill_during_transfer(self):
        print("\nzone of %d records (TIDAL_CLUSTER_BIG_RECORDS)" % BIG_RECORDS, file=sys.stderr)
        secondary = self.cluster.secondaries[0]
        primary = self.cluster.primary
        self.assertEqual(self.cluster.wait_serial([secondary], ZONE, 1, 30.0),
                         {secondary.name: 1}, "the secondary never loaded version 1")
        net = self.cluster.network
        poller = Poller(net.client_namespace(), secondary.server.listen_address,
                        secondary.server.port)
        poller.start()
        try:
            self.kill_during_transfer(primary, secondary)
        finally:
            poller.stopping.set()
            poller.join(10)
        self.assertEqual(poller.errors, [], "the poller failed")
        rounds = poller.rounds
        bad = [(r, self.check_round(r)) for r in rounds if self.check_round(r)]
        self.assertEqual(bad[:5], [], "%d of %d rounds of queries saw a zone that is none of "
                         "the versions the primary had (half-applied?)" % (len(bad),
                                                                           len(rounds)))
        serials = [s for r in rounds for s in (r[1], r[4]) if isinstance(s, int)]
        backwards = [(a, b) for a, b in zip(serials, serials[1:]) if transfer.serial_gt(a, b)]
        self.assertEqual(backwards, [], "the secondary's serial went back")
        failed = [r for r in rounds if not isinstance(r[1], int) or not isinstance(r[4], int)]
        self.assertEqual(failed[:5], [], "rounds where the secondary did not answer SOA")
        self.note("%d rounds of queries against the secondary, serials seen: %s" % (
            len(rounds), sorted(set(serials))))

    def kill_during_transfer(self, primary, secondary):
        sync = secondary.server
        net = self.cluster.network
        killed = False
        generation = 2
        for attempt in range(3):
            version = Version(100 * (attempt + 1), BIG_RECORDS, generation + attempt)
            self.versions[version.serial] = version
            path = version.write(os.path.join(self.zone_dir, "v%d.zone" % version.serial))
            started = time.monotonic()
            # Deleted first, so the primary has no history (journal) from the secondary's
            # serial: what it sends is the whole zone (AXFR, or IXFR falling back to it).
            done = primary.server.tidalctl("zone", "delete", ZONE, timeout=300)
            self.assertEqual(done.returncode, 0, "zone delete on the primary: %s" % done.stderr)
            # Watched from the start of the import: the transfer may begin before tidalctl has
            # exited (with ASan, its exit-time leak check of a big process takes a while).
            importing = {}

            def run_import(path=path, box=importing):
                box["done"] = primary.server.tidalctl("zone", "import", path, "--origin", ZONE,
                                                      timeout=300)
                box["at"] = time.monotonic()

            # A slow link out of the primary (about 3 s for the zone) gives the kill time to
            # land mid-transfer whatever the machine's speed; it is lifted after the kill.
            slowed = net.limit_rate(primary.index, BIG_RECORDS * 24 * 8 // 3)
            if attempt == 0:
                self.note("link out of the primary slowed for the transfer: %s" % (
                    "yes (tc tbf)" if slowed else "no (%s network)" % net.kind))
            importer = threading.Thread(target=run_import, daemon=True)
            importer.start()
            pid = sync.sync.pid
            target = (primary.server.listen_address, primary.server.port)
            # The kill lands once a connection to the primary (an IXFR that may fall back,
            # then an AXFR) has carried a third of the zone or so to tidal-sync.
            connections = 0
            up = False
            deadline = time.monotonic() + TRANSFER_TIMEOUT
            checked = time.monotonic()
            while time.monotonic() < deadline and sync.sync_alive():
                if not importer.is_alive() and importing["done"].returncode != 0:
                    break  # reported below
                octets = transfer_progress(sync.command_prefix, *target)
                if octets is not None and not up:
                    connected = time.monotonic()
                    connections += 1
                up = octets is not None
                if up and octets >= kill_after_octets():
                    os.kill(pid, signal.SIGKILL)
                    killed_at = time.monotonic()
                    killed = True
                    break
                if not up and not importer.is_alive() and time.monotonic() - checked > 0.5:
                    checked = time.monotonic()
                    if self.cluster.serial(secondary, ZONE) == version.serial:
                        break  # the transfer ended before the kill could land
                time.sleep(0.005)
            importer.join(300)
            done = importing.get("done")
            self.assertTrue(done is not None and done.returncode == 0, "zone import on the "
                            "primary: %s" % (done.stderr if done else "did not finish"))
            self.note("import of %d records on the primary: %.1f s" % (
                BIG_RECORDS, importing["at"] - started))
            self.assertTrue(sync.sync_alive() or killed, "tidal-sync died by itself:\n" +
                            sync.sync.log_text()[-3000:])
            if killed:
                self.note("tidal-sync killed %.0f ms after its connection to the primary opened "
                          "(%d octets read by then)" % ((killed_at - connected) * 1000, octets))
                break
            self.note("attempt %d: the transfer of serial %d ended before the kill" % (
                attempt + 1, version.serial))
            self.assertGreater(connections, 0, "tidal-sync never connected to the primary for "
                               "serial %d within %.0f s" % (version.serial, TRANSFER_TIMEOUT))
            self.assertEqual(self.cluster.wait_serial([secondary], ZONE, version.serial, 60),
                             {secondary.name: version.serial})
        net.unlimit_rate(primary.index)
        if not killed:
            raise unittest.SkipTest("every transfer ended before it could be killed")
        sync.sync.stop()  # reaps it (already dead)
        # What it had is what it serves: the old version, whole.
        before = max(s for s in self.versions if s != version.serial)
        time.sleep(1.0)
        self.assertEqual(self.cluster.serial(secondary, ZONE), before,
                         "after the kill the secondary serves another serial than before")
        sync.start_sync()
        restarted = time.monotonic()
        seen = self.cluster.wait_serial([secondary], ZONE, version.serial, 120)
        self.assertEqual(seen, {secondary.name: version.serial}, "restarted tidal-sync did not "
                         "bring the secondary to the primary's serial")
        self.note("restarted tidal-sync: serial %d served %.1f s later" % (
            version.serial, time.monotonic() - restarted))
        transfers = [line.split("info: ", 1)[-1] for line in sync.sync.log_text().splitlines()
                     if "from primary" in line]
        self.note("the transfer after the restart, as tidal-sync logged it: %s" % (
            transfers[-1][:300] if transfers else "(nothing logged)"))
        time.sleep(0.5)  # a few more polling rounds on the new version
        self.assertSameZone(ZONE, secondary, what=" after the restart")


if __name__ == "__main__":
    main()
