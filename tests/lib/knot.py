"""A knotd (Knot DNS) instance on a loopback port serving given zone files, for interop tests.

knotd runs in the foreground from a generated configuration in its own temporary directory
(rundir, storage, journal, control socket there; zone files are read in place and never
written back: zonefile-sync -1). The Debian service is never touched.

Zones given as (origin, path) are plain primaries without a journal, open to unsigned AXFR
from 127.0.0.1 (the query tests). Zones given as replication.ZoneSpec can be primaries (zone
file, NOTIFY to remotes, transfers allowed to TSIG keys, a journal so Knot serves IXFR) or
secondaries (primaries with keys, NOTIFY accepted from keys, IXFR/AXFR in); `knotc()` drives
the running server (zone-refresh, zone-begin/zone-set/zone-commit).
"""

import os

from . import paths, process
from .dig import Dig
from .ports import free_port
from .replication import Remote, ZoneSpec, keys_of, remotes_of
from .tsigkeys import TsigKey


class KnotServer:
    """Start with start(); stop() stops only this knotd pid."""

    def __init__(self, workdir, zones, port=None, extra_server_conf="", remotes=(), keys=()):
        """zones: list of (origin, absolute zone file path) or of replication.ZoneSpec.
        remotes, keys: more Remotes/TsigKeys to declare than the zones refer to."""
        self.workdir = workdir
        self.specs = [z if isinstance(z, ZoneSpec) else None for z in zones]
        self.zones = [(z.origin, z.file) if isinstance(z, ZoneSpec) else tuple(z)
                      for z in zones]
        self.port = port
        self.extra_server_conf = extra_server_conf
        self.extra_remotes = list(remotes)
        self.extra_keys = list(keys)
        self.proc = None
        self.conf_path = os.path.join(workdir, "knot.conf")
        self.log_path = os.path.join(workdir, "knotd.log")
        self.socket_path = os.path.join(workdir, "knot.sock")

    def _acl_id(self, item, action):
        if isinstance(item, TsigKey):
            return "%s_key_%s" % (action, item.name)
        if isinstance(item, Remote):
            return "%s_remote_%s" % (action, item.id)
        return "%s_addr_%s" % (action, str(item).replace(".", "_").replace("/", "_")
                               .replace(":", "_"))

    def _acl_lines(self, item, action):
        lines = ["  - id: %s" % self._acl_id(item, action), "    action: %s" % action]
        if isinstance(item, TsigKey):
            lines += ["    address: 127.0.0.1", "    key: %s" % item.name]
        elif isinstance(item, Remote):
            lines += ["    address: %s" % item.address]
            if item.key is not None:
                lines += ["    key: %s" % item.key.name]
        else:
            lines += ["    address: %s" % item]
        return lines

    def _replication_sections(self):
        """key:, remote: and extra acl: lines for the ZoneSpec zones."""
        specs = [s for s in self.specs if s is not None]
        keys = keys_of(specs, self.extra_remotes, self.extra_keys)
        remotes = remotes_of(specs, self.extra_remotes)
        lines = []
        if keys:
            lines.append("key:")
            for k in keys:
                lines += k.knot_conf()
        if remotes:
            lines.append("remote:")
            for r in remotes:
                lines += ["  - id: %s" % r.id, "    address: %s@%d" % (r.address, r.port)]
                if r.key is not None:
                    lines.append("    key: %s" % r.key.name)
        acl = []
        seen = set()
        for s in specs:
            for action, items in (("transfer", s.allow_transfer), ("notify", s.allow_notify),
                                  ("update", s.allow_update)):
                for item in items:
                    acl_id = self._acl_id(item, action)
                    if acl_id not in seen:
                        seen.add(acl_id)
                        acl += self._acl_lines(item, action)
        return lines, acl

    def _zone_lines(self, origin, path, spec):
        if spec is None:
            return ["  - domain: %s" % origin, "    file: %s" % path]
        lines = ["  - domain: %s" % origin]
        if spec.role == "primary":
            lines.append("    file: %s" % spec.file)
        else:
            # Never written (zonefile-sync -1): the transferred zone lives in the journal.
            lines.append("    file: %s" % os.path.join(self.workdir, spec.name + ".zone"))
            lines.append("    master: [%s]" % ", ".join(r.id for r in spec.primaries))
        if spec.notify:
            lines.append("    notify: [%s]" % ", ".join(r.id for r in spec.notify))
        acls = [self._acl_id(i, "transfer") for i in spec.allow_transfer] + \
            [self._acl_id(i, "notify") for i in spec.allow_notify] + \
            [self._acl_id(i, "update") for i in spec.allow_update]
        lines.append("    acl: [%s]" % ", ".join(acls) if acls else "    acl: []")
        # The journal holds the changes Knot serves by IXFR (primary) or received (secondary).
        lines.append("    journal-content: changes")
        # A secondary with an empty zone retries its first transfer soon, not after minutes.
        if spec.role == "secondary":
            lines.append("    retry-max-interval: 2")
        return lines

    def _write_config(self):
        repl, extra_acl = self._replication_sections()
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
            "    listen: %s" % self.socket_path,
            "database:",
            "    storage: %s" % os.path.join(self.workdir, "db"),
            "log:",
            "  - target: stderr",
            "    any: info",
        ] + repl + [
            "acl:",
            "  - id: local_transfer",
            "    address: 127.0.0.1",
            "    action: transfer",
        ] + extra_acl + [
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
        for (origin, path), spec in zip(self.zones, self.specs):
            lines += self._zone_lines(origin, path, spec)
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
        """Every primary zone answers its SOA; a secondary zone answers at all (it may still
        wait for its first transfer: SERVFAIL)."""
        client = Dig(port=self.port)

        def all_zones_answer():
            if not self.proc.alive():
                return None
            for (origin, _), spec in zip(self.zones, self.specs):
                r = client.query(origin, "SOA", opts=["+norec", "+time=1", "+tries=1"])
                if r is None:
                    return False
                if spec is not None and spec.role == "secondary":
                    continue
                if r.rcode != "NOERROR" or not r.answer:
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

    def knotc(self, *args, timeout=30):
        """Runs knotc on this server's control socket; CompletedProcess (text output). Each
        call is also appended to the log so failures show what the test asked."""
        argv = [paths.knotc(), "-s", self.socket_path, "-t", "10"] + list(args)
        done = process.run(argv, timeout=timeout)
        with open(self.log_path, "a") as f:
            f.write("[test] $ %s -> exit %d %s%s\n" % (" ".join(argv), done.returncode,
                                                     done.stdout.strip(), done.stderr.strip()))
        return done

    def edit(self, zone, changes):
        """One transaction on a primary zone: changes is a list of ("set"|"unset", owner,
        [ttl], type, rdata...) tuples as knotc takes them. Knot bumps the SOA serial itself at
        commit. Raises with knotc's output when a step fails (the transaction is aborted)."""
        done = self.knotc("zone-begin", zone)
        if done.returncode != 0:
            raise RuntimeError("knotc zone-begin %s: %s%s" % (zone, done.stdout, done.stderr))
        for change in changes:
            op, args = change[0], [str(a) for a in change[1:]]
            done = self.knotc("zone-" + op, zone, *args)
            if done.returncode != 0:
                self.knotc("zone-abort", zone)
                raise RuntimeError("knotc zone-%s %s %s: %s%s" % (op, zone, " ".join(args),
                                                                   done.stdout, done.stderr))
        done = self.knotc("zone-commit", zone)
        if done.returncode != 0:
            self.knotc("zone-abort", zone)
            raise RuntimeError("knotc zone-commit %s: %s%s" % (zone, done.stdout, done.stderr))

    def refresh(self, zone):
        """Asks a secondary zone to check its primary's SOA now (and transfer if behind)."""
        return self.knotc("zone-refresh", zone)

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def log_mark(self):
        """A mark for log_since(): where the log ends now."""
        return self.proc.log_size() if self.proc else 0

    def log_since(self, mark):
        """What knotd logged after log_mark() returned mark."""
        return self.proc.log_since(mark) if self.proc else ""

    def stop(self):
        if self.proc is not None:
            return self.proc.stop()
        return None

    def log_text(self):
        return self.proc.log_text() if self.proc else "(knotd not started)"
