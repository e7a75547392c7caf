#!/usr/bin/python3
"""tidald answers authoritatively from its zones: positive answers with the additional
section, NXDOMAIN and NODATA with the right negative TTL, empty non-terminals, names in any
case, REFUSED outside its zones, CH class, minimal ANY."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.query_case import QueryTestCase  # noqa: E402
from lib.testcase import main  # noqa: E402


class PositiveAnswers(QueryTestCase):
    def test_a_record_is_authoritative(self):
        r = self.q("www.example.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["qr", "aa"], lacks=["tc", "ra"])
        self.assertQuestionEchoed(r, "www.example.test.", "A")
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"], ttl=3600)
        self.assertEqual(len(r.answer), 1, r.text)

    def test_aaaa_and_explicit_ttl(self):
        r = self.q("www.example.test", "AAAA")
        self.assertRRset(r, "answer", "www.example.test", "AAAA", ["2001:db8::80"], ttl=3600)
        r = self.q("www.example.test", "TXT")
        self.assertRRset(r, "answer", "www.example.test", "TXT", ['"web front end"'], ttl=300)

    def test_apex_soa(self):
        r = self.q("example.test", "SOA")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "example.test", "SOA",
                         ["ns1.example.test. hostmaster.example.test. 2024010101 7200 900 "
                          "1209600 300"], ttl=3600)

    def test_every_zone_answers_its_soa(self):
        for zone in ("example.test", "cname.test", "wild.test", "parent.test",
                     "child.parent.test", "big.test", "huge.test"):
            with self.subTest(zone=zone):
                r = self.q(zone, "SOA")
                self.assertRcode(r, "NOERROR")
                self.assertFlags(r, has=["aa"])
                self.assertEqual(len(r.rrs("answer", "SOA", zone)), 1, r.text)

    def test_apex_ns_with_addresses_in_additional(self):
        r = self.q("example.test", "NS")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "example.test", "NS",
                         ["ns1.example.test.", "ns2.example.test."])
        # RFC 1035 §3.3.11: additional section processing for NS targets in the zone.
        self.assertRRset(r, "additional", "ns1.example.test", "A", ["192.0.2.53"])
        self.assertRRset(r, "additional", "ns1.example.test", "AAAA", ["2001:db8::53"])
        self.assertRRset(r, "additional", "ns2.example.test", "A", ["192.0.2.54"])
        self.assertRRset(r, "additional", "ns2.example.test", "AAAA", ["2001:db8::54"])

    def test_mx_targets_in_additional(self):
        r = self.q("example.test", "MX")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "example.test", "MX",
                         ["10 mail.example.test.", "20 mail2.example.test."])
        # RFC 1035 §3.3.9: the exchange's addresses go in the additional section.
        self.assertRRset(r, "additional", "mail.example.test", "A", ["192.0.2.25"])
        self.assertRRset(r, "additional", "mail.example.test", "AAAA", ["2001:db8::25"])
        self.assertRRset(r, "additional", "mail2.example.test", "A", ["192.0.2.26"])

    def test_srv_target_in_additional(self):
        r = self.q("_sip._tcp.example.test", "SRV")
        self.assertFlags(r, has=["aa"])
        self.assertRRset(r, "answer", "_sip._tcp.example.test", "SRV",
                         ["10 60 5060 sip.example.test."])
        # RFC 2782: A/AAAA of the target in the additional section.
        self.assertRRset(r, "additional", "sip.example.test", "A", ["192.0.2.60"])
        self.assertRRset(r, "additional", "sip.example.test", "AAAA", ["2001:db8::60"])

    def test_other_types(self):
        cases = [
            ("example.test", "TXT", ['"v=spf1 mx -all"']),
            ("example.test", "CAA", ['0 issue "letsencrypt.org"',
                                     '0 iodef "mailto:security@example.test"']),
            ("host.example.test", "HINFO", ['"x86_64" "Linux"']),
            ("ptr.example.test", "PTR", ["www.example.test."]),
            ("ftp.example.test", "CNAME", ["www.example.test."]),
        ]
        for name, rtype, rdatas in cases:
            with self.subTest(name=name, rtype=rtype):
                r = self.q(name, rtype)
                self.assertRcode(r, "NOERROR")
                self.assertFlags(r, has=["aa"])
                self.assertRRset(r, "answer", name, rtype, rdatas)

    def test_kdig_sees_the_same_answer(self):
        r = self.q("mail.example.test", "AAAA", client=self.kdig)
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["qr", "aa"])
        self.assertRRset(r, "answer", "mail.example.test", "AAAA", ["2001:db8::25"])

    def test_rd_is_copied_and_ra_never_set(self):
        # RFC 1035 §4.1.1: RD is copied into the response; an authoritative-only server
        # does not offer recursion.
        r = self.q("www.example.test", "A")
        self.assertFlags(r, has=["rd"], lacks=["ra"])
        r = self.q("www.example.test", "A", opts=["+norecurse"])
        self.assertFlags(r, has=["aa"], lacks=["rd", "ra"])


class NegativeAnswers(QueryTestCase):
    def test_nxdomain_with_soa_minimum_as_ttl(self):
        # example.test.: SOA TTL 3600, MINIMUM 300 -> negative TTL 300 (RFC 2308 §5).
        r = self.q("nosuchname.example.test", "A")
        self.assertNegative(r, "NXDOMAIN", "example.test", 300)
        self.assertQuestionEchoed(r, "nosuchname.example.test.", "A")

    def test_nxdomain_with_soa_ttl_as_ttl(self):
        # cname.test.: SOA TTL 60, MINIMUM 3600 -> negative TTL 60 (RFC 2308 §5).
        r = self.q("nosuchname.cname.test", "A")
        self.assertNegative(r, "NXDOMAIN", "cname.test", 60)
        r = self.q("target.cname.test", "AAAA")
        self.assertNegative(r, "NOERROR", "cname.test", 60)

    def test_nodata(self):
        r = self.q("www.example.test", "MX")
        self.assertNegative(r, "NOERROR", "example.test", 300)
        r = self.q("example.test", "AAAA")
        self.assertNegative(r, "NOERROR", "example.test", 300)

    def test_negative_ttl_in_other_zones(self):
        # wild.test.: SOA TTL 3600, MINIMUM 600. (Names directly below wild.test. match
        # its wildcard, so the NXDOMAIN is under host1.)
        r = self.q("nx.host1.wild.test", "A")
        self.assertNegative(r, "NXDOMAIN", "wild.test", 600)
        r = self.q("host1.wild.test", "AAAA")
        self.assertNegative(r, "NOERROR", "wild.test", 600)
        r = self.q("nx.child.parent.test", "A")
        self.assertNegative(r, "NXDOMAIN", "child.parent.test", 120)

    def test_empty_non_terminals_exist(self):
        # RFC 4592 §2.2.2 / RFC 8020: b.ent and ent own nothing but exist: NODATA.
        for name in ("b.ent.example.test", "ent.example.test"):
            with self.subTest(name=name):
                r = self.q(name, "A")
                self.assertNegative(r, "NOERROR", "example.test", 300)
        r = self.q("leaf.b.ent.example.test", "A")
        self.assertRRset(r, "answer", "leaf.b.ent.example.test", "A", ["192.0.2.200"])
        r = self.q("other.b.ent.example.test", "A")
        self.assertNegative(r, "NXDOMAIN", "example.test", 300)
        r = self.q("below.leaf.b.ent.example.test", "A")
        self.assertNegative(r, "NXDOMAIN", "example.test", 300)

    def test_nxdomain_for_every_type(self):
        for rtype in ("A", "AAAA", "MX", "TXT", "NS", "SOA", "SRV", "DS", "CNAME"):
            with self.subTest(rtype=rtype):
                r = self.q("missing.example.test", rtype)
                self.assertNegative(r, "NXDOMAIN", "example.test", 300)


class CaseAndScope(QueryTestCase):
    def test_question_echoed_with_case_as_sent(self):
        # RFC 4343 §4: the question is copied as received, case included.
        r = self.q("WwW.ExAmPlE.TeSt", "A")
        self.assertRcode(r, "NOERROR")
        self.assertQuestionEchoed(r, "WwW.ExAmPlE.TeSt.", "A")
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"])

    def test_lookup_is_case_insensitive(self):
        for name in ("MIXED.EXAMPLE.TEST", "mixed.example.test", "MiXeD.example.TEST"):
            with self.subTest(name=name):
                r = self.q(name, "A")
                self.assertRcode(r, "NOERROR")
                self.assertFlags(r, has=["aa"])
                self.assertRRset(r, "answer", "mixed.example.test", "A", ["192.0.2.7"])
        r = self.q("upper.case.example.test", "TXT")
        self.assertRRset(r, "answer", "UPPER.Case.example.test", "TXT", ['"upper case owner"'])
        r = self.q("mail2.EXAMPLE.test", "A")
        self.assertRRset(r, "answer", "mail2.example.test", "A", ["192.0.2.26"])

    def test_refused_outside_our_zones(self):
        for name in ("www.example.com", "test", "example.net", "nottest", "."):
            with self.subTest(name=name):
                r = self.q(name, "A")
                self.assertRcode(r, "REFUSED")
                self.assertFlags(r, has=["qr"], lacks=["aa"])
                self.assertEmpty(r, "answer")
                self.assertEmpty(r, "authority")

    def test_chaos_class_refused(self):
        self.tidal_only("Knot answers CH TXT version.bind with its version")
        r = self.q("version.bind", "TXT", rclass="CH")
        self.assertRcode(r, "REFUSED")
        self.assertEmpty(r, "answer")
        r = self.q("www.example.test", "A", rclass="CH")
        self.assertRcode(r, "REFUSED")
        self.assertEmpty(r, "answer")

    def test_any_is_answered_minimally(self):
        # RFC 8482 §4.1: answer ANY with one RRset (or a synthesised HINFO, §4.2), not the
        # whole node. The apex owns SOA, NS, MX, TXT, CAA and A.
        for name, whole in (("example.test", {"SOA", "NS", "MX", "TXT", "CAA", "A"}),
                            ("www.example.test", {"A", "AAAA", "TXT"})):
            with self.subTest(name=name):
                r = self.q(name, "ANY")
                self.assertRcode(r, "NOERROR")
                self.assertFlags(r, has=["aa"], lacks=["tc"])
                self.assertTrue(r.answer, "ANY must not be empty\n" + r.text)
                types = set(rr.rtype for rr in r.answer)
                self.assertEqual(len(types), 1, "one RRset\n" + r.text)
                self.assertTrue(types <= whole | {"HINFO"}, r.text)
                self.assertNotEqual(types, whole, r.text)
                for rr in r.answer:
                    self.assertEqual(rr.owner.lower().rstrip("."), name, r.text)

    def test_any_for_missing_name_is_nxdomain(self):
        r = self.q("nothing.example.test", "ANY")
        self.assertNegative(r, "NXDOMAIN", "example.test", 300)


class UnusualNamesAndTypes(QueryTestCase):
    """names.test.: escaped labels, case-only spellings, RFC 3597 types, SVCB/HTTPS."""

    def test_escaped_characters_in_labels(self):
        for name, rtype, rdata in (("a\\.b.names.test", "A", "192.0.2.1"),
                                   ("semi\\;colon.names.test", "A", "192.0.2.2"),
                                   ("x\\000y.names.test", "A", "192.0.2.3"),
                                   ("sp\\032ace.names.test", "TXT", '"label with a space"')):
            with self.subTest(name=name):
                r = self.q(name, rtype)
                self.assertRcode(r, "NOERROR")
                self.assertFlags(r, has=["aa"])
                self.assertEqual([rr.rdata for rr in r.answer], [rdata], r.text)
        # a\.b is one label: "b.names.test" does not exist.
        r = self.q("b.names.test", "A")
        self.assertNegative(r, "NXDOMAIN", "names.test", 1800)

    def test_long_label_and_numeric_label(self):
        r = self.q("a" * 63 + ".names.test", "A")
        self.assertEqual(r.rdatas("answer", "A"), ["192.0.2.4"], r.text)
        r = self.q("123.names.test", "A")
        self.assertEqual(r.rdatas("answer", "A"), ["192.0.2.5"], r.text)

    def test_owner_spellings_that_differ_only_in_case_are_one_name(self):
        for rtype, rdata in (("A", "192.0.2.6"), ("AAAA", "2001:db8::6"),
                             ("TXT", '"three spellings, one name"')):
            with self.subTest(rtype=rtype):
                r = self.q("cAsEoNlY.names.test", rtype)
                self.assertRRset(r, "answer", "caseonly.names.test", rtype, [rdata])

    def test_txt_strings_kept_exactly(self):
        r = self.q("txt.names.test", "TXT")
        self.assertRRset(r, "answer", "txt.names.test", "TXT",
                         ['""', '"quote \\" and backslash \\\\ inside"', '"two" "strings"',
                          '"\\255\\000binary"'])

    def test_unknown_types(self):
        # RFC 3597 §5: unknown types are served as opaque data.
        r = self.q("unknown.names.test", "TYPE65280")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"])
        self.assertEqual([rr.rdata for rr in r.answer], ["\\# 4 0A000001"], r.text)
        r = self.q("unknown.names.test", "TYPE65281")
        self.assertEqual([rr.rdata for rr in r.answer], ["\\# 0"], r.text)
        r = self.q("unknown.names.test", "TYPE65282")
        self.assertNegative(r, "NOERROR", "names.test", 1800)

    def test_https_target_addresses_in_additional(self):
        r = self.q("svc.names.test", "HTTPS")
        self.assertRcode(r, "NOERROR")
        self.assertEqual(len(r.rrs("answer", "HTTPS")), 1, r.text)
        # RFC 9460 §4.1: addresses of an in-zone TargetName go in the additional section.
        self.assertRRset(r, "additional", "web.names.test", "A", ["192.0.2.80"])
        self.assertRRset(r, "additional", "web.names.test", "AAAA", ["2001:db8::80"])

    def test_other_rdata_types(self):
        for name, rtype in (("naptr.names.test", "NAPTR"), ("sshfp.names.test", "SSHFP"),
                            ("_443._tcp.web.names.test", "TLSA"), ("svc.names.test", "SVCB")):
            with self.subTest(rtype=rtype):
                r = self.q(name, rtype)
                self.assertRcode(r, "NOERROR")
                self.assertEqual(len(r.rrs("answer", rtype)), 1, r.text)


if __name__ == "__main__":
    main()
