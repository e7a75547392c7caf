#!/usr/bin/python3
"""Traffic limits of tidald (docs/configuration.md, "Traffic limits"), from the outside:

- response rate limiting (rate-limit 5/s, slip 2): a burst of UDP queries for one name from one
  address gets about the bucket's 5 full answers, about half of the rest as empty TC=1 answers
  and nothing for the others; over TCP every query is answered; another /24 is not affected,
  the same /24 shares the bucket; an exempt address is never limited; random names that end
  in NXDOMAIN share one bucket per zone;
- no amplification: ANY gets one RRset (RFC 8482) and no UDP answer is larger than
  min(client EDNS size, udp-max-payload), or 512 octets without EDNS;
- TCP: a client at tcp-max-connections-per-client gets its next connection closed while another
  address still connects, and gets a place again once one of its connections closes; a client
  that sends queries and never reads the answers, and one that sends half a query, are closed
  within tcp-io-timeout while dig over TCP still gets answers.

Clients use several loopback addresses (127.0.0.0/8 is all local on Linux) so that each check
has buckets of its own.
"""

import errno
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import wire  # noqa: E402
from lib.dig import Dig  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402

ZONE = "limit.test."
RATE = 5
IO_TIMEOUT = 1.0  # seconds (tcp-io-timeout)
PER_CLIENT = 4    # tcp-max-connections-per-client
EXEMPT = "127.0.0.3"


def zone_text():
    lines = ["$ORIGIN limit.test.", "$TTL 300",
             "@ IN SOA ns1 hostmaster 1 3600 600 86400 300",
             "@ IN NS ns1", "ns1 IN A 192.0.2.1", "@ IN MX 10 mail", "@ IN TXT \"apex\"",
             "mail IN A 192.0.2.25", "child IN NS ns.child", "ns.child IN A 192.0.2.53"]
    for i in range(40):
        lines.append("www%d IN A 192.0.2.%d" % (i, i + 1))
    # ~14 KB of TXT: far more than any UDP answer may carry.
    for i in range(60):
        lines.append("big IN TXT \"%03d-%s\"" % (i, "x" * 220))
    return "\n".join(lines) + "\n"


class LimitedServer(TidalServer):
    """A TidalServer whose server: section also carries the traffic-limit keys."""

    extra = []

    def _write_config(self, path=None, state_dir=None):
        super()._write_config(path, state_dir)
        path = path or self.config_path
        with open(path) as f:
            lines = f.read().splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("  udp-max-payload:"))
        lines[at + 1:at + 1] = ["  " + line for line in self.extra]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")


def udp_burst(port, source, qname, count, qtype="A", edns=1232, collect=1.5):
    """Sends count queries from source as fast as the socket takes them, then collects replies
    for `collect` seconds. Returns the parsed replies (wire.Message), matched by id."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((source, 0))
        ids = set()
        for i in range(count):
            ids.add(i)
            s.sendto(wire.build_query(qname, qtype, msg_id=i, rd=False, edns=edns),
                     ("127.0.0.1", port))
        replies = {}
        deadline = time.monotonic() + collect
        while time.monotonic() < deadline and len(replies) < count:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = s.recv(65535)
            except socket.timeout:
                break
            m = wire.parse(data)
            if m.id in ids:
                replies[m.id] = m
        return list(replies.values())


def udp_ask(port, source, packet, timeout=2.0):
    """One query from source; the reply datagram (bytes) or None after timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.settimeout(timeout)
        s.sendto(packet, ("127.0.0.1", port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def tally(replies):
    """(full answers, slipped answers): slipped = TC=1 with no records at all."""
    full = [m for m in replies if not m.tc and m.answer]
    slipped = [m for m in replies if m.tc and not m.answer and not m.authority]
    return full, slipped


def tcp_connect(port, source, timeout=2.0, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((source, 0))
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def tcp_ask(sock, qname, qtype="A", timeout=2.0):
    """One query on an open connection; the reply (wire.Message) or None when the server
    closed the connection or did not answer in time."""
    q = wire.build_query(qname, qtype, rd=False)
    deadline = time.monotonic() + timeout
    try:
        sock.sendall(struct.pack("!H", len(q)) + q)
        length = struct.unpack("!H", wire._recv_exact(sock, 2, deadline))[0]
        return wire.parse(wire._recv_exact(sock, length, deadline))
    except (OSError, ConnectionError, socket.timeout, struct.error):
        return None


def closed_by_peer(sock, timeout):
    """Waits up to timeout for the server to close sock without reading what it sent us (so
    a slow reader stays slow): a reset shows in SO_ERROR; a clean close as POLLRDHUP.
    Returns the seconds it took, or None."""
    import select
    started = time.monotonic()
    poller = select.poll()
    poller.register(sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    while time.monotonic() - started < timeout:
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) in (errno.ECONNRESET, errno.EPIPE):
            return time.monotonic() - started
        for _, events in poller.poll(50):
            if events & (select.POLLRDHUP | select.POLLHUP | select.POLLERR):
                return time.monotonic() - started
    return None


class TrafficLimitsTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        cls.make_workdir("tidal-limits-")
        zone_file = os.path.join(cls.workdir, "limit.zone")
        with open(zone_file, "w") as f:
            f.write(zone_text())
        cls.server = LimitedServer(cls.workdir, [(ZONE, zone_file)], workers=2)
        cls.server.extra = [
            "rate-limit: %d" % RATE,
            "rate-limit-slip: 2",
            'rate-limit-exempt: ["%s"]' % EXEMPT,
            "tcp-max-connections-per-client: %d" % PER_CLIENT,
            "tcp-io-timeout: %dms" % int(IO_TIMEOUT * 1000),
        ]
        cls.add_server(cls.server)
        cls.server.start()
        cls.port = cls.server.port

    @classmethod
    def tearDownClass(cls):
        cls.stop_and_clean_up()

    # --- response rate limiting -----------------------------------------------------------

    def test_rrl_limits_a_burst_and_slips_half_of_the_rest(self):
        started = time.monotonic()
        replies = udp_burst(self.port, "127.0.0.1", "www1.limit.test.", 100)
        elapsed = time.monotonic() - started
        full, slipped = tally(replies)
        # The bucket holds RATE answers and refills at RATE/s while the burst and the
        # collection run: never more than that, and never fewer than the bucket.
        self.assertGreaterEqual(len(full), RATE, "full answers %d" % len(full))
        self.assertLessEqual(len(full), RATE + int(RATE * elapsed) + 1)
        limited = 100 - len(full)
        # slip 2: every second limited answer goes out truncated, the others are dropped. Each
        # answer the refill lets through starts the count again, so allow one off for each.
        self.assertLessEqual(abs(len(slipped) - limited / 2), 2 + (len(full) - RATE),
                             "%d slipped of %d limited" % (len(slipped), limited))
        self.assertEqual(len(replies), len(full) + len(slipped), "only full or TC=1 answers")
        for m in slipped:
            self.assertEqual(m.question[0][0].lower(), "www1.limit.test.")
            self.assertEqual(m.counts[1:], (0, 0, 0))

    def test_rrl_does_not_apply_over_tcp(self):
        udp_burst(self.port, "127.0.0.1", "www2.limit.test.", 50, collect=0.5)
        queries = [wire.build_query("www2.limit.test.", "A", rd=False) for _ in range(30)]
        replies = wire.tcp_exchange(self.port, queries, timeout=5.0)
        self.assertEqual(len(replies), 30)
        for data in replies:
            m = wire.parse(data)
            self.assertFalse(m.tc)
            self.assertEqual(len(m.answer), 1)

    def test_rrl_groups_clients_by_slash_24(self):
        started = time.monotonic()
        udp_burst(self.port, "127.0.0.1", "www3.limit.test.", 60, collect=0.3)
        # Same /24, right after: the bucket is empty but for what refilled since.
        full, _ = tally(udp_burst(self.port, "127.0.0.2", "www3.limit.test.", 30, collect=0.3))
        refilled = int(RATE * (time.monotonic() - started)) + 1
        self.assertLessEqual(len(full), min(RATE, refilled),
                             "127.0.0.2 shares 127.0.0.1's bucket")
        # Another /24 has a bucket of its own.
        full, _ = tally(udp_burst(self.port, "127.0.1.2", "www3.limit.test.", 30, collect=0.5))
        self.assertGreaterEqual(len(full), RATE)
        self.assertLessEqual(len(full), RATE + 4)
        # And another name is another bucket, even for the limited /24.
        full, _ = tally(udp_burst(self.port, "127.0.0.1", "www4.limit.test.", 3, collect=0.5))
        self.assertEqual(len(full), 3)

    def test_rrl_exempt_address_is_never_limited(self):
        replies = udp_burst(self.port, EXEMPT, "www5.limit.test.", 100)
        full, slipped = tally(replies)
        self.assertEqual(len(full), 100)
        self.assertEqual(slipped, [])

    def test_rrl_random_nxdomain_names_share_the_zone_bucket(self):
        started = time.monotonic()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.2.1", 0))
            for i in range(60):
                s.sendto(wire.build_query("r%d-%d.limit.test." % (i, os.getpid()), "A",
                                          msg_id=i, rd=False, edns=1232), ("127.0.0.1", self.port))
            answers, slipped = 0, 0
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    m = wire.parse(s.recv(65535))
                except socket.timeout:
                    break
                if m.tc:
                    slipped += 1
                else:
                    self.assertEqual(m.rcode_text(), "NXDOMAIN")
                    answers += 1
        self.assertGreaterEqual(answers, RATE)
        self.assertLessEqual(answers, RATE + int(RATE * (time.monotonic() - started)) + 1,
                             "60 random names must share one bucket")
        self.assertGreater(slipped, 20)

    def test_rrl_start_is_logged(self):
        udp_burst(self.port, "127.0.3.1", "www6.limit.test.", 30, collect=0.5)
        text = self.server.log_text()
        self.assertRegex(text, r"rate limit: UDP answers for www6\.limit\.test\. A to "
                               r"127\.0\.3\.0/24 over 5/s")

    # --- amplification ------------------------------------------------------------------

    def test_any_gets_one_rrset(self):
        # RFC 8482 §4.1: ANY is answered with one RRset, not the whole apex.
        replies = udp_burst(self.port, EXEMPT, "limit.test.", 1, qtype="ANY", collect=2.0)
        self.assertEqual(len(replies), 1)
        m = replies[0]
        self.assertTrue(m.answer)
        self.assertEqual(len({rr.rtype for rr in m.answer}), 1, m.answer)

    def test_udp_answers_never_exceed_the_size_the_client_and_server_allow(self):
        # udp-max-payload is TidalServer's default, 1232.
        for edns, limit in ((None, 512), (512, 512), (800, 800), (1232, 1232), (4096, 1232)):
            for qname, qtype in (("big.limit.test.", "TXT"), ("limit.test.", "ANY"),
                                 ("limit.test.", "NS")):
                with self.subTest(edns=edns, qname=qname, qtype=qtype):
                    data = udp_ask(self.port, EXEMPT, wire.build_query(
                        qname, qtype, rd=False, edns=edns))
                    self.assertIsNotNone(data)
                    self.assertLessEqual(len(data), limit)
        # The big TXT set truncates and is whole over TCP.
        data = udp_ask(self.port, EXEMPT, wire.build_query("big.limit.test.", "TXT", rd=False,
                                                           edns=4096))
        self.assertTrue(wire.parse(data).tc)
        replies = wire.tcp_exchange(self.port, [wire.build_query("big.limit.test.", "TXT")])
        self.assertEqual(len(wire.parse(replies[0]).answer), 60)

    # --- TCP limits ---------------------------------------------------------------------

    def test_tcp_connections_per_client_are_capped(self):
        held = []
        try:
            for _ in range(PER_CLIENT):
                s = tcp_connect(self.port, "127.0.0.4")
                held.append(s)
                self.assertIsNotNone(tcp_ask(s, "www7.limit.test."), "within the cap")
            extra = tcp_connect(self.port, "127.0.0.4")
            held.append(extra)
            self.assertIsNone(tcp_ask(extra, "www7.limit.test."), "over the cap: closed")
            # Another address still gets in, and the held ones still work.
            other = tcp_connect(self.port, "127.0.0.5")
            held.append(other)
            self.assertIsNotNone(tcp_ask(other, "www7.limit.test."))
            self.assertIsNotNone(tcp_ask(held[0], "www7.limit.test."))
            # One closes: its place is given back (after the server has seen the close).
            held.pop(0).close()
            answered = None
            deadline = time.monotonic() + 5
            while answered is None and time.monotonic() < deadline:
                s = tcp_connect(self.port, "127.0.0.4")
                held.append(s)
                answered = tcp_ask(s, "www7.limit.test.", timeout=1.0)
            self.assertIsNotNone(answered, "a freed place is usable again")
        finally:
            for s in held:
                s.close()
        self.assertIn("tcp-max-connections-per-client (%d)" % PER_CLIENT, self.server.log_text())

    def test_tcp_slow_reader_is_closed_within_the_io_timeout(self):
        s = tcp_connect(self.port, "127.0.0.6", rcvbuf=4096)
        try:
            q = wire.build_query("big.limit.test.", "TXT", rd=False)
            framed = struct.pack("!H", len(q)) + q
            # ~14 KB answers for every query; send queries for ~1 s and read nothing.
            s.setblocking(False)
            sent = 0
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline and sent < 20000:
                try:
                    s.send(framed)
                    sent += 1
                except BlockingIOError:
                    time.sleep(0.01)
            self.assertGreater(sent, 100)
            # Meanwhile other clients are served over TCP.
            r = Dig(port=self.port).query("www8.limit.test.", "A",
                                          opts=["-b", "127.0.0.7", "+tcp", "+norec", "+time=2",
                                                "+tries=1"])
            self.assertIsNotNone(r)
            self.assertEqual(r.rcode, "NOERROR")
            took = closed_by_peer(s, IO_TIMEOUT + 4.0)
            self.assertIsNotNone(took, "a client that never reads must be closed "
                                       "(tcp-io-timeout %.1f s; idle timeout 10 s)" % IO_TIMEOUT)
        finally:
            s.close()

    def test_tcp_half_a_query_is_closed_within_the_io_timeout(self):
        s = tcp_connect(self.port, "127.0.0.8")
        try:
            q = wire.build_query("www9.limit.test.", "A", rd=False)
            s.sendall(struct.pack("!H", len(q)) + q[:5])  # and never the rest
            started = time.monotonic()
            s.settimeout(IO_TIMEOUT + 4.0)
            try:
                data = s.recv(100)
            except ConnectionResetError:
                data = b""
            except socket.timeout:
                data = None  # still open: the failure below says so
            took = time.monotonic() - started
            self.assertEqual(data, b"", "closed without an answer")
            self.assertGreaterEqual(took, IO_TIMEOUT * 0.8)
            self.assertLess(took, IO_TIMEOUT + 3.0, "closed by tcp-io-timeout, not the idle one")
        finally:
            s.close()


if __name__ == "__main__":
    main()
