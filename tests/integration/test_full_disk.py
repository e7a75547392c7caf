#!/usr/bin/python3
"""A full disk (issue 7 point 4): writes fail with a clear error while queries keep being
answered from the last good state, and everything works again once there is room.

The database lives on a small tmpfs (TMPFS_SIZE) mounted in a private mount namespace that the
test makes (unshare -m, held open by a sleeping process); tidald, tidal-sync, tidalctl, dig and
sqlite3 run inside it with nsenter, so nothing on the host is touched. Before the disk is
filled, the WAL is checkpointed and truncated (PRAGMA wal_checkpoint(TRUNCATE)): after a full
checkpoint SQLite writes the WAL again from its start, into blocks the file already holds, so a
large WAL would let small writes through on a full disk. A filler file then takes every free
block.

- Primary (tidald serving a zone from the tmpfs): `tidalctl record add | del | set` and a
  large `tidalctl apply` fail with exit 1 and a message naming the database and saying the disk
  is full; a DNS UPDATE (nsupdate, TSIG) gets SERVFAIL; nothing is half-applied (the export is
  byte for byte the same, the serial unchanged, `PRAGMA integrity_check` ok, `tidalctl db check`
  ok); tidald keeps answering with the old data after every failed write. Once the filler is
  deleted the same edits succeed and are served.
- Secondary (tidald + tidal-sync on the tmpfs, the primary on the host): a large change on the
  primary arrives while the secondary's disk is full: the transfer fails with a logged error,
  the old copy keeps being served, and the secondary converges (SOA RETRY 2 s) once the filler
  is deleted.

Skipped, with the reason, when not root or when unshare / nsenter / a tmpfs mount are not
allowed here (the CI runs as root).
"""

import os
import re
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import nsupdate, paths, process  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.replication import Remote, ZoneSpec  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

ZONE = "full.test."
INITIAL_SERIAL = 100
# RETRY 2 s: a secondary whose transfer failed tries again soon.
ZONE_TEXT = """$ORIGIN full.test.
$TTL 300
@    SOA  ns1 hostmaster %d 3600 2 1209600 300
@    NS   ns1
ns1  A    192.0.2.53
www  A    192.0.2.80
""" % INITIAL_SERIAL

TMPFS_SIZE = "4m"
APPLY_RECORDS = 300  # TXT records of ~200 octets in the large change: ~100 KiB of WAL and more
DISK_FULL = re.compile(r"disk is full|no space left", re.IGNORECASE)
QUERY_OPTS = ["+norec", "+time=2", "+tries=2"]


def why_not_root_namespaces():
    """None if this process may make a private mount namespace with a tmpfs, else why not."""
    if os.geteuid() != 0:
        return "needs root (a tmpfs mount in a private mount namespace), running as uid %d" % (
            os.geteuid())
    for tool in ("unshare", "nsenter", "mount", "sqlite3"):
        if shutil.which(tool) is None:
            return "%s is not installed" % tool
    return None


class MountNamespace:
    """A private mount namespace kept alive by `sleep` (unshare execs it, so the pid is the
    sleep's), with a tmpfs of `size` on `mountpoint` there only. prefix runs a command inside."""

    def __init__(self, workdir, mountpoint, size):
        self.mountpoint = mountpoint
        os.makedirs(mountpoint, exist_ok=True)
        self.holder = process.ManagedProcess(
            ["unshare", "-m", "--propagation", "private", "sleep", "600"],
            os.path.join(workdir, "namespace.log"))
        mine = os.readlink("/proc/self/ns/mnt")

        def own_namespace():
            try:
                return os.readlink("/proc/%d/ns/mnt" % self.holder.pid) != mine
            except OSError:
                return False

        if not process.wait_until(own_namespace, 10, 0.02):
            self.holder.stop()
            raise RuntimeError("unshare -m did not make a namespace: %s" %
                               self.holder.log_text())
        self.prefix = ["nsenter", "-t", str(self.holder.pid), "-m"]
        done = self.run("mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size,
                        "tidal-full-disk", mountpoint)
        if done.returncode != 0:
            self.holder.stop()
            raise RuntimeError("mount -t tmpfs in the namespace failed (exit %d): %s" % (
                done.returncode, done.stderr.strip()))
        if os.path.ismount(mountpoint):
            self.holder.stop()
            raise RuntimeError("the tmpfs leaked out of its namespace onto %s" % mountpoint)

    def run(self, *argv, timeout=120):
        return process.run(self.prefix + [str(a) for a in argv], timeout=timeout)

    def host_path(self, path):
        """path as seen inside the namespace, reachable from the host (/proc/PID/root)."""
        return "/proc/%d/root%s" % (self.holder.pid, path)

    def free_bytes(self):
        st = os.statvfs(self.host_path(self.mountpoint))
        return st.f_bavail * st.f_frsize

    def fill(self):
        """A filler file takes every free block of the tmpfs; returns its path."""
        filler = os.path.join(self.mountpoint, "filler")
        self.run("dd", "if=/dev/zero", "of=" + filler, "bs=64k")  # stops at ENOSPC
        return filler

    def stop(self):
        self.holder.stop()


class TmpfsServer(TidalServer):
    """A TidalServer whose config and logs stay on the host while its database and control
    socket are in state_dir (the tmpfs of a MountNamespace)."""

    def __init__(self, workdir, state_dir, zones, **kwargs):
        super().__init__(workdir, zones, **kwargs)
        self.state_dir = state_dir

    def _write_config(self, path=None, state_dir=None):
        super()._write_config(path, state_dir or self.state_dir)

    @property
    def database(self):
        return os.path.join(self.state_dir, "tidal.db")


def write_zone(workdir):
    path = os.path.join(workdir, "full.zone")
    with open(path, "w") as f:
        f.write(ZONE_TEXT)
    return path


def write_apply_file(path, prefix, count):
    """An apply file adding `count` TXT records of ~200 octets at names prefix-N."""
    with open(path, "w") as f:
        for i in range(count):
            f.write('add %s-%d.%s 300 TXT "%s" "%04d"\n' % (prefix, i, ZONE, "x" * 190, i))
    return path


class DiskFullCase(ServerTestCase):
    """Helpers shared by the primary and the secondary tests."""

    ns = None

    @classmethod
    def make_namespace(cls):
        why = why_not_root_namespaces()
        if why is None:
            try:
                cls.ns = MountNamespace(cls.workdir, os.path.join(cls.workdir, "state"),
                                        TMPFS_SIZE)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                why = str(e)
        if why is not None:
            cls.cleanup_workdir()
            raise unittest.SkipTest("full-disk test needs a tmpfs in a private mount "
                                    "namespace: " + why)
        return cls.ns.mountpoint

    @classmethod
    def stop_namespace(cls):
        if cls.ns is not None:
            cls.ns.stop()
            cls.ns = None

    @classmethod
    def truncate_wal(cls, server):
        """PRAGMA wal_checkpoint(TRUNCATE): the WAL emptied into the database and cut to 0
        octets (retried while a reader of tidald holds an old snapshot)."""
        last = None
        for _ in range(50):
            last = cls.ns.run("sqlite3", server.database, "PRAGMA wal_checkpoint(TRUNCATE);")
            if last.returncode == 0 and last.stdout.strip().startswith("0|"):
                return
            time.sleep(0.1)
        raise AssertionError("cannot truncate the WAL: exit %d, %s %s" % (
            last.returncode, last.stdout, last.stderr))

    def integrity(self, server):
        done = self.ns.run("sqlite3", "-readonly", server.database, "PRAGMA integrity_check;")
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout.strip()

    def query(self, server, name, rtype="A"):
        r = server.client().query(name, rtype, opts=QUERY_OPTS)
        self.assertIsNotNone(r, "no answer to %s %s" % (name, rtype))
        return r

    def assert_answers(self, server, name, rtype, rcode, rdatas=None):
        r = self.query(server, name, rtype)
        self.assertEqual(r.rcode, rcode, "%s %s" % (name, rtype))
        if rdatas is not None:
            self.assertEqual(r.rdatas("answer", rtype), rdatas, "%s %s" % (name, rtype))


class FullDiskPrimaryTest(DiskFullCase):
    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "nsupdate")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        cls.make_workdir("tidal-full-disk-")
        state = cls.make_namespace()
        try:
            cls.editor = TsigKey.random("editor")
            host_dir = os.path.join(cls.workdir, "primary")
            os.makedirs(host_dir)
            cls.server = cls.add_server(TmpfsServer(
                host_dir, state, [ZoneSpec(ZONE, write_zone(cls.workdir),
                                           allow_update=[cls.editor])],
                command_prefix=cls.ns.prefix))
            cls.server.start()
            cls.good_serial = cls.server.record("add", "before." + ZONE, 300, "A", "192.0.2.7")
            cls.server.wait_serial(ZONE, cls.good_serial, timeout=10)
            cls.good_export = cls.server.export(ZONE)
            cls.apply_file = write_apply_file(os.path.join(cls.workdir, "big.txt"), "big",
                                              APPLY_RECORDS)
            cls.truncate_wal(cls.server)
            cls.filler = cls.ns.fill()
        except BaseException:
            cls.stop_servers()
            cls.stop_namespace()
            raise

    @classmethod
    def tearDownClass(cls):
        statuses = cls.stop_servers()
        cls.stop_namespace()
        cls.cleanup_workdir()
        cls.check_clean_exits(statuses)

    def ctl(self, *args):
        return self.server.tidalctl(*[str(a) for a in args])

    def assert_fails_disk_full(self, done):
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertRegex(done.stderr, DISK_FULL, "the message does not say the disk is full")
        self.assertIn(self.server.database, done.stderr, "the message does not name the database")
        self.assertIn("nothing was changed", done.stderr, "the message does not say the edit "
                      "was rolled back")
        self.assertNotIn("serial", done.stdout)

    def assert_old_state_served(self):
        """tidald is alive and answers from the last good state."""
        self.assertTrue(self.server.alive(), "tidald died")
        self.assertEqual(self.server.serial(ZONE), self.good_serial)
        self.assert_answers(self.server, "before." + ZONE, "A", "NOERROR", ["192.0.2.7"])
        self.assert_answers(self.server, "www." + ZONE, "A", "NOERROR", ["192.0.2.80"])
        self.assert_answers(self.server, "blocked." + ZONE, "A", "NXDOMAIN")

    def test_1_disk_is_full(self):
        self.assertEqual(self.ns.free_bytes(), 0, "the filler left room on the tmpfs")

    def test_2_record_edits_fail_with_a_clear_message(self):
        for args in (("record", "add", "blocked." + ZONE, 300, "A", "192.0.2.8"),
                     ("record", "del", "www." + ZONE, "A"),
                     ("record", "set", "www." + ZONE, 300, "A", "192.0.2.81")):
            with self.subTest(" ".join(str(a) for a in args[:2])):
                self.assert_fails_disk_full(self.ctl(*args))
                self.assert_old_state_served()

    def test_3_large_apply_fails_with_a_clear_message(self):
        self.assert_fails_disk_full(self.ctl("apply", "--zone", ZONE, self.apply_file))
        self.assert_old_state_served()

    def test_4_update_gets_servfail(self):
        out = nsupdate.update(self.server.port, ZONE,
                              ["update add blocked.%s 300 A 192.0.2.8" % ZONE,
                               "update delete www.%s A" % ZONE],
                              key=self.editor, log_path=self.server.log_path)
        self.assertEqual(out.rcode, "SERVFAIL", out.describe())
        time.sleep(0.3)  # a commit would be served within ~100 ms
        self.assert_old_state_served()
        self.assertRegex(self.server.proc.log_text()[-20000:], DISK_FULL,
                         "tidald logged nothing about the full disk")

    def test_5_nothing_half_applied(self):
        export = self.ctl("zone", "export", ZONE)
        self.assertEqual(export.returncode, 0, export.stderr)
        self.assertEqual(export.stdout, self.good_export, "a failed edit changed the zone")
        self.assertEqual(self.integrity(self.server), "ok")
        check = self.ctl("db", "check")
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("database OK", check.stdout)
        self.assert_old_state_served()

    def test_6_edits_succeed_once_there_is_room(self):
        done = self.ns.run("rm", "-f", self.filler)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertGreater(self.ns.free_bytes(), 1024 * 1024)
        serial = self.good_serial
        for args in (("record", "add", "blocked." + ZONE, 300, "A", "192.0.2.8"),
                     ("record", "set", "www." + ZONE, 300, "A", "192.0.2.81"),
                     ("apply", "--zone", ZONE, self.apply_file)):
            with self.subTest(" ".join(str(a) for a in args[:2])):
                done = self.ctl(*args)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                serial += 1
                self.assertEqual(done.stdout.strip(), "zone %s serial %d" % (ZONE, serial))
        out = nsupdate.update(self.server.port, ZONE,
                              ["update add updated.%s 300 A 192.0.2.9" % ZONE],
                              key=self.editor, log_path=self.server.log_path)
        self.assertEqual(out.rcode, "NOERROR", out.describe())
        serial += 1
        self.server.wait_serial(ZONE, serial, timeout=10)
        self.assertEqual(self.server.serial(ZONE), serial)
        self.assert_answers(self.server, "blocked." + ZONE, "A", "NOERROR", ["192.0.2.8"])
        self.assert_answers(self.server, "www." + ZONE, "A", "NOERROR", ["192.0.2.81"])
        self.assert_answers(self.server, "updated." + ZONE, "A", "NOERROR", ["192.0.2.9"])
        self.assert_answers(self.server, "big-%d.%s" % (APPLY_RECORDS - 1, ZONE), "TXT",
                            "NOERROR")
        self.assertEqual(self.integrity(self.server), "ok")
        self.assertEqual(self.server.sanitizer_reports(), [])


class FullDiskSecondaryTest(DiskFullCase):
    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "tidal-sync")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        cls.make_workdir("tidal-full-disk-sec-")
        state = cls.make_namespace()
        try:
            key = TsigKey.random("cluster")
            primary_port, secondary_port = free_port(), free_port()
            primary_remote = Remote("primary", primary_port, key)
            secondary_remote = Remote("secondary", secondary_port, key)
            primary_dir = os.path.join(cls.workdir, "primary")
            secondary_dir = os.path.join(cls.workdir, "secondary")
            os.makedirs(primary_dir)
            os.makedirs(secondary_dir)
            cls.primary = cls.add_server(TidalServer(
                primary_dir, [ZoneSpec(ZONE, write_zone(cls.workdir), notify=[secondary_remote],
                                       allow_transfer=[key])], port=primary_port))
            cls.secondary = cls.add_server(TmpfsServer(
                secondary_dir, state,
                [ZoneSpec(ZONE, role="secondary", primaries=[primary_remote],
                          allow_notify=[primary_remote], allow_transfer=[key])],
                port=secondary_port, command_prefix=cls.ns.prefix))
            cls.primary.start()
            cls.primary.start_sync()
            cls.secondary.start()
            cls.secondary.start_sync()
            cls.good_serial = cls.primary.record("add", "before." + ZONE, 300, "A", "192.0.2.7")
            cls.secondary.wait_serial(ZONE, cls.good_serial, timeout=20)
            cls.apply_file = write_apply_file(os.path.join(cls.workdir, "big.txt"), "big",
                                              APPLY_RECORDS)
            cls.truncate_wal(cls.secondary)
            cls.filler = cls.ns.fill()
        except BaseException:
            cls.stop_servers()
            cls.stop_namespace()
            raise

    @classmethod
    def tearDownClass(cls):
        statuses = cls.stop_servers()
        sync_statuses = {s.port: s.sync_status for s in cls.servers}
        cls.stop_namespace()
        cls.cleanup_workdir()
        cls.check_clean_exits(statuses)
        for port, status in sync_statuses.items():
            if status not in (0, None):
                raise AssertionError("tidal-sync of port %s exited with %s" % (port, status))

    def test_transfer_onto_a_full_disk_fails_then_converges(self):
        primary, secondary = self.primary, self.secondary
        self.assertEqual(self.ns.free_bytes(), 0, "the filler left room on the tmpfs")
        mark = secondary.log_mark()
        done = primary.tidalctl("apply", "--zone", ZONE, self.apply_file)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        new_serial = self.good_serial + 1

        # The NOTIFY arrives, the transfer cannot be stored: a logged error, the old copy kept.
        failed = process.wait_until(lambda: DISK_FULL.search(secondary.log_since(mark)), 20,
                                    0.2)
        self.assertTrue(failed, "tidal-sync logged no full-disk error:\n" +
                        secondary.log_since(mark)[-5000:])
        for _ in range(3):  # over a few RETRY intervals: still the old copy, still answering
            self.assertTrue(secondary.alive(), "the secondary's tidald died")
            self.assertTrue(secondary.sync_alive(), "the secondary's tidal-sync died")
            self.assertEqual(secondary.serial(ZONE), self.good_serial)
            self.assert_answers(secondary, "before." + ZONE, "A", "NOERROR", ["192.0.2.7"])
            self.assert_answers(secondary, "www." + ZONE, "A", "NOERROR", ["192.0.2.80"])
            self.assert_answers(secondary, "big-0." + ZONE, "TXT", "NXDOMAIN")
            time.sleep(1.0)
        self.assertEqual(self.integrity(secondary), "ok")

        # Room again: the next RETRY (2 s) or NOTIFY brings the change.
        done = self.ns.run("rm", "-f", self.filler)
        self.assertEqual(done.returncode, 0, done.stderr)
        secondary.wait_serial(ZONE, new_serial, timeout=20)
        self.assert_answers(secondary, "big-%d.%s" % (APPLY_RECORDS - 1, ZONE), "TXT",
                            "NOERROR")
        self.assert_answers(secondary, "www." + ZONE, "A", "NOERROR", ["192.0.2.80"])
        self.assertEqual(self.integrity(secondary), "ok")
        self.assertEqual(secondary.sanitizer_reports(), [])
        self.assertEqual(primary.sanitizer_reports(), [])


if __name__ == "__main__":
    main()
