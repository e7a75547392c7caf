#!/usr/bin/python3
"""DNS over TCP (RFC 1035 §4.2.2, RFC 7766): two-octet length framing, several queries on
one connection answered in turn or pipelined (replies matched by ID, RFC 7766 §6.2.1.1),
messages arriving in pieces, large answers mixed with small ones."""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import wire  # noqa: E402
from lib.query_case import QueryTestCase  # noqa: E402
from lib.testcase import main  # noqa: E402

A = wire.TYPES["A"]
EXPECTED = {  # name -> (rcode, the A rdata expected in the answer)
    "www.example.test": (0, [bytes([192, 0, 2, 80])]),
    "mail.example.test": (0, [bytes([192, 0, 2, 25])]),
    "nx.example.test": (3, []),
    "chain1.cname.test": (0, [bytes([192, 0, 2, 10])]),
    "foo.addr.wild.test": (0, [bytes([192, 0, 2, 20])]),
    "www.child.parent.test": (0, [bytes([192, 0, 2, 111])]),
    "www.example.com": (5, []),
}


class Tcp(QueryTestCase):
    def check_reply(self, reply, query_id, name, qtype=A):
        m = wire.parse(reply)
        self.assertEqual(m.id, query_id)
        self.assertTrue(m.qr)
        self.assertFalse(m.tc, "no TC over TCP for %s" % name)
        self.assertEqual([(q[0].lower(), q[1]) for q in m.question], [(name + ".", qtype)])
        return m

    def test_kdig_several_queries_on_one_connection(self):
        argv = self.kdig.command("www.example.test", "A", opts=["+tcp", "+keepopen"])
        argv += ["mail.example.test", "AAAA", "nx.example.test", "A", "many.big.test", "A"]
        responses, raw = self.kdig.run(argv)
        self.assertEqual(len(responses), 4, raw[:3000])
        self.assertEqual([r.rcode for r in responses],
                         ["NOERROR", "NOERROR", "NXDOMAIN", "NOERROR"], raw[:3000])
        self.assertEqual([r.transport for r in responses], ["TCP"] * 4, raw[:3000])
        self.assertEqual(responses[0].rdatas("answer", "A"), ["192.0.2.80"])
        self.assertEqual(responses[1].rdatas("answer", "AAAA"), ["2001:db8::25"])
        self.assertEqual(len(responses[3].answer), 2000)

    def test_pipelined_queries_all_answered(self):
        rnd = random.Random(7766)
        names = sorted(EXPECTED)
        queries = []
        for i in range(40):
            name = rnd.choice(names)
            queries.append((1000 + i, name))
        packets = [wire.build_query(n, "A", msg_id=i, edns=1232 if i % 2 else None)
                   for i, n in queries]
        replies = wire.tcp_exchange(self.port, packets, pipeline=True, timeout=10)
        self.assertEqual(len(replies), len(packets), "every pipelined query answered")
        by_id = {}
        for reply in replies:
            m = wire.parse(reply)
            self.assertNotIn(m.id, by_id, "one reply per query")
            by_id[m.id] = m
        for qid, name in queries:
            m = by_id[qid]
            self.assertFalse(m.tc)
            self.assertEqual([(q[0].lower(), q[1]) for q in m.question], [(name + ".", A)])
            rcode, addrs = EXPECTED[name]
            self.assertEqual(m.rcode, rcode, name)
            self.assertEqual(sorted(rr.rdata for rr in m.answer if rr.rtype == A), addrs, name)
            self.assertEqual(m.opt is not None, qid % 2 == 1, "OPT iff the query had one")

    def test_one_after_another_on_one_connection(self):
        names = sorted(EXPECTED) * 2
        packets = [wire.build_query(n, "A", msg_id=2000 + i) for i, n in enumerate(names)]
        replies = wire.tcp_exchange(self.port, packets, pipeline=False, timeout=10)
        self.assertEqual(len(replies), len(packets))
        for i, (reply, name) in enumerate(zip(replies, names)):
            m = self.check_reply(reply, 2000 + i, name)
            self.assertEqual(m.rcode, EXPECTED[name][0], name)

    def test_messages_split_across_writes(self):
        packets = [wire.build_query("www.example.test", "A", msg_id=3000 + i) for i in range(3)]
        replies = wire.tcp_exchange(self.port, packets, pipeline=False, split=True, timeout=10)
        self.assertEqual(len(replies), 3)
        for i, reply in enumerate(replies):
            m = self.check_reply(reply, 3000 + i, "www.example.test")
            self.assertEqual([rr.rdata for rr in m.answer], [bytes([192, 0, 2, 80])])

    def test_large_and_small_answers_mixed(self):
        names = ["www.example.test", "many.big.test", "mail.example.test", "many.big.test",
                 "tc1232.big.test"]
        packets = [wire.build_query(n, "A", msg_id=4000 + i, edns=1232)
                   for i, n in enumerate(names)]
        replies = wire.tcp_exchange(self.port, packets, pipeline=True, timeout=15)
        self.assertEqual(len(replies), len(packets))
        counts = {}
        for reply in replies:
            m = wire.parse(reply)
            self.assertFalse(m.tc)
            counts[m.id] = len(m.answer)
        self.assertEqual(counts, {4000: 1, 4001: 2000, 4002: 1, 4003: 2000, 4004: 100})

    def test_question_case_preserved_over_tcp(self):
        packets = [wire.build_query("WWW.Example.TEST", "A", msg_id=5000)]
        replies = wire.tcp_exchange(self.port, packets, timeout=5)
        self.assertEqual(len(replies), 1)
        m = wire.parse(replies[0])
        self.assertEqual(m.question[0][0], "WWW.Example.TEST.")
        self.assertTrue(m.aa)


if __name__ == "__main__":
    main()
