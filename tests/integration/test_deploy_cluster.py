#!/usr/bin/python3
"""docs/deploy.md section 4 followed literally on three Debian 12 hosts under a real systemd
(issue 5, "done means"): ns1 (primary), ns2 and ns3 (secondaries), each a systemd-nspawn container
booted from a copy of the boot test's cached root, on one private network: a host bridge the test
creates (192.0.2.0/24 inside the containers, no address on the host side, nothing else on it). Optional: it runs only with
TIDAL_SYSTEMD_BOOT_TEST=1, as root, and uses the same caches and package as
test_systemd_boot.py (TIDAL_BOOT_DEB, TIDAL_BOOT_ROOT_CACHE, TIDAL_BOOT_BUILD_DIR).

The configuration files are the YAML blocks of deploy.md section 4, with the placeholder secrets
replaced by the ones step 2 made; every command the test types is first looked up in deploy.md
(it fails if the doc no longer shows it). The walkthrough:
1. `apt install ./tidal_*.deb` on every host: tidald and tidal-sync active, REFUSED for the zone;
2. one TSIG secret per key made with the doc's command;
3. the doc's tidal.yaml on each host, `tidald --check-config && systemctl reload tidald
   tidal-sync`: the secondaries answer SERVFAIL (configured, no data yet);
4. the zone imported on ns1 as the tidal user;
5. without anything else, ns1 NOTIFYs ns2 and ns3, which transfer it: the three serve one serial,
   tidal-sync's STATUS= and journal say so; `systemctl enable tidal.target`;
6. AXFR from ns2 refused without the key, served with it;
7. `tidalctl record add` + `tidalctl wait` on ns1: when wait returns, ns3 answers the new record;
   `tidalctl status` on ns1 shows both secondaries in step, on ns2 the freshness;
8. nsupdate signed with the editor key sent to ns2 is forwarded to ns1 and reaches ns3;
9. `systemctl restart tidal.target` on a secondary: it comes back serving the same serial;
   the zone store backup command of section 5 makes a copy that tidalctl can read.
Everything it creates (three roots in /var/tmp, the bridge; nspawn's veths go with the containers)
is removed afterwards; the containers are stopped by the pid of their own systemd-nspawn.
"""

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
DOC = os.path.join(paths.SOURCE_DIR, "docs", "deploy.md")
HOSTS = {"ns1": "192.0.2.1", "ns2": "192.0.2.2", "ns3": "192.0.2.3"}
ZONE = "example.com."
# The placeholders deploy.md shows for the secrets step 2 makes.
PLACEHOLDERS = {"transfer": "3q2+7w...=", "editor": "kX9v4Q...="}
# Packages beyond the .deb's dependencies that the doc's commands use: sudo, sqlite3 (backup).
EXTRA_PACKAGES = ("sudo", "sqlite3")
ZONE_TEXT = """\
$ORIGIN example.com.
$TTL 3600
@    IN SOA ns1.example.com. hostmaster.example.com. 2024010101 3600 600 604800 300
@    IN NS  ns1.example.com.
@    IN NS  ns2.example.com.
@    IN NS  ns3.example.com.
ns1  IN A   192.0.2.1
ns2  IN A   192.0.2.2
ns3  IN A   192.0.2.3
@    IN A   192.0.2.10
"""
CONVERGE_TIMEOUT = 30.0


def doc_text():
    with open(DOC) as f:
        return f.read()


def section(text, number):
    """The text of `## N.` up to the next `## ` heading."""
    m = re.search(r"^## %d\..*?(?=^## |\Z)" % number, text, re.M | re.S)
    if m is None:
        raise AssertionError("%s has no section %d" % (DOC, number))
    return m.group(0)


@unittest.skipUnless(ENABLED, "set TIDAL_SYSTEMD_BOOT_TEST=1 to walk through docs/deploy.md on "
                     "three systemd-nspawn containers (root, systemd-container, debootstrap)")
class DeployCluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        missing = nspawn.missing_tools() + [t for t in ("ip", "bridge")
                                            if shutil.which(t) is None]
        if missing:
            raise AssertionError("TIDAL_SYSTEMD_BOOT_TEST=1 needs: %s" % ", ".join(missing))
        cls.doc = doc_text()
        cls.walkthrough = section(cls.doc, 4)
        cls.deb = nspawn.ensure_package()
        cache = nspawn.ensure_root_cache()
        cls.workdir = tempfile.mkdtemp(prefix="tidal-deploy-", dir="/var/tmp")
        cls.keep = False
        tag = "%d" % (os.getpid() % 100000)
        cls.bridge = None
        cls.hosts = {}
        started = time.monotonic()
        try:
            base = os.path.join(cls.workdir, "base")
            nspawn.prepare_root(cache, cls.deb, base, "tidal-deploy-base-" + tag, EXTRA_PACKAGES)
            shutil.copy(cls.deb, os.path.join(base, "srv", os.path.basename(cls.deb)))
            with open(os.path.join(base, "srv/example.com.zone"), "w") as f:
                f.write(ZONE_TEXT)
            for host in HOSTS:
                root = os.path.join(cls.workdir, host)
                nspawn.checked(["cp", "-a", "--reflink=auto", base, root], timeout=600)
                with open(os.path.join(root, "etc/hostname"), "w") as f:
                    f.write(host + "\n")
                with open(os.path.join(root, "etc/machine-id"), "w") as f:
                    f.write(os.urandom(16).hex() + "\n")  # three hosts, not one cloned three times
            shutil.rmtree(base)
            # Our own bridge, made before any container starts (several nspawns creating one
            # --network-zone bridge at once race), forwarding at once (no STP, no forward
            # delay), and with the host kept off it: no ARP, no IPv6 on the bridge device. The
            # host may itself have an address in 192.0.2.0/24 (a test network, used by sandboxes
            # too), and it would answer the containers' ARP requests for it.
            bridge = "tdlbr" + tag
            nspawn.checked(["ip", "link", "add", "name", bridge, "type", "bridge",
                            "stp_state", "0", "forward_delay", "0"])
            cls.bridge = bridge
            with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % bridge, "w") as f:
                f.write("1\n")
            nspawn.checked(["ip", "link", "set", bridge, "arp", "off", "up"])
            for host in HOSTS:
                cls.hosts[host] = nspawn.Container(
                    os.path.join(cls.workdir, host), "tidal-%s-%s" % (host, tag),
                    os.path.join(cls.workdir, host + ".log"),
                    network=["--network-bridge=" + bridge])
            for container in cls.hosts.values():
                container.start()
            for container in cls.hosts.values():
                container.wait_booted()
            for host, address in HOSTS.items():
                c = cls.hosts[host]
                for argv in (["ip", "addr", "add", address + "/24", "dev", "host0"],
                             ["ip", "link", "set", "host0", "up"]):
                    done = c.host_net(argv)
                    if done.returncode != 0:
                        raise AssertionError("%s: %s" % (host, describe(done)))
            # Each host's port on the bridge (up once the container's host0 is).
            ports = None
            for _ in range(50):
                ports = nspawn.checked(["bridge", "link", "show", "master", bridge]).stdout
                if ports.count("state forwarding") == len(HOSTS):
                    break
                time.sleep(0.1)
            else:
                raise AssertionError("bridge %s ports:\n%s" % (bridge, ports))
            sys.stderr.write("three containers prepared and booted in %.0f s\n" %
                             (time.monotonic() - started))
        except BaseException:
            cls.teardown_all(keep=True)
            raise

    @classmethod
    def teardown_all(cls, keep):
        for container in cls.hosts.values():
            container.poweroff()  # all three at once, then wait for each
        for container in cls.hosts.values():
            container.shutdown()
        if cls.bridge is not None:
            nspawn.run(["ip", "link", "del", cls.bridge])
        if keep or os.environ.get("TIDAL_KEEP_TMP"):
            sys.stderr.write("containers kept in %s\n" % cls.workdir)
        else:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls.teardown_all(cls.keep)

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)) if result is not None else 0
        out = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            type(self).keep = True
            for host, c in self.hosts.items():
                journal = c.run(["journalctl", "-b", "--no-pager", "-n", "80", "-u", "tidald",
                                 "-u", "tidal-sync"])
                sys.stderr.write("\n----- %s journal -----\n%s\n" % (host, journal.stdout))
        return out

    # Helpers ------------------------------------------------------------------------------

    def documented(self, command):
        """command, after checking that deploy.md shows it (secrets as their placeholders)."""
        shown = command
        for key, placeholder in PLACEHOLDERS.items():
            shown = shown.replace(self.secrets.get(key, placeholder), placeholder)
        self.assertIn(shown, self.doc, "deploy.md does not show: %s" % shown)
        return command

    def on(self, host, command, ok=True, timeout=120):
        """A documented shell command on host, as the operator types it."""
        done = self.hosts[host].sh(self.documented(command), timeout=timeout)
        if ok:
            self.assertEqual(done.returncode, 0, "%s: %s" % (host, describe(done)))
        return done

    def quietly(self, host, command, timeout=60):
        """A command of the test's own (not from the doc)."""
        return self.hosts[host].sh(command, timeout=timeout)

    def serial_at(self, host, server):
        done = self.quietly(host, "dig @%s %s SOA +short +norec +time=1 +tries=1" %
                            (server, ZONE))
        fields = done.stdout.split()
        return int(fields[2]) if done.returncode == 0 and len(fields) >= 3 and \
            fields[2].isdigit() else None

    def rcode_at(self, host, server):
        done = self.quietly(host, "dig @%s %s SOA +norec +time=1 +tries=1" % (server, ZONE))
        m = re.search(r"status: (\w+)", done.stdout)
        return m.group(1) if m else None

    def wait_all_serve(self, serial, timeout=CONVERGE_TIMEOUT):
        seen = {}

        def all_there():
            for host, address in HOSTS.items():
                seen[host] = self.serial_at("ns1", address)
            return all(s == serial for s in seen.values())

        self.assertTrue(process.wait_until(all_there, timeout, interval=0.3),
                        "after %.0f s the hosts serve %r, not all %s" % (timeout, seen, serial))

    def network_state(self):
        """What the hosts and the bridge know of each other, for a failure message."""
        lines = [nspawn.run(["bridge", "link", "show", "master", self.bridge]).stdout,
                 nspawn.run(["bridge", "fdb", "show", "br", self.bridge]).stdout]
        for host, c in self.hosts.items():
            for argv in (["ip", "-br", "addr"], ["ip", "neigh"], ["ip", "-s", "link", "show",
                                                                  "host0"]):
                done = c.host_net(argv)
                lines.append("%s$ %s\n%s%s" % (host, " ".join(argv), done.stdout, done.stderr))
        return "\n".join(lines)

    def show(self, host, unit, *props):
        out = self.quietly(host, "systemctl show %s -p %s" % (unit, ",".join(props))).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def write_config(self, host, text):
        # As an editor would: the file keeps its owner and mode (root:tidal 0640).
        with open(os.path.join(self.hosts[host].root, "etc/tidal/tidal.yaml"), "w") as f:
            f.write(text)

    # The walkthrough, in order ----------------------------------------------------------------

    def test_walkthrough(self):
        t0 = time.monotonic()
        self.secrets = {}
        deb = os.path.basename(self.deb)
        # Step 1: the package on every host.
        install = self.documented("sudo apt install ./tidal_0.1.0_amd64.deb")
        for host in HOSTS:
            # The package built here (its version in the name); -y: no terminal to answer on.
            done = self.hosts[host].sh("cd /srv && " + install.replace(
                "./tidal_0.1.0_amd64.deb", "-y -q ./" + deb), timeout=300)
            self.assertEqual(done.returncode, 0, describe(done))
            for unit in ("tidald", "tidal-sync"):
                self.assertTrue(process.wait_until(
                    lambda: self.quietly(host, "systemctl is-active " + unit).stdout.strip()
                    == "active", 20, interval=0.2), "%s: %s not active" % (host, unit))
            self.on(host, "systemctl status tidald")
            self.assertEqual(self.rcode_at(host, "127.0.0.1"), "REFUSED")

        # The network between the hosts, every way round, before anything depends on it.
        started = time.monotonic()
        for host in HOSTS:
            for other, address in HOSTS.items():
                if other != host and not process.wait_until(
                        lambda: self.rcode_at(host, address) == "REFUSED", 60, interval=0.2):
                    self.fail("%s cannot reach %s (%s):\n%s" % (
                        host, other, address, self.network_state()))
        sys.stderr.write("network: every host reaches the others (%.1f s)\n" %
                         (time.monotonic() - started))

        # Step 2: the secrets.
        for key in PLACEHOLDERS:
            done = self.on("ns1", "head -c 32 /dev/urandom | base64")
            self.secrets[key] = done.stdout.strip()
            self.assertRegex(self.secrets[key], r"^[A-Za-z0-9+/]{43}=$")

        # Step 3: the configuration files of the doc, then check and reload.
        blocks = re.findall(r"```yaml\n(.*?)```", self.walkthrough, re.S)
        self.assertEqual(len(blocks), 2, "section 4 should show ns1's file, then ns2's/ns3's")
        configs = []
        for block in blocks:
            for key, placeholder in PLACEHOLDERS.items():
                block = block.replace(placeholder, self.secrets[key])
            configs.append(block)
        self.assertIn(self.secrets["transfer"], configs[1])
        for host in HOSTS:
            self.write_config(host, configs[0] if host == "ns1" else configs[1])
            self.on(host, "sudo tidald --check-config && sudo systemctl reload tidald tidal-sync")
            self.assertEqual(self.quietly(host, "stat -c '%U:%G %a' /etc/tidal/tidal.yaml")
                             .stdout.strip(), "root:tidal 640")
        for host in ("ns2", "ns3"):
            self.assertTrue(process.wait_until(
                lambda: self.rcode_at(host, "127.0.0.1") == "SERVFAIL", 10, interval=0.2),
                "%s: a configured secondary zone without data should answer SERVFAIL" % host)

        # Step 4: the zone on the primary.
        self.on("ns1", "sudo -u tidal tidalctl zone import /srv/example.com.zone "
                "--origin example.com.")
        first = int(self.on("ns1", "dig @192.0.2.1 example.com SOA +short").stdout.split()[2])
        self.assertEqual(first, 2024010101)

        # Step 5: replication by NOTIFY, with nothing else to do.
        started = time.monotonic()
        self.wait_all_serve(first)
        sys.stderr.write("first transfer to both secondaries: %.1f s after the import\n" %
                         (time.monotonic() - started))
        for host in ("ns2", "ns3"):
            status = self.show(host, "tidal-sync", "StatusText")["StatusText"]
            self.assertRegex(status, r"^replicating 1 secondary zone, .*1 zone in the store; "
                             r"last transfer in: example\.com\. serial %d" % first)
            log = self.on(host, "journalctl -u tidal-sync").stdout
            self.assertRegex(log, r"example\.com\.")
        sent = self.on("ns1", "journalctl -u tidal-sync").stdout
        for secondary in ("ns2", "ns3"):
            self.assertIn("NOTIFY for example.com. sent to %s" % secondary, sent)
        self.on("ns1", "systemctl status tidal-sync")
        for host in HOSTS:
            self.on(host, "sudo systemctl enable --now tidal.target")
            self.assertEqual(self.quietly(host, "systemctl is-enabled tidal.target")
                             .stdout.strip(), "enabled")

        # Step 6: transfers only for the secondaries, with the key.
        done = self.on("ns2", "dig @192.0.2.1 example.com AXFR", ok=False)
        self.assertIn("Transfer failed", done.stdout)
        done = self.on("ns2", "dig @192.0.2.1 example.com AXFR -y hmac-sha256:transfer:%s" %
                       self.secrets["transfer"])
        self.assertRegex(done.stdout, r"ns3\.example\.com\.\s+\d+\s+IN\s+A\s+192\.0\.2\.3")
        self.assertIn("TSIG", done.stdout)
        said = self.on("ns1", "journalctl -u tidald | grep AXFR").stdout
        self.assertIn("refused", said)

        # Step 7: an edit on ns1, wait, then ns3 answers it.
        done = self.on("ns1", "for ns in 192.0.2.1 192.0.2.2 192.0.2.3; do dig @$ns "
                       "example.com SOA +short; done")
        self.assertEqual(len(set(l.split()[2] for l in done.stdout.splitlines())), 1,
                         done.stdout)
        self.on("ns1", "sudo -u tidal tidalctl record add www.example.com. 300 A 192.0.2.80")
        started = time.monotonic()
        self.on("ns1", "sudo -u tidal tidalctl wait example.com. --timeout 10s")
        sys.stderr.write("tidalctl wait after record add: %.2f s\n" %
                         (time.monotonic() - started))
        done = self.on("ns1", "dig @192.0.2.3 www.example.com A +short")
        self.assertEqual(done.stdout.strip(), "192.0.2.80")
        second = self.serial_at("ns1", "192.0.2.1")
        self.assertEqual(self.serial_at("ns1", "192.0.2.2"), second)
        status = self.on("ns1", "sudo -u tidal tidalctl status example.com.").stdout
        for secondary, address in (("ns2", HOSTS["ns2"]), ("ns3", HOSTS["ns3"])):
            self.assertRegex(status, r"secondary %s \(%s:53\): serves %d, in step" % (
                secondary, re.escape(address), second), status)
        status = self.on("ns2", "sudo -u tidal tidalctl status example.com.").stdout
        self.assertRegex(status, r"primary ns1 serial %d \(in step\)" % second, status)
        self.assertIn("fresh", status)

        # Step 8: nsupdate with the editor key, sent to a secondary, forwarded to ns1.
        script = ("server 192.0.2.2\nzone example.com.\n"
                  "update add mail.example.com. 300 A 192.0.2.25\nsend\n")
        self.assertIn(script, self.walkthrough)
        command = "nsupdate -y hmac-sha256:editor:%s" % self.secrets["editor"]
        self.documented(command)
        done = self.hosts["ns3"].run(["/bin/sh", "-c", command], input=script)
        self.assertEqual(done.returncode, 0, describe(done))
        self.on("ns1", "sudo -u tidal tidalctl wait example.com. --timeout 10s")
        done = self.on("ns1", "dig @192.0.2.3 mail.example.com A +short")
        self.assertEqual(done.stdout.strip(), "192.0.2.25")
        third = self.serial_at("ns1", "192.0.2.1")
        self.assertGreater(third, second)
        self.wait_all_serve(third, timeout=5)

        # Step 9 (section 5): restart a secondary's daemons; back up the zone store.
        self.on("ns3", "systemctl restart tidal.target")
        for unit in ("tidald", "tidal-sync"):
            self.assertEqual(self.show("ns3", unit, "ActiveState")["ActiveState"], "active")
        self.assertEqual(self.serial_at("ns1", "192.0.2.3"), third)
        self.on("ns2", "sudo install -d -o tidal -g tidal -m 0750 /var/backups/tidal")
        self.on("ns2", 'sudo -u tidal sqlite3 /var/lib/tidal/tidal.db '
                '".backup /var/backups/tidal/tidal.db"')
        checked = self.quietly("ns2", "sqlite3 -readonly /var/backups/tidal/tidal.db "
                               "'PRAGMA integrity_check'")
        self.assertEqual(checked.stdout.strip(), "ok", describe(checked))
        # Restore it, as section 5 says: the secondary serves that copy, then catches up.
        done = self.quietly("ns1", "sudo -u tidal tidalctl record add restore.example.com. 300 "
                            "A 192.0.2.9")
        self.assertEqual(done.returncode, 0, describe(done))
        self.on("ns1", "sudo -u tidal tidalctl wait example.com. --timeout 10s")
        fourth = self.serial_at("ns1", "192.0.2.1")
        self.on("ns2", "sudo systemctl stop tidal.target")
        self.on("ns2", "sudo -u tidal cp /var/backups/tidal/tidal.db /var/lib/tidal/tidal.db")
        self.on("ns2", "sudo rm -f /var/lib/tidal/tidal.db-wal /var/lib/tidal/tidal.db-shm")
        self.on("ns2", "sudo systemctl start tidal.target")
        self.wait_all_serve(fourth, timeout=CONVERGE_TIMEOUT)
        for host in HOSTS:
            failed = self.quietly(host, "systemctl list-units --failed --plain --no-legend")
            self.assertEqual(failed.stdout.strip(), "", "%s: failed units" % host)
        sys.stderr.write("walkthrough: %.0f s\n" % (time.monotonic() - t0))


if __name__ == "__main__":
    unittest.main(verbosity=2)
