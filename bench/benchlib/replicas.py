"""One primary and three secondaries of one implementation on 127.0.0.1 (distinct ports), for the
propagation benchmark: Tidal (tidald + tidal-sync per host, each with its own config and
database), Knot → Knot (knotd: notify / acl / master), BIND → BIND (named: a dynamic primary
zone, NOTIFY to the secondaries only). Default settings apart from what the setup needs
(addresses, ports, directories, logs to a file; BIND's `notify explicit` keeps NOTIFYs off the
zone's NS addresses, which are not on this machine); `tuned` adds the implementation's own
knob for fast NOTIFYs where it has one (BIND: notify-rate 1000, notify-delay 0).

Each cluster: start() loads the primary, then starts the secondaries together and returns how
long each took to serve the zone (its initial transfer); edit_command(name, address) is the
argv (and stdin) that adds one A record on the primary, returning once it is committed; stop()
stops every process it started, by pid.
"""

import os
import shutil
import signal
import subprocess
import time

from . import dnswire, servers
from .measure import free_port

STOP_TIMEOUT = 20.0


class Process:
    """A daemon started by a cluster: output in its log file, stopped by its own pid."""

    def __init__(self, argv, log_path):
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.log.write(("$ %s\n" % " ".join(argv)).encode())
        self.log.flush()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        self.log.close()
        return self.proc.returncode

    def tail(self, limit=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except OSError as e:
            return "(no log: %s)" % e


class Cluster:
    """Subclasses write the configurations and start the daemons of one host."""

    name = "?"
    SECONDARIES = 3

    def __init__(self, workdir, origin, zone_file, tuned=False):
        self.workdir = workdir
        self.origin = origin
        self.zone_file = zone_file
        self.tuned = tuned
        self.primary_port = free_port()
        self.secondary_ports = [free_port() for _ in range(self.SECONDARIES)]
        self.processes = []
        self.host_processes = {}  # host index -> [Process]

    @property
    def ports(self):
        return [self.primary_port] + self.secondary_ports

    def host_dir(self, index):
        path = os.path.join(self.workdir, "primary" if index == 0 else "secondary%d" % index)
        os.makedirs(path, exist_ok=True)
        return path

    def spawn(self, index, argv, log_name):
        p = Process(argv, os.path.join(self.host_dir(index), log_name))
        self.processes.append(p)
        self.host_processes.setdefault(index, []).append(p)
        return p

    # Subclass hooks.
    def prepare(self):
        """Configurations and data files; runs before anything starts (not timed)."""

    def start_host(self, index):
        raise NotImplementedError

    def edit_command(self, name, address):
        """(argv, stdin text or None) adding `name 300 IN A address` on the primary."""
        raise NotImplementedError

    def host_alive(self, index):
        return all(p.alive() for p in self.host_processes.get(index, []))

    def wait_serving(self, index, since, timeout):
        """Seconds from `since` until host index answers SOA at the apex positively."""
        prober = dnswire.Prober(self.ports[index])
        try:
            at = prober.wait_positive(self.origin, "SOA", timeout,
                                      alive=lambda: self.host_alive(index))
        finally:
            prober.close()
        if at is None:
            raise RuntimeError("%s host %d (port %d) did not serve %s within %.0f s; log:\n%s" %
                               (self.name, index, self.ports[index], self.origin, timeout,
                                "\n".join(p.tail() for p in self.host_processes.get(index, []))))
        return at - since

    def start(self, timeout):
        """Starts the primary, waits until it serves, then the secondaries together. Returns
        {"primary_load_s": s, "secondary_ready_s": [s, s, s]}."""
        self.prepare()
        started = time.monotonic()
        self.start_host(0)
        primary_load = self.wait_serving(0, started, timeout)
        started = time.monotonic()
        for i in range(1, 1 + self.SECONDARIES):
            self.start_host(i)
        ready = [self.wait_serving(i, started, timeout) for i in range(1, 1 + self.SECONDARIES)]
        return {"primary_load_s": primary_load, "secondary_ready_s": ready}

    def alive(self):
        return all(p.alive() for p in self.processes)

    def stop(self):
        return [p.stop() for p in reversed(self.processes)]

    def logs(self):
        return "\n".join("--- %s ---\n%s" % (p.log_path, p.tail()) for p in self.processes)


class TidalCluster(Cluster):
    name = "Tidal"

    def __init__(self, workdir, origin, zone_file, build, tuned=False):
        super().__init__(workdir, origin, zone_file, tuned)
        self.tidald = os.path.join(build, "server", "tidald")
        self.tidal_sync = os.path.join(build, "zone-sync", "tidal-sync")
        self.tidalctl = os.path.join(build, "tools", "tidalctl")
        self.import_s = None

    def config_path(self, index):
        return os.path.join(self.host_dir(index), "tidal.yaml")

    def prepare(self):
        _, self.import_s = servers.tidal_import(self.tidalctl, self.host_dir(0), self.origin,
                                                self.zone_file)
        remotes = ["  - { id: primary, address: \"127.0.0.1:%d\" }" % self.primary_port] + [
            "  - { id: s%d, address: \"127.0.0.1:%d\" }" % (i + 1, p)
            for i, p in enumerate(self.secondary_ports)]
        for index, port in enumerate(self.ports):
            d = self.host_dir(index)
            if index == 0:
                zone = ["  - name: %s" % self.origin, "    role: primary",
                        "    notify: [%s]" % ", ".join("s%d" % (i + 1) for i in
                                                        range(self.SECONDARIES)),
                        "    allow-transfer: [\"127.0.0.1/32\"]"]
            else:
                zone = ["  - name: %s" % self.origin, "    role: secondary",
                        "    primaries: [primary]", "    allow-transfer: [\"127.0.0.1/32\"]"]
            lines = ["# Written by bench/benchlib/replicas.py.",
                     "database: %s" % os.path.join(d, "tidal.db"),
                     "control: %s" % os.path.join(d, "control.sock"),
                     "log: {level: info, target: stderr}",
                     "server:",
                     "  listen: [\"127.0.0.1:%d\"]" % port,
                     "remotes:"] + remotes + ["zones:"] + zone
            with open(self.config_path(index), "w") as f:
                f.write("\n".join(lines) + "\n")

    def start_host(self, index):
        self.spawn(index, [self.tidald, "--config", self.config_path(index)], "tidald.log")
        self.spawn(index, [self.tidal_sync, "--config", self.config_path(index)],
                   "tidal-sync.log")

    def edit_command(self, name, address):
        return [self.tidalctl, "--config", self.config_path(0), "record", "add", name, "300",
                "A", address], None


class KnotCluster(Cluster):
    name = "Knot"

    def conf_path(self, index):
        return os.path.join(self.host_dir(index), "knot.conf")

    def socket_path(self, index):
        return os.path.join(self.host_dir(index), "knot.sock")

    def prepare(self):
        # knotd writes its zone file back after changes (zonefile-sync: 0 by default): a copy.
        primary_file = os.path.join(self.host_dir(0), "zone.txt")
        shutil.copyfile(self.zone_file, primary_file)
        remotes = ["remote:", "  - id: primary", "    address: 127.0.0.1@%d" % self.primary_port]
        for i, p in enumerate(self.secondary_ports):
            remotes += ["  - id: s%d" % (i + 1), "    address: 127.0.0.1@%d" % p]
        for index, port in enumerate(self.ports):
            d = self.host_dir(index)
            os.makedirs(os.path.join(d, "db"), exist_ok=True)  # the journal lives there
            lines = ["# Written by bench/benchlib/replicas.py.",
                     "server:", "    listen: 127.0.0.1@%d" % port, "    rundir: %s" % d,
                     "control:", "    listen: %s" % self.socket_path(index),
                     "database:", "    storage: %s" % os.path.join(d, "db"),
                     "log:", "  - target: stderr", "    any: info"] + remotes + [
                     "acl:", "  - id: local", "    address: 127.0.0.1",
                     "    action: [transfer, notify]",
                     "template:", "  - id: default", "    storage: %s" % d,
                     "zone:", "  - domain: %s" % self.origin]
            if index == 0:
                lines += ["    file: %s" % primary_file,
                          "    notify: [%s]" % ", ".join("s%d" % (i + 1) for i in
                                                         range(self.SECONDARIES)),
                          "    acl: [local]"]
            else:
                lines += ["    file: %s" % os.path.join(d, "zone.txt"), "    master: primary",
                          "    acl: [local]"]
            with open(self.conf_path(index), "w") as f:
                f.write("\n".join(lines) + "\n")
            servers.run_checked(["/usr/sbin/knotc", "-c", self.conf_path(index), "conf-check"],
                                60, "knotc conf-check")

    def start_host(self, index):
        self.spawn(index, ["/usr/sbin/knotd", "-c", self.conf_path(index)], "knotd.log")

    def edit_command(self, name, address):
        knotc = "/usr/sbin/knotc -s %s" % self.socket_path(0)
        script = ("%s zone-begin %s >/dev/null && %s zone-set %s %s 300 A %s >/dev/null && "
                  "%s zone-commit %s >/dev/null" % (knotc, self.origin, knotc, self.origin, name,
                                                    address, knotc, self.origin))
        return ["/bin/sh", "-c", script], None


class BindCluster(Cluster):
    name = "BIND"

    def __init__(self, workdir, origin, zone_file, tuned=False):
        super().__init__(workdir, origin, zone_file, tuned)
        if tuned:
            self.name = "BIND, tuned"

    def conf_path(self, index):
        return os.path.join(self.host_dir(index), "named.conf")

    def prepare(self):
        primary_file = os.path.join(self.host_dir(0), "zone.txt")
        shutil.copyfile(self.zone_file, primary_file)
        zone = self.origin.rstrip(".")
        for index, port in enumerate(self.ports):
            d = self.host_dir(index)
            options = ['    directory "%s";' % d,
                       '    pid-file "%s";' % os.path.join(d, "named.pid"),
                       '    session-keyfile "%s";' % os.path.join(d, "session.key"),
                       '    managed-keys-directory "%s";' % d,
                       "    listen-on port %d { 127.0.0.1; };" % port,
                       "    listen-on-v6 { none; };",
                       "    recursion no;",
                       "    dnssec-validation no;"]
            if self.tuned:
                options += ["    notify-rate 1000;", "    notify-delay 0;"]
            if index == 0:
                statement = ['zone "%s" {' % zone, "    type primary;",
                             '    file "%s";' % primary_file,
                             "    allow-update { 127.0.0.1; };",
                             "    allow-transfer { 127.0.0.1; };",
                             "    notify explicit;",
                             "    also-notify { %s };" % " ".join(
                                 "127.0.0.1 port %d;" % p for p in self.secondary_ports),
                             "};"]
            else:
                statement = ['zone "%s" {' % zone, "    type secondary;",
                             '    file "%s";' % os.path.join(d, "zone.bk"),
                             "    primaries { 127.0.0.1 port %d; };" % self.primary_port,
                             "    allow-notify { 127.0.0.1; };",
                             "    notify no;",
                             "};"]
            text = "\n".join(["# Written by bench/benchlib/replicas.py.", "options {"] +
                             options + ["};", "controls { };"] + statement) + "\n"
            with open(self.conf_path(index), "w") as f:
                f.write(text)
            servers.run_checked(["/usr/bin/named-checkconf", self.conf_path(index)], 60,
                                "named-checkconf")

    def start_host(self, index):
        self.spawn(index, ["/usr/sbin/named", "-g", "-c", self.conf_path(index)], "named.log")

    def edit_command(self, name, address):
        text = ("server 127.0.0.1 %d\nzone %s\nupdate add %s 300 IN A %s\nsend\n" %
                (self.primary_port, self.origin, name, address))
        return ["/usr/bin/nsupdate"], text
