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
- `systemd-analyze security` on the running system rates tidald.service 1.5 or lower;
- tidal-sync.service: ready with a STATUS= line, no capability, reloads, and keeps the watchdog
  fed (WatchdogSec=2s drop-in); the first placeholder binary, which said replication is not
  implemented and exited 1, is accepted as such;
- `systemctl stop` ends tidald with status 0; `dpkg -r` and `dpkg -P` remove it cleanly.

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
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, process  # noqa: E402

ENABLED = os.environ.get("TIDAL_SYSTEMD_BOOT_TEST") == "1"
ROOT_CACHE = os.environ.get("TIDAL_BOOT_ROOT_CACHE", "/var/tmp/tidal-boot-bookworm")
BUILD_DIR = os.environ.get("TIDAL_BOOT_BUILD_DIR", "/var/tmp/tidal-boot-build")
MIRROR = os.environ.get("TIDAL_BOOT_MIRROR", "http://deb.debian.org/debian")
BASE_PACKAGES = "systemd,systemd-sysv,dbus,bind9-dnsutils"
ZONE = "example.test."
ABSENT_ZONE = "absent.test."
MAX_EXPOSURE = 1.5
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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


def run(argv, timeout=600, env=None, cwd=None):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, env=env, cwd=cwd, stdin=subprocess.DEVNULL)


def describe(done):
    return "$ %s\nexit %d\n%s%s" % (" ".join(done.args), done.returncode, done.stdout,
                                    done.stderr)


def checked(argv, timeout=600, **kwargs):
    done = run(argv, timeout=timeout, **kwargs)
    if done.returncode != 0:
        raise AssertionError(describe(done))
    return done


def ensure_root_cache():
    """The debootstrapped root, made once. Raises with the reason when it cannot be made."""
    marker = os.path.join(ROOT_CACHE, ".tidal-complete")
    if os.path.exists(marker):
        return ROOT_CACHE
    if shutil.which("debootstrap") is None:
        raise AssertionError("debootstrap is missing (apt-get install debootstrap), and there "
                             "is no prepared root in %s" % ROOT_CACHE)
    partial = ROOT_CACHE + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    sys.stderr.write("debootstrap bookworm into %s (once)\n" % partial)
    checked(["debootstrap", "--variant=minbase", "--include=" + BASE_PACKAGES, "bookworm",
             partial, MIRROR], timeout=1800)
    shutil.rmtree(ROOT_CACHE, ignore_errors=True)
    os.rename(partial, ROOT_CACHE)
    open(marker, "w").close()
    return ROOT_CACHE


def ensure_package():
    """The .deb to test: TIDAL_BOOT_DEB, else a Release build of this tree packaged by CPack."""
    given = os.environ.get("TIDAL_BOOT_DEB")
    if given:
        if not os.path.isfile(given):
            raise AssertionError("TIDAL_BOOT_DEB=%s does not exist" % given)
        return given
    source = paths.SOURCE_DIR
    sys.stderr.write("Release build of %s in %s\n" % (source, BUILD_DIR))
    checked(["cmake", "-S", source, "-B", BUILD_DIR, "-DCMAKE_BUILD_TYPE=Release",
             "-DTIDAL_TESTS=OFF", "-DCMAKE_INSTALL_PREFIX=/usr"])
    checked(["cmake", "--build", BUILD_DIR, "-j", str(os.cpu_count() or 2)], timeout=3600)
    out = os.path.join(BUILD_DIR, "deb")
    shutil.rmtree(out, ignore_errors=True)
    checked(["cpack", "-G", "DEB", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"),
             "-B", out], timeout=1200)
    debs = [n for n in os.listdir(out) if n.endswith(".deb")]
    if len(debs) != 1:
        raise AssertionError("cpack made %r" % debs)
    return os.path.join(out, debs[0])


class Container:
    """A copy of the cached root, booted with systemd-nspawn; commands run in it via nsenter."""

    def __init__(self, workdir, name):
        self.workdir = workdir
        self.name = name
        self.root = os.path.join(workdir, "root")
        self.log_path = os.path.join(workdir, "nspawn.log")
        self.proc = None
        self.leader = None

    def nspawn(self, *extra):
        return ["systemd-nspawn", "--quiet", "--directory=" + self.root, "--register=no",
                "--keep-unit", "--machine=" + self.name] + list(extra)

    def prepare(self, cache, deb):
        checked(["cp", "-a", "--reflink=auto", cache, self.root], timeout=600)
        # The package's dependencies from the Debian archive, before booting (the booted
        # container has a private network with loopback only).
        depends = checked(["dpkg-deb", "-f", deb, "Depends"]).stdout.strip()
        for argv in (["apt-get", "update", "-q"],
                     ["apt-get", "satisfy", "-y", "-q", "--no-install-recommends", depends]):
            done = run(self.nspawn("--pipe", "--setenv=DEBIAN_FRONTEND=noninteractive",
                                   "--resolv-conf=copy-host") + argv, timeout=900)
            if done.returncode != 0:
                raise AssertionError("in the container: " + describe(done))
        shutil.copy(deb, os.path.join(self.root, "srv/tidal.deb"))
        shutil.copy(paths.zone_path("example.test.zone"),
                    os.path.join(self.root, "srv/example.test.zone"))

    def boot(self, timeout=120):
        self.proc = process.ManagedProcess(
            self.nspawn("--boot", "--private-network", "--console=pipe"), self.log_path)
        # The container's init is nspawn's child.
        deadline = time.monotonic() + timeout
        while self.leader is None and time.monotonic() < deadline:
            if not self.proc.alive():
                raise AssertionError("systemd-nspawn exited:\n" + self.proc.log_text())
            self.leader = self.find_leader()
            time.sleep(0.2)
        if self.leader is None:
            raise AssertionError("no init process under systemd-nspawn")
        # Until systemd inside has its private socket, systemctl cannot ask it anything.
        state = None
        while time.monotonic() < deadline:
            left = max(1.0, deadline - time.monotonic())
            state = self.run(["systemctl", "is-system-running", "--wait"], timeout=left)
            if state.stdout.strip() not in ("", "offline", "unknown"):
                break
            time.sleep(0.2)
        if state is None or state.stdout.strip() != "running":
            failed = self.run(["systemctl", "--failed", "--no-pager"])
            raise AssertionError("the container booted %r:\n%s" % (
                state.stdout.strip() if state else None, failed.stdout))

    def find_leader(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                children = f.read().split()
        except OSError:
            return None
        for child in children:
            try:
                with open("/proc/%s/comm" % child) as f:
                    if f.read().strip() == "systemd":
                        return int(child)
            except OSError:
                continue
        return None

    def run(self, argv, timeout=120):
        """argv inside the container, as root, with a clean environment."""
        return run(["nsenter", "--target", str(self.leader), "--all", "--",
                    "/usr/bin/env", "-i", "PATH=" + CONTAINER_PATH, "LANG=C.UTF-8",
                    "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"] + list(argv), timeout=timeout)

    def write(self, path, text):
        with open(os.path.join(self.root, path.lstrip("/")), "w") as f:
            f.write(text)

    def shutdown(self):
        if self.proc is None:
            return
        if self.leader is not None and self.proc.alive():
            run(["nsenter", "--target", str(self.leader), "--all", "--", "systemctl",
                 "poweroff"], timeout=30)
            process.wait_until(lambda: not self.proc.alive(), 60, interval=0.2)
        self.proc.stop(timeout=30)  # SIGTERM (nspawn halts the container), then SIGKILL


@unittest.skipUnless(ENABLED, "set TIDAL_SYSTEMD_BOOT_TEST=1 to boot the package under "
                     "systemd-nspawn (root, systemd-container, debootstrap or a prepared root)")
class SystemdBootTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("TIDAL_SYSTEMD_BOOT_TEST=1 needs root (systemd-nspawn)")
        for tool in ("systemd-nspawn", "nsenter", "dpkg-deb", "cp"):
            if shutil.which(tool) is None:
                raise AssertionError("%s is missing (systemd-container, util-linux)" % tool)
        cls.deb = ensure_package()
        cache = ensure_root_cache()
        cls.workdir = tempfile.mkdtemp(prefix="tidal-boot-", dir="/var/tmp")
        cls.keep = False
        cls.container = Container(cls.workdir, "tidal-boot-%d" % os.getpid())
        try:
            cls.container.prepare(cache, cls.deb)
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
        self.assertEqual(self.inside("systemctl", "is-enabled", "tidald.service").stdout.strip(),
                         "enabled")
        self.assertTrue(process.wait_until(
            lambda: self.inside("systemctl", "is-active", "tidald", ok=False).stdout.strip()
            == "active", 20, interval=0.2), self.inside("systemctl", "status", "tidald",
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

        # 8. tidal-sync.service: ready, no capability at all, reload, watchdog kept fed.
        cursor = self.cursor()
        self.inside("systemctl", "start", "tidal-sync", ok=False, timeout=60)
        time.sleep(1)
        state = self.show("tidal-sync", "ActiveState", "ExecMainStatus", "Result", "MainPID",
                          "StatusText")
        messages = " ".join(e.get("MESSAGE", "") for e in self.journal("tidal-sync", cursor))
        if "not implemented" in messages:
            # The placeholder of the first versions: it ran in its sandbox and said so.
            sys.stderr.write("tidal-sync: %s (replication not implemented yet)\n" % state)
            self.assertEqual(state["ExecMainStatus"], "1")
        else:
            self.assertEqual(state["ActiveState"], "active", messages)
            self.assertNotEqual(state["StatusText"], "", "tidal-sync sent no STATUS=")
            fields = dict(re.findall(r"^(\w+):\s*(.*)$", self.inside(
                "cat", "/proc/%s/status" % state["MainPID"]).stdout, re.M))
            self.assertEqual((int(fields["CapEff"], 16), int(fields["CapBnd"], 16)), (0, 0))
            self.assertEqual((fields["NoNewPrivs"], fields["Seccomp"]), ("1", "2"))
            self.inside("systemctl", "reload", "tidal-sync")
            self.assertEqual(self.show("tidal-sync", "ActiveState")["ActiveState"], "active")
            self.inside("mkdir", "-p", "/etc/systemd/system/tidal-sync.service.d")
            self.container.write("/etc/systemd/system/tidal-sync.service.d/watchdog.conf",
                                 "[Service]\nWatchdogSec=2s\n")
            self.inside("systemctl", "daemon-reload")
            self.inside("systemctl", "restart", "tidal-sync")
            first = self.show("tidal-sync", "MainPID", "NRestarts")
            time.sleep(6)
            later = self.show("tidal-sync", "MainPID", "NRestarts", "ActiveState")
            self.assertEqual((later["ActiveState"], later["MainPID"], later["NRestarts"]),
                             ("active", first["MainPID"], first["NRestarts"]),
                             "tidal-sync does not send WATCHDOG=1 within WatchdogSec")
            self.inside("rm", "-rf", "/etc/systemd/system/tidal-sync.service.d")
            self.inside("systemctl", "daemon-reload")
        self.inside("systemctl", "stop", "tidal-sync", ok=False)
        self.inside("systemctl", "reset-failed", "tidal-sync", ok=False)

        # 9. Stop, then remove and purge the package.
        self.inside("systemctl", "stop", "tidald")
        stopped = self.show("tidald", "ActiveState", "Result", "ExecMainStatus")
        self.assertEqual((stopped["ActiveState"], stopped["Result"], stopped["ExecMainStatus"]),
                         ("inactive", "success", "0"))
        self.inside("systemctl", "start", "tidald")
        self.wait_rcode(ZONE, "NOERROR")
        self.inside("rm", "-rf", "/etc/systemd/system/tidald.service.d")
        # Installing again (an upgrade): tidald restarted, the edited conffile kept.
        before = self.show("tidald", "MainPID")["MainPID"]
        self.inside("dpkg", "-i", "/srv/tidal.deb", timeout=300)
        after = self.show("tidald", "MainPID", "ActiveState")
        self.assertEqual(after["ActiveState"], "active")
        self.assertNotEqual(after["MainPID"], before, "an upgrade should restart tidald")
        self.assertIn(ABSENT_ZONE, self.inside("cat", "/etc/tidal/tidal.yaml").stdout)
        self.wait_rcode(ZONE, "NOERROR")
        self.inside("dpkg", "-r", "tidal", timeout=300)
        self.assertNotEqual(self.inside("systemctl", "is-active", "tidald", ok=False)
                            .stdout.strip(), "active")
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
