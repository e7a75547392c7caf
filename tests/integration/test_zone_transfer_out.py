"""Zone transfers out of tidald (RFC 5936 AXFR, RFC 1995 IXFR) checked with dig and kdig:
allow-transfer by key and by address, TSIG (RFC 8945) on every message and its errors, IXFR
from the journal (condensed), AXFR-style fallback, up-to-date clients, multi-message answers.
"""

import base64
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, process  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.testcase import ServerTestCase, require_binaries  # noqa: E402
from lib.tidal import SANITIZER_MARKERS  # noqa: E402

SECRET = base64.b64encode(os.urandom(32)).decode()
OTHER_SECRET = base64.b64encode(os.urandom(32)).decode()
KEY = "hmac-sha256:transfer:" + SECRET


def run(argv, timeout=60):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)


def records(text):
    """The RRs of dig/kdig transfer output as (owner, ttl, type, rdata) tuples, in order."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        parts = line.split(None, 4)
        if len(parts) < 5 or parts[3] == "TSIG":
            continue
        rdata = " ".join(parts[4].split())
        out.append((parts[0].lower(), int(parts[1]), parts[3], rdata))
    return out


class Primary:
    def __init__(self, workdir):
        self.workdir = workdir
        self.port = free_port("127.0.0.1")
        self.config_path = os.path.join(workdir, "tidal.yaml")
        self.db = os.path.join(workdir, "tidal.db")
        self.log_path = os.path.join(workdir, "tidald.log")
        self.proc = None
        big = os.path.join(workdir, "bulk.test.zone")
        with open(big, "w") as f:
            f.write("$ORIGIN bulk.test.\n$TTL 300\n"
                    "@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.1\n")
            for i in range(6000):  # ~6000 RRs: more than one 64 KiB message
                f.write("host%05d A 10.%d.%d.%d\n" % (i, i >> 16, (i >> 8) & 255, i & 255))
                f.write("host%05d TXT \"padding to make the transfer span several messages\"\n"
                        % i)
        self.bulk_zone = big
        with open(self.config_path, "w") as f:
            f.write("\n".join([
                "database: %s" % self.db,
                "control: %s" % os.path.join(workdir, "control.sock"),
                "log: {level: info, target: stderr}",
                "server:",
                '  listen: ["127.0.0.1:%d"]' % self.port,
                "  workers: 2",
                "keys:",
                '  - { name: transfer, algorithm: hmac-sha256, secret: "%s" }' % SECRET,
                "zones:",
                "  - { name: example.test., role: primary, allow-transfer: [transfer] }",
                "  - { name: bulk.test., role: primary, allow-transfer: [127.0.0.0/8] }",
                "  - { name: wild.test., role: primary }",
            ]) + "\n")

    def tidalctl(self, *args):
        done = run([paths.tidalctl(), "--config", self.config_path] + list(args))
        if done.returncode != 0:
            raise AssertionError("tidalctl %s failed: %s%s" % (args, done.stdout, done.stderr))
        return done.stdout

    def start(self):
        self.tidalctl("zone", "import", paths.zone_path("example.test.zone"))
        self.tidalctl("zone", "import", paths.zone_path("wild.test.zone"))
        self.tidalctl("zone", "import", self.bulk_zone)
        self.proc = process.ManagedProcess([paths.tidald(), "--config", self.config_path],
                                           self.log_path)
        ok = process.wait_until(lambda: self.serial("example.test.") is not None, 20, 0.1)
        if not ok:
            raise AssertionError("tidald did not answer:\n" + self.log_text())

    def serial(self, zone):
        done = run(["dig", "@127.0.0.1", "-p", str(self.port), zone, "SOA", "+short",
                    "+norec", "+time=1", "+tries=1"], timeout=10)
        fields = done.stdout.split()
        return int(fields[2]) if done.returncode == 0 and len(fields) >= 7 else None

    def dig(self, *args):
        return run(["dig", "@127.0.0.1", "-p", str(self.port)] + list(args))

    def stop(self):
        return None if self.proc is None else self.proc.stop()

    def log_text(self):
        return self.proc.log_text() if self.proc else ""


class TransferOutTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        cls.make_workdir("tidal-xfr-out-")
        cls.primary = cls.add_server(Primary(cls.workdir))
        try:
            cls.primary.start()
        except Exception:
            cls.print_logs("start failed")
            cls.stop_servers()
            raise

    @classmethod
    def tearDownClass(cls):
        status = cls.primary.stop()
        log = cls.primary.log_text()
        cls.cleanup_workdir()
        assert status == 0, "tidald exited with %s" % status
        assert not any(m in log for m in SANITIZER_MARKERS), log[-5000:]

    def export(self, zone):
        return self.primary.tidalctl("zone", "export", zone)

    def test_axfr_needs_the_key_and_equals_the_zone(self):
        unsigned = self.primary.dig("example.test", "AXFR")
        self.assertIn("Transfer failed", unsigned.stdout)
        signed = self.primary.dig("example.test", "AXFR", "-y", KEY)
        self.assertEqual(signed.returncode, 0, signed.stdout + signed.stderr)
        self.assertNotIn("failed", signed.stdout)
        got = records(signed.stdout)
        self.assertEqual(got[0][2], "SOA")
        self.assertEqual(got[-1], got[0])  # RFC 5936 §2.2: the SOA opens and closes it
        stored = records(self.export("example.test."))
        self.assertEqual(sorted(set(got)), sorted(set(stored)))
        self.assertIn("AXFR example.test. to 127.0.0.1 key transfer", self.primary.log_text())

    def test_wrong_key_gets_badsig_and_unknown_key_badkey(self):
        wrong = self.primary.dig("example.test", "AXFR", "-y", "hmac-sha256:transfer:" +
                                 OTHER_SECRET)
        self.assertRegex(wrong.stdout, r"TSIG\s.*BADSIG")
        self.assertIn("Transfer failed", wrong.stdout)
        unknown = self.primary.dig("example.test", "AXFR", "-y", "hmac-sha256:nobody:" + SECRET)
        self.assertRegex(unknown.stdout, r"TSIG\s.*BADKEY")

    def test_zone_without_allow_transfer_is_refused(self):
        done = self.primary.dig("wild.test", "AXFR", "-y", KEY)
        self.assertIn("Transfer failed", done.stdout)
        self.assertIn("AXFR wild.test. to 127.0.0.1 key transfer: refused",
                      self.primary.log_text())

    def test_zone_not_served_is_notauth(self):
        done = run(["kdig", "@127.0.0.1", "-p", str(self.primary.port), "elsewhere.test",
                    "AXFR"])
        self.assertIn("NOTAUTH", done.stdout + done.stderr)

    def test_multi_message_axfr_by_address_with_kdig(self):
        done = run(["kdig", "@127.0.0.1", "-p", str(self.primary.port), "bulk.test", "AXFR",
                    "+stat"])
        self.assertEqual(done.returncode, 0, done.stdout[-2000:] + done.stderr)
        match = re.search(r"Received (\d+) B \((\d+) messages, (\d+) records\)", done.stdout)
        self.assertIsNotNone(match, done.stdout[-2000:])
        self.assertGreater(int(match.group(2)), 1)
        self.assertEqual(int(match.group(3)), 12000 + 3 + 1)  # RRs + the closing SOA
        # Signed by a key that is not required here: every message still verifies in dig.
        signed = self.primary.dig("bulk.test", "AXFR", "-y", KEY)
        self.assertNotIn("failed", signed.stdout[-3000:])
        self.assertEqual(len(records(signed.stdout)), 12000 + 4)

    def test_ixfr_sends_the_condensed_difference(self):
        before = self.primary.serial("example.test.")
        self.primary.tidalctl("record", "add", "ixfr1.example.test.", "300", "A", "192.0.2.201")
        self.primary.tidalctl("record", "add", "ixfr2.example.test.", "300", "A", "192.0.2.202")
        self.primary.tidalctl("record", "del", "ixfr1.example.test.", "A")
        after = before + 3
        self.assertTrue(process.wait_until(lambda: self.primary.serial("example.test.") == after,
                                           10, 0.05))
        done = self.primary.dig("example.test", "IXFR=%d" % before, "-y", KEY)
        got = records(done.stdout)
        soas = [r for r in got if r[2] == "SOA"]
        # new SOA, old SOA (nothing net removed), new SOA, the net addition, new SOA.
        self.assertEqual([int(s[3].split()[2]) for s in soas], [after, before, after, after])
        self.assertEqual([r for r in got if r[2] != "SOA"],
                         [("ixfr2.example.test.", 300, "A", "192.0.2.202")])

    def test_ixfr_from_unknown_serial_falls_back_to_axfr_style(self):
        current = self.primary.serial("example.test.")
        done = self.primary.dig("example.test", "IXFR=%d" % (current - 1000), "-y", KEY)
        got = records(done.stdout)
        self.assertEqual(sorted(set(got)), sorted(set(records(self.export("example.test.")))))

    def test_ixfr_from_current_serial_is_one_soa(self):
        current = self.primary.serial("example.test.")
        done = self.primary.dig("example.test", "IXFR=%d" % current, "-y", KEY)
        got = records(done.stdout)
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0][2], "SOA")


if __name__ == "__main__":
    unittest.main()
