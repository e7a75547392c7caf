#!/usr/bin/python3
"""Zone cuts (RFC 1034 §4.2.1, §4.3.2 step 3b): referrals with and without glue, names and
occluded data below a cut, DS answered by the parent side (RFC 4035 §3.1.4.1), and a parent
and child zone served side by side where the most specific zone answers."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.query_case import QueryTestCase  # noqa: E402
from lib.testcase import main  # noqa: E402

SUB_NS = ["ns1.sub.parent.test.", "ns2.sub.parent.test."]


class Delegations(QueryTestCase):
    def assertSubGlue(self, r):
        # RFC 9471 §3.1: in-domain glue must be included.
        self.assertRRset(r, "additional", "ns1.sub.parent.test", "A", ["192.0.2.101"])
        self.assertRRset(r, "additional", "ns1.sub.parent.test", "AAAA", ["2001:db8::101"])
        self.assertRRset(r, "additional", "ns2.sub.parent.test", "A", ["192.0.2.102"])

    def test_referral_with_glue(self):
        for name, rtype in (("host.sub.parent.test", "A"), ("sub.parent.test", "A"),
                            ("sub.parent.test", "NS"), ("a.b.c.sub.parent.test", "MX"),
                            ("HOST.SUB.parent.test", "AAAA")):
            with self.subTest(name=name, rtype=rtype):
                r = self.q(name, rtype)
                self.assertReferral(r, "sub.parent.test", SUB_NS)
                self.assertSubGlue(r)
                self.assertEqual([rr for rr in r.authority if rr.rtype not in ("NS", "DS")],
                                 [], r.text)

    def test_occluded_data_is_never_answered(self):
        # RFC 2181 §6: data below a cut is not authoritative; the answer is the referral.
        for name, rtype in (("occluded.sub.parent.test", "TXT"),
                            ("deep.below.sub.parent.test", "A"),
                            ("ns1.sub.parent.test", "A")):
            with self.subTest(name=name):
                r = self.q(name, rtype)
                self.assertReferral(r, "sub.parent.test", SUB_NS)
                self.assertEqual(r.rrs("answer"), [], r.text)

    def test_ds_at_the_cut_is_answered_by_the_parent(self):
        r = self.q("sub.parent.test", "DS")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertEqual(len(r.rrs("answer", "DS", "sub.parent.test")), 1, r.text)
        self.assertTrue(r.answer[0].rdata.startswith("12345 13 2"), r.text)

    def test_out_of_zone_name_servers_have_no_glue(self):
        r = self.q("www.ext.parent.test", "A")
        self.assertReferral(r, "ext.parent.test", ["ns1.example.net.", "ns2.example.org."])
        self.assertEqual(r.additional, [], r.text)

    def test_sibling_name_server(self):
        r = self.q("www.sib.parent.test", "A")
        self.assertReferral(r, "sib.parent.test", ["ns1.parent.test."])
        # RFC 9471 §2.2: sibling glue may be included; if it is, it must be right.
        for rr in r.additional:
            self.assertEqual((rr.owner.lower(), rr.rtype, rr.rdata),
                             ("ns1.parent.test.", "A", "192.0.2.53"), r.text)

    def test_ds_where_there_is_none(self):
        r = self.q("www.parent.test", "DS")
        self.assertNegative(r, "NOERROR", "parent.test", 900)
        r = self.q("ext.parent.test", "DS")
        self.assertNegative(r, "NOERROR", "parent.test", 900)


class ParentAndChild(QueryTestCase):
    def test_child_zone_answers_below_its_apex(self):
        r = self.q("www.child.parent.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "www.child.parent.test", "A", ["192.0.2.111"])

    def test_child_apex_from_the_child(self):
        r = self.q("child.parent.test", "SOA")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "child.parent.test", "SOA",
                         ["ns1.child.parent.test. hostmaster.child.parent.test. 2024010101 "
                          "7200 900 1209600 120"])
        r = self.q("child.parent.test", "NS")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "child.parent.test", "NS", ["ns1.child.parent.test."])
        r = self.q("child.parent.test", "TXT")
        self.assertRRset(r, "answer", "child.parent.test", "TXT", ['"child apex"'])

    def test_negative_answers_from_the_child(self):
        r = self.q("nx.child.parent.test", "A")
        self.assertNegative(r, "NXDOMAIN", "child.parent.test", 120)
        r = self.q("www.child.parent.test", "MX")
        self.assertNegative(r, "NOERROR", "child.parent.test", 120)

    def test_ds_of_the_child_comes_from_the_parent(self):
        # RFC 4035 §3.1.4.1: the DS RRset lives on the parent side of the cut.
        r = self.q("child.parent.test", "DS")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        ds = r.rrs("answer", "DS", "child.parent.test")
        self.assertEqual(len(ds), 1, r.text)
        self.assertTrue(ds[0].rdata.startswith("54321 13 2"), r.text)

    def test_parent_still_answers_its_own_names(self):
        r = self.q("www.parent.test", "A")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "www.parent.test", "A", ["192.0.2.80"])
        r = self.q("ns1.child.parent.test", "A")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "ns1.child.parent.test", "A", ["192.0.2.110"])


if __name__ == "__main__":
    main()
