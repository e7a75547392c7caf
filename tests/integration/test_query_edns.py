#!/usr/bin/python3
"""EDNS(0) (RFC 6891) and UDP truncation (RFC 1035 §4.2.1, RFC 2181 §9): OPT in the response
iff the query had one, the payload size the client offers honoured and capped by the
server's udp-max-payload, BADVERS, TC at 512 without EDNS, whole answers over TCP."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.query_case import QueryTestCase  # noqa: E402
from lib.testcase import main  # noqa: E402


def tc512_addresses():
    return ["10.1.0.%d" % i for i in range(40)]


def tc1232_addresses():
    return ["10.2.0.%d" % i for i in range(100)]


class Edns(QueryTestCase):
    def test_opt_present_iff_the_query_had_one(self):
        for name, rcode in (("www.example.test", "NOERROR"), ("nx.example.test", "NXDOMAIN"),
                            ("www.example.com", "REFUSED")):
            with self.subTest(name=name):
                r = self.q(name, "A")  # dig sends EDNS by default
                self.assertRcode(r, rcode)
                self.assertIsNotNone(r.edns, "OPT expected (RFC 6891 §7)\n" + r.text)
                self.assertEqual(r.edns["version"], 0, r.text)
                r = self.q(name, "A", opts=["+noedns"])
                self.assertRcode(r, rcode)
                self.assertIsNone(r.edns, "no OPT without one in the query\n" + r.text)
        r = self.q("www.example.test", "A", client=self.kdig)  # kdig: no EDNS by default
        self.assertIsNone(r.edns, r.text)
        r = self.q("www.example.test", "A", opts=["+edns"], client=self.kdig)
        self.assertIsNotNone(r.edns, r.text)
        r = self.q("www.example.test", "A", opts=["+opcode=3"])
        self.assertRcode(r, "NOTIMP")
        self.assertIsNotNone(r.edns, r.text)

    def test_advertised_payload_is_udp_max_payload(self):
        r = self.q("www.example.test", "A", opts=["+bufsize=4096"])
        self.assertEqual(r.edns["udp"], self.udp_max_payload, r.text)
        r = self.q("www.example.test", "A", opts=["+bufsize=512"])
        self.assertEqual(r.edns["udp"], self.udp_max_payload, r.text)

    def test_badvers_for_edns_version_1(self):
        # RFC 6891 §6.1.3: an unsupported version gets BADVERS with OPT version 0.
        for client, opts in ((self.dig, ["+edns=1", "+noednsnegotiation"]),
                             (self.kdig, ["+edns=1"])):
            with self.subTest(client=client.tool):
                r = self.q("www.example.test", "A", opts=opts, client=client)
                self.assertRcode(r, "BADVERS")
                self.assertIsNotNone(r.edns, r.text)
                self.assertEqual(r.edns["version"], 0, r.text)
                self.assertEmpty(r, "answer")

    def test_do_bit_is_copied(self):
        # RFC 3225 §3: the DO bit of the query is copied into the response.
        r = self.q("www.example.test", "A", opts=["+dnssec"])
        self.assertRcode(r, "NOERROR")
        self.assertIn("do", r.edns["flags"], r.text)
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"])
        r = self.q("www.example.test", "A")
        self.assertNotIn("do", r.edns["flags"], r.text)

    def test_unknown_option_is_ignored(self):
        # RFC 6891 §6.1.2: unknown options are ignored.
        r = self.q("www.example.test", "A", opts=["+ednsopt=65001:abcdef"])
        self.assertRcode(r, "NOERROR")
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"])


class Truncation(QueryTestCase):
    def assertTruncated(self, r, limit, name, addresses):
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["qr", "tc"])
        self.assertLessEqual(r.size, limit, r.text)
        self.assertEqual(len(r.question), 1, r.text)
        # whatever made it into a truncated answer must be true (RFC 2181 §9)
        for rr in r.answer:
            self.assertEqual((rr.owner.lower().rstrip("."), rr.rtype), (name, "A"), r.text)
            self.assertIn(rr.rdata, addresses, r.text)

    def test_without_edns_answers_stop_at_512(self):
        r = self.q("tc512.big.test", "A", opts=["+noedns"])
        self.assertTruncated(r, 512, "tc512.big.test", tc512_addresses())
        r = self.q("tc512.big.test", "A", client=self.kdig)
        self.assertTruncated(r, 512, "tc512.big.test", tc512_addresses())

    def test_with_edns_the_same_answer_fits(self):
        r = self.q("tc512.big.test", "A")
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"], lacks=["tc"])
        self.assertGreater(r.size, 512, r.text)
        self.assertLessEqual(r.size, 1232, r.text)
        self.assertRRset(r, "answer", "tc512.big.test", "A", tc512_addresses())

    def test_truncated_at_the_clients_payload(self):
        r = self.q("tc1232.big.test", "A")
        self.assertTruncated(r, 1232, "tc1232.big.test", tc1232_addresses())
        r = self.q("tc512.big.test", "A", opts=["+bufsize=600"])
        self.assertTruncated(r, 600, "tc512.big.test", tc512_addresses())
        r = self.q("tc512.big.test", "A", opts=["+bufsize=512"])
        self.assertTruncated(r, 512, "tc512.big.test", tc512_addresses())

    def test_payload_below_512_counts_as_512(self):
        # RFC 6891 §6.2.5: values below 512 are treated as 512.
        r = self.q("www.example.test", "A", opts=["+bufsize=100"])
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, lacks=["tc"])
        self.assertRRset(r, "answer", "www.example.test", "A", ["192.0.2.80"])
        r = self.q("tc512.big.test", "A", opts=["+bufsize=100"])
        self.assertTruncated(r, 512, "tc512.big.test", tc512_addresses())

    def test_server_caps_udp_at_its_udp_max_payload(self):
        r = self.q("tc1232.big.test", "A", opts=["+bufsize=4096"])
        self.assertTruncated(r, 1232, "tc1232.big.test", tc1232_addresses())

    def test_two_thousand_records_truncated_over_udp(self):
        r = self.q("many.big.test", "A", opts=["+bufsize=4096"])
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["tc"])
        self.assertLessEqual(r.size, 1232, r.text)

    def test_additional_data_that_does_not_fit_is_dropped_without_tc(self):
        # RFC 2181 §9 / RFC 9471 §3: TC only when required data is missing; optional
        # addresses of MX targets are just left out.
        r = self.q("bigmx.big.test", "MX", opts=["+noedns"])
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"], lacks=["tc"])
        self.assertLessEqual(r.size, 512, r.text)
        self.assertRRset(r, "answer", "bigmx.big.test", "MX",
                         ["%d mx%02d.bigmx.big.test." % (i, i) for i in range(12)])
        for rr in r.additional:
            self.assertRegex(rr.owner.lower(), r"^mx\d\d\.bigmx\.big\.test\.$", r.text)

    def test_referral_whose_glue_does_not_fit_is_truncated(self):
        # RFC 9471 §3.1: in-domain glue that does not fit sets TC.
        r = self.q("host.bigdeleg.big.test", "A", opts=["+noedns"])
        self.assertFlags(r, has=["tc"], lacks=["aa"])
        self.assertLessEqual(r.size, 512, r.text)
        r = self.q("host.bigdeleg.big.test", "A")
        self.assertFlags(r, lacks=["tc", "aa"])
        self.assertReferral(r, "bigdeleg.big.test",
                            ["ns%02d.bigdeleg.big.test." % i for i in range(13)])
        self.assertEqual(len(r.rrs("additional", "A")), 13, r.text)
        self.assertEqual(len(r.rrs("additional", "AAAA")), 13, r.text)

    def test_whole_answers_over_tcp(self):
        cases = (("tc512.big.test", ["+noedns"], 40), ("tc1232.big.test", [], 100),
                 ("many.big.test", [], 2000), ("many.big.test", ["+bufsize=512"], 2000))
        for name, opts, count in cases:
            with self.subTest(name=name, opts=opts):
                r = self.q(name, "A", opts=["+tcp"] + opts)
                self.assertRcode(r, "NOERROR")
                self.assertFlags(r, has=["aa"], lacks=["tc"])
                self.assertEqual(len(r.rrs("answer", "A", name)), count, r.text[:2000])
                self.assertEqual(len(set(rr.rdata for rr in r.answer)), count)
        r = self.q("txt.big.test", "TXT", opts=["+tcp"])
        self.assertFlags(r, lacks=["tc"])
        self.assertEqual(len(r.rrs("answer", "TXT", "txt.big.test")), 40, r.text[:2000])
        r = self.q("many.big.test", "A", opts=["+tcp"], client=self.kdig)
        self.assertEqual(r.transport, "TCP", r.text[:2000])
        self.assertEqual(len(r.answer), 2000, r.text[:2000])

    def test_rrset_larger_than_any_message(self):
        # txt.huge.test holds ~80 KiB of TXT: over TCP no message can hold it, so SERVFAIL
        # rather than a broken or silently partial answer.
        r = self.q("txt.huge.test", "TXT", opts=["+tcp"])
        self.assertRcode(r, "SERVFAIL")
        self.assertEmpty(r, "answer")
        r = self.q("txt.huge.test", "TXT")
        self.assertTrue(r.rcode == "SERVFAIL" or "tc" in r.flags, r.text)
        self.assertLessEqual(r.size, 1232, r.text)
        r = self.q("small.huge.test", "A", opts=["+tcp"])
        self.assertRRset(r, "answer", "small.huge.test", "A", ["192.0.2.1"])


class LargerServerPayload(QueryTestCase):
    """A server configured with udp-max-payload 4096."""

    udp_max_payload = 4096

    def test_answer_above_1232_fits_when_both_sides_allow(self):
        r = self.q("tc1232.big.test", "A", opts=["+bufsize=4096"])
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["aa"], lacks=["tc"])
        self.assertGreater(r.size, 1232, r.text)
        self.assertLessEqual(r.size, 4096, r.text)
        self.assertRRset(r, "answer", "tc1232.big.test", "A", tc1232_addresses())
        self.assertEqual(r.edns["udp"], 4096, r.text)

    def test_client_payload_still_honoured(self):
        r = self.q("tc1232.big.test", "A", opts=["+bufsize=1232"])
        self.assertRcode(r, "NOERROR")
        self.assertFlags(r, has=["tc"])
        self.assertLessEqual(r.size, 1232, r.text)
        r = self.q("tc1232.big.test", "A", opts=["+bufsize=1500"])
        self.assertFlags(r, has=["tc"])
        self.assertLessEqual(r.size, 1500, r.text)

    def test_many_still_truncated(self):
        r = self.q("many.big.test", "A", opts=["+bufsize=4096"])
        self.assertFlags(r, has=["tc"])
        self.assertLessEqual(r.size, 4096, r.text)


if __name__ == "__main__":
    main()
