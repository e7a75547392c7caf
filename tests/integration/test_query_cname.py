#!/usr/bin/python3
"""CNAME processing (RFC 1034 §3.6.2 and §4.3.2 step 3a): chains followed inside the zone,
chains that leave the zone, loops, chains ending in NXDOMAIN (RFC 6604), through wildcards
and into delegations."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.query_case import TARGET, QueryTestCase  # noqa: E402
from lib.testcase import main  # noqa: E402

CHAIN = [("chain1.cname.test", "chain2.cname.test."), ("chain2.cname.test", "chain3.cname.test."),
         ("chain3.cname.test", "chain4.cname.test."), ("chain4.cname.test", "target.cname.test.")]


class Cname(QueryTestCase):
    def assertChain(self, r, links):
        for owner, target in links:
            self.assertRRset(r, "answer", owner, "CNAME", [target])

    def test_chain_of_four_is_followed_to_the_address(self):
        r = self.q("chain1.cname.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["qr", "aa"], lacks=["tc"])
        self.assertChain(r, CHAIN)
        self.assertRRset(r, "answer", "target.cname.test", "A", ["192.0.2.10"])
        self.assertEqual(len(r.answer), 5, r.text)

    def test_chain_followed_from_the_middle_and_any_case(self):
        r = self.q("CHAIN3.Cname.TEST", "TXT")
        self.assertRcode(r, "NOERROR")
        self.assertChain(r, CHAIN[2:])
        self.assertRRset(r, "answer", "target.cname.test", "TXT", ['"end of the chain"'])
        self.assertQuestionEchoed(r, "CHAIN3.Cname.TEST.", "TXT")

    def test_chain_ending_in_nodata(self):
        # RFC 2308 §2.2: NODATA after a chain carries the CNAMEs and the SOA.
        r = self.q("chain2.cname.test", "MX")
        self.assertNegative(r, "NOERROR", "cname.test", 60, answer_types=["CNAME"])
        self.assertChain(r, CHAIN[1:])

    def test_cname_query_returns_only_that_cname(self):
        r = self.q("chain1.cname.test", "CNAME")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertEqual(len(r.answer), 1, r.text)
        self.assertRRset(r, "answer", "chain1.cname.test", "CNAME", ["chain2.cname.test."])

    def test_cname_out_of_the_zone(self):
        r = self.q("out.cname.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "out.cname.test", "CNAME", ["www.example.net."])
        self.assertEqual(len(r.answer), 1, r.text)

    def test_cname_into_another_served_zone(self):
        # Following into another zone is allowed (RFC 1034 §4.3.2 restarts at step 1) but
        # not required; the CNAME must be there, and anything after it must be right.
        r = self.q("outserved.cname.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "outserved.cname.test", "CNAME", ["www.example.test."])
        for rr in r.answer[1:]:
            self.assertEqual((rr.owner.lower(), rr.rtype, rr.rdata),
                             ("www.example.test.", "A", "192.0.2.80"), r.text)

    def test_loop_terminates(self):
        for name, links in (("loop1.cname.test", [("loop1.cname.test", "loop2.cname.test."),
                                                  ("loop2.cname.test", "loop1.cname.test.")]),
                            ("self.cname.test", [("self.cname.test", "self.cname.test.")])):
            with self.subTest(name=name):
                r = self.q(name, "A")
                self.assertIn(r.rcode, ("NOERROR", "SERVFAIL"), r.text)
                if r.rcode == "NOERROR":
                    self.assertChain(r, links)
                    self.assertEqual(len(r.answer), len(links), "each CNAME once\n" + r.text)

    def test_dangling_cname_is_nxdomain(self):
        # RFC 6604 §2.1 (and RFC 2308 §2.1): the rcode describes the last name in the chain.
        r = self.q("dangling.cname.test", "A")
        self.assertNegative(r, "NXDOMAIN", "cname.test", 60, answer_types=["CNAME"])
        self.assertRRset(r, "answer", "dangling.cname.test", "CNAME", ["nothere.cname.test."])
        r = self.q("dangling2.cname.test", "AAAA")
        self.assertNegative(r, "NXDOMAIN", "cname.test", 60, answer_types=["CNAME"])
        self.assertChain(r, [("dangling2.cname.test", "dangling.cname.test."),
                             ("dangling.cname.test", "nothere.cname.test.")])

    def test_cname_to_a_wildcard_match(self):
        r = self.q("towild.cname.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "towild.cname.test", "CNAME", ["foo.w.cname.test."])
        # RFC 4592 §3.3.1: the synthesised RR's owner is the name asked for, not *.w.
        self.assertRRset(r, "answer", "foo.w.cname.test", "A", ["192.0.2.11"])
        self.assertEqual(r.rrs("answer", owner="*.w.cname.test"), [], r.text)

    def test_chain_through_a_wildcard_cname(self):
        r = self.q("towc.cname.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertChain(r, [("towc.cname.test", "bar.wc.cname.test."),
                             ("bar.wc.cname.test", "target.cname.test.")])
        self.assertRRset(r, "answer", "target.cname.test", "A", ["192.0.2.10"])

    def test_cname_into_a_delegation_gives_the_referral(self):
        # RFC 1034 §4.3.2: restarting at the target reaches step 3b, a referral.
        r = self.q("todeleg.cname.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertRRset(r, "answer", "todeleg.cname.test", "CNAME", ["host.sub.cname.test."])
        self.assertEqual(len(r.answer), 1, r.text)
        self.assertRRset(r, "authority", "sub.cname.test", "NS", ["ns.sub.cname.test."])
        self.assertRRset(r, "additional", "ns.sub.cname.test", "A", ["192.0.2.12"])

    def test_long_chain_is_followed_link_by_link(self):
        # A server may stop following after a few links (the resolver continues from the
        # last target); what it returns must be a correct prefix of the chain.
        r = self.q("long1.cname.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        links = [("long%d.cname.test." % i, "long%d.cname.test." % (i + 1)) for i in range(1, 7)]
        links.append(("long7.cname.test.", "target.cname.test."))
        cnames = [(rr.owner.lower(), rr.rdata.lower()) for rr in r.answer if rr.rtype == "CNAME"]
        self.assertGreaterEqual(len(cnames), 3, r.text)
        self.assertEqual(cnames, links[:len(cnames)], r.text)
        if len(cnames) == len(links):
            self.assertRRset(r, "answer", "target.cname.test", "A", ["192.0.2.10"])

    def test_loop_through_a_wildcard_terminates(self):
        for name in ("a.wl.cname.test", "*.wl.cname.test", "loop.wl.cname.test"):
            if TARGET == "knot" and name == "loop.wl.cname.test":
                continue  # Knot 3.2 repeats the synthesised CNAME here
            with self.subTest(name=name):
                r = self.q(name, "A")  # q() also checks that no RR is repeated
                self.assertIn(r.rcode, ("NOERROR", "SERVFAIL"), r.text)
                if r.rcode == "NOERROR":
                    self.assertRRset(r, "answer", name, "CNAME", ["loop.wl.cname.test."])
                    for rr in r.answer:
                        self.assertEqual((rr.rtype, rr.rdata.lower()),
                                         ("CNAME", "loop.wl.cname.test."), r.text)

    def test_mx_pointing_at_an_alias_adds_no_cname(self):
        r = self.q("mxalias.cname.test", "MX")
        self.assertRcode(r, "NOERROR")
        self.assertRRset(r, "answer", "mxalias.cname.test", "MX", ["10 chain4.cname.test."])
        self.assertEqual([rr for rr in r.additional if rr.rtype == "CNAME"], [], r.text)
        for rr in r.additional:
            self.assertEqual(rr.owner.lower(), "target.cname.test.", r.text)

    def test_kdig_follows_the_same_chain(self):
        r = self.q("chain1.cname.test", "A", client=self.kdig)
        self.assertRcode(r, "NOERROR")
        self.assertChain(r, CHAIN)
        self.assertRRset(r, "answer", "target.cname.test", "A", ["192.0.2.10"])


if __name__ == "__main__":
    main()
