"""The servers under test (tidald, knotd, nsd), each started pinned with taskset on a loopback
port from a generated configuration in its own directory, and stopped by its own pid only."""

import os
import signal
import subprocess
import time

from . import dnswire, procstat

TIDALD_STOP_TIMEOUT = 15.0


def run_checked(argv, timeout, what):
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s\n%s" % (what, done.returncode,
                                                            " ".join(argv), done.stdout[-4000:]))
    return done.stdout


class Server:
    """One server process tree. Subclasses write the configuration and give the argv."""

    name = "?"

    def __init__(self, workdir, origin, zone_file, workers, cpus):
        self.nice = 0  # set by the caller: the niceness the server runs at (negative: favoured)
        self.workdir = workdir
        self.origin = origin
        self.zone_file = zone_file
        self.workers = workers
        self.cpus = cpus  # taskset CPU list, e.g. "0" or "0,1"
        self.port = None
        self.proc = None
        self.started_at = None
        self.log_path = os.path.join(workdir, self.name.lower() + ".log")
        self._log = None
        self._known_pids = set()

    # Subclass hooks.
    def configure(self, port):
        raise NotImplementedError

    def argv(self):
        raise NotImplementedError

    def memory_mib(self):
        """Resident memory: VmRSS of the process (NSD overrides with PSS over its processes)."""
        return procstat.rss_mib(self.proc.pid)

    def memory_kind(self):
        return "RSS"

    def start(self, port):
        """Writes the configuration and starts the server pinned to self.cpus; returns at once."""
        os.makedirs(self.workdir, exist_ok=True)
        self.port = port
        self.configure(port)
        self._log = open(self.log_path, "ab")
        argv = niced(self.nice) + ["taskset", "-c", self.cpus] + self.argv()
        self._log.write(("$ %s\n" % " ".join(argv)).encode())
        self._log.flush()
        # nice and taskset exec the server, so the pid is the server's own.
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self._known_pids = {self.proc.pid}

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_loaded(self, timeout):
        """Seconds from process start to the first positive answer to SOA at the apex (the zone
        loaded and served), polling every millisecond; raises after timeout seconds."""
        prober = dnswire.Prober(self.port)
        try:
            answered = prober.wait_positive(self.origin, "SOA", timeout, alive=self.alive)
        finally:
            prober.close()
        if answered is None:
            raise RuntimeError("%s did not answer SOA %s on port %d within %.0f s (alive: %s); "
                               "log %s:\n%s" % (self.name, self.origin, self.port, timeout,
                                                self.alive(), self.log_path, self.log_tail()))
        return answered - self.started_at

    def pids(self):
        """The server's live processes (remembered, so children can be stopped later)."""
        if not self.alive():
            return []
        pids = procstat.descendants(self.proc.pid)
        self._known_pids.update(pids)
        return pids

    def cpu_seconds(self):
        return procstat.cpu_seconds(self.pids())

    def stop(self):
        """SIGTERM to the server, SIGKILL after a bounded wait; then any child it left behind
        (only pids this object saw as the server's descendants)."""
        if self.proc is None:
            return None
        self.pids()
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=TIDALD_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=TIDALD_STOP_TIMEOUT)
        for pid in self._known_pids - {self.proc.pid}:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and _is_alive_child_of_ours(pid, self.argv()[0]):
                time.sleep(0.05)
            if _is_alive_child_of_ours(pid, self.argv()[0]):
                os.kill(pid, signal.SIGKILL)
        if self._log:
            self._log.close()
            self._log = None
        return self.proc.returncode

    def log_tail(self, limit=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except OSError as e:
            return "(no log: %s)" % e


def niced(nice):
    """The argv prefix that runs a command at niceness `nice` (nothing for 0)."""
    return ["nice", "-n", str(nice)] if nice else []


def _is_alive_child_of_ours(pid, binary):
    """pid still runs the same program (not a pid the system gave to someone else since)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = f.read().split(b"\0")[0].decode(errors="replace")
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and os.path.basename(cmd) == os.path.basename(binary)


class TidalServer(Server):
    """tidald serving a database that tidal_import() filled."""

    name = "Tidal"

    def __init__(self, workdir, origin, zone_file, workers, cpus, tidald, database):
        super().__init__(workdir, origin, zone_file, workers, cpus)
        self.tidald = tidald
        self.database = database
        self.config_path = os.path.join(workdir, "tidal.yaml")

    def configure(self, port):
        self.config_path = write_tidal_config(self.workdir, self.database, port, self.workers,
                                              self.origin)

    def argv(self):
        return [self.tidald, "--config", self.config_path]


def write_tidal_config(workdir, database, port, workers, origin):
    path = os.path.join(workdir, "tidal.yaml")
    with open(path, "w") as f:
        f.write("# Written by bench/benchlib/servers.py.\n"
                "database: %s\n"
                "control: %s\n"
                "log: {level: warn, target: stderr}\n"
                "server:\n"
                "  listen: [\"127.0.0.1:%d\"]\n"
                "  workers: %d\n"
                "zones:\n"
                "  - {name: %s, role: primary}\n" %
                (database, os.path.join(workdir, "control.sock"), port, workers, origin))
    return path


def tidal_import(tidalctl, workdir, origin, zone_file, timeout=1800):
    """A fresh database in workdir holding the zone, imported with tidalctl; returns
    (database path, seconds the import took)."""
    os.makedirs(workdir, exist_ok=True)
    database = os.path.join(workdir, "tidal.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database + suffix):
            os.remove(database + suffix)
    config = write_tidal_config(workdir, database, 1, 1, origin)
    started = time.monotonic()
    run_checked([tidalctl, "--config", config, "zone", "import", zone_file, "--origin", origin],
                timeout, "tidalctl zone import")
    return database, time.monotonic() - started


class KnotServer(Server):
    """knotd in the foreground, zone file read in place and never written back."""

    name = "Knot"

    def __init__(self, workdir, origin, zone_file, workers, cpus, knotd="/usr/sbin/knotd"):
        super().__init__(workdir, origin, zone_file, workers, cpus)
        self.knotd = knotd
        self.conf_path = os.path.join(workdir, "knot.conf")

    def configure(self, port):
        storage = os.path.join(self.workdir, "knot-db")
        os.makedirs(storage, exist_ok=True)
        with open(self.conf_path, "w") as f:
            f.write("# Written by bench/benchlib/servers.py.\n"
                    "server:\n"
                    "    listen: 127.0.0.1@%d\n"
                    "    rundir: %s\n"
                    "    udp-workers: %d\n"
                    "    tcp-workers: %d\n"
                    "    background-workers: 1\n"
                    "control:\n"
                    "    listen: %s\n"
                    "database:\n"
                    "    storage: %s\n"
                    "log:\n"
                    "  - target: stderr\n"
                    "    any: warning\n"
                    "template:\n"
                    "  - id: default\n"
                    "    storage: %s\n"
                    "    zonefile-sync: -1\n"
                    "    zonefile-load: whole\n"
                    "    journal-content: none\n"
                    "zone:\n"
                    "  - domain: %s\n"
                    "    file: %s\n" %
                    (port, self.workdir, self.workers, self.workers,
                     os.path.join(self.workdir, "knot.sock"), storage, self.workdir, self.origin,
                     self.zone_file))
        run_checked(["/usr/sbin/knotc", "-c", self.conf_path, "conf-check"], 60,
                    "knotc conf-check")

    def argv(self):
        return [self.knotd, "-c", self.conf_path]


class NsdServer(Server):
    """nsd -d (foreground) with everything it writes in its own directory, rate limiting off,
    minimal responses (as Tidal and Knot answer)."""

    name = "NSD"

    def __init__(self, workdir, origin, zone_file, workers, cpus, nsd="/usr/sbin/nsd"):
        super().__init__(workdir, origin, zone_file, workers, cpus)
        self.nsd = nsd
        self.conf_path = os.path.join(workdir, "nsd.conf")

    def configure(self, port):
        d = self.workdir
        os.makedirs(os.path.join(d, "xfr"), exist_ok=True)
        with open(self.conf_path, "w") as f:
            f.write("# Written by bench/benchlib/servers.py.\n"
                    "server:\n"
                    "    ip-address: 127.0.0.1@%d\n"
                    "    port: %d\n"
                    "    do-ip6: no\n"
                    "    server-count: %d\n"
                    "    reuseport: yes\n"
                    "    username: \"\"\n"
                    "    chroot: \"\"\n"
                    "    zonesdir: \"%s\"\n"
                    "    database: \"\"\n"
                    "    zonelistfile: \"%s/zone.list\"\n"
                    "    pidfile: \"%s/nsd.pid\"\n"
                    "    xfrdfile: \"%s/xfrd.state\"\n"
                    "    xfrdir: \"%s/xfr\"\n"
                    "    cookie-secret-file: \"%s/cookiesecrets.txt\"\n"
                    "    verbosity: 0\n"
                    "    rrl-ratelimit: 0\n"
                    "    rrl-whitelist-ratelimit: 0\n"
                    # Without it NSD adds the apex NS RRset (and glue) to every positive
                    # answer, 117 octets on average instead of 63: more work per answer than
                    # Tidal and Knot do, which answer minimally.
                    "    minimal-responses: yes\n"
                    "remote-control:\n"
                    "    control-enable: no\n"
                    "zone:\n"
                    "    name: %s\n"
                    "    zonefile: \"%s\"\n" %
                    (port, port, self.workers, d, d, d, d, d, d, self.origin, self.zone_file))
        run_checked(["/usr/sbin/nsd-checkconf", self.conf_path], 60, "nsd-checkconf")

    def argv(self):
        return [self.nsd, "-d", "-c", self.conf_path]

    def memory_mib(self):
        return procstat.pss_mib(self.pids())

    def memory_kind(self):
        return "PSS"
