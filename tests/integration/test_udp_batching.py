#!/usr/bin/python3
"""UDP batching (server.udp-batch-wait, docs/query-engine.md): a busy worker lets datagrams
gather between reads. Whatever the wait, every query of a burst gets its own answer (right id,
right data), nothing is dropped at the server's socket, a lone query after a burst is answered
(the worker does not keep waiting once the traffic stops), and TCP is still served while UDP
bursts keep the worker busy.

Two tidald with one worker each on loopback: one with the longest wait the file allows (1ms;
a burst of 120 sent at once makes reads of 4 or more likely, the condition for waiting) and one
with waiting off (0). Whether a given read waited is not visible from outside; what the test
checks is what a client sees either way.
"""

import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, wire  # noqa: E402
from lib.ports import udp_socket_drops  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402

ZONE = "example.test."
ZONE_FILE = paths.zone_path("example.test.zone")
BURSTS = 6
BURST_SIZE = 120           # several full reads of a busy worker, within the client's buffer
BURST_TIMEOUT = 10.0       # seconds for every answer of one burst to arrive

# (qname, qtype, rcode, the answer's A/AAAA data or None): what the zone file says.
CASES = [
    ("www.example.test.", "A", 0, socket.inet_pton(socket.AF_INET, "192.0.2.80")),
    ("www.example.test.", "AAAA", 0, socket.inet_pton(socket.AF_INET6, "2001:db8::80")),
    ("mail.example.test.", "A", 0, socket.inet_pton(socket.AF_INET, "192.0.2.25")),
    ("no-such-name.example.test.", "A", 3, None),
    ("www.example.test.", "MX", 0, None),  # NODATA
]


def client_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Room for a whole burst of answers, so that any loss is the server's, not ours.
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, 4 << 20)  # SO_RCVBUFFORCE (root)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", 0))
    return sock


def burst(port, first_id):
    """Sends BURST_SIZE queries at once, then reads the answers; returns {id: case index} of
    what was sent and {id: [parsed answers]} of what came back."""
    sock = client_socket()
    try:
        sent = {}
        packets = []
        for n in range(BURST_SIZE):
            msg_id = (first_id + n) & 0xFFFF
            case = n % len(CASES)
            sent[msg_id] = case
            packets.append(wire.build_query(CASES[case][0], CASES[case][1], msg_id=msg_id))
        for packet in packets:
            sock.sendto(packet, ("127.0.0.1", port))
        answers = {}
        deadline = time.monotonic() + BURST_TIMEOUT
        received = 0
        while received < len(sent) and time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(65535)
            except socket.timeout:
                break
            received += 1
            message = wire.parse(data)
            answers.setdefault(message.id, []).append(message)
        return sent, answers
    finally:
        sock.close()


class UdpBatchingTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        cls.make_workdir("tidal-udp-batching-")
        cls.waiting = TidalServer(os.path.join(cls.workdir, "wait"), [(ZONE, ZONE_FILE)],
                                  workers=1, server_options=["udp-batch-wait: 1ms"])
        cls.eager = TidalServer(os.path.join(cls.workdir, "eager"), [(ZONE, ZONE_FILE)],
                                workers=1, server_options=["udp-batch-wait: 0"])
        for server in (cls.waiting, cls.eager):
            os.makedirs(server.workdir, exist_ok=True)
            cls.add_server(server)
            server.start()

    @classmethod
    def tearDownClass(cls):
        cls.stop_and_clean_up()

    def check_bursts(self, server):
        drops_before = udp_socket_drops(server.port)
        for b in range(BURSTS):
            sent, answers = burst(server.port, first_id=b * BURST_SIZE)
            missing = sorted(set(sent) - set(answers))
            self.assertEqual(missing, [], "burst %d: %d of %d queries unanswered"
                             % (b, len(missing), len(sent)))
            self.assertEqual(set(answers) - set(sent), set(), "answers to ids never sent")
            for msg_id, replies in answers.items():
                self.assertEqual(len(replies), 1, "id %d answered %d times" % (msg_id,
                                                                              len(replies)))
                qname, qtype, rcode, data = CASES[sent[msg_id]]
                reply = replies[0]
                self.assertTrue(reply.qr and reply.aa, "id %d: flags %#x" % (msg_id, reply.flags))
                # The answer belongs to its own question: no slot mixed up within a batch.
                self.assertEqual([(n.lower(), t) for n, t, _ in reply.question],
                                 [(qname, wire.TYPES[qtype])], "id %d" % msg_id)
                self.assertEqual(reply.rcode, rcode, "id %d (%s %s)" % (msg_id, qname, qtype))
                got = [rr.rdata for rr in reply.answer]
                self.assertEqual(got, [data] if data is not None else [],
                                 "id %d (%s %s)" % (msg_id, qname, qtype))
        self.assertEqual(udp_socket_drops(server.port) - drops_before, 0,
                         "the server's socket dropped datagrams")

    def test_every_query_of_a_burst_is_answered_with_waiting(self):
        self.check_bursts(self.waiting)

    def test_every_query_of_a_burst_is_answered_without_waiting(self):
        self.check_bursts(self.eager)

    def test_the_log_says_the_wait_in_effect(self):
        for server, text in ((self.waiting, "udp-batch-wait 1000us"),
                             (self.eager, "udp-batch-wait 0us")):
            with self.subTest(server=server.workdir):
                self.assertIn(text, server.log_text())

    def test_lone_query_after_a_burst(self):
        for server in (self.waiting, self.eager):
            with self.subTest(server=server.workdir):
                burst(server.port, first_id=40000)
                time.sleep(0.2)  # the burst is over: the worker is back in its loop
                reply = wire.parse(wire.udp_exchange(
                    server.port, wire.build_query("www.example.test.", "A", msg_id=4242),
                    timeout=2.0))
                self.assertEqual(reply.id, 4242)
                self.assertEqual([rr.rdata for rr in reply.answer],
                                 [socket.inet_pton(socket.AF_INET, "192.0.2.80")])

    def test_tcp_is_served_during_udp_bursts(self):
        stop = threading.Event()
        bursts = []

        def keep_busy():
            deadline = time.monotonic() + 20  # bounded, whatever happens below
            n = 0
            while not stop.is_set() and time.monotonic() < deadline:
                burst(self.waiting.port, first_id=(n * BURST_SIZE) & 0xFFFF)
                n += 1
                bursts.append(n)

        flooder = threading.Thread(target=keep_busy, daemon=True)
        flooder.start()
        try:
            time.sleep(0.2)
            for n in range(5):
                query = wire.build_query("www.example.test.", "A", msg_id=7000 + n)
                reply = wire.parse(wire.tcp_exchange(self.waiting.port, [query])[0])
                self.assertEqual(reply.id, 7000 + n)
                self.assertEqual([rr.rdata for rr in reply.answer],
                                 [socket.inet_pton(socket.AF_INET, "192.0.2.80")])
        finally:
            stop.set()
            flooder.join(timeout=30)
        self.assertGreater(len(bursts), 0, "no UDP burst ran beside the TCP queries")


if __name__ == "__main__":
    main()
