#!/usr/bin/python3
"""The Debian package under a real systemd: a Debian 12 root booted with systemd-nspawn
(issue 5, point 5). Optional: it runs only with TIDAL_SYSTEMD_BOOT_TEST=1, as root.

What it checks, inside the booted container (private network, loopback only):
- `dpkg -i` installs the package cleanly: the tidal user and directories exist, tidald.service is
  enabled, started, active, and no unit failed;
- tidald answers on port 53 (so CAP_NET_BIND_SERVICE works inside the sandbox), runs as tidal
  with only that capability, no new privileges and a seccomp filter;
- a zone imported with `sudo -u tidal tidalctl` is served; `systemctl reload` with a good file
  applies it; with a broken file it fails, the service stays active and keeps the old
  configuration; a SIGHUP with the broken file in place is refused by tidald itself, with the
  file:line in the journal;
- the journal holds tidald's own lines (SYSLOG_IDENTIFIER=tidald, priorities from spdlog);
- with WatchdogSec=2s (a drop-in) the service stays up: tidald sends WATCHDOG=1 in time;
- `systemd-analyze security` on the running system rates tidald.service and tidal-sync.service
  1.5 or lower;
- tidal-sync.service, enabled and started by the package as well: ready with a STATUS= line
  that counts the zones in the store, no capability at all, `systemctl reload` good (RELOADING=1,
  READY=1, "reloaded" in its journal) and broken (refused by ExecReload's check, the daemon
  untouched), and the watchdog kept fed (WatchdogSec=2s drop-in, no restart);
- `systemctl stop` ends tidal-sync and tidald with status 0; installing again restarts both;
  `dpkg -r` and `dpkg -P` remove it cleanly.
Containers and caches: tests/lib/nspawn.py.

Environment:
  TIDAL_SYSTEMD_BOOT_TEST=1   run at all
  TIDAL_BOOT_DEB=FILE         the package to test; default: a Release build of this source tree
                              in TIDAL_BOOT_BUILD_DIR (default /var/tmp/tidal-boot-build), made
                              with cmake and `cpack -G DEB` (minutes the first time)
  TIDAL_BOOT_ROOT_CACHE=DIR   the debootstrapped Debian 12 root, made once (needs the network to
                              TIDAL_BOOT_MIRROR, default http://deb.debian.org/debian) and copied
                              for each run; default /var/tmp/tidal-boot-bookworm
The first run (debootstrap, Release build) takes longer than ctest's 600 s limit on a small
machine: run this file by hand once, then ctest reuses both caches.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import nspawn, paths, process  # noqa: E402
from lib.nspawn import describe  # noqa: E402

ENABLED = os.environ.get("TIDAL_SYSTEMD_BOOT_TEST") == "1"
ZONE = "example.test."
ABSENT_ZONE = "absent.test."
MAX_EXPOSURE = 1.5

GOOD_CONFIG = """\
database: /var/lib/tidal/tidal.db
control: /run/tidal/control.sock
log: {level: info, target: auto}
server:
  listen: ["0.0.0.0:53", "[::]:53"]
  workers: 2
zones:
  - {name: example.test., role: primary}
  - {name: absent.test., role: primary}
"""
BROKEN_CONFIG = GOOD_CONFIG + "surprise: yes\n"  # an unknown key on line 10


@unittest.skipUnless(ENABLED, "set TIDAL_SYSTEMD_BOOT_TEST=1 to boot the package under "
                     "systemd-nspawn (root, systemd-container, debootstrap or a prepared root)")
class SystemdBootTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = nspawn.missing_tools()
        if missing:
            raise AssertionError("TIDAL_SYSTEMD_BOOT_TEST=1 needs: %s (systemd-container, "
                                 "util-linux, dpkg)" % ", ".join(missing))
        cls.deb = nspawn.ensure_package()
        cache = nspawn.ensure_root_cache()
        cls.workdir = tempfile.mkdtemp(prefix="tidal-boot-", dir="/var/tmp")
        cls.keep = False
        root = os.path.join(cls.workdir, "root")
        name = "tidal-boot-%d" % os.getpid()
        cls.container = nspawn.Container(root, name, os.path.join(cls.workdir, "nspawn.log"))
        try:
            nspawn.prepare_root(cache, cls.deb, root, name)
            shutil.copy(cls.deb, os.path.join(root, "srv/tidal.deb"))
            shutil.copy(paths.zone_path("example.test.zone"),
                        os.path.join(root, "srv/example.test.zone"))
            cls.container.boot()
        except BaseException:
            cls.container.shutdown()
            sys.stderr.write("kept for inspection: %s\n" % cls.workdir)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.container.shutdown()
        if cls.keep or os.environ.get("TIDAL_KEEP_TMP"):
            sys.stderr.write("container kept in %s\n" % cls.workdir)
        else:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)) if result is not None else 0
        out = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            type(self).keep = True
            journal = self.container.run(["journalctl", "-b", "--no-pager", "-n", "200"])
            sys.stderr.write("\n----- container journal -----\n%s\n" % journal.stdout)
        return out

    # Helpers ------------------------------------------------------------------------------

    def inside(self, *argv, ok=True, timeout=120):
        done = self.container.run(list(argv), timeout=timeout)
        if ok:
            self.assertEqual(done.returncode, 0, describe(done))
        return done

    def show(self, unit, *props):
        out = self.inside("systemctl", "show", unit, "-p", ",".join(props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def dig(self, name, rtype="SOA", server="127.0.0.1"):
        done = self.inside("dig", "@" + server, "+norec", "+tries=1", "+time=2", name, rtype,
                           ok=False)
        m = re.search(r"status: (\w+)", done.stdout)
        return (m.group(1) if m else None), done

    def wait_rcode(self, name, rcode, timeout=10, server="127.0.0.1"):
        got = process.wait_until(lambda: self.dig(name, server=server)[0] == rcode, timeout,
                                 interval=0.2)
        self.assertTrue(got, "%s SOA @%s: wanted %s, got %s" % (name, server, rcode,
                                                                self.dig(name, server=server)))

    def journal(self, unit, since_cursor=None):
        argv = ["journalctl", "-u", unit, "-o", "json", "--no-pager"]
        if since_cursor:
            argv += ["--after-cursor", since_cursor]
        return [json.loads(line) for line in self.inside(*argv).stdout.splitlines() if line]

    def cursor(self):
        entries = self.inside("journalctl", "-n", "1", "-o", "json", "--no-pager").stdout
        lines = [l for l in entries.splitlines() if l]
        return json.loads(lines[-1])["__CURSOR"] if lines else None

    # The scenario, in order -----------------------------------------------------------------

    def test_package_lifecycle(self):
        # 1. Installation starts tidald.
        self.inside("dpkg", "-i", "/srv/tidal.deb", timeout=300)
        for unit in ("tidald", "tidal-sync"):
            self.assertEqual(self.inside("systemctl", "is-enabled", unit + ".service")
                             .stdout.strip(), "enabled", unit)
            self.assertTrue(process.wait_until(
                lambda: self.inside("systemctl", "is-active", unit, ok=False).stdout.strip()
                == "active", 20, interval=0.2), self.inside("systemctl", "status", unit,
                                                            ok=False).stdout)
        failed = self.inside("systemctl", "list-units", "--failed", "--plain", "--no-legend")
        self.assertEqual(failed.stdout.strip(), "", "units failed after dpkg -i")
        passwd = self.inside("getent", "passwd", "tidal").stdout.split(":")
        self.assertEqual(passwd[5], "/var/lib/tidal")
        stat = self.inside("stat", "-c", "%U:%G %a", "/var/lib/tidal", "/etc/tidal/tidal.yaml")
        self.assertEqual(stat.stdout.split("\n")[:2], ["tidal:tidal 750", "root:tidal 640"])
        status = self.show("tidald", "StatusText", "MainPID")
        self.assertRegex(status["StatusText"], r"^serving \d+ zones?$")

        # 2. The sandboxed process: tidal, CAP_NET_BIND_SERVICE only, no_new_privs, seccomp.
        pid = status["MainPID"]
        proc_status = self.inside("cat", "/proc/%s/status" % pid).stdout
        fields = dict(re.findall(r"^(\w+):\s*(.*)$", proc_status, re.M))
        uid = self.inside("id", "-u", "tidal").stdout.strip()
        self.assertEqual(fields["Uid"].split()[0], uid)
        self.assertEqual(int(fields["CapEff"], 16), 1 << 10, "only CAP_NET_BIND_SERVICE (10)")
        self.assertEqual(int(fields["CapBnd"], 16), 1 << 10)
        self.assertEqual(fields["NoNewPrivs"], "1")
        self.assertEqual(fields["Seccomp"], "2")

        # 3. Port 53 answers; no zone yet: REFUSED. A zone imported as the tidal user is served.
        self.wait_rcode(ZONE, "REFUSED")
        self.inside("runuser", "-u", "tidal", "--", "tidalctl", "zone", "import",
                    "/srv/example.test.zone", "--origin", ZONE)
        self.wait_rcode(ZONE, "NOERROR")
        self.wait_rcode(ZONE, "NOERROR", server="::1")
        rcode, done = self.dig("www.example.test.", "A")
        self.assertIn("192.0.2.80", done.stdout)
        self.assertRegex(done.stdout, r"flags:[^;]* aa")

        # 4. systemctl reload with a good file: absent.test. is now configured (SERVFAIL).
        self.assertEqual(self.dig(ABSENT_ZONE)[0], "REFUSED")
        self.container.write("/etc/tidal/tidal.yaml", GOOD_CONFIG)
        cursor = self.cursor()
        self.inside("systemctl", "reload", "tidald")
        self.wait_rcode(ABSENT_ZONE, "SERVFAIL")
        messages = [e.get("MESSAGE", "") for e in self.journal("tidald", cursor)]
        self.assertTrue(any(m.startswith("reloaded /etc/tidal/tidal.yaml") for m in messages),
                        messages)

        # 5. A broken file: systemctl reload fails, the old configuration keeps serving.
        self.container.write("/etc/tidal/tidal.yaml", BROKEN_CONFIG)
        done = self.inside("systemctl", "reload", "tidald", ok=False)
        self.assertNotEqual(done.returncode, 0, "reload with a broken file succeeded")
        self.assertEqual(self.inside("systemctl", "is-active", "tidald").stdout.strip(),
                         "active")
        self.assertEqual(self.dig(ZONE)[0], "NOERROR")
        self.assertEqual(self.dig(ABSENT_ZONE)[0], "SERVFAIL")
        # The same file by SIGHUP alone: tidald refuses it and says where, at priority error.
        cursor = self.cursor()
        self.inside("systemctl", "kill", "-s", "HUP", "--kill-who=main", "tidald")
        entry = None
        for _ in range(50):
            entries = [e for e in self.journal("tidald", cursor)
                       if "reload failed" in e.get("MESSAGE", "")]
            if entries:
                entry = entries[0]
                break
            time.sleep(0.2)
        self.assertIsNotNone(entry, "no 'reload failed' in the journal after SIGHUP")
        self.assertIn("/etc/tidal/tidal.yaml:10:", entry["MESSAGE"])
        self.assertEqual(entry.get("SYSLOG_IDENTIFIER"), "tidald")
        self.assertEqual(entry.get("PRIORITY"), "3")
        self.assertEqual(entry.get("_PID"), pid)
        self.assertEqual(self.inside("systemctl", "is-active", "tidald").stdout.strip(),
                         "active")
        self.assertEqual(self.dig(ABSENT_ZONE)[0], "SERVFAIL")
        self.container.write("/etc/tidal/tidal.yaml", GOOD_CONFIG)

        # 6. The watchdog: WatchdogSec=2s, tidald pings every second; no restart in 6 s.
        self.inside("mkdir", "-p", "/etc/systemd/system/tidald.service.d")
        self.container.write("/etc/systemd/system/tidald.service.d/watchdog.conf",
                             "[Service]\nWatchdogSec=2s\n")
        self.inside("systemctl", "daemon-reload")
        self.inside("systemctl", "restart", "tidald")
        first = self.show("tidald", "WatchdogTimestampMonotonic", "MainPID", "NRestarts")
        time.sleep(6)
        later = self.show("tidald", "WatchdogTimestampMonotonic", "MainPID", "NRestarts",
                          "ActiveState", "WatchdogUSec")
        self.assertEqual(later["WatchdogUSec"], "2s")
        self.assertEqual(later["ActiveState"], "active")
        self.assertEqual((later["MainPID"], later["NRestarts"]),
                         (first["MainPID"], first["NRestarts"]), "the watchdog restarted tidald")
        self.assertGreater(int(later["WatchdogTimestampMonotonic"]),
                           int(first["WatchdogTimestampMonotonic"]))
        self.wait_rcode(ZONE, "NOERROR")

        # 7. The running system's own security rating.
        done = self.inside("systemd-analyze", "security", "--no-pager", "tidald.service")
        m = re.search(r"Overall exposure level for tidald\.service: (\d+\.\d)", done.stdout)
        self.assertIsNotNone(m, done.stdout)
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE, done.stdout)
        sys.stderr.write("booted: tidald.service exposure %s\n" % m.group(1))

        # 8. tidal-sync.service: ready (after reading the store: it counts the zone imported
        # above), no capability at all, reload good and broken, watchdog kept fed.
        self.inside("systemctl", "restart", "tidal-sync", timeout=60)
        state = self.show("tidal-sync", "ActiveState", "SubState", "MainPID", "StatusText",
                          "Type", "NotifyAccess")
        self.assertEqual((state["ActiveState"], state["SubState"]), ("active", "running"),
                         self.inside("systemctl", "status", "tidal-sync", ok=False).stdout)
        self.assertEqual((state["Type"], state["NotifyAccess"]), ("notify", "main"))
        self.assertRegex(state["StatusText"],
                         r"^replicating 0 secondary zones, notifying for 0 zones; "
                         r"1 zone in the store")
        fields = dict(re.findall(r"^(\w+):\s*(.*)$", self.inside(
            "cat", "/proc/%s/status" % state["MainPID"]).stdout, re.M))
        self.assertEqual(fields["Uid"].split()[0], uid)
        self.assertEqual((int(fields["CapEff"], 16), int(fields["CapBnd"], 16)), (0, 0))
        self.assertEqual((fields["NoNewPrivs"], fields["Seccomp"]), ("1", "2"))
        # Its journal: own identifier, the ready line.
        cursor = self.cursor()
        self.inside("systemctl", "reload", "tidal-sync")
        entry = None
        for _ in range(50):
            found = [e for e in self.journal("tidal-sync", cursor)
                     if e.get("MESSAGE", "").startswith("reloaded /etc/tidal/tidal.yaml")]
            if found:
                entry = found[0]
                break
            time.sleep(0.2)
        self.assertIsNotNone(entry, "no 'reloaded' line from tidal-sync after systemctl reload")
        self.assertEqual(entry.get("SYSLOG_IDENTIFIER"), "tidal-sync")
        self.assertEqual(entry.get("_PID"), state["MainPID"])
        after = self.show("tidal-sync", "ActiveState", "MainPID", "StatusText")
        self.assertEqual((after["ActiveState"], after["MainPID"]), ("active", state["MainPID"]))
        self.assertNotEqual(after["StatusText"], "reloading", "no READY=1 after the reload")
        # A broken file: ExecReload's check fails, the daemon keeps its configuration.
        self.container.write("/etc/tidal/tidal.yaml", BROKEN_CONFIG)
        done = self.inside("systemctl", "reload", "tidal-sync", ok=False)
        self.assertNotEqual(done.returncode, 0, "tidal-sync reload with a broken file succeeded")
        self.assertEqual(self.show("tidal-sync", "ActiveState", "MainPID"),
                         {"ActiveState": "active", "MainPID": state["MainPID"]})
        self.container.write("/etc/tidal/tidal.yaml", GOOD_CONFIG)
        # The watchdog: WatchdogSec=2s, no restart in 6 s, keep-alives seen by systemd.
        self.inside("mkdir", "-p", "/etc/systemd/system/tidal-sync.service.d")
        self.container.write("/etc/systemd/system/tidal-sync.service.d/watchdog.conf",
                             "[Service]\nWatchdogSec=2s\n")
        self.inside("systemctl", "daemon-reload")
        self.inside("systemctl", "restart", "tidal-sync")
        first = self.show("tidal-sync", "MainPID", "NRestarts", "WatchdogTimestampMonotonic")
        time.sleep(6)
        later = self.show("tidal-sync", "MainPID", "NRestarts", "ActiveState", "WatchdogUSec",
                          "WatchdogTimestampMonotonic")
        self.assertEqual(later["WatchdogUSec"], "2s")
        self.assertEqual((later["ActiveState"], later["MainPID"], later["NRestarts"]),
                         ("active", first["MainPID"], first["NRestarts"]),
                         "tidal-sync does not send WATCHDOG=1 within WatchdogSec")
        self.assertGreater(int(later["WatchdogTimestampMonotonic"]),
                           int(first["WatchdogTimestampMonotonic"]))
        self.inside("rm", "-rf", "/etc/systemd/system/tidal-sync.service.d")
        self.inside("systemctl", "daemon-reload")
        done = self.inside("systemd-analyze", "security", "--no-pager", "tidal-sync.service")
        m = re.search(r"Overall exposure level for tidal-sync\.service: (\d+\.\d)", done.stdout)
        self.assertIsNotNone(m, done.stdout)
        self.assertLessEqual(float(m.group(1)), MAX_EXPOSURE, done.stdout)
        sys.stderr.write("booted: tidal-sync.service exposure %s\n" % m.group(1))
        # SIGTERM: a clean stop, status 0.
        self.inside("systemctl", "stop", "tidal-sync")
        stopped = self.show("tidal-sync", "ActiveState", "Result", "ExecMainStatus")
        self.assertEqual((stopped["ActiveState"], stopped["Result"], stopped["ExecMainStatus"]),
                         ("inactive", "success", "0"))
        self.inside("systemctl", "start", "tidal-sync")

        # 9. Stop, then remove and purge the package.
        self.inside("systemctl", "stop", "tidald")
        stopped = self.show("tidald", "ActiveState", "Result", "ExecMainStatus")
        self.assertEqual((stopped["ActiveState"], stopped["Result"], stopped["ExecMainStatus"]),
                         ("inactive", "success", "0"))
        self.inside("systemctl", "start", "tidald")
        self.wait_rcode(ZONE, "NOERROR")
        self.inside("rm", "-rf", "/etc/systemd/system/tidald.service.d")
        # Installing again (an upgrade): tidald restarted, the edited conffile kept.
        before = {u: self.show(u, "MainPID")["MainPID"] for u in ("tidald", "tidal-sync")}
        self.inside("dpkg", "-i", "/srv/tidal.deb", timeout=300)
        for unit in ("tidald", "tidal-sync"):
            after = self.show(unit, "MainPID", "ActiveState")
            self.assertEqual(after["ActiveState"], "active", unit)
            self.assertNotEqual(after["MainPID"], before[unit], "an upgrade should restart " + unit)
        self.assertIn(ABSENT_ZONE, self.inside("cat", "/etc/tidal/tidal.yaml").stdout)
        self.wait_rcode(ZONE, "NOERROR")
        self.inside("dpkg", "-r", "tidal", timeout=300)
        for unit in ("tidald", "tidal-sync"):
            self.assertNotEqual(self.inside("systemctl", "is-active", unit, ok=False)
                                .stdout.strip(), "active", unit)
        self.assertIsNone(self.dig(ZONE)[0], "something still answers after dpkg -r")
        self.inside("dpkg", "-P", "tidal", timeout=300)
        # The zone store is the operator's data: a purge keeps it.
        self.inside("test", "-s", "/var/lib/tidal/tidal.db")
        self.assertNotEqual(self.inside("dpkg-statoverride", "--list", "/etc/tidal/tidal.yaml",
                                        ok=False).returncode, 0, "statoverride left behind")
        failed = self.inside("systemctl", "list-units", "--failed", "--plain", "--no-legend")
        self.assertEqual(failed.stdout.strip(), "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
