"""Separate "hosts" for cluster tests: one Linux network namespace per host, made and removed
by the test, or, where the kernel or the user may not make namespaces, distinct 127.0.0.x
addresses on the loopback of the machine.

NetnsNetwork: a namespace `SW` holding a bridge br0 (the switch; the test's own clients sit
there too, address 10.53.0.254) and one namespace per host, linked to the switch by a veth
pair created directly inside the two namespaces (eth0 in the host, pN in the switch), host N
at 10.53.0.(N+1)/24. Nothing is created in, or changed on, the root namespace. A host is cut
off by setting its switch port down (the host keeps its address and answers itself) and put
back by setting it up again; limit_rate() makes its link slow (tc tbf).

LoopbackNetwork: host N at 127.0.0.(base+N) on a free port, no prefix; cutting a host off is
not possible there (every host's outgoing connections leave from 127.0.0.1, so no firewall
rule can isolate one), and can_cut() says why.

make_network() tries the first and falls back to the second, saying why in `note`. Every
network registers its teardown with atexit as well, so a test that dies still removes its
namespaces (processes are the caller's: stop them before teardown()).
"""

import atexit
import ctypes
import ctypes.util
import os
import random
import re
import signal
import socket
import subprocess
import sys

from . import ports

CLONE_NEWNET = 0x40000000
SUBNET = "10.53.0"
CLIENT_ADDRESS = SUBNET + ".254"
DNS_PORT = 53

_libc = None


def _run(argv, timeout=20, check=True):
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(argv), done.returncode,
                                                         done.stdout.strip()))
    return done


def _setns(fd):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: %s" % os.strerror(err))


def socket_in(namespace, family=socket.AF_INET, kind=socket.SOCK_DGRAM):
    """A socket created inside the named network namespace (None: this one). The calling
    thread enters the namespace only for the socket() call and comes back at once; the socket
    stays in the namespace it was made in, whatever thread uses it later."""
    if namespace is None:
        return socket.socket(family, kind)
    with open("/proc/thread-self/ns/net") as own, open("/run/netns/" + namespace) as target:
        _setns(target.fileno())
        try:
            return socket.socket(family, kind)
        finally:
            _setns(own.fileno())


class Network:
    """What a cluster test needs from its network, whatever it is made of."""

    kind = "?"
    note = ""

    def address(self, index):
        """Host index's address (the primary is 0)."""
        raise NotImplementedError

    def port(self, index):
        raise NotImplementedError

    def prefix(self, index):
        """argv prefix that runs a command on host index."""
        raise NotImplementedError

    def client_prefix(self):
        """argv prefix for the test's clients (dig, tidalctl status from outside)."""
        raise NotImplementedError

    def client_namespace(self):
        """Namespace name for socket_in() of the test's clients (None: this one)."""
        raise NotImplementedError

    def can_cut(self):
        """(True, "") or (False, why)."""
        return False, "this network cannot cut a host off"

    def cut(self, index):
        raise NotImplementedError

    def restore(self, index):
        raise NotImplementedError

    def limit_rate(self, index, bits_per_second):
        """Slows what host index sends to bits_per_second; False where that cannot be done."""
        return False

    def unlimit_rate(self, index):
        pass

    def teardown(self):
        pass


class NetnsNetwork(Network):
    kind = "netns"

    def __init__(self, tag, hosts):
        self.hosts = hosts
        base = "tidal-%s-%d" % (tag, os.getpid())
        self.switch_ns = base + "-sw"
        self.host_ns = ["%s-h%d" % (base, i) for i in range(hosts)]
        self.made = []
        self.cut_hosts = set()
        self._torn_down = False
        atexit.register(self.teardown)
        try:
            self._build()
        except BaseException:
            self.teardown()
            raise

    def _ns_add(self, name):
        _run(["ip", "netns", "add", name])
        self.made.append(name)
        _run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"])

    def _build(self):
        self._ns_add(self.switch_ns)
        sw = ["ip", "netns", "exec", self.switch_ns]
        _run(sw + ["ip", "link", "add", "br0", "type", "bridge"])
        _run(sw + ["ip", "addr", "add", CLIENT_ADDRESS + "/24", "dev", "br0"])
        _run(sw + ["ip", "link", "set", "br0", "up"])
        for i, ns in enumerate(self.host_ns):
            self._ns_add(ns)
            # Created inside the two namespaces at once: the root namespace never sees it.
            _run(["ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name",
                  "p%d" % i, "netns", self.switch_ns])
            _run(sw + ["ip", "link", "set", "p%d" % i, "master", "br0"])
            _run(sw + ["ip", "link", "set", "p%d" % i, "up"])
            host = ["ip", "netns", "exec", ns]
            _run(host + ["ip", "addr", "add", "%s/24" % self.address(i), "dev", "eth0"])
            _run(host + ["ip", "link", "set", "eth0", "up"])
        self._wait_reachable()

    def _wait_reachable(self, timeout=10.0):
        """Each host's address answers from the switch namespace (bounded wait for the
        links to come up: a UDP datagram to a closed port comes back as ECONNREFUSED)."""
        import time
        deadline = time.monotonic() + timeout
        pending = list(range(self.hosts))
        while pending and time.monotonic() < deadline:
            for i in list(pending):
                if self._probe(self.address(i)):
                    pending.remove(i)
            if pending:
                time.sleep(0.05)
        if pending:
            raise RuntimeError("hosts %s not reachable from %s after %.0f s" % (
                [self.address(i) for i in pending], self.switch_ns, timeout))

    def _probe(self, address):
        s = socket_in(self.switch_ns)
        try:
            s.settimeout(0.2)
            s.connect((address, 9))  # discard: nobody listens, the host answers ICMP
            s.send(b"x")
            try:
                s.recv(1)
            except ConnectionRefusedError:
                return True
            except (socket.timeout, OSError):
                return False
            return True
        finally:
            s.close()

    def address(self, index):
        return "%s.%d" % (SUBNET, index + 1)

    def port(self, index):
        return DNS_PORT

    def prefix(self, index):
        return ["ip", "netns", "exec", self.host_ns[index]]

    def client_prefix(self):
        return ["ip", "netns", "exec", self.switch_ns]

    def client_namespace(self):
        return self.switch_ns

    def can_cut(self):
        return True, ""

    def cut(self, index):
        """The host's switch port goes down: nothing reaches it, nothing leaves it."""
        _run(["ip", "netns", "exec", self.switch_ns, "ip", "link", "set", "p%d" % index,
              "down"])
        self.cut_hosts.add(index)

    def restore(self, index):
        _run(["ip", "netns", "exec", self.switch_ns, "ip", "link", "set", "p%d" % index, "up"])
        self.cut_hosts.discard(index)

    def limit_rate(self, index, bits_per_second):
        """A token bucket (tc tbf) on the host's eth0: a slow link out of that host."""
        done = _run(["ip", "netns", "exec", self.host_ns[index], "tc", "qdisc", "replace", "dev",
                     "eth0", "root", "tbf", "rate", "%dbit" % bits_per_second, "burst", "16kb",
                     "latency", "200ms"], check=False)
        return done.returncode == 0

    def unlimit_rate(self, index):
        _run(["ip", "netns", "exec", self.host_ns[index], "tc", "qdisc", "del", "dev", "eth0",
              "root"], check=False)

    def teardown(self):
        """Deletes the namespaces this object made (their veth pairs go with them)."""
        if self._torn_down:
            return
        self._torn_down = True
        for name in reversed(self.made):
            _run(["ip", "netns", "del", name], check=False)
        self.made = []

    def describe(self):
        return ("network namespaces %s (switch, clients at %s) and %s, hosts at %s.1-%d:53" %
                (self.switch_ns, CLIENT_ADDRESS, ", ".join(self.host_ns), SUBNET, self.hosts))


class LoopbackNetwork(Network):
    kind = "loopback"

    def __init__(self, hosts, note=""):
        self.hosts = hosts
        self.note = note
        # 127.0.0.0/8 is all on lo; a random block keeps parallel test processes apart (the
        # ports are claimed through lib.ports anyway).
        base = random.Random().randrange(20, 240)
        self.addresses = ["127.0.%d.%d" % (base, 10 + i) for i in range(hosts)]
        self.ports = [ports.free_port(a) for a in self.addresses]

    def address(self, index):
        return self.addresses[index]

    def port(self, index):
        return self.ports[index]

    def prefix(self, index):
        return []

    def client_prefix(self):
        return []

    def client_namespace(self):
        return None

    def can_cut(self):
        return False, ("no network namespaces here (%s), and on one loopback every host's "
                       "outgoing connections leave from 127.0.0.1, so no firewall rule can cut "
                       "one host off" % self.note)

    def describe(self):
        return "loopback addresses %s (%s)" % (
            ", ".join("%s:%d" % (a, p) for a, p in zip(self.addresses, self.ports)), self.note)


def exit_cleanly_on_sigterm():
    """SIGTERM (ctest stopping a test, a user's kill) raises SystemExit, so the atexit
    handlers that stop the processes and remove the namespaces run."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def on_term(signum, frame):
            raise SystemExit(128 + signum)
        signal.signal(signal.SIGTERM, on_term)


def warn_about_leftovers():
    """Namespaces named like ours whose test process is gone (killed with SIGKILL, so its
    atexit handlers never ran): said, not removed (what still runs in them is not ours)."""
    done = _run(["ip", "netns", "list"], check=False)
    stale = []
    for line in done.stdout.splitlines():
        m = re.match(r"(tidal-[a-z]+-(\d+)-(?:sw|h\d+))\b", line)
        if m and not os.path.exists("/proc/%s" % m.group(2)):
            stale.append(m.group(1))
    if stale:
        sys.stderr.write("note: network namespaces left by earlier cluster tests that were "
                         "killed: %s (ip netns del NAME removes one)\n" % ", ".join(stale))


def netns_usable():
    """(True, "") when this process may make network namespaces, else (False, why)."""
    if os.environ.get("TIDAL_CLUSTER_NO_NETNS") == "1":
        return False, "TIDAL_CLUSTER_NO_NETNS=1"
    if os.geteuid() != 0:
        return False, "not root (uid %d)" % os.geteuid()
    if not os.path.exists("/proc/self/ns/net"):
        return False, "the kernel has no network namespaces"
    try:
        done = _run(["ip", "-V"], check=False)
    except OSError as e:
        return False, "no ip command (iproute2): %s" % e
    if done.returncode != 0:
        return False, "ip -V failed: %s" % done.stdout.strip()
    return True, ""


def make_network(tag, hosts):
    """A NetnsNetwork when possible, else a LoopbackNetwork whose note says why not."""
    ok, why = netns_usable()
    exit_cleanly_on_sigterm()
    if ok:
        warn_about_leftovers()
        try:
            return NetnsNetwork(tag, hosts)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            why = "ip netns refused: %s" % str(e).splitlines()[0]
    return LoopbackNetwork(hosts, note=why)
