#!/usr/bin/python3
"""Wildcards as RFC 4592 defines them: the §2.2.1 examples one by one, plus an address
wildcard, a wildcard CNAME, a wildcard under a wildcard, and NODATA from a wildcard."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.query_case import QueryTestCase  # noqa: E402
from lib.testcase import main  # noqa: E402


class Rfc4592Examples(QueryTestCase):
    """RFC 4592 §2.2.1, with example. renamed wild.test."""

    def test_host3_mx_matches_the_wildcard(self):
        r = self.q("host3.wild.test", "MX")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        # §3.3.1: the synthesised owner is the query name.
        self.assertRRset(r, "answer", "host3.wild.test", "MX", ["10 host1.wild.test."], ttl=3600)
        self.assertEqual(len(r.answer), 1, r.text)
        self.assertRRset(r, "additional", "host1.wild.test", "A", ["192.0.2.1"])

    def test_host3_a_is_nodata_from_the_wildcard(self):
        r = self.q("host3.wild.test", "A")
        self.assertNegative(r, "NOERROR", "wild.test", 600)

    def test_foo_bar_txt_matches_across_two_labels(self):
        r = self.q("foo.bar.wild.test", "TXT")
        self.assertRcode(r, "NOERROR")
        self.assertRRset(r, "answer", "foo.bar.wild.test", "TXT", ['"this is a wildcard"'])

    def test_host1_mx_is_nodata_existing_name_blocks(self):
        r = self.q("host1.wild.test", "MX")
        self.assertNegative(r, "NOERROR", "wild.test", 600)

    def test_sub_star_mx_is_nodata(self):
        r = self.q("sub.*.wild.test", "MX")
        self.assertNegative(r, "NOERROR", "wild.test", 600)
        r = self.q("sub.*.wild.test", "TXT")
        self.assertRRset(r, "answer", "sub.*.wild.test", "TXT", ['"this is not a wildcard"'])

    def test_telnet_srv_is_nxdomain_empty_non_terminal_blocks(self):
        r = self.q("_telnet._tcp.host1.wild.test", "SRV")
        self.assertNegative(r, "NXDOMAIN", "wild.test", 600)
        r = self.q("_ssh._tcp.host1.wild.test", "SRV")
        self.assertRRset(r, "answer", "_ssh._tcp.host1.wild.test", "SRV",
                         ["0 0 22 host1.wild.test."])

    def test_host_subdel_is_a_referral(self):
        r = self.q("host.subdel.wild.test", "A")
        self.assertReferral(r, "subdel.wild.test", ["ns.example.com.", "ns.example.net."])

    def test_ghost_star_mx_is_nxdomain(self):
        # The closest encloser is *.wild.test itself, which has no "*" child.
        r = self.q("ghost.*.wild.test", "MX")
        self.assertNegative(r, "NXDOMAIN", "wild.test", 600)

    def test_the_wildcard_name_itself(self):
        # §2.1.1: a query for "*.wild.test" is an ordinary match of that owner.
        r = self.q("*.wild.test", "TXT")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "*.wild.test", "TXT", ['"this is a wildcard"'])
        r = self.q("*.wild.test", "A")
        self.assertNegative(r, "NOERROR", "wild.test", 600)


class MoreWildcards(QueryTestCase):
    def test_address_wildcard(self):
        for rtype, rdata in (("A", "192.0.2.20"), ("AAAA", "2001:db8::20"),
                             ("TXT", '"address wildcard"')):
            with self.subTest(rtype=rtype):
                r = self.q("Anything.addr.wild.test", rtype)
                self.assertRcode(r, "NOERROR")
                self.assertFlags(r, has=["aa"])
                self.assertRRset(r, "answer", "anything.addr.wild.test", rtype, [rdata])
                self.assertQuestionEchoed(r, "Anything.addr.wild.test.", rtype)
        r = self.q("a.b.c.addr.wild.test", "A")
        self.assertRRset(r, "answer", "a.b.c.addr.wild.test", "A", ["192.0.2.20"])

    def test_existing_name_blocks(self):
        r = self.q("exists.addr.wild.test", "A")
        self.assertNegative(r, "NOERROR", "wild.test", 600)
        r = self.q("exists.addr.wild.test", "TXT")
        self.assertRRset(r, "answer", "exists.addr.wild.test", "TXT",
                         ['"an existing name blocks the wildcard"'])

    def test_empty_non_terminal_blocks(self):
        r = self.q("ent.addr.wild.test", "A")
        self.assertNegative(r, "NOERROR", "wild.test", 600)
        # below the empty non-terminal the closest encloser is ent.addr: no *.ent.addr.
        r = self.q("other.ent.addr.wild.test", "A")
        self.assertNegative(r, "NXDOMAIN", "wild.test", 600)

    def test_wildcard_nodata_for_other_types(self):
        r = self.q("x.addr.wild.test", "MX")
        self.assertNegative(r, "NOERROR", "wild.test", 600)

    def test_wildcard_cname_is_synthesised_and_followed(self):
        r = self.q("www.alias.wild.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "www.alias.wild.test", "CNAME", ["host1.wild.test."])
        self.assertRRset(r, "answer", "host1.wild.test", "A", ["192.0.2.1"])
        self.assertEqual(len(r.answer), 2, r.text)

    def test_wildcard_below_a_wildcard(self):
        r = self.q("a.nest.wild.test", "A")
        self.assertRRset(r, "answer", "a.nest.wild.test", "A", ["192.0.2.30"])
        r = self.q("x.y.nest.wild.test", "A")
        self.assertRRset(r, "answer", "x.y.nest.wild.test", "A", ["192.0.2.30"])
        r = self.q("a.deep.nest.wild.test", "A")
        self.assertRRset(r, "answer", "a.deep.nest.wild.test", "A", ["192.0.2.31"])
        r = self.q("a.b.deep.nest.wild.test", "A")
        self.assertRRset(r, "answer", "a.b.deep.nest.wild.test", "A", ["192.0.2.31"])
        # deep.nest exists (empty non-terminal above *.deep.nest): NODATA, not *.nest.
        r = self.q("deep.nest.wild.test", "A")
        self.assertNegative(r, "NOERROR", "wild.test", 600)

    def test_wildcard_at_apex_covers_unknown_names(self):
        r = self.q("unknown.wild.test", "TXT")
        self.assertRRset(r, "answer", "unknown.wild.test", "TXT", ['"this is a wildcard"'])
        r = self.q("unknown.wild.test", "A")
        self.assertNegative(r, "NOERROR", "wild.test", 600)

    def test_wildcard_any_answered_minimally(self):
        r = self.q("zzz.addr.wild.test", "ANY")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertTrue(r.answer, r.text)
        self.assertEqual(len(set(rr.rtype for rr in r.answer)), 1, r.text)
        for rr in r.answer:
            self.assertEqual(rr.owner.lower(), "zzz.addr.wild.test.", r.text)


if __name__ == "__main__":
    main()
