#!/usr/bin/python3
"""Queries a server must refuse or reject: malformed messages get FORMERR (RFC 1035 §4.1.1),
unknown opcodes NOTIMP, responses and runts no answer at all (RFC 1035 §7.3 / RFC 5452), and
a burst of a few thousand garbage packets leaves the server alive and answering."""

import os
import random
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import wire  # noqa: E402
from lib.query_case import TARGET, QueryTestCase  # noqa: E402
from lib.testcase import main  # noqa: E402

QID = 0x4A7B
QSEC = wire.encode_name("www.example.test") + struct.pack("!HH", 1, 1)


def header(qd, an=0, ns=0, ar=0, flags=wire.FLAG_RD, msg_id=QID):
    return struct.pack("!HHHHHH", msg_id, flags, qd, an, ns, ar)


class Malformed(QueryTestCase):
    def raw(self, packet, timeout=2.0):
        reply = wire.udp_exchange(self.port, packet, timeout=timeout)
        return None if reply is None else wire.parse(reply)

    def assertFormerr(self, packet, what):
        m = self.raw(packet)
        if m is None and TARGET == "knot":
            return  # Knot drops what it cannot parse; Tidal's policy is FORMERR.
        self.assertIsNotNone(m, "%s: FORMERR expected, got no reply" % what)
        self.assertTrue(m.qr, what)
        self.assertEqual(m.id, QID, what + ": ID echoed")
        self.assertEqual(m.rcode_text(), "FORMERR", what)
        self.assertEqual((m.answer, m.authority, m.additional), ([], [], []), what)
        self.assertFalse(m.aa, what)

    def assertAlive(self):
        r = self.q("www.example.test", "A")
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"])

    def test_no_question(self):
        self.assertFormerr(header(0), "QDCOUNT=0")

    def test_two_questions(self):
        self.assertFormerr(header(2) + QSEC + QSEC, "QDCOUNT=2")

    def test_question_missing(self):
        self.assertFormerr(header(1), "QDCOUNT=1 but no question")

    def test_truncated_question(self):
        self.assertFormerr(header(1) + QSEC[:-2], "question without class")
        self.assertFormerr(header(1) + QSEC[:-5], "question without terminating label")

    def test_bad_labels(self):
        self.assertFormerr(header(1) + b"\x20abc", "label running past the end")
        self.assertFormerr(header(1) + b"\x41abc\x00\x00\x01\x00\x01", "label type 01")
        self.assertFormerr(header(1) + b"\x81abc\x00\x00\x01\x00\x01", "label type 10")
        self.assertFormerr(header(1) + b"\xc0\x0c\x00\x01\x00\x01", "pointer to itself")
        self.assertFormerr(header(1) + b"\x03www\xc0\x0c\x00\x01\x00\x01", "pointer loop")
        self.assertFormerr(header(1) + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01",
                           "name longer than 255 octets")

    def test_bad_opt(self):
        # RFC 6891 §6.1.1: more than one OPT is FORMERR; the OPT owner must be the root.
        self.assertFormerr(header(1, ar=2) + QSEC + wire.opt_rr() + wire.opt_rr(), "two OPT")
        self.assertFormerr(header(1, ar=1) + QSEC + b"\x01a" + wire.opt_rr()[1:],
                           "OPT owner not root")

    def test_trailing_garbage(self):
        self.assertFormerr(header(1) + QSEC + b"junk", "octets after the last record")

    def test_responses_and_runts_get_no_reply(self):
        for what, packet in (("QR set", header(1, flags=wire.FLAG_QR | wire.FLAG_RD) + QSEC),
                             ("QR set, malformed", header(2, flags=wire.FLAG_QR)),
                             ("shorter than a header", b"\x4a\x7b\x01"),
                             ("empty", b"")):
            with self.subTest(what=what):
                self.assertIsNone(self.raw(packet, timeout=1.0), what)
        self.assertAlive()

    def test_unknown_opcodes_get_notimp(self):
        r = self.q("www.example.test", "A", opts=["+opcode=3"])
        self.assertRcode(r, "NOTIMP")
        self.assertFlags(r, has=["qr"], lacks=["aa"])
        self.assertEmpty(r, "answer")
        for opcode in (1, 2, 3, 7, 9, 15):  # IQUERY (RFC 3425), STATUS, unassigned
            with self.subTest(opcode=opcode):
                m = self.raw(wire.build_query("www.example.test", "A", msg_id=QID,
                                              opcode=opcode))
                self.assertIsNotNone(m, "NOTIMP expected for opcode %d" % opcode)
                self.assertEqual(m.rcode_text(), "NOTIMP")
                self.assertEqual(m.opcode, opcode, "opcode echoed")
                self.assertEqual(m.id, QID)
                self.assertEqual(m.answer, [])

    def test_header_bits_in_queries_are_not_echoed(self):
        # AA, TC and a nonzero RCODE in a query mean nothing; the answer is normal.
        for flags in (wire.FLAG_AA, wire.FLAG_TC, 0x0005, 0x0040):
            with self.subTest(flags=hex(flags)):
                m = self.raw(wire.build_query("www.example.test", "A", msg_id=QID, flags=flags))
                self.assertIsNotNone(m)
                self.assertEqual(m.rcode_text(), "NOERROR")
                self.assertTrue(m.aa)
                self.assertFalse(m.tc)
                self.assertEqual(m.flags & 0x0040, 0, "Z bit must be zero in responses")
                self.assertEqual([rr.rdata for rr in m.answer], [bytes([192, 0, 2, 80])])

    def test_id_echoed(self):
        for msg_id in (0, 1, 0xFFFF, 0x8000):
            m = self.raw(wire.build_query("www.example.test", "A", msg_id=msg_id))
            self.assertEqual(m.id, msg_id)


def garbage_packets(seed, count):
    """A reproducible mix: random bytes, mutated queries, cut queries, random questions."""
    rnd = random.Random(seed)
    good = [wire.build_query(n, t, msg_id=rnd.randrange(65536), edns=e)
            for n in ("www.example.test", "many.big.test", "chain1.cname.test",
                      "x.addr.wild.test", "host.sub.parent.test", "nx.example.test")
            for t in ("A", "ANY", "TXT") for e in (None, 1232)]
    out = []
    for _ in range(count):
        kind = rnd.randrange(6)
        base = rnd.choice(good)
        if kind == 0:
            p = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 600)))
        elif kind == 1:
            p = bytearray(base)
            for _ in range(rnd.randrange(1, 6)):
                p[rnd.randrange(len(p))] = rnd.randrange(256)
            p = bytes(p)
        elif kind == 2:
            p = base[:rnd.randrange(len(base))]
        elif kind == 3:
            p = base[:2] + bytes([rnd.randrange(256) & 0x7F, rnd.randrange(256)]) + base[4:]
        elif kind == 4:
            p = header(rnd.randrange(4), rnd.randrange(3), rnd.randrange(3), rnd.randrange(3),
                       flags=rnd.randrange(65536) & 0x7FFF, msg_id=rnd.randrange(65536))
            p += bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 80)))
        else:
            p = base + bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 40)))
        out.append(p)
    return out


class GarbageBurst(QueryTestCase):
    def test_udp_garbage_burst(self):
        packets = garbage_packets(20240101, 4000)
        replies = []
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("127.0.0.1", self.port))
            s.setblocking(False)

            def drain(wait):
                deadline = time.monotonic() + wait
                while True:
                    left = deadline - time.monotonic()
                    ready, _, _ = select.select([s], [], [], max(left, 0))
                    if not ready:
                        return
                    try:
                        replies.append(s.recv(65535))
                    except (BlockingIOError, ConnectionRefusedError):
                        return

            for i, p in enumerate(packets):
                try:
                    s.send(p)
                except (BlockingIOError, ConnectionRefusedError):
                    drain(0.05)
                if i % 50 == 49:
                    drain(0.005)
            drain(1.0)
        self.assertTrue(self.server.alive(), "the server died during the garbage burst")
        # Everything the server sent back must itself be a well-formed response.
        for reply in replies:
            try:
                m = wire.parse(reply)
            except ValueError as e:
                self.fail("malformed reply %r: %s" % (reply[:64], e))
            self.assertTrue(m.qr, "reply without QR")
        self.assertGreater(len(replies), 0, "not one of 4000 packets (many valid) answered")
        r = self.q("www.example.test", "A")
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"])
        r = self.q("many.big.test", "A", opts=["+tcp"])
        self.assertEqual(len(r.answer), 2000)

    def test_tcp_garbage(self):
        rnd = random.Random(7766)
        for i in range(60):
            kind = i % 4
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            except OSError as e:
                self.fail("TCP connection %d refused: %s" % (i, e))
            # The server may close a connection on garbage at any point (RFC 7766 §6.2.4
            # lets it); only its survival matters here.
            with s:
                try:
                    if kind == 0:  # unframed random bytes
                        s.sendall(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300))))
                    elif kind == 1:  # framed garbage messages
                        for p in garbage_packets(i, 5):
                            s.sendall(struct.pack("!H", len(p)) + p)
                    elif kind == 2:  # a length prefix promising more than is ever sent
                        s.sendall(b"\xff\xff" + b"\x00" * 100)
                    else:  # half a length prefix
                        s.sendall(b"\x00")
                    s.settimeout(0.2)
                    while s.recv(65535):
                        pass
                except OSError:
                    pass
        self.assertTrue(self.server.alive(), "the server died during the TCP garbage")
        r = self.q("www.example.test", "A", opts=["+tcp"])
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"])
        r = self.q("www.example.test", "A")
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"])


if __name__ == "__main__":
    main()
