"""A tidald instance for tests: a config in a temp dir, zones imported with tidalctl, the
server in the foreground on a free loopback port, stopped by its pid.
"""

import os

from . import paths, process
from .dig import Dig
from .ports import free_port

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")


class TidalServer:
    """start() imports the zones and runs tidald; stop() stops only that pid."""

    def __init__(self, workdir, zones, port=None, udp_max_payload=1232, workers=2,
                 list_zones_in_config=True):
        """zones: list of (origin, absolute zone file path)."""
        self.workdir = workdir
        self.zones = list(zones)
        self.port = port
        self.udp_max_payload = udp_max_payload
        self.workers = workers
        self.list_zones_in_config = list_zones_in_config
        self.proc = None
        self.config_path = os.path.join(workdir, "tidal.yaml")
        self.log_path = os.path.join(workdir, "tidald.log")
        self.import_log_path = os.path.join(workdir, "tidalctl.log")

    def _write_config(self):
        lines = [
            "database: %s" % os.path.join(self.workdir, "tidal.db"),
            "control: %s" % os.path.join(self.workdir, "control.sock"),
            "log: {level: info, target: stderr}",
            "server:",
            '  listen: ["127.0.0.1:%d"]' % self.port,
            "  workers: %d" % self.workers,
            "  udp-max-payload: %d" % self.udp_max_payload,
        ]
        if self.list_zones_in_config and self.zones:
            lines.append("zones:")
            for origin, _ in self.zones:
                lines.append("  - {name: %s, role: primary}" % origin)
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def tidalctl(self, *args, timeout=120):
        """Runs tidalctl with this instance's config; output appended to tidalctl.log."""
        argv = [paths.tidalctl(), "--config", self.config_path] + list(args)
        done = process.run(argv, timeout=timeout)
        with open(self.import_log_path, "a") as f:
            f.write("$ %s\nexit %d\n%s%s" % (" ".join(argv), done.returncode, done.stdout,
                                            done.stderr))
        return done

    def import_zones(self):
        for origin, path in self.zones:
            done = self.tidalctl("zone", "import", path, "--origin", origin)
            if done.returncode != 0:
                raise RuntimeError("tidalctl zone import %s failed (exit %d):\n%s%s" %
                                   (path, done.returncode, done.stdout, done.stderr))

    def start(self, timeout=20.0):
        """Imports the zones, starts tidald and waits until every zone answers its SOA."""
        if self.port is None:
            self.port = free_port()
        self._write_config()
        self.import_zones()
        last_error = None
        for attempt in range(3):
            if attempt > 0:
                self.port = free_port()
                self._write_config()
            self.proc = process.ManagedProcess([paths.tidald(), "--config", self.config_path],
                                               self.log_path)
            if self.wait_ready(timeout):
                return self
            last_error = "tidald not ready on port %d after %.0f s (alive: %s)" % (
                self.port, timeout, self.proc.alive())
            self.proc.stop()
            if "in use" not in self.proc.log_text().lower():
                break
        raise RuntimeError("%s\n--- tidald log ---\n%s" % (last_error, self.log_text()))

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

        return bool(process.wait_until(all_zones_answer, timeout, interval=0.1)) and \
            self.proc.alive()

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stop(self):
        """Stops tidald; returns its exit status (None if never started)."""
        if self.proc is None:
            return None
        return self.proc.stop()

    def sanitizer_reports(self):
        """Lines of the log where ASan/UBSan reported a problem."""
        return [l for l in self.log_text().splitlines()
                if any(m in l for m in SANITIZER_MARKERS)]

    def log_text(self):
        text = ""
        if os.path.exists(self.import_log_path):
            with open(self.import_log_path, errors="replace") as f:
                text += "--- tidalctl ---\n" + f.read()[-20000:]
        text += "--- tidald ---\n" + (self.proc.log_text() if self.proc else "(not started)\n")
        return text
