"""A tidald instance for tests: a config in a temp dir, zones imported with tidalctl, the
server in the foreground on a free loopback port, stopped by its pid.

For replication tests the zones may be replication.ZoneSpec: the config then also gets the
`keys:` and `remotes:` the zones refer to and each zone's role, notify, allow-transfer,
primaries and allow-notify (INTERFACE.md); primary zones are imported, secondary zones are
left for tidal-sync to transfer. start_sync() runs tidal-sync beside tidald with the same
config; sync_implemented() tells whether this build of tidal-sync replicates at all.

Cluster tests (tests/cluster/) run each host in its own network namespace: listen_address
is then the host's address and command_prefix (e.g. ["ip", "netns", "exec", NS]) goes in
front of every command the instance runs (tidald, tidal-sync, tidalctl, the dig that checks
readiness). Both default to the single-host behaviour (127.0.0.1, nothing in front).
"""

import os
import re
import subprocess

from . import paths, process
from .dig import Dig
from .ports import free_port
from .replication import Remote, ZoneSpec, keys_of, remotes_of
from .tsigkeys import TsigKey

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")


class PrefixedDig(Dig):
    """dig run behind an argv prefix (e.g. inside a network namespace)."""

    def __init__(self, port, server="127.0.0.1", tool="dig", prefix=()):
        super().__init__(port, server, tool)
        self.prefix = list(prefix)

    def command(self, name, rtype="A", rclass=None, opts=()):
        return self.prefix + super().command(name, rtype, rclass, opts)


def _listen_text(address, port):
    return "[%s]:%d" % (address, port) if ":" in address else "%s:%d" % (address, port)


class TidalServer:
    """start() imports the zones and runs tidald; stop() stops only that pid."""

    def __init__(self, workdir, zones, port=None, udp_max_payload=1232, workers=2,
                 list_zones_in_config=True, keys=(), remotes=(), log_level="info",
                 listen_address="127.0.0.1", command_prefix=(), server_options=()):
        """zones: list of (origin, absolute zone file path) or of replication.ZoneSpec.
        keys, remotes: more TsigKeys/Remotes to declare than the zones refer to.
        listen_address: where tidald listens (and is asked); command_prefix: argv put in
        front of every command this instance runs. server_options: more "key: value" lines
        for the server: section."""
        self.workdir = workdir
        self.specs = [z if isinstance(z, ZoneSpec) else None for z in zones]
        self.zones = [(z.origin, z.file) if isinstance(z, ZoneSpec) else tuple(z)
                      for z in zones]
        self.extra_keys = list(keys)
        self.extra_remotes = list(remotes)
        self.log_level = log_level
        self.listen_address = listen_address
        self.command_prefix = list(command_prefix)
        self.sync = None
        self.sync_status = None
        self.sync_log_path = os.path.join(workdir, "tidal-sync.log")
        self.port = port
        self.udp_max_payload = udp_max_payload
        self.server_options = list(server_options)
        self.workers = workers
        self.list_zones_in_config = list_zones_in_config
        self.proc = None
        self.config_path = os.path.join(workdir, "tidal.yaml")
        self.log_path = os.path.join(workdir, "tidald.log")
        self.import_log_path = os.path.join(workdir, "tidalctl.log")

    @staticmethod
    def _acl(items):
        """An access list as INTERFACE.md spells it: key names, remote ids, CIDR prefixes."""
        out = []
        for item in items:
            if isinstance(item, TsigKey):
                out.append(item.name)
            elif isinstance(item, Remote):
                out.append(item.id)
            else:
                out.append(str(item) if "/" in str(item) else "%s/32" % item)
        return "[%s]" % ", ".join('"%s"' % i for i in out)

    def _zone_lines(self, spec):
        lines = ["  - name: %s" % spec.origin, "    role: %s" % spec.role]
        if spec.role == "secondary":
            lines.append("    primaries: [%s]" % ", ".join(r.id for r in spec.primaries))
            if spec.allow_notify:
                lines.append("    allow-notify: %s" % self._acl(spec.allow_notify))
        if spec.notify:
            lines.append("    notify: [%s]" % ", ".join(r.id for r in spec.notify))
        if spec.allow_transfer:
            lines.append("    allow-transfer: %s" % self._acl(spec.allow_transfer))
        if spec.allow_update:
            lines.append("    allow-update: %s" % self._acl(spec.allow_update))
        if getattr(spec, "max_staleness", None) is not None:
            lines.append("    max-staleness: %s" % spec.max_staleness)
        if getattr(spec, "stale_policy", None) is not None:
            lines.append("    stale-policy: %s" % spec.stale_policy)
        return lines

    def _write_config(self, path=None, state_dir=None):
        """Writes the config to path (default config_path) with the database and control
        socket in state_dir (default workdir)."""
        path = path or self.config_path
        state_dir = state_dir or self.workdir
        lines = [
            "database: %s" % os.path.join(state_dir, "tidal.db"),
            "control: %s" % os.path.join(state_dir, "control.sock"),
            "log: {level: %s, target: stderr}" % self.log_level,
            "server:",
            '  listen: ["%s"]' % _listen_text(self.listen_address, self.port),
            "  workers: %d" % self.workers,
            "  udp-max-payload: %d" % self.udp_max_payload,
        ] + ["  %s" % line for line in self.server_options]
        specs = [s for s in self.specs if s is not None]
        keys = keys_of(specs, self.extra_remotes, self.extra_keys)
        remotes = remotes_of(specs, self.extra_remotes)
        if keys:
            lines.append("keys:")
            lines += [k.tidal_conf() for k in keys]
        if remotes:
            lines.append("remotes:")
            for r in remotes:
                entry = '  - { id: %s, address: "%s:%d"' % (r.id, r.address, r.port)
                if r.key is not None:
                    entry += ", key: %s" % r.key.name
                lines.append(entry + " }")
        if self.list_zones_in_config and self.zones:
            lines.append("zones:")
            for (origin, _), spec in zip(self.zones, self.specs):
                if spec is None:
                    lines.append("  - {name: %s, role: primary}" % origin)
                else:
                    lines += self._zone_lines(spec)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def tidalctl(self, *args, timeout=120):
        """Runs tidalctl with this instance's config; output appended to tidalctl.log."""
        argv = self.command_prefix + [paths.tidalctl(), "--config", self.config_path] + \
            list(args)
        done = process.run(argv, timeout=timeout)
        with open(self.import_log_path, "a") as f:
            f.write("$ %s\nexit %d\n%s%s" % (" ".join(argv), done.returncode, done.stdout,
                                            done.stderr))
        return done

    def import_zones(self):
        for (origin, path), spec in zip(self.zones, self.specs):
            if spec is not None and spec.role == "secondary":
                continue
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
            self.proc = process.ManagedProcess(
                self.command_prefix + [paths.tidald(), "--config", self.config_path],
                self.log_path)
            if self.wait_ready(timeout):
                return self
            last_error = "tidald not ready on port %d after %.0f s (alive: %s)" % (
                self.port, timeout, self.proc.alive())
            self.proc.stop()
            if "in use" not in self.proc.log_text().lower():
                break
        raise RuntimeError("%s\n--- tidald log ---\n%s" % (last_error, self.log_text()))

    def client(self, tool="dig"):
        """A dig (or kdig) client for this server, run where the server runs."""
        if not self.command_prefix:
            return Dig(port=self.port, server=self.listen_address, tool=tool)
        return PrefixedDig(self.port, self.listen_address, tool, self.command_prefix)

    def wait_ready(self, timeout):
        client = self.client()

        def all_zones_answer():
            if not self.proc.alive():
                return None
            for (origin, _), spec in zip(self.zones, self.specs):
                r = client.query(origin, "SOA", opts=["+norec", "+time=1", "+tries=1"])
                if r is None:
                    return False
                if spec is not None and spec.role == "secondary":
                    continue  # tidal-sync has not transferred it yet: any answer will do
                if r.rcode != "NOERROR" or not r.answer:
                    return False
            return True

        # A tidald that exits (a config it refuses) ends the wait at once.
        return bool(process.wait_until(lambda: all_zones_answer() or not self.proc.alive(),
                                       timeout, interval=0.1)) and self.proc.alive()

    # --- tidal-sync ----------------------------------------------------------------------

    def sync_implemented(self, probe_seconds=3.0):
        """(True, "") if tidal-sync replicates; (False, why) if it says it is not implemented
        (exit 1, "not implemented" on stderr) when started with this config. TIDAL_SYNC_READY=1
        skips the probe. The probe runs tidal-sync for at most probe_seconds, with the same
        config but its own database (so it leaves nothing behind in the real one)."""
        if os.environ.get("TIDAL_SYNC_READY") == "1":
            return True, ""
        if self.port is None:
            self.port = free_port()
        probe_dir = os.path.join(self.workdir, "sync-probe")
        os.makedirs(probe_dir, exist_ok=True)
        probe_config = os.path.join(probe_dir, "tidal.yaml")
        self._write_config(probe_config, probe_dir)
        argv = [paths.tidal_sync(), "--config", probe_config]
        try:
            done = process.run(argv, timeout=probe_seconds)
        except subprocess.TimeoutExpired:
            return True, ""  # still running: it is doing something (subprocess.run killed it)
        if done.returncode == 1 and "not implemented" in done.stderr:
            return False, "tidal-sync says replication is not implemented: %s" % (
                done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "")
        if done.returncode == 2:
            with open(probe_config) as f:
                text = f.read()
            raise RuntimeError("tidal-sync refuses the test's config (exit 2):\n%s\n--- %s ---\n%s"
                               % (done.stderr, probe_config, text))
        return True, ""

    def start_sync(self, settle=0.5):
        """Starts tidal-sync with this config (tidald should run already). Raises when it has
        exited within `settle` seconds."""
        self.sync = process.ManagedProcess(
            self.command_prefix + [paths.tidal_sync(), "--config", self.config_path],
            self.sync_log_path)
        process.wait_until(lambda: not self.sync.alive(), settle, interval=0.05)
        if not self.sync.alive():
            raise RuntimeError("tidal-sync exited at once (status %s):\n%s" % (
                self.sync.returncode(), self.sync.log_text()))
        return self.sync

    # --- edits ---------------------------------------------------------------------------

    def record(self, *args):
        """tidalctl record ARGS... on this host's database; raises when it fails. Returns the
        zone's new serial as tidalctl prints it ("zone NAME serial N"), or None."""
        done = self.tidalctl("record", *[str(a) for a in args])
        if done.returncode != 0:
            raise RuntimeError("tidalctl record %s failed (exit %d):\n%s%s" % (
                " ".join(str(a) for a in args), done.returncode, done.stdout, done.stderr))
        m = re.search(r"\bserial (\d+)", done.stdout)
        return int(m.group(1)) if m else None

    def wait_serial(self, zone, serial, timeout=5.0):
        """Waits (bounded) until tidald serves serial (or later) for zone: a commit is
        published within ~100 ms, not at once. Raises on timeout."""
        from . import transfer
        if self.listen_address == "127.0.0.1" and not self.command_prefix:
            seen = transfer.wait_for_serial(self.port, zone, serial, timeout)
        else:
            box = [None]

            def reached():
                box[0] = self.serial(zone)
                return box[0] is not None and transfer.serial_ge(box[0], serial)

            process.wait_until(reached, timeout, 0.1)
            seen = box[0]
        if seen is None or not transfer.serial_ge(seen, serial):
            raise RuntimeError("tidald still serves %s serial %s %.0f s after the commit of %s"
                               % (zone, seen, timeout, serial))

    def serial(self, zone):
        """The SOA serial tidald serves for zone (asked where it runs), or None."""
        r = self.client().query(zone, "SOA", opts=["+norec", "+time=1", "+tries=1"],
                                timeout=10)
        if r is None or r.rcode != "NOERROR":
            return None
        for rr in r.answer:
            if rr.rtype == "SOA":
                try:
                    return int(rr.rdata.split()[2])
                except (IndexError, ValueError):
                    return None
        return None

    def export(self, zone):
        """The zone as tidalctl zone export prints it; raises when it fails."""
        done = self.tidalctl("zone", "export", zone)
        if done.returncode != 0:
            raise RuntimeError("tidalctl zone export %s failed (exit %d):\n%s" % (
                zone, done.returncode, done.stderr))
        return done.stdout

    # --- life cycle ----------------------------------------------------------------------

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def sync_alive(self):
        return self.sync is not None and self.sync.alive()

    def stop(self):
        """Stops tidal-sync (if started, status in sync_status) then tidald; returns tidald's
        exit status (None if never started)."""
        if self.sync is not None:
            self.sync_status = self.sync.stop()
        if self.proc is None:
            return None
        return self.proc.stop()

    def log_mark(self):
        """A mark for log_since(): where tidald's and tidal-sync's logs end now."""
        return (self.proc.log_size() if self.proc else 0,
                self.sync.log_size() if self.sync else 0)

    def log_since(self, mark):
        text = self.proc.log_since(mark[0]) if self.proc else ""
        if self.sync:
            text += "--- tidal-sync ---\n" + self.sync.log_since(mark[1])
        return text

    def sanitizer_reports(self):
        """Lines of the logs where ASan/UBSan reported a problem."""
        return [l for l in self.log_text().splitlines()
                if any(m in l for m in SANITIZER_MARKERS)]

    def log_text(self):
        text = ""
        if os.path.exists(self.import_log_path):
            with open(self.import_log_path, errors="replace") as f:
                text += "--- tidalctl ---\n" + f.read()[-20000:]
        text += "--- tidald ---\n" + (self.proc.log_text() if self.proc else "(not started)\n")
        if self.sync is not None:
            text += "--- tidal-sync ---\n" + self.sync.log_text()
        return text
