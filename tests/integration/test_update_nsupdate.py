#!/usr/bin/python3
"""RFC 2136 DNS UPDATE on a tidald primary, driven by BIND's nsupdate (bind9-dnsutils).

One tidald serves three zones:
    example.test.  allow-update: [editor]          (TSIG required)
    open.test.     allow-update: ["127.0.0.1/32"]  (unsigned from loopback allowed)
    closed.test.   no allow-update                 (nobody may update)
The keys `editor` (allowed) and `intruder` (known, not allowed) are configured.

Checked with dig after each nsupdate: adds, deletes and replacements are served; the serial
goes up by exactly one per UPDATE message; every prerequisite kind gives its rcode (RFC 2136
§3.2.5) and changes nothing; unsigned, wrongly signed, unknown-key, not-allowed-key, not-our-
zone and no-allow-update updates are refused with the right rcode and change nothing; UDP and
TCP (nsupdate -v), -y and -k; deleting the apex SOA or the last apex NS is silently ignored;
one log line per update and per refusal, never the secret.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import nsupdate, paths, transfer  # noqa: E402
from lib.dig import Dig  # noqa: E402
from lib.replication import ZoneSpec  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

ZONE = "example.test."
SMALL_ZONE = """$ORIGIN {origin}
$TTL 300
@    SOA ns1 hostmaster 10 3600 600 86400 60
@    NS  ns1
ns1  A   192.0.2.1
www  A   192.0.2.80
"""


class UpdateWithNsupdate(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "nsupdate")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        workdir = cls.make_workdir("tidal-update-")
        cls.editor = TsigKey.random("editor")
        cls.intruder = TsigKey.random("intruder")
        files = {}
        for origin in ("open.test.", "closed.test."):
            path = os.path.join(workdir, origin + "zone")
            with open(path, "w") as f:
                f.write(SMALL_ZONE.format(origin=origin))
            files[origin] = path
        specs = [ZoneSpec(ZONE, paths.zone_path("example.test.zone"), allow_update=[cls.editor]),
                 ZoneSpec("open.test.", files["open.test."], allow_update=["127.0.0.1"]),
                 ZoneSpec("closed.test.", files["closed.test."])]
        cls.server = cls.add_server(TidalServer(os.path.join(workdir, "tidal"), specs,
                                                keys=[cls.intruder]))
        os.makedirs(cls.server.workdir, exist_ok=True)
        cls.server.start()
        cls.key_file = nsupdate.write_key_file(os.path.join(workdir, "editor.key"), cls.editor)

    @classmethod
    def tearDownClass(cls):
        cls.stop_and_clean_up()

    # --- helpers -----------------------------------------------------------------------------

    def send(self, commands, zone=ZONE, **kwargs):
        kwargs.setdefault("key", self.editor)
        return nsupdate.update(self.server.port, zone, commands,
                               log_path=self.server.log_path, **kwargs)

    def serial(self, zone=ZONE):
        return transfer.soa_serial(self.server.port, zone)

    def rdatas(self, name, rtype):
        r = Dig(self.server.port).query(name, rtype, opts=["+norec", "+time=2", "+tries=2"])
        self.assertIsNotNone(r, "no answer to %s %s" % (name, rtype))
        return r.rdatas("answer", rtype)

    def expect_applied(self, commands, **kwargs):
        """Sends one UPDATE that must succeed; returns the serial it produced, checking that
        it is exactly one more than before (one bump per message) and served."""
        before = self.serial(kwargs.get("zone", ZONE))
        out = self.send(commands, **kwargs)
        self.assertEqual(out.rcode, "NOERROR", out.describe())
        zone = kwargs.get("zone", ZONE)
        seen = transfer.wait_for_serial(self.server.port, zone, (before + 1) % 2 ** 32, 5.0)
        self.assertEqual(seen, (before + 1) % 2 ** 32,
                         "serial %s before, %s after one UPDATE" % (before, seen))
        return seen

    def expect_refused(self, commands, rcode, probe=None, **kwargs):
        """Sends one UPDATE that must fail with rcode and change nothing (serial, and the
        probe (name, type) answer when given)."""
        zone = kwargs.get("zone", ZONE)
        before = self.serial(zone)
        probe_before = self.rdatas(*probe) if probe else None
        out = self.send(commands, **kwargs)
        self.assertEqual(out.rcode, rcode, out.describe())
        time.sleep(0.3)  # a commit would be served within ~100 ms
        self.assertEqual(self.serial(zone), before, "a refused UPDATE changed the serial")
        if probe:
            self.assertEqual(self.rdatas(*probe), probe_before)
        return out

    # --- tests -------------------------------------------------------------------------------

    def test_01_add_over_udp_with_y(self):
        serial = self.expect_applied(["update add new1.example.test. 300 A 192.0.2.201"])
        self.assertEqual(self.rdatas("new1.example.test.", "A"), ["192.0.2.201"])
        self.assertGreater(serial, 2024010101)

    def test_02_several_changes_one_serial(self):
        self.expect_applied([
            "update add multi.example.test. 300 A 192.0.2.11",
            "update add multi.example.test. 300 A 192.0.2.12",
            "update add multi.example.test. 300 TXT \"two in one\"",
            "update delete host.example.test. HINFO",
        ])
        self.assertEqual(self.rdatas("multi.example.test.", "A"), ["192.0.2.11", "192.0.2.12"])
        self.assertEqual(self.rdatas("multi.example.test.", "TXT"), ['"two in one"'])
        self.assertEqual(self.rdatas("host.example.test.", "HINFO"), [])

    def test_03_replace_over_tcp_with_k(self):
        self.expect_applied(["update delete www.example.test. A",
                             "update add www.example.test. 600 A 192.0.2.222"],
                            key=None, key_file=self.key_file, tcp=True)
        r = Dig(self.server.port).query("www.example.test.", "A", opts=["+norec"])
        self.assertEqual(r.rdatas("answer", "A"), ["192.0.2.222"])
        self.assertEqual({rr.ttl for rr in r.answer if rr.rtype == "A"}, {600})
        self.assertEqual(self.rdatas("www.example.test.", "AAAA"), ["2001:db8::80"])

    def test_04_delete_one_rr_and_a_name(self):
        self.expect_applied(["update delete mail.example.test. AAAA 2001:db8::25"])
        self.assertEqual(self.rdatas("mail.example.test.", "AAAA"), [])
        self.assertEqual(self.rdatas("mail.example.test.", "A"), ["192.0.2.25"])
        self.expect_applied(["update delete sip.example.test."], tcp=True)
        r = Dig(self.server.port).query("sip.example.test.", "A", opts=["+norec"])
        self.assertEqual(r.rcode, "NXDOMAIN")

    def test_05_prerequisites(self):
        probe = ("cas.example.test.", "A")
        add = "update add cas.example.test. 300 A 192.0.2.77"
        cases = [
            ("yxdomain on a missing name", "prereq yxdomain nowhere.example.test.", "NXDOMAIN"),
            ("nxdomain on an existing name", "prereq nxdomain ns1.example.test.", "YXDOMAIN"),
            ("yxrrset on a missing RRset", "prereq yxrrset ns1.example.test. MX", "NXRRSET"),
            ("nxrrset on an existing RRset", "prereq nxrrset ns1.example.test. A", "YXRRSET"),
            ("yxrrset with another value", "prereq yxrrset ns1.example.test. A 192.0.2.99",
             "NXRRSET"),
        ]
        for what, prereq, rcode in cases:
            with self.subTest(what):
                self.expect_refused([prereq, add], rcode, probe=probe)
        # Each allowed case changes something (an UPDATE that changes nothing bumps nothing).
        for what, commands in (
                ("yxdomain", ["prereq yxdomain ns1.example.test.", add]),
                ("yxrrset with the value", ["prereq yxrrset cas.example.test. A 192.0.2.77",
                                            "update delete cas.example.test. A",
                                            "update add cas.example.test. 300 A 192.0.2.78"]),
                ("nxrrset", ["prereq nxrrset cas.example.test. AAAA",
                             "update add cas.example.test. 300 AAAA 2001:db8::78"]),
                ("yxrrset", ["prereq yxrrset cas.example.test. AAAA",
                             "update add cas.example.test. 300 TXT \"cas\""])):
            with self.subTest(what):
                self.expect_applied(commands)
        self.assertEqual(self.rdatas(*probe), ["192.0.2.78"])
        self.assertEqual(self.rdatas("cas.example.test.", "AAAA"), ["2001:db8::78"])
        # nxdomain: the name must not exist; it does now.
        self.expect_refused(["prereq nxdomain cas.example.test.", add], "YXDOMAIN", probe=probe)

    def test_06_unsigned_is_refused(self):
        self.expect_refused(["update add unsigned.example.test. 300 A 192.0.2.1"], "REFUSED",
                            probe=("unsigned.example.test.", "A"), key=None)

    def test_07_wrong_secret_and_unknown_key_are_notauth(self):
        for what, key in (("wrong secret", self.editor.wrong_secret()),
                          ("unknown key", TsigKey.random("stranger"))):
            with self.subTest(what):
                self.expect_refused(["update add bad.example.test. 300 A 192.0.2.1"], "NOTAUTH",
                                    probe=("bad.example.test.", "A"), key=key)

    def test_08_key_not_in_allow_update_is_refused(self):
        self.expect_refused(["update add intruder.example.test. 300 A 192.0.2.1"], "REFUSED",
                            probe=("intruder.example.test.", "A"), key=self.intruder)

    def test_09_zone_not_served_here_is_notauth(self):
        out = self.send(["update add www.elsewhere.test. 300 A 192.0.2.1"],
                        zone="elsewhere.test.")
        self.assertEqual(out.rcode, "NOTAUTH", out.describe())

    def test_10_zone_without_allow_update_is_refused(self):
        self.expect_refused(["update add x.closed.test. 300 A 192.0.2.1"], "REFUSED",
                            probe=("x.closed.test.", "A"), zone="closed.test.")

    def test_11_address_acl_allows_unsigned(self):
        self.expect_applied(["update add x.open.test. 300 A 192.0.2.1"], zone="open.test.",
                            key=None)
        self.assertEqual(self.rdatas("x.open.test.", "A"), ["192.0.2.1"])

    def test_12_apex_soa_and_last_ns_are_kept(self):
        before = self.serial()
        out = self.send(["update delete example.test. SOA", "update delete example.test. NS",
                         "update delete example.test. NS ns1.example.test."], tcp=True)
        self.assertEqual(out.rcode, "NOERROR", out.describe())
        # ns1 is gone (ns2 is left); the SOA, and ns2 as the last NS, stay.
        self.assertEqual(transfer.wait_for_serial(self.server.port, ZONE, before + 1, 5.0),
                         before + 1)
        self.assertEqual(self.rdatas(ZONE, "NS"), ["ns2.example.test."])
        out = self.send(["update delete example.test. NS ns2.example.test.",
                         "update delete example.test. ANY"])
        self.assertEqual(out.rcode, "NOERROR", out.describe())
        time.sleep(0.3)
        self.assertEqual(self.rdatas(ZONE, "NS"), ["ns2.example.test."])
        self.assertEqual(len(self.rdatas(ZONE, "SOA")), 1)
        # ANY at the apex took the other apex data (MX, TXT, ...), which bumps the serial.
        self.assertEqual(self.rdatas(ZONE, "MX"), [])

    def test_13_soa_serial_only_goes_up(self):
        serial = self.serial()
        lower = "update add example.test. 3600 SOA ns1.example.test. hostmaster.example.test. " \
                "%d 7200 900 1209600 300" % (serial - 5)
        out = self.send([lower])
        self.assertEqual(out.rcode, "NOERROR", out.describe())
        time.sleep(0.3)
        self.assertEqual(self.serial(), serial)
        higher = lower.replace(" %d " % (serial - 5), " %d " % (serial + 1000))
        out = self.send([higher])
        self.assertEqual(out.rcode, "NOERROR", out.describe())
        self.assertEqual(transfer.wait_for_serial(self.server.port, ZONE, serial + 1000, 5.0),
                         serial + 1000)

    def test_14_logs(self):
        log = self.server.log_text()
        self.assertRegex(log, r"UPDATE example\.test\. from 127\.0\.0\.1 key editor .*serial")
        self.assertRegex(log, r"UPDATE example\.test\. from 127\.0\.0\.1 key none: REFUSED")
        self.assertRegex(log, r"UPDATE example\.test\. from 127\.0\.0\.1 key intruder: REFUSED")
        self.assertRegex(log, r"NOTAUTH \(TSIG BADSIG\)")
        for key in (self.editor, self.intruder):
            self.assertFalse(nsupdate.key_is_logged(self.server.proc.log_text(), key),
                             "a TSIG secret appears in tidald's log")
        self.assertEqual(self.server.sanitizer_reports(), [])
        self.assertTrue(self.server.alive())


if __name__ == "__main__":
    main()
