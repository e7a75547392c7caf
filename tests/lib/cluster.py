"""A Tidal cluster for tests: one primary and N secondaries, each a separate host (a network
namespace of lib.netns, or a 127.0.0.x address where namespaces cannot be made), each with its
own directory, config, database, tidald and tidal-sync.

Every zone of the cluster is a primary zone on host 0 and a secondary zone on the hosts it
names; the primary NOTIFYs them and allows them to transfer, all TSIG-signed with one key
(hmac-sha256). In namespaces, the secondaries accept NOTIFY from the primary's remote (its
address and the key); on one loopback every host's datagrams leave from 127.0.0.1, so there
they accept NOTIFY signed with the key from 127.0.0.1.

ClusterTestCase runs one cluster for a test class: builds it in setUpClass, prints every
host's logs when a test fails, and on teardown stops every process it started (by pid),
removes the namespaces, and fails if a daemon died, exited non-zero on SIGTERM or ASan/UBSan
reported anything. The processes and namespaces are also removed at exit if the test dies.
"""

import atexit
import os
import sys
import time
import unittest

from . import netns, process, transfer
from .dig import Dig
from .replication import Remote, ZoneSpec
from .testcase import ServerTestCase, require_binaries
from .tidal import PrefixedDig, TidalServer
from .tsigkeys import TsigKey


class ClusterZone:
    """A zone of the cluster: its master file (read by the primary), the indices of the
    secondaries that replicate it (None: all), whether the primary NOTIFYs them (else they
    follow by SOA refresh alone), and their bounded-staleness settings."""

    def __init__(self, origin, file, secondaries=None, max_staleness=None, stale_policy=None,
                 notify=True):
        self.origin = origin if origin.endswith(".") else origin + "."
        self.file = file
        self.secondaries = secondaries
        self.notify = notify
        self.max_staleness = max_staleness
        self.stale_policy = stale_policy

    def on(self, index):
        return self.secondaries is None or index in self.secondaries


def write_zone(path, origin, serial=1, refresh=2, retry=1, expire=3600, minimum=60,
               ttl=300, body=()):
    """A master file with a short SOA refresh/retry (a cluster test converges by refresh
    within seconds when NOTIFYs are lost) and the given RR lines (relative or absolute)."""
    with open(path, "w") as f:
        f.write("$ORIGIN %s\n$TTL %d\n" % (origin, ttl))
        f.write("@ IN SOA ns1 hostmaster %d %d %d %d %d\n" % (serial, refresh, retry, expire,
                                                               minimum))
        f.write("@ IN NS ns1\nns1 IN A 192.0.2.1\n")
        for line in body:
            f.write(line + "\n")
    return path


class Host:
    """One host of the cluster: index (0 = primary), name, its TidalServer."""

    def __init__(self, index, name, server):
        self.index = index
        self.name = name
        self.server = server

    def __repr__(self):
        return "<Host %s %s:%s>" % (self.name, self.server.listen_address, self.server.port)


class Cluster:
    def __init__(self, workdir, tag, zones, secondaries=3, log_level="info"):
        self.workdir = workdir
        self.zones = list(zones)
        self.network = netns.make_network(tag, 1 + secondaries)
        self.key = TsigKey.random("cluster", "hmac-sha256")
        self.stopped = False
        self.stopped_hosts = {}  # name -> (tidald status, tidal-sync status): stopped by a test
        atexit.register(self.stop)
        net = self.network
        remotes = [Remote("primary" if i == 0 else "s%d" % i, net.port(i), self.key,
                          address=net.address(i)) for i in range(1 + secondaries)]
        primary_remote = remotes[0]
        if net.kind == "netns":
            notify_from = [primary_remote]
        else:
            # On one loopback the primary's NOTIFYs leave from 127.0.0.1, not its address.
            notify_from = [Remote("primary-notify", net.port(0), self.key, "127.0.0.1")]
            remotes.append(notify_from[0])
        self.hosts = []
        for i in range(1 + secondaries):
            if i == 0:
                specs = [ZoneSpec(z.origin, z.file,
                                  notify=[r for j, r in enumerate(remotes)
                                          if j and z.on(j) and z.notify],
                                  allow_transfer=[self.key]) for z in self.zones]
            else:
                specs = [ZoneSpec(z.origin, role="secondary", primaries=[primary_remote],
                                  allow_notify=notify_from, allow_transfer=[self.key],
                                  max_staleness=z.max_staleness, stale_policy=z.stale_policy)
                         for z in self.zones if z.on(i)]
            name = "primary" if i == 0 else "s%d" % i
            hostdir = os.path.join(workdir, name)
            os.makedirs(hostdir, exist_ok=True)
            server = TidalServer(hostdir, specs, port=net.port(i), log_level=log_level,
                                 listen_address=net.address(i), command_prefix=net.prefix(i),
                                 keys=[self.key], remotes=remotes)
            self.hosts.append(Host(i, name, server))

    @property
    def primary(self):
        return self.hosts[0]

    @property
    def secondaries(self):
        return self.hosts[1:]

    def describe(self):
        return self.network.describe()

    def start(self):
        """tidald everywhere (the primary imports its zones), then tidal-sync everywhere."""
        for h in self.hosts:
            h.server.start()
        for h in self.hosts:
            h.server.start_sync()

    # --- asking the hosts, as a client elsewhere on the network would ------------------------

    def dig(self, host, tool="dig"):
        """A client for host from the test's own place on the network (the switch)."""
        s = host.server
        prefix = self.network.client_prefix()
        if not prefix:
            return Dig(port=s.port, server=s.listen_address, tool=tool)
        return PrefixedDig(s.port, s.listen_address, tool, prefix)

    def query(self, host, name, rtype="A", opts=()):
        return self.dig(host).query(name, rtype, opts=["+norec", "+time=1", "+tries=1"] +
                                    list(opts), timeout=10)

    def serial(self, host, zone):
        """The SOA serial host serves for zone, asked over the network, or None."""
        r = self.query(host, zone, "SOA")
        if r is None or r.rcode != "NOERROR":
            return None
        for rr in r.answer:
            if rr.rtype == "SOA":
                return int(rr.rdata.split()[2])
        return None

    def wait_serial(self, hosts, zone, serial, timeout):
        """{host name: serial last seen}, waiting (one shared deadline, bounded) until each
        host serves serial or later."""
        deadline = time.monotonic() + timeout
        seen = {}
        for h in hosts:
            box = [None]

            def reached(h=h, box=box):
                box[0] = self.serial(h, zone)
                return box[0] is not None and transfer.serial_ge(box[0], serial)

            process.wait_until(reached, max(0.0, deadline - time.monotonic()), 0.1)
            seen[h.name] = box[0]
        return seen

    def contents(self, host, zone):
        """The zone as host's tidalctl zone export prints it, as canonical RRs."""
        return transfer.canonical_rrs(zone, host.server.export(zone), self.workdir)

    # --- life cycle --------------------------------------------------------------------------

    def stop_host(self, host):
        """Stops host's tidal-sync and tidald (SIGTERM, by pid) as a test step."""
        status = host.server.stop()
        self.stopped_hosts[host.name] = (status, host.server.sync_status)
        return status

    def stop(self):
        """Stops every process (by pid), then removes the network. Returns the problems
        seen: exit statuses other than 0, daemons that had died, sanitizer reports."""
        if self.stopped:
            return []
        self.stopped = True
        problems = []
        for name, (status, sync_status) in self.stopped_hosts.items():
            if status not in (0, None) or sync_status not in (0, None):
                problems.append("%s stopped by the test: tidald exited %s, tidal-sync %s" % (
                    name, status, sync_status))
        for h in self.hosts:
            if h.name in self.stopped_hosts:
                problems += ["%s: %s" % (h.name, line) for line in h.server.sanitizer_reports()]
                continue
            s = h.server
            if s.proc is not None and not s.alive():
                problems.append("tidald on %s had died (status %s)" % (h.name,
                                                                       s.proc.returncode()))
            if s.sync is not None and not s.sync_alive():
                problems.append("tidal-sync on %s had died (status %s)" % (
                    h.name, s.sync.returncode()))
        for h in [h for h in self.hosts if h.name not in self.stopped_hosts]:
            status = h.server.stop()
            if status not in (0, None):
                problems.append("tidald on %s exited with status %s on SIGTERM" % (h.name,
                                                                                   status))
            if h.server.sync_status not in (0, None):
                problems.append("tidal-sync on %s exited with status %s on SIGTERM" % (
                    h.name, h.server.sync_status))
            problems += ["%s: %s" % (h.name, line) for line in h.server.sanitizer_reports()]
        self.network.teardown()
        return problems


class ClusterTestCase(ServerTestCase):
    """One cluster per test class. Subclasses set TAG and SECONDARIES and implement
    cluster_zones(workdir) -> [ClusterZone]."""

    TAG = "cluster"
    SECONDARIES = 3
    LOG_LEVEL = "info"
    cluster = None
    notes = []

    @classmethod
    def cluster_zones(cls, workdir):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "tidal-sync", "named-compilezone")
        if missing:
            raise AssertionError("binaries missing: %s (build first, or set TIDALD/TIDALCTL/"
                                 "TIDAL_SYNC)" % ", ".join(missing))
        cls.make_workdir("tidal-%s-" % cls.__name__)
        cls.notes = []
        try:
            cls.cluster = Cluster(cls.workdir, cls.TAG, cls.cluster_zones(cls.workdir),
                                  cls.SECONDARIES, cls.LOG_LEVEL)
            cls.servers = [h.server for h in cls.cluster.hosts]
            print("\n%s: %s" % (cls.__name__, cls.cluster.describe()), file=sys.stderr)
            if cls.cluster.network.kind != "netns":
                print("%s: NOT in network namespaces (%s): the hosts are loopback addresses" %
                      (cls.__name__, cls.cluster.network.note), file=sys.stderr)
            cls.cluster.start()
        except unittest.SkipTest:
            if cls.cluster is not None:
                cls.cluster.stop()
            cls.cleanup_workdir()
            raise
        except BaseException:
            cls._failed = True
            cls.print_logs("set-up failed")
            if cls.cluster is not None:
                cls.cluster.stop()
            cls.cleanup_workdir()
            raise

    @classmethod
    def tearDownClass(cls):
        problems = cls.cluster.stop() if cls.cluster is not None else []
        if cls.notes:
            print("\nnotes from %s:\n  %s" % (cls.__name__, "\n  ".join(cls.notes)),
                  file=sys.stderr)
        if problems:
            cls._failed = True
            cls.print_logs("a daemon did not run or stop cleanly")
        cls.cleanup_workdir()
        if problems:
            raise AssertionError("\n".join(problems))

    @classmethod
    def note(cls, text):
        cls.notes.append(text)

    @classmethod
    def print_logs(cls, reason):
        sys.stderr.write("\n===== %s: logs =====\n" % reason)
        if cls.cluster is None:
            return
        for h in cls.cluster.hosts:
            sys.stderr.write("----- %s (%s:%s) -----\n%s\n" % (
                h.name, h.server.listen_address, h.server.port, h.server.log_text()[-20000:]))

    def assertSameZone(self, zone, host, want=None, what=""):
        """host's copy of zone equals the primary's (or want); returns the primary's."""
        if want is None:
            want = self.cluster.contents(self.cluster.primary, zone)
        got = self.cluster.contents(host, zone)
        diff = transfer.describe_difference(want, got, "the primary", host.name)
        self.assertFalse(diff, "%s: %s differs from the primary%s:\n%s" % (host.name, zone,
                                                                            what, diff))
        return want

