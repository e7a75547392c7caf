"""A named (BIND 9, Debian package bind9) instance on a loopback port, for interop tests.

named runs in the foreground (-g: everything it logs goes to stderr, kept in named.log) from a
named.conf generated in its own temporary directory: listen-on 127.0.0.1 port P only, no IPv6,
pid file, session key, managed keys, zone files and journals all in that directory,
`recursion no`, `dnssec-validation no`, an rndc control channel on another loopback port with
its own random key. The Debian service is never touched; stop() signals only this pid.

Zones are replication.ZoneSpec: primaries are copied into the directory first (BIND writes its
journal and, for dynamic zones, the zone file beside them) and accept updates signed by the
keys in allow_update (nsupdate); secondaries transfer from their primaries with the remote's
TSIG key and accept NOTIFY from the keys or addresses in allow_notify. rndc() drives the running
server (refresh, retransfer, notify).
"""

import os
import shutil
import subprocess

from . import paths, process
from .dig import Dig
from .ports import free_port
from .replication import Remote
from .tsigkeys import TsigKey


class BindServer:
    """Start with start(); stop() stops only this named pid."""

    def __init__(self, workdir, zones, port=None, keys=(), notify_delay=0, debug_level=0):
        """zones: list of replication.ZoneSpec. keys: more TsigKeys to declare than the zones
        name. debug_level: named -d N (1 shows more transfer detail)."""
        self.workdir = workdir
        self.zones = list(zones)
        self.port = port
        self.control_port = None
        self.extra_keys = list(keys)
        self.notify_delay = notify_delay
        self.debug_level = debug_level
        self.proc = None
        self.conf_path = os.path.join(workdir, "named.conf")
        self.rndc_conf_path = os.path.join(workdir, "rndc.conf")
        self.log_path = os.path.join(workdir, "named.log")
        self.rndc_key = TsigKey.random("rndc-key")

    # --- configuration -----------------------------------------------------------------

    def _keys(self):
        found = []
        for key in self.extra_keys + [k for z in self.zones for k in z.keys()]:
            if all(k.name != key.name for k in found):
                found.append(key)
        return found

    @staticmethod
    def _match_list(items):
        """A BIND address match list: keys as `key "k";`, Remotes by address (and key)."""
        out = []
        for item in items:
            if isinstance(item, TsigKey):
                out.append('key "%s";' % item.name)
            elif isinstance(item, Remote):
                out.append('key "%s";' % item.key.name if item.key else "%s;" % item.address)
            else:
                out.append("%s;" % item)
        return "{ %s }" % (" ".join(out) if out else "none;")

    @staticmethod
    def _server_list(remotes):
        """primaries / also-notify list: address port P [key K]; per remote."""
        out = []
        for r in remotes:
            entry = "%s port %d" % (r.address, r.port)
            if r.key is not None:
                entry += ' key "%s"' % r.key.name
            out.append(entry + ";")
        return "{ %s }" % " ".join(out)

    def zone_path(self, spec):
        return os.path.join(self.workdir, spec.name + (".zone" if spec.role == "primary"
                                                         else ".bk"))

    def _zone_statement(self, spec):
        lines = ['zone "%s" {' % spec.name]
        if spec.role == "primary":
            lines.append("    type primary;")
            lines.append('    file "%s";' % self.zone_path(spec))
            if spec.allow_update:
                lines.append("    allow-update %s;" % self._match_list(spec.allow_update))
        else:
            lines.append("    type secondary;")
            # Text, so a person can read what was transferred when a test fails.
            lines.append("    masterfile-format text;")
            lines.append('    file "%s";' % self.zone_path(spec))
            lines.append("    primaries %s;" % self._server_list(spec.primaries))
            lines.append("    allow-notify %s;" % self._match_list(spec.allow_notify))
        # Tests read a zone back by AXFR from 127.0.0.1 with one of the allowed keys.
        lines.append("    allow-transfer %s;" % self._match_list(spec.allow_transfer))
        if spec.notify:
            lines.append("    notify explicit;")
            lines.append("    also-notify %s;" % self._server_list(spec.notify))
        else:
            lines.append("    notify no;")
        lines.append("};")
        return lines

    def _write_config(self):
        w = self.workdir
        lines = [
            "options {",
            '    directory "%s";' % w,
            '    pid-file "%s";' % os.path.join(w, "named.pid"),
            '    session-keyfile "%s";' % os.path.join(w, "session.key"),
            '    managed-keys-directory "%s";' % w,
            '    dump-file "%s";' % os.path.join(w, "named_dump.db"),
            '    statistics-file "%s";' % os.path.join(w, "named.stats"),
            '    memstatistics-file "%s";' % os.path.join(w, "named.memstats"),
            "    listen-on port %d { 127.0.0.1; };" % self.port,
            "    listen-on-v6 { none; };",
            "    recursion no;",
            "    dnssec-validation no;",
            "    allow-query { any; };",
            # The test zones hold 2000 RRs in one RRset and names such as a\\.b: BIND 9.18
            # refuses both by default (max-records-per-type 100, check-names).
            "    max-records-per-type 0;",
            "    max-types-per-name 0;",
            "    check-names primary ignore;",
            "    check-names secondary ignore;",
            "    check-names response ignore;",
            # NOTIFY right after a change (the default waits 5 s between sets).
            "    notify-delay %d;" % self.notify_delay,
            # Secondaries without data ask again soon instead of after minutes.
            "    min-retry-time 1;",
            "    max-retry-time 2;",
            "};",
            self.rndc_key.bind_conf(),
            "controls {",
            '    inet 127.0.0.1 port %d allow { 127.0.0.1; } keys { "%s"; };' % (
                self.control_port, self.rndc_key.name),
            "};",
        ]
        for key in self._keys():
            lines.append(key.bind_conf())
        for spec in self.zones:
            lines += self._zone_statement(spec)
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(self.rndc_conf_path, "w") as f:
            f.write("\n".join([
                self.rndc_key.bind_conf(),
                "options {",
                "    default-server 127.0.0.1;",
                "    default-port %d;" % self.control_port,
                '    default-key "%s";' % self.rndc_key.name,
                "};",
            ]) + "\n")

    def _copy_primary_files(self):
        for spec in self.zones:
            if spec.role == "primary":
                shutil.copyfile(spec.file, self.zone_path(spec))

    # --- life cycle --------------------------------------------------------------------

    def start(self, timeout=20.0):
        """Checks the config with named-checkconf, starts named and waits until every primary
        zone answers its SOA (secondaries: until named answers for them at all)."""
        self._copy_primary_files()
        last_error = None
        for attempt in range(3):
            if self.port is None or attempt > 0:
                self.port = free_port()
            self.control_port = free_port()
            self._write_config()
            check = process.run([paths.named_checkconf(), self.conf_path], timeout=30)
            if check.returncode != 0:
                raise RuntimeError("named-checkconf %s failed:\n%s%s\n--- named.conf ---\n%s" % (
                    self.conf_path, check.stdout, check.stderr, open(self.conf_path).read()))
            argv = [paths.named(), "-g", "-c", self.conf_path, "-n", "2"]
            if self.debug_level:
                argv += ["-d", str(self.debug_level)]
            if os.getuid() == 0:
                argv += ["-u", "root"]
            self.proc = process.ManagedProcess(argv, self.log_path)
            if self.wait_ready(timeout):
                return self
            last_error = "named not ready on port %d after %.0f s (alive: %s)" % (
                self.port, timeout, self.proc.alive())
            self.proc.stop()
            if "address in use" not in self.proc.log_text().lower():
                break
        raise RuntimeError("%s\n--- named log ---\n%s" % (last_error, self.log_text()))

    def wait_ready(self, timeout):
        client = Dig(port=self.port)

        def all_zones_answer():
            if not self.proc.alive():
                return None
            # named keeps running when it cannot bind its port: another server may answer.
            if "address in use" in self.proc.log_text().lower():
                return None
            if "running" not in self.proc.log_text():
                return False
            for spec in self.zones:
                r = client.query(spec.origin, "SOA", opts=["+norec", "+time=1", "+tries=1"])
                if r is None:
                    return False
                if spec.role == "primary" and (r.rcode != "NOERROR" or not r.answer):
                    return False
            return True

        return bool(process.wait_until(all_zones_answer, timeout, interval=0.1)) and \
            self.proc.alive()

    def rndc(self, *args, timeout=30):
        """Runs rndc against this server; CompletedProcess. Also noted in the log."""
        argv = [paths.rndc(), "-c", self.rndc_conf_path] + list(args)
        done = process.run(argv, timeout=timeout)
        with open(self.log_path, "a") as f:
            f.write("[test] $ %s -> exit %d %s%s\n" % (" ".join(argv), done.returncode,
                                                     done.stdout.strip(), done.stderr.strip()))
        return done

    def refresh(self, zone):
        """Asks a secondary zone to check its primary's SOA now (and transfer if behind)."""
        return self.rndc("refresh", zone.rstrip("."))

    def update(self, zone, key, commands):
        """Sends one RFC 2136 UPDATE with nsupdate, signed with key. commands: nsupdate lines
        such as "update add www.example.test. 300 A 192.0.2.1". Raises on failure."""
        script = "server 127.0.0.1 %d\nzone %s\n%s\nsend\n" % (
            self.port, zone, "\n".join(commands))
        argv = [paths.nsupdate(), "-y", key.dig_arg(), "-t", "10"]
        done = subprocess.run(argv, input=script, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=30)
        with open(self.log_path, "a") as f:
            f.write("[test] $ nsupdate -y %s:%s:... <<%r -> exit %d %s%s\n" % (
                key.algorithm, key.name, script, done.returncode, done.stdout.strip(),
                done.stderr.strip()))
        if done.returncode != 0:
            raise RuntimeError("nsupdate failed (exit %d):\n%s\n%s%s" % (
                done.returncode, script, done.stdout, done.stderr))
        return done

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def log_mark(self):
        """A mark for log_since(): where the log ends now."""
        return self.proc.log_size() if self.proc else 0

    def log_since(self, mark):
        """What named logged after log_mark() returned mark."""
        return self.proc.log_since(mark) if self.proc else ""

    def stop(self):
        if self.proc is not None:
            return self.proc.stop()
        return None

    def log_text(self):
        return self.proc.log_text() if self.proc else "(named not started)"
