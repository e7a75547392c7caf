"""A knotd (Knot DNS) instance on a loopback port serving given zone files, for interop tests.

knotd runs in the foreground from a generated configuration in its own temporary directory
(rundir, storage, control socket there; zone files are read in place and never written back:
zonefile-sync -1, journal-content none). The Debian service is never touched.
"""

import os

from . import paths, process
from .dig import Dig
from .ports import free_port


class KnotServer:
    """Start with start(); stop() stops only this knotd pid."""

    def __init__(self, workdir, zones, port=None, extra_server_conf=""):
        """zones: list of (origin, absolute zone file path)."""
        self.workdir = workdir
        self.zones = list(zones)
        self.port = port
        self.extra_server_conf = extra_server_conf
        self.proc = None
        self.conf_path = os.path.join(workdir, "knot.conf")
        self.log_path = os.path.join(workdir, "knotd.log")

    def _write_config(self):
        lines = [
            "server:",
            "    listen: 127.0.0.1@%d" % self.port,
            "    rundir: %s" % self.workdir,
            "    udp-workers: 2",
            "    tcp-workers: 2",
            "    background-workers: 1",
        ]
        if self.extra_server_conf:
            lines += ["    " + l for l in self.extra_server_conf.splitlines()]
        lines += [
            "control:",
            "    listen: %s" % os.path.join(self.workdir, "knot.sock"),
            "database:",
            "    storage: %s" % os.path.join(self.workdir, "db"),
            "log:",
            "  - target: stderr",
            "    any: info",
            "acl:",
            "  - id: local_transfer",
            "    address: 127.0.0.1",
            "    action: transfer",
            "template:",
            "  - id: default",
            "    storage: %s" % self.workdir,
            "    zonefile-sync: -1",
            "    zonefile-load: whole",
            "    journal-content: none",
            "    semantic-checks: on",
            "    acl: local_transfer",
            "zone:",
        ]
        for origin, path in self.zones:
            lines += ["  - domain: %s" % origin, "    file: %s" % path]
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, timeout=15.0):
        """Starts knotd and waits until every zone answers its SOA. Raises on failure."""
        os.makedirs(os.path.join(self.workdir, "db"), exist_ok=True)
        last_error = None
        for attempt in range(3):
            if self.port is None or attempt > 0:
                self.port = free_port()
            self._write_config()
            self.proc = process.ManagedProcess([paths.knotd(), "-c", self.conf_path],
                                               self.log_path)
            ready = self.wait_ready(timeout)
            if ready:
                return self
            last_error = "knotd not ready on port %d after %.0f s" % (self.port, timeout)
            self.proc.stop()
            if "Address already in use" not in self.proc.log_text():
                break
        raise RuntimeError("%s\n--- knotd log ---\n%s" % (last_error, self.log_text()))

    def wait_ready(self, timeout):
        client = Dig(port=self.port)

        def all_zones_answer():
            if not self.proc.alive():
                return None
            for origin, _ in self.zones:
                r = client.query(origin, "SOA", opts=["+norec", "+time=1", "+tries=1"])
                if r is None or r.rcode != "NOERROR" or not r.answer:
                    return False
            return True

        return process.wait_until(all_zones_answer, timeout, interval=0.1) and self.proc.alive()

    def problems_in_log(self):
        """Log lines that say a zone did not load cleanly (errors or semantic warnings)."""
        bad = []
        for line in self.log_text().splitlines():
            low = line.lower()
            if ("error" in low or "warning" in low or "semantic check" in low) and \
                    "control, " not in low:
                bad.append(line)
        return bad

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stop(self):
        if self.proc is not None:
            return self.proc.stop()
        return None

    def log_text(self):
        return self.proc.log_text() if self.proc else "(knotd not started)"
