"""tidalctl edits (record add | del | set, apply FILE) on a real database and a running tidald:
every validation error exits 2 with a clear message and leaves the database exactly as it was
(compared with `sqlite3 DB .dump`); apply FILE is atomic (a bad line 5 leaves lines 1-4
unapplied) and one serial bump; prerequisites make compare-and-set; the zone's serial-policy
is followed; dig sees each edit; a re-import is served by IXFR as only the difference; and
--server sends the same edits as a TSIG-signed RFC 2136 UPDATE (good key, wrong key, no key),
cross-checked with BIND's nsupdate."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, process, transfer  # noqa: E402
from lib.dig import Dig  # noqa: E402
from lib.replication import ZoneSpec  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

TIMEOUT = 120  # seconds for any one command
ORIGIN = "edit.test."
SERIAL = re.compile(r"^zone (\S+) serial (\d+)( \(nothing changed\))?$")

ZONE_TEXT = """$ORIGIN edit.test.
$TTL 300
@       SOA   ns1 hostmaster 100 3600 900 1209600 300
@       NS    ns1
@       NS    ns2.other.test.
ns1     A     192.0.2.53
www     A     192.0.2.80
www     A     192.0.2.81
alias   CNAME www
txt     TXT   "hello"
counter TXT   "0"
"""


def tool(name):
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed (make deps)")
    return path


def run(argv, stdin_text=None):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=TIMEOUT,
                          input=stdin_text if stdin_text is not None else "")


class EditTestBase(unittest.TestCase):
    """A temp dir with the zone file; subclasses add a config and database."""

    def make_dir(self):
        self.ctl_path = os.environ.get("TIDALCTL")
        if not self.ctl_path:
            self.fail("TIDALCTL is not set (run through ctest)")
        self.tmp = tempfile.mkdtemp(prefix="tidal-ctl-edit-")
        self.zone_file = self.write("edit.test.zone", ZONE_TEXT)

    def remove_dir(self):
        if os.environ.get("TIDAL_KEEP_TMP"):
            print(f"\ntest files kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def ctl(self, *args, stdin_text=None):
        return run([self.ctl_path, "--config", self.config] + [str(a) for a in args],
                   stdin_text)

    def dump(self):
        done = run([tool("sqlite3"), self.db, ".dump"])
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def serial_of(self, done):
        """The serial tidalctl printed for a local edit (asserting success)."""
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        m = SERIAL.match(done.stdout.strip())
        self.assertIsNotNone(m, done.stdout)
        return int(m.group(2))

    def stored_serial(self):
        done = run([tool("sqlite3"), self.db,
                    "SELECT serial FROM zones WHERE name_text = '%s'" % ORIGIN])
        self.assertEqual(done.returncode, 0, done.stderr)
        return int(done.stdout.strip())

    def journal_rows(self):
        done = run([tool("sqlite3"), self.db, "SELECT count(*) FROM journal"])
        self.assertEqual(done.returncode, 0, done.stderr)
        return int(done.stdout.strip())

    def rrs(self):
        """The zone as a set of canonical RRs (named-compilezone), from tidalctl zone export."""
        done = self.ctl("zone", "export", ORIGIN)
        self.assertEqual(done.returncode, 0, done.stderr)
        return transfer.canonical_rrs(ORIGIN, done.stdout, workdir=self.tmp)

    def has(self, rrs, owner, rtype, rdata=None):
        return any(rr.owner == owner and rr.rtype == rtype and (rdata is None or rr.rdata == rdata)
                   for rr in rrs)


class LocalEditTest(EditTestBase):
    """Edits of the local database, no daemon."""

    def setUp(self):
        self.make_dir()
        self.db = os.path.join(self.tmp, "tidal.db")
        self.config = self.write("tidal.yaml",
                                 f"database: {self.db}\ncontrol: {self.tmp}/control.sock\n")
        done = self.ctl("zone", "import", self.zone_file)
        self.assertEqual(done.returncode, 0, done.stderr)

    def tearDown(self):
        self.remove_dir()

    def assert_refused(self, done, words, status=2):
        """The command failed with status, said why (every word of words) and changed
        nothing (the caller compares the dump)."""
        self.assertEqual(done.returncode, status, done.stdout + done.stderr)
        self.assertEqual(done.stdout, "")
        self.assertTrue(done.stderr.startswith("tidalctl: "), done.stderr)
        for word in words:
            self.assertIn(word, done.stderr)

    def test_every_validation_error_exits_2_and_changes_nothing(self):
        cases = [
            (("record", "add", "alias.edit.test.", 60, "A", "192.0.2.9"),
             ["alias.edit.test.", "CNAME", "RFC 1034"]),
            (("record", "add", "www.edit.test.", 60, "CNAME", "txt.edit.test."),
             ["www.edit.test.", "CNAME"]),
            (("record", "add", "--zone", ORIGIN, "x.elsewhere.test.", 60, "A", "192.0.2.9"),
             ["x.elsewhere.test.", "outside zone edit.test."]),
            (("record", "add", "bad.edit.test.", 60, "A", "192.0.2.300"),
             ["192.0.2.300"]),
            (("record", "add", "bad.edit.test.", 60, "MX", "mail.edit.test."),
             ["MX"]),
            (("record", "add", "bad.edit.test.", 2147483648, "A", "192.0.2.9"),
             ["2147483647"]),
            (("record", "del", ORIGIN, "SOA"), ["SOA", "cannot be deleted"]),
            (("record", "del", ORIGIN, "NS"), ["NS", "apex"]),
            (("record", "add", ORIGIN, 60, "CNAME", "www.edit.test."), ["CNAME", "apex"]),
            (("record", "add", ORIGIN, 60, "SOA", "ns1 hostmaster 5 1 1 1 1"),
             ["more than one SOA"]),
            (("record", "add", "sub.edit.test.", 60, "SOA", "ns1 hostmaster 5 1 1 1 1"),
             ["SOA", "apex"]),
            (("record", "add", "x.edit.test.", 60, "NOSUCHTYPE", "1"), ["NOSUCHTYPE"]),
            (("record", "add", "x.edit.test.", "sixty", "A", "192.0.2.1"), ["TTL"]),
        ]
        for argv, words in cases:
            with self.subTest(" ".join(str(a) for a in argv)):
                before = self.dump()
                done = self.ctl(*argv)
                self.assert_refused(done, words)
                self.assertEqual(self.dump(), before, "the database changed")
        # Deleting the last apex NS one RR at a time: the first goes, the last is refused.
        self.serial_of(self.ctl("record", "del", ORIGIN, "NS", "ns2.other.test."))
        before = self.dump()
        self.assert_refused(self.ctl("record", "del", ORIGIN, "NS", "ns1.edit.test."),
                            ["must keep at least one NS"])
        self.assertEqual(self.dump(), before)

    def test_runtime_failures_exit_1_and_change_nothing(self):
        before = self.dump()
        self.assert_refused(self.ctl("record", "del", "absent.edit.test."), ["nothing to delete"],
                            status=1)
        self.assert_refused(self.ctl("record", "del", "www.edit.test.", "A", "192.0.2.99"),
                            ["nothing to delete", "192.0.2.99"], status=1)
        self.assert_refused(self.ctl("record", "add", "x.nozone.test.", 60, "A", "192.0.2.1"),
                            ["no zone", "x.nozone.test."], status=1)
        self.assertEqual(self.dump(), before)

    def test_remote_options_only_go_with_edit_commands(self):
        before = self.dump()
        done = self.ctl("--server", "127.0.0.1:53", "zone", "import", self.zone_file)
        self.assert_refused(done, ["--server"])
        done = self.ctl("--key", "editor:hmac-sha256:AAAA", "record", "add", "k.edit.test.", 60,
                        "A", "192.0.2.1")
        self.assert_refused(done, ["--key"])
        self.assertEqual(self.dump(), before)

    def test_one_serial_bump_per_command(self):
        serial = self.stored_serial()
        rows = self.journal_rows()
        s1 = self.serial_of(self.ctl("record", "add", "new.edit.test.", 60, "A", "192.0.2.1"))
        self.assertEqual(s1, serial + 1)
        s2 = self.serial_of(self.ctl("record", "set", "--zone", ORIGIN, "www", 120, "A",
                                     "192.0.2.82"))
        self.assertEqual(s2, serial + 2)
        edits = self.write("five.txt", "\n".join([
            "add a 60 A 192.0.2.10", "add b 60 A 192.0.2.11", "add c 60 TXT \"c\"",
            "del new", "set txt 30 TXT \"replaced\""]) + "\n")
        s3 = self.serial_of(self.ctl("apply", "--zone", ORIGIN, edits))
        self.assertEqual(s3, serial + 3)
        self.assertEqual(self.journal_rows(), rows + 3)
        rrs = self.rrs()
        self.assertTrue(self.has(rrs, "www.edit.test.", "A", "192.0.2.82"))
        self.assertFalse(self.has(rrs, "www.edit.test.", "A", "192.0.2.80"))
        self.assertTrue(self.has(rrs, "c.edit.test.", "TXT", '"c"'))
        self.assertFalse(self.has(rrs, "new.edit.test.", "A"))
        self.assertTrue(any(rr.owner == "txt.edit.test." and rr.ttl == 30 and rr.rdata ==
                            '"replaced"' for rr in rrs))
        # An edit that changes nothing does not bump the serial.
        done = self.ctl("record", "add", "a.edit.test.", 60, "A", "192.0.2.10")
        self.assertEqual(self.serial_of(done), serial + 3)
        self.assertIn("nothing changed", done.stdout)

    def test_apply_is_atomic(self):
        good = ["add l1 60 A 192.0.2.1",
                "add l2 60 A 192.0.2.2", "del txt TXT", "set www 60 A 192.0.2.3"]
        bad_lines = {
            "parse": ("add l5 60 A 192.0.2.999", ["192.0.2.999"]),
            "rule": ("add alias 60 TXT \"beside a CNAME\"", ["CNAME"]),
            "outside": ("add l5.other.test. 60 A 192.0.2.5", ["outside zone edit.test."]),
            "syntax": ("frobnicate l5", ["frobnicate"]),
        }
        for name, (line, words) in bad_lines.items():
            with self.subTest(name):
                path = self.write(f"bad-{name}.txt", "\n".join(good + [line]) + "\n")
                before = self.dump()
                done = self.ctl("apply", "--zone", ORIGIN, path)
                self.assert_refused(done, [f"{path}:5: "] + words)
                self.assertEqual(self.dump(), before, "lines 1-4 were applied")
        # A prerequisite that fails: exit 1, nothing written.
        path = self.write("prereq.txt", "prereq yxrrset counter TXT \"41\"\n"
                                        "del counter TXT \"41\"\nadd counter 60 TXT \"42\"\n")
        before = self.dump()
        self.assert_refused(self.ctl("apply", "--zone", ORIGIN, path),
                            [f"{path}:1: ", "prerequisite", "NXRRSET"], status=1)
        self.assertEqual(self.dump(), before)
        # The same file from standard input, once the prerequisite holds.
        text = "\n".join(good) + "\n"
        done = self.ctl("apply", "--zone", ORIGIN, "-", stdin_text=text)
        self.assertEqual(self.serial_of(done), 101)
        rrs = self.rrs()
        self.assertTrue(self.has(rrs, "l1.edit.test.", "A"))
        self.assertTrue(self.has(rrs, "l2.edit.test.", "A"))
        self.assertFalse(self.has(rrs, "txt.edit.test.", "TXT"))

    def test_compare_and_set_with_prerequisites(self):
        def increment(seen):
            text = (f"prereq yxrrset counter TXT \"{seen}\"\n"
                    f"del counter TXT \"{seen}\"\nadd counter 300 TXT \"{seen + 1}\"\n")
            return self.ctl("apply", "--zone", ORIGIN, "-", stdin_text=text)

        self.serial_of(increment(0))
        stale = increment(0)  # another editor's view: the value moved on
        self.assertEqual(stale.returncode, 1, stale.stderr)
        self.assertIn("NXRRSET", stale.stderr)
        self.serial_of(increment(1))
        self.assertTrue(self.has(self.rrs(), "counter.edit.test.", "TXT", '"2"'))
        # nxdomain / yxdomain.
        create = "prereq nxdomain fresh\nadd fresh 60 A 192.0.2.7\n"
        self.serial_of(self.ctl("apply", "--zone", ORIGIN, "-", stdin_text=create))
        again = self.ctl("apply", "--zone", ORIGIN, "-", stdin_text=create)
        self.assertEqual(again.returncode, 1)
        self.assertIn("YXDOMAIN", again.stderr)

    def test_serial_policy_from_config(self):
        for policy, check in (("unixtime", lambda s, now: now - 5 <= s <= now + 5),
                              ("dateserial", lambda s, now: s // 100 == int(
                                  time.strftime("%Y%m%d", time.gmtime(now))))):
            with self.subTest(policy):
                self.config = self.write(f"{policy}.yaml", "\n".join([
                    f"database: {self.db}", f"control: {self.tmp}/control.sock", "zones:",
                    f"  - {{ name: {ORIGIN}, role: primary, serial-policy: {policy} }}"]) + "\n")
                now = int(time.time())
                serial = self.serial_of(self.ctl("record", "add", f"{policy}.edit.test.", 60,
                                                 "A", "192.0.2.1"))
                self.assertTrue(check(serial, now), f"{policy}: serial {serial} at {now}")

    def test_secondary_zones_are_not_edited_locally(self):
        self.config = self.write("secondary.yaml", "\n".join([
            f"database: {self.db}", f"control: {self.tmp}/control.sock",
            "remotes:", '  - { id: p, address: "192.0.2.1:53" }', "zones:",
            f"  - {{ name: {ORIGIN}, role: secondary, primaries: [p] }}"]) + "\n")
        before = self.dump()
        self.assert_refused(self.ctl("record", "add", "x.edit.test.", 60, "A", "192.0.2.1"),
                            ["secondary"])
        self.assertEqual(self.dump(), before)


class ServerEditTest(EditTestBase):
    """Edits against a running tidald: dig sees them, IXFR carries only the difference, and
    --server sends them as UPDATE."""

    def setUp(self):
        self.make_dir()
        self.key = TsigKey.random("editor")
        self.other_key = TsigKey.random("other")
        spec = ZoneSpec(ORIGIN, self.zone_file, allow_update=[self.key],
                        allow_transfer=["127.0.0.1"])
        self.server = TidalServer(self.tmp, [spec], keys=[self.other_key])
        self.server.start()
        self.config = self.server.config_path
        self.db = os.path.join(self.tmp, "tidal.db")
        self.dig = Dig(self.server.port)

    def tearDown(self):
        try:
            self.server.stop()
            reports = self.server.sanitizer_reports()
            self.assertEqual(reports, [], "sanitizer reports in tidald's log")
        finally:
            self.remove_dir()

    def answer(self, name, rtype):
        r = self.dig.query(name, rtype, opts=["+norec", "+tcp"])
        self.assertIsNotNone(r, f"no answer for {name} {rtype}")
        return r.rdatas("answer", rtype)

    def test_dig_sees_local_edits(self):
        serial = self.serial_of(self.ctl("record", "add", "dig.edit.test.", 60, "A",
                                         "192.0.2.77"))
        self.server.wait_serial(ORIGIN, serial)
        self.assertEqual(self.answer("dig.edit.test.", "A"), ["192.0.2.77"])
        path = self.write("edits.txt", "del dig\nset www 60 A 192.0.2.99\n")
        serial = self.serial_of(self.ctl("apply", "--zone", ORIGIN, path))
        self.server.wait_serial(ORIGIN, serial)
        self.assertEqual(self.answer("www.edit.test.", "A"), ["192.0.2.99"])
        r = self.dig.query("dig.edit.test.", "A", opts=["+norec"])
        self.assertEqual(r.rcode, "NXDOMAIN")

    def test_reimport_is_served_as_only_the_difference(self):
        old = transfer.soa_serial(self.server.port, ORIGIN)
        self.assertEqual(old, 100)
        changed = ZONE_TEXT.replace("www     A     192.0.2.81", "www     A     192.0.2.91")
        changed = changed.replace(" 100 ", " 101 ") + "added  AAAA  2001:db8::1\n"
        done = self.ctl("zone", "import", self.write("changed.zone", changed))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.server.wait_serial(ORIGIN, 101)
        ixfr = transfer.ixfr(self.server.port, ORIGIN, old)
        self.assertTrue(ixfr.is_incremental(), ixfr.describe())
        body = [(rr.owner.lower(), rr.rtype, rr.rdata) for rr in ixfr.rrs]
        # new SOA, old SOA, the RR removed, new SOA, the RRs added, new SOA (RFC 1995 §4).
        self.assertEqual(len(body), 7, ixfr.describe())
        self.assertEqual([body[i][1] for i in (0, 1, 3, 6)], ["SOA"] * 4, ixfr.describe())
        self.assertEqual(body[2], ("www.edit.test.", "A", "192.0.2.81"), ixfr.describe())
        self.assertEqual(set(body[4:6]), {("www.edit.test.", "A", "192.0.2.91"),
                                          ("added.edit.test.", "AAAA", "2001:db8::1")},
                         ixfr.describe())

    # --- remote: RFC 2136 UPDATE --------------------------------------------------------

    def nsupdate(self, key, script):
        argv = [paths.nsupdate(), "-v"]
        if key is not None:
            argv += ["-y", key.dig_arg()]
        text = f"server 127.0.0.1 {self.server.port}\nzone {ORIGIN}\n{script}\nsend\n"
        return run(argv, text)

    def require_update(self):
        """Skips when tidald does not handle UPDATE yet (nsupdate with the good key is
        refused with NOTIMP or REFUSED); TIDAL_UPDATE_READY=1 makes that a failure."""
        done = self.nsupdate(self.key, "update add probe.edit.test. 60 A 192.0.2.250")
        if done.returncode != 0 and os.environ.get("TIDAL_UPDATE_READY") != "1" and \
                ("NOTIMP" in done.stdout + done.stderr or "REFUSED" in done.stdout + done.stderr):
            self.skipTest("tidald does not handle UPDATE yet: " + done.stderr.strip())
        self.assertEqual(done.returncode, 0, "nsupdate: " + done.stdout + done.stderr)

    def remote(self, *args, key="good", stdin_text=None):
        argv = [self.ctl_path, "--config", self.config, "--server",
                f"127.0.0.1:{self.server.port}"]
        if key == "good":
            argv += ["--key", self.key.dig_arg()]
        elif key == "wrong":
            argv += ["--key", self.key.wrong_secret().dig_arg()]
        elif key == "other":
            argv += ["--key", self.other_key.name]  # a configured key, not allowed to update
        elif key is not None:
            argv += ["--key", key]
        return run(argv + [str(a) for a in args], stdin_text)

    def test_remote_edits_with_a_good_key(self):
        self.require_update()
        serial = self.stored_serial()
        done = self.remote("record", "add", "remote.edit.test.", 60, "A", "192.0.2.60")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("update accepted", done.stdout)
        self.assertEqual(self.stored_serial(), serial + 1)
        self.server.wait_serial(ORIGIN, serial + 1)
        self.assertEqual(self.answer("remote.edit.test.", "A"), ["192.0.2.60"])

        # The key by its name in the configuration file; relative names with --zone.
        done = self.remote("record", "set", "--zone", ORIGIN, "www", 60, "A", "192.0.2.61",
                           key=self.key.name)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.server.wait_serial(ORIGIN, serial + 2)
        self.assertEqual(self.answer("www.edit.test.", "A"), ["192.0.2.61"])

        # apply FILE: one UPDATE, one serial bump, and the same semantics as locally.
        path = self.write("remote.txt", "add r1 60 A 192.0.2.1\nadd r2 60 TXT \"two words\"\n"
                                        "del remote\ndel txt TXT \"hello\"\n")
        done = self.remote("apply", "--zone", ORIGIN, path)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(self.stored_serial(), serial + 3)
        rrs = self.rrs()
        self.assertTrue(self.has(rrs, "r2.edit.test.", "TXT", '"two words"'))
        self.assertFalse(self.has(rrs, "remote.edit.test.", "A"))
        self.assertFalse(self.has(rrs, "txt.edit.test.", "TXT"))

        # Deleting nothing fails remotely as it does locally, and changes nothing.
        before = self.dump()
        done = self.remote("record", "del", "absent.edit.test.")
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn(f"UPDATE refused by 127.0.0.1:{self.server.port}: NXDOMAIN", done.stderr)
        # Compare-and-set with a stale value: NXRRSET.
        done = self.remote("apply", "--zone", ORIGIN, "-", stdin_text=(
            "prereq yxrrset counter TXT \"5\"\ndel counter TXT \"5\"\nadd counter 60 TXT \"6\"\n"))
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertIn("NXRRSET", done.stderr)
        self.assertEqual(self.dump(), before)

    def test_remote_edits_with_a_wrong_key_or_none_change_nothing(self):
        self.require_update()
        before = self.dump()
        for key, words in (("wrong", ["NOTAUTH", "BADSIG"]), (None, ["REFUSED"]),
                           ("other", ["REFUSED"])):
            with self.subTest(key=key):
                done = self.remote("record", "add", "nope.edit.test.", 60, "A", "192.0.2.66",
                                   key=key)
                self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
                self.assertIn(f"UPDATE refused by 127.0.0.1:{self.server.port}: ", done.stderr)
                for word in words:
                    self.assertIn(word, done.stderr)
                self.assertEqual(self.dump(), before)
        # Usage errors: a key that does not parse, a server that does not.
        done = self.remote("record", "add", "x.edit.test.", 60, "A", "192.0.2.1",
                           key="editor:hmac-nope:AAAA")
        self.assertEqual(done.returncode, 2, done.stderr)
        done = run([self.ctl_path, "--server", "127.0.0.1:99999", "record", "del", "x.edit.test."])
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("99999", done.stderr)
        self.assertEqual(self.dump(), before)


if __name__ == "__main__":
    unittest.main(verbosity=2)
