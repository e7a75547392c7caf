#!/usr/bin/python3
"""tidal-sync's sd_notify(3) exchange (issue 5, points 1 and 5), on a NOTIFY_SOCKET the test
listens on, the way systemd would see it with Type=notify and WatchdogSec=.

Two hosts on loopback, each tidald + tidal-sync:

    primary    example.test. from a file, notify: [secondary], allow-transfer: [xfr key]
    secondary  example.test. role secondary, primaries: [primary]; cname.test. its own primary
               zone, imported before tidal-sync starts

Only the secondary's tidal-sync talks to the test's socket. What is checked:
- READY=1 comes once the configuration and the zone store are read: its STATUS= names the
  secondary zone count and as many zones in the store as `tidalctl zone list` shows;
- WATCHDOG=1 at least every WATCHDOG_USEC/2;
- a transfer (the first AXFR, then an edit on the primary) shows in a new STATUS= line with the
  zone and the serial the secondary now serves;
- SIGHUP: RELOADING=1 with MONOTONIC_USEC=, then READY=1; a broken file gives the same pair,
  is refused with file:line in the log, and replication goes on with the old configuration;
- SIGTERM: STOPPING=1, exit status 0.
"""

import os
import re
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, process, transfer  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.replication import Remote, ZoneSpec  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402

ZONE = "example.test."
LOCAL_ZONE = "cname.test."
WATCHDOG_USEC = 400000
TRANSFER_TIMEOUT = 20.0


class NotifySocket:
    """A datagram socket in the role of systemd's notification socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.seen = []  # every message, in order

    def until(self, predicate, timeout):
        """Messages read until one satisfies predicate(lines) (returned last), or None."""
        read = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                text = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            self.seen.append(text)
            read.append(text)
            if predicate(text.split("\n")):
                return read
        return None

    def close(self):
        self.sock.close()


def status_of(lines):
    for line in lines:
        if line.startswith("STATUS="):
            return line[len("STATUS="):]
    return None


class SyncNotify(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "tidal-sync")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        workdir = cls.make_workdir("tidal-sync-notify-")
        xfr = TsigKey.random("xfr")
        primary_port, secondary_port = free_port(), free_port()
        primary_remote = Remote("primary", primary_port, xfr)
        secondary_remote = Remote("secondary", secondary_port, xfr)
        cls.notify = None
        try:
            cls.primary = cls.add_server(TidalServer(
                os.path.join(workdir, "primary"),
                [ZoneSpec(ZONE, paths.zone_path("example.test.zone"), notify=[secondary_remote],
                          allow_transfer=[xfr])],
                port=primary_port))
            cls.secondary = cls.add_server(TidalServer(
                os.path.join(workdir, "secondary"),
                [ZoneSpec(ZONE, role="secondary", primaries=[primary_remote],
                          allow_notify=[primary_remote]),
                 ZoneSpec(LOCAL_ZONE, paths.zone_path("cname.test.zone"))],
                port=secondary_port))
            for server in (cls.primary, cls.secondary):
                os.makedirs(server.workdir, exist_ok=True)
                server.start()
            cls.primary.start_sync()
            cls.notify = NotifySocket(os.path.join(workdir, "notify.sock"))
            env = dict(os.environ, NOTIFY_SOCKET=cls.notify.path,
                       WATCHDOG_USEC=str(WATCHDOG_USEC))
            for key in ("WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"):
                env.pop(key, None)
            cls.secondary.sync = process.ManagedProcess(
                [paths.tidal_sync(), "--config", cls.secondary.config_path],
                cls.secondary.sync_log_path, env=env)
            cls.ready = cls.notify.until(lambda lines: "READY=1" in lines, 30)
        except Exception:
            cls._failed = True
            cls.print_logs("set-up failed")
            cls.stop_servers()
            if cls.notify:
                cls.notify.close()
            cls.cleanup_workdir()
            raise

    @classmethod
    def tearDownClass(cls):
        statuses = cls.stop_servers()
        cls.notify.close()
        problems = [s.sanitizer_reports() + cls.sync_sanitizer_reports(s)
                    for s in (cls.primary, cls.secondary)]
        cls.cleanup_workdir()
        cls.check_clean_exits(statuses)
        if any(problems):
            raise AssertionError("sanitizer reports: %s" % problems)

    @staticmethod
    def sync_sanitizer_reports(server):
        if server.sync is None:
            return []
        from lib.tidal import SANITIZER_MARKERS
        return [l for l in server.sync.log_text().splitlines()
                if any(m in l for m in SANITIZER_MARKERS)]

    # Helpers ------------------------------------------------------------------------------

    def sync_log(self):
        return self.secondary.sync.log_text()[-8000:]

    def expect(self, predicate, timeout, what):
        got = self.notify.until(predicate, timeout)
        self.assertIsNotNone(got, "no %s from tidal-sync within %.0f s; messages so far: %r\n%s"
                             % (what, timeout, self.notify.seen[-20:], self.sync_log()))
        return got[-1].split("\n")

    def expect_transfer_status(self, serial, timeout=TRANSFER_TIMEOUT):
        """A STATUS= line naming the last transfer into ZONE at `serial`."""
        wanted = re.compile(r"last transfer in: %s serial %d\b" % (re.escape(ZONE), serial))
        return status_of(self.expect(
            lambda lines: any(wanted.search(l) for l in lines if l.startswith("STATUS=")),
            timeout, "STATUS= with the transfer of serial %d" % serial))

    def zones_in_store(self):
        done = self.secondary.tidalctl("zone", "list")
        self.assertEqual(done.returncode, 0, done.stderr)
        return sum(1 for line in done.stdout.splitlines() if line.split()[:1] in
                   ([ZONE], [LOCAL_ZONE]))

    def edit_primary(self, name):
        serial = self.primary.record("add", name, 300, "A", "192.0.2.7")
        self.assertIsNotNone(serial)
        return serial

    def reload(self):
        os.kill(self.secondary.sync.pid, signal.SIGHUP)
        reloading = self.expect(lambda lines: "RELOADING=1" in lines, 10, "RELOADING=1")
        self.assertTrue(any(l.startswith("MONOTONIC_USEC=") and l[15:].isdigit()
                            for l in reloading), reloading)
        ready = self.expect(lambda lines: "READY=1" in lines, 15, "READY=1 after RELOADING=1")
        self.assertTrue(self.secondary.sync_alive(), self.sync_log())
        return ready

    # The exchange, in order -----------------------------------------------------------------

    def test_1_ready_after_config_and_store(self):
        self.assertIsNotNone(self.ready, "no READY=1 within 30 s; got %r\n%s" % (
            self.notify.seen, self.sync_log()))
        status = status_of(self.ready[-1].split("\n"))
        self.assertIsNotNone(status, "READY=1 without STATUS=: %r" % self.ready[-1])
        m = re.search(r"replicating (\d+) secondary zones?", status)
        self.assertTrue(m and int(m.group(1)) == 1, status)
        # cname.test. was in the store before tidal-sync started; example.test. may already
        # have been transferred by then (READY=1 does not wait for primaries).
        m = re.search(r"(\d+) zones? in the store", status)
        self.assertIsNotNone(m, status)
        self.assertGreaterEqual(int(m.group(1)), 1, status)
        self.assertLessEqual(int(m.group(1)), 2, status)

    def test_2_watchdog_in_time(self):
        # Every WATCHDOG_USEC/2 = 0.2 s: five take about 1 s. The bounds leave room for a
        # loaded machine (sanitizers, parallel tests) but not for a missing or halved rate.
        started = time.monotonic()
        for _ in range(5):
            self.expect(lambda lines: "WATCHDOG=1" in lines, 1.0, "WATCHDOG=1 within 1 s")
        self.assertLess(time.monotonic() - started, 5 * WATCHDOG_USEC / 1e6)

    def test_3_status_follows_transfers(self):
        first = transfer.soa_serial(self.primary.port, ZONE)
        self.assertEqual(transfer.wait_for_serial(self.secondary.port, ZONE, first,
                                                  TRANSFER_TIMEOUT), first, self.sync_log())
        # The STATUS= of the first transfer may have come with READY=1 or before this test.
        statuses = [status_of(m.split("\n")) or "" for m in self.notify.seen]
        if not any("last transfer in: %s serial %d" % (ZONE, first) in s for s in statuses):
            self.expect_transfer_status(first)
        serial = self.edit_primary("notify-status.example.test.")
        status = self.expect_transfer_status(serial)
        self.assertEqual(transfer.soa_serial(self.secondary.port, ZONE), serial)
        self.assertEqual(self.zones_in_store(), 2)
        self.assertRegex(status, r"\b2 zones in the store\b")

    def test_4_reload_good_and_broken(self):
        with open(self.secondary.config_path) as f:
            good = f.read()
        ready = self.reload()
        status = status_of(ready)
        self.assertIsNotNone(status, ready)
        self.assertRegex(status, r"replicating 1 secondary zone\b")
        self.assertIn("reloaded %s" % self.secondary.config_path, self.sync_log())

        mark = self.secondary.sync.log_size()
        broken = good + "surprise: yes\n"
        bad_line = broken.count("\n")
        with open(self.secondary.config_path + ".new", "w") as f:
            f.write(broken)
        os.replace(self.secondary.config_path + ".new", self.secondary.config_path)
        try:
            self.reload()
            said = self.secondary.sync.log_since(mark)
            self.assertIn("reload refused", said)
            self.assertIn("%s:%d:" % (self.secondary.config_path, bad_line), said)
            # The old configuration still replicates.
            serial = self.edit_primary("after-broken-reload.example.test.")
            self.expect_transfer_status(serial)
        finally:
            with open(self.secondary.config_path, "w") as f:
                f.write(good)

    def test_5_stopping_and_exit_status(self):
        sync = self.secondary.sync
        sync.proc.send_signal(signal.SIGTERM)
        self.expect(lambda lines: "STOPPING=1" in lines, 10, "STOPPING=1")
        self.assertEqual(sync.proc.wait(timeout=15), 0, self.sync_log())


if __name__ == "__main__":
    main()
