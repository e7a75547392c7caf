#!/usr/bin/python3
"""`tidalctl db check` finds a corrupt database and a broken invariant, and says a sound one is
sound; the programs warn when the configuration file holding TSIG secrets is world-readable
(issue 7, points 3 and 4)."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

TIMEOUT = 60
SECRET = "dHJhbnNmZXItc2VjcmV0LWZvci10ZXN0cw=="

CONFIG = """\
database: {tmp}/tidal.db
control: {tmp}/control.sock
log: {{level: info, target: stderr}}
server:
  listen: ["127.0.0.1:5399"]
keys:
  - {{ name: transfer, algorithm: hmac-sha256, secret: "{secret}" }}
zones:
  - name: check.test.
    role: primary
"""

ZONE = """\
$ORIGIN check.test.
$TTL 300
@ SOA ns1 hostmaster 7 3600 600 86400 300
@ NS ns1
ns1 A 192.0.2.1
"""


def binary(env_name):
    path = os.environ.get(env_name)
    if not path:
        raise unittest.SkipTest(f"{env_name} is not set (run through ctest)")
    return path


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


class DbCheckTest(unittest.TestCase):
    def setUp(self):
        self.tidalctl = binary("TIDALCTL")
        self.tidald = binary("TIDALD")
        self.tmp = tempfile.mkdtemp(prefix="tidal-dbcheck-")
        self.config = os.path.join(self.tmp, "tidal.yaml")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(tmp=self.tmp, secret=SECRET))
        os.chmod(self.config, 0o640)
        zone = os.path.join(self.tmp, "check.zone")
        with open(zone, "w") as f:
            f.write(ZONE)
        for i in range(300):  # enough pages that damage in the middle hits data
            with open(zone, "a") as f:
                f.write("host%d 300 TXT \"%s\"\n" % (i, "x" * 200))
        done = self.ctl("zone", "import", zone)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.db = os.path.join(self.tmp, "tidal.db")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ctl(self, *args):
        return run(self.tidalctl, "--config", self.config, *args)

    def test_sound_database_passes(self):
        done = self.ctl("db", "check")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("database OK", done.stdout)

    def test_corrupt_file_is_reported(self):
        size = os.path.getsize(self.db)
        self.assertGreater(size, 8 * 4096)
        with open(self.db, "r+b") as f:  # scribble over pages in the middle of the file
            f.seek(4 * 4096)
            f.write(b"\xde\xad\xbe\xef" * 2048)
        done = self.ctl("db", "check")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn(self.db, done.stderr)
        self.assertNotIn("database OK", done.stdout)

    def test_broken_invariant_is_reported(self):
        # Delete the zone's SOA behind Tidal's back (a foreign tool, a bad restore...).
        with sqlite3.connect(self.db) as db:
            db.execute("DELETE FROM records WHERE type = 6")
        done = self.ctl("db", "check")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("check.test.: 0 SOA records", done.stderr)


class SecretExposureTest(unittest.TestCase):
    def setUp(self):
        self.tidalctl = binary("TIDALCTL")
        self.tidald = binary("TIDALD")
        self.tmp = tempfile.mkdtemp(prefix="tidal-perm-")
        self.config = os.path.join(self.tmp, "tidal.yaml")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(tmp=self.tmp, secret=SECRET))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_world_readable_secrets_are_warned_about(self):
        os.chmod(self.config, 0o644)
        for argv in ([self.tidalctl, "--config", self.config, "config", "check"],
                     [self.tidald, "--config", self.config, "--check-config"]):
            done = run(*argv)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertIn("readable by every user", done.stderr, argv[0])
            self.assertIn("chmod o-r", done.stderr)
            self.assertNotIn(SECRET, done.stdout + done.stderr)

    def test_private_file_gets_no_warning(self):
        os.chmod(self.config, 0o640)
        done = run(self.tidalctl, "--config", self.config, "config", "check")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertNotIn("readable", done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
