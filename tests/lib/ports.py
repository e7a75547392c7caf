"""Free loopback ports for test servers, safe against two hazards of a shared test machine.

1. Servers bind with SO_REUSEPORT, and so does dig 9.18 for its client socket: when dig asks
   the kernel for an ephemeral source port, the kernel may hand it the very port a server of
   the same user is listening on (reuseport sockets of one uid do not conflict), and dig then
   receives its own query back as the "answer". Ports are therefore taken from below the
   kernel's ephemeral range (net.ipv4.ip_local_port_range), which the kernel never hands out.
2. Two test processes must not pick the same port (two reuseport servers would silently share
   it): each port is claimed with an flock on /tmp/tidal-test-ports/PORT.lock, held until this
   process exits, and checked free by binding UDP and TCP without reuse options.
"""

import fcntl
import os
import random
import socket

LOCK_DIR = "/tmp/tidal-test-ports"
_claimed = {}  # port -> open lock file, kept for the life of the process


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(x) for x in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def _candidate_range():
    low, high = _ephemeral_range()
    if low - 1 - 10000 >= 1024:
        return low - 10000, low - 1  # below the ephemeral range
    if high + 10000 <= 65535:
        return high + 1, high + 10000  # above it
    return 1024, 65535  # the whole range is ephemeral: nothing better to do


def _bindable(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(family, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def _claim(port):
    os.makedirs(LOCK_DIR, mode=0o777, exist_ok=True)
    f = open(os.path.join(LOCK_DIR, "%d.lock" % port), "a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


def free_port(host="127.0.0.1"):
    """A port free for both UDP and TCP on host, outside the kernel's ephemeral range, never
    handed to another test process while this one runs."""
    first, last = _candidate_range()
    rnd = random.Random()
    for _ in range(200):
        port = rnd.randint(first, last)
        if port in _claimed:
            continue
        lock = _claim(port)
        if lock is None:
            continue
        if not _bindable(host, port):
            lock.close()
            continue
        _claimed[port] = lock
        return port
    raise RuntimeError("no free UDP+TCP port found on %s in %d-%d after 200 tries" %
                       (host, first, last))


def udp_socket_drops(port):
    """Datagrams the kernel dropped at the IPv4 UDP sockets bound to port (tidald's, one per
    worker) because their receive buffers were full: the "drops" column of /proc/net/udp."""
    total = 0
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if int(fields[1].split(":")[1], 16) == port:
                    total += int(fields[-1])
    except (OSError, IndexError, ValueError, StopIteration):
        pass
    return total
