"""tidalctl zone import/export/list/create/delete against a real database: round trips checked
with independent parsers (ldns-read-zone, kzonecheck), errors with file:line and exit status 2
that leave the database exactly as it was (compared with `sqlite3 DB .dump`), warnings for
records outside the zone, $INCLUDE, and a 5000-record RRset."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("TIDAL_SOURCE_DIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DATA = os.path.join(SOURCE_DIR, "tests", "data", "zonefiles")
TIMEOUT = 120  # seconds for any one command

IMPORTED = re.compile(r"^imported (\S+) serial (\d+) \((\d+) records\)$")


def tool(name):
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed (make deps)")
    return path


def run(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


def canonical_rrs(path):
    """The RRs of a zone file as ldns-read-zone canonicalizes them (lowercased names), sorted."""
    done = run(tool("ldns-read-zone"), "-c", path)
    if done.returncode != 0:
        raise AssertionError(f"ldns-read-zone {path} failed: {done.stderr}")
    lines = [l for l in done.stdout.splitlines() if l.strip() and not l.startswith(";")]
    # Tabs and runs of blanks are equivalent separators.
    return sorted(" ".join(l.split()) for l in lines)


class TidalctlZoneTest(unittest.TestCase):
    def setUp(self):
        self.ctl_path = os.environ.get("TIDALCTL")
        if not self.ctl_path:
            self.fail("TIDALCTL is not set (run through ctest)")
        self.tmp = tempfile.mkdtemp(prefix="tidal-ctl-zone-")
        self.db = os.path.join(self.tmp, "var", "lib", "tidal.db")  # parent made by tidalctl
        self.config = self.write_config("tidal.yaml", self.db)

    def tearDown(self):
        if os.environ.get("TIDAL_KEEP_TMP"):
            print(f"\ntest files kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def write_config(self, name, db, zones=""):
        return self.write(name, f"database: {db}\ncontrol: {self.tmp}/control.sock\n{zones}")

    def ctl(self, *args, config=None):
        return run(self.ctl_path, "--config", config or self.config, *args)

    def dump(self, db=None):
        done = run(tool("sqlite3"), db or self.db, ".dump")
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def import_ok(self, path, *extra, config=None):
        done = self.ctl("zone", "import", path, *extra, config=config)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        match = IMPORTED.match(done.stdout.strip())
        self.assertIsNotNone(match, done.stdout)
        return match.group(1), int(match.group(2)), int(match.group(3)), done

    def export(self, name, config=None):
        path = os.path.join(self.tmp, f"export-{time.monotonic_ns()}.zone")
        done = self.ctl("zone", "export", name, path, config=config)
        self.assertEqual(done.returncode, 0, done.stderr)
        return path

    # --- round trips ---------------------------------------------------------------------

    def test_import_export_import_round_trip(self):
        original = os.path.join(DATA, "types.example.zone")
        reference = canonical_rrs(original)
        name, serial, count, _ = self.import_ok(original)
        self.assertEqual((name, serial, count), ("types.example.", 2024060101, len(reference)))

        exported = self.export("types.example")
        # Knot's checker accepts the export, and ldns reads the same RRs from it as from the
        # original file.
        check = run(tool("kzonecheck"), "-o", "types.example.", exported)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(canonical_rrs(exported), reference)

        # Into a second database and out again: the same text.
        db2 = os.path.join(self.tmp, "second.db")
        config2 = self.write_config("second.yaml", db2)
        _, serial2, count2, _ = self.import_ok(exported, config=config2)
        self.assertEqual((serial2, count2), (serial, count))
        exported2 = self.export("types.example.", config=config2)
        with open(exported) as a, open(exported2) as b:
            self.assertEqual(a.read(), b.read())

        # On stdout too.
        done = self.ctl("zone", "export", "types.example.")
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(exported) as a:
            self.assertEqual(done.stdout, a.read())

    def test_reimport_stores_only_changes_and_serial_never_goes_back(self):
        original = os.path.join(DATA, "types.example.zone")
        _, serial, count, _ = self.import_ok(original)
        before = self.dump()
        _, again, _, done = self.import_ok(original)
        self.assertEqual(again, serial)
        self.assertEqual(self.dump(), before, "importing the same zone changes nothing")

        # Changed content with the same serial: stored serial + 1, and a warning says so.
        with open(original) as f:
            text = f.read()
        changed = self.write("changed.zone", text + "added IN A 192.0.2.200\n")
        _, bumped, count2, done = self.import_ok(changed)
        self.assertEqual(bumped, serial + 1)
        self.assertEqual(count2, count + 1)
        self.assertIn(str(serial + 1), done.stderr)
        # An older serial never takes the zone back.
        older = self.write("older.zone", text.replace("2024060101", "2020010101"))
        _, newest, _, _ = self.import_ok(older)
        self.assertEqual(newest, serial + 2)

    def test_include_with_origin(self):
        name, _, _, _ = self.import_ok(os.path.join(DATA, "full.example.zone"))
        self.assertEqual(name, "full.example.")
        rrs = canonical_rrs(self.export("full.example."))
        self.assertIn("host1.hosts.full.example. 600 IN A 192.0.2.101", rrs)
        self.assertIn("hosts.full.example. 600 IN TXT \"apex of the included origin\"", rrs)
        self.assertIn("after.full.example. 3600 IN A 192.0.2.12", rrs)
        self.assertIn("ns.ds-child.full.example. 3600 IN A 192.0.2.99", rrs)  # occluded, kept

    # --- zone list, create, delete ---------------------------------------------------------

    def test_zone_list_create_delete(self):
        config = self.write_config(
            "roles.yaml", self.db,
            "remotes:\n  - { id: ns1, address: \"192.0.2.1:53\" }\n"
            "zones:\n"
            "  - { name: types.example., role: secondary, primaries: [ns1] }\n"
            "  - { name: waiting.example., role: secondary, primaries: [ns1] }\n")
        _, serial, count, _ = self.import_ok(os.path.join(DATA, "types.example.zone"),
                                             config=config)
        done = self.ctl("zone", "create", "new.example", "--ns", "a.ns.example.",
                        "--ns", "b.ns.example.", config=config)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), "created new.example. serial 1")

        done = self.ctl("zone", "list", config=config)
        self.assertEqual(done.returncode, 0, done.stderr)
        rows = {l.split()[0]: l.split()[1:] for l in done.stdout.splitlines() if l.strip()}
        self.assertEqual(rows["types.example."], ["secondary", str(serial), str(count)])
        self.assertEqual(rows["new.example."], ["primary", "1", "3"])
        self.assertEqual(rows["waiting.example."], ["secondary", "-", "-"])

        rrs = canonical_rrs(self.export("new.example."))
        self.assertIn("new.example. 3600 IN SOA ns1.new.example. hostmaster.new.example. "
                      "1 3600 900 1209600 300", rrs)
        self.assertIn("new.example. 3600 IN NS b.ns.example.", rrs)

        done = self.ctl("zone", "create", "new.example.")
        self.assertEqual(done.returncode, 1)
        self.assertIn("already exists", done.stderr)
        done = self.ctl("zone", "delete", "new.example.")
        self.assertEqual(done.returncode, 0, done.stderr)
        done = self.ctl("zone", "delete", "new.example.")
        self.assertEqual(done.returncode, 1)
        self.assertIn("not found", done.stderr)
        done = self.ctl("zone", "export", "new.example.")
        self.assertEqual(done.returncode, 1)
        self.assertIn("new.example.", done.stderr)

        # Default SOA and NS.
        done = self.ctl("zone", "create", "plain.example")
        self.assertEqual(done.returncode, 0, done.stderr)
        rrs = canonical_rrs(self.export("plain.example"))
        self.assertIn("plain.example. 3600 IN NS ns1.plain.example.", rrs)

    def test_record_edits_are_atomic_changes(self):
        _, serial, _, _ = self.import_ok(os.path.join(DATA, "types.example.zone"))

        def edit(*args, status=0):
            done = self.ctl("record", *args)
            self.assertEqual(done.returncode, status, done.stdout + done.stderr)
            return done

        done = edit("add", "new.types.example.", "60", "A", "192.0.2.1")
        self.assertEqual(done.stdout.strip(), f"zone types.example. serial {serial + 1}")
        # A second RR with another TTL: the whole RRset takes it (RFC 2181 §5.2).
        edit("add", "--zone", "types.example.", "new", "120", "A", "192.0.2.2")
        edit("set", "types.example", "300", "TXT", '"replaced spf"')
        edit("del", "sip.types.example.", "A")
        rrs = canonical_rrs(self.export("types.example."))
        self.assertIn(f"types.example. 3600 IN SOA ns1.types.example. hostmaster.types.example. "
                      f"{serial + 4} 7200 900 1209600 300", rrs)
        self.assertIn("new.types.example. 120 IN A 192.0.2.1", rrs)
        self.assertIn("new.types.example. 120 IN A 192.0.2.2", rrs)
        self.assertIn('types.example. 300 IN TXT "replaced spf"', rrs)
        self.assertFalse(any("v=spf1" in rr for rr in rrs))
        self.assertFalse(any(rr.startswith("sip.types.example.") for rr in rrs))

        before = self.dump()
        edit("add", "alias.types.example.", "60", "A", "192.0.2.9", status=2)  # CNAME there
        edit("del", "types.example.", "NS", status=2)  # the apex keeps its NS
        edit("add", "x.elsewhere.example.", "60", "A", "192.0.2.9", status=1)  # no such zone
        edit("del", "absent.types.example.", status=1)
        edit("add", "y.types.example.", "60", "A", "not-an-address", status=2)
        self.assertEqual(self.dump(), before)

    # --- errors ----------------------------------------------------------------------------

    def test_bad_file_exits_2_names_file_and_line_and_changes_nothing(self):
        self.import_ok(os.path.join(DATA, "types.example.zone"))
        head = ("$ORIGIN types.example.\n$TTL 60\n"
                "@ SOA ns1 hostmaster 2024060102 7200 900 1209600 300\n"
                "@ NS ns1\nns1 A 192.0.2.53\nnew A 192.0.2.1\n")
        self.write("inc/bad.inc", "ok A 192.0.2.1\nbroken A 192.0.2.300\n")
        cases = {
            "cname-and-other-data": (head + "www A 192.0.2.80\nwww CNAME ns1\n", 8, "CNAME"),
            "two-cnames": (head + "c CNAME a\nc CNAME b\n", 8, "CNAME"),
            "class-ch": (head + "x CH TXT \"chaos\"\n", 7, "CH"),
            "syntax": (head + "\nx IN MX (\n  10 )\n", 8, "MX"),
            "second-soa": (head + "@ SOA ns2 hostmaster 5 1 1 1 1\n", 7, "SOA"),
            "soa-not-at-apex": (head + "sub SOA ns1 hostmaster 5 1 1 1 1\n", 7, "apex"),
            "unbalanced": (head + "x TXT ( \"a\"\n", 7, "("),
            "long-name": (head + ("a" * 63 + ".") * 3 + "b" * 61 + " A 192.0.2.1\n", 7, "255"),
        }
        before = self.dump()
        for name, (text, line, word) in cases.items():
            with self.subTest(name):
                path = self.write(f"{name}.zone", text)
                done = self.ctl("zone", "import", path)
                self.assertEqual(done.returncode, 2, done.stdout + done.stderr)
                self.assertIn(f"{path}:{line}:", done.stderr)
                self.assertIn(word, done.stderr)
                self.assertEqual(done.stdout, "")
                self.assertEqual(self.dump(), before)

        # An error in an included file names that file and its line.
        path = self.write("includes-bad.zone", head + "$INCLUDE inc/bad.inc\n")
        done = self.ctl("zone", "import", path)
        self.assertEqual(done.returncode, 2)
        self.assertIn(os.path.join(self.tmp, "inc", "bad.inc") + ":2:", done.stderr)
        self.assertEqual(self.dump(), before)

        # Whole-zone errors name the file.
        path = self.write("no-ns.zone", "$ORIGIN types.example.\n$TTL 60\n"
                                        "@ SOA ns1 hostmaster 9 1 1 1 1\n")
        done = self.ctl("zone", "import", path)
        self.assertEqual(done.returncode, 2)
        self.assertIn(path, done.stderr)
        self.assertIn("NS", done.stderr)
        self.assertEqual(self.dump(), before)

        # A bad file for a zone not yet stored adds nothing either.
        path = self.write("new-bad.zone", head.replace("types.example.", "other.example.") +
                          "www A 192.0.2.80\nwww CNAME ns1\n")
        done = self.ctl("zone", "import", path)
        self.assertEqual(done.returncode, 2)
        self.assertEqual(self.dump(), before)

    def test_runtime_and_usage_errors(self):
        # Database unreadable: not an SQLite file.
        junk_db = self.write("junk.db", "this is not a database\n" * 200)
        config = self.write_config("junk.yaml", junk_db)
        done = self.ctl("zone", "import", os.path.join(DATA, "types.example.zone"), config=config)
        self.assertEqual(done.returncode, 1, done.stderr)
        self.assertIn(junk_db, done.stderr)
        with open(junk_db) as f:
            self.assertTrue(f.read().startswith("this is not a database"))

        done = run(self.ctl_path, "--config", os.path.join(self.tmp, "missing.yaml"), "zone",
                   "list")
        self.assertEqual(done.returncode, 2)
        self.assertIn("missing.yaml", done.stderr)

        done = self.ctl("zone", "import", os.path.join(self.tmp, "no-such.zone"))
        self.assertEqual(done.returncode, 2)
        self.assertIn("no-such.zone", done.stderr)

        done = self.ctl("zone", "import", os.path.join(DATA, "types.example.zone"), "--origin",
                        "bad..name")
        self.assertEqual(done.returncode, 2)
        self.assertIn("bad..name", done.stderr)

        done = self.ctl("zone", "frobnicate")
        self.assertEqual(done.returncode, 2)
        done = self.ctl("zone", "export", "absent.example.")
        self.assertEqual(done.returncode, 1)
        self.assertIn("absent.example.", done.stderr)

    def test_config_check(self):
        done = self.ctl("config", "check")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), f"configuration OK: {self.config}")
        bad = self.write("bad.yaml", "database: /tmp/x.db\nnot-a-key: 1\n")
        done = run(self.ctl_path, "--config", bad, "config", "check")
        self.assertEqual(done.returncode, 2)
        self.assertIn(f"{bad}:2:", done.stderr)

    # --- warnings --------------------------------------------------------------------------

    def test_out_of_zone_record_is_dropped_with_a_warning(self):
        path = self.write("oz.zone",
                          "$ORIGIN example.com.\n$TTL 300\n"
                          "@ SOA ns1 hostmaster 1 7200 900 1209600 300\n"
                          "@ NS ns1\nns1 A 192.0.2.1\n"
                          "www.example.net. A 192.0.2.2\n"
                          "www 300 A 192.0.2.3\nwww 600 A 192.0.2.4\n")
        name, _, count, done = self.import_ok(path)
        self.assertEqual((name, count), ("example.com.", 5))
        self.assertIn(f"{path}:6: www.example.net. is outside zone example.com., dropped",
                      done.stderr)
        self.assertIn(f"{path}:8:", done.stderr)  # TTL 600 set to the RRset's 300
        rrs = canonical_rrs(self.export("example.com."))
        self.assertFalse(any("example.net." in rr for rr in rrs), rrs)
        self.assertIn("www.example.com. 300 IN A 192.0.2.4", rrs)

    # --- scale -----------------------------------------------------------------------------

    def test_5000_record_rrset(self):
        lines = ["$ORIGIN large.example.", "$TTL 300",
                 "@ SOA ns1 hostmaster 7 7200 900 1209600 300", "@ NS ns1", "ns1 A 192.0.2.1"]
        lines += [f"big A 10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(5000)]
        path = self.write("large.zone", "\n".join(lines) + "\n")
        started = time.monotonic()
        _, serial, count, _ = self.import_ok(path)
        self.assertLess(time.monotonic() - started, 60)
        self.assertEqual((serial, count), (7, 5003))
        rrs = canonical_rrs(self.export("large.example."))
        self.assertEqual(sum(1 for rr in rrs if rr.startswith("big.large.example. 300 IN A ")),
                         5000)
        # Dropping one record is a one-record change.
        lines.pop()
        smaller = self.write("smaller.zone", "\n".join(lines) + "\n")
        started = time.monotonic()
        _, serial2, count2, _ = self.import_ok(smaller)
        self.assertLess(time.monotonic() - started, 60)
        self.assertEqual((serial2, count2), (8, 5002))
        done = run(tool("sqlite3"), self.db,
                   "SELECT count(*) FROM journal_rrs WHERE op = 0 AND type = 1")
        self.assertEqual(done.stdout.strip(), "1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
