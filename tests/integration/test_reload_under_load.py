#!/usr/bin/python3
"""SIGHUP reloads while queries keep coming (issue 5, point 2): not one query may go unanswered
or be answered wrongly, whether the new configuration is good or broken.

One tidald (2 workers, 127.0.0.1 and ::1) serves example.test. Meanwhile, until the reloads are
done:
- two threads send raw UDP queries one after the other (3 s timeout each),
- one thread keeps one TCP connection and sends one query after another on it (RFC 7766), so
  a reload that closed connections would show,
- one thread runs `dig -f` batches over UDP and TCP (+tries=1: a lost packet is not retried),
- tidalctl edits the zone between reloads (the serial changes under load as well).

The test alternates good configurations (log level changed, a zone that is not in the database
listed or not) with broken ones (a YAML syntax error, an unknown key, a dangling reference, a
missing file). The configured-but-absent zone makes the active configuration visible from outside:
listed, it answers SERVFAIL; not listed, REFUSED. After a broken reload the previous
configuration must still be the one answering, and the log must name the file and line.
Reload completion is read from the sd_notify messages (RELOADING=1, then READY=1) on a
NOTIFY_SOCKET the test listens on.
"""

import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import dig as diglib, paths, process, wire  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.testcase import require_binaries  # noqa: E402
from lib.tidal import SANITIZER_MARKERS  # noqa: E402

ZONE = "example.test."
ZONE_FILE = paths.zone_path("example.test.zone")
ABSENT_ZONE = "absent.test."  # configured in some configurations, never in the database
WWW = "www.example.test."
WWW_A = bytes([192, 0, 2, 80])
A = wire.TYPES["A"]
QUERY_TIMEOUT = 3.0
RELOAD_TIMEOUT = 15.0
LOAD_DEADLINE = 240.0  # no generator runs longer than this, whatever happens


def listen_text(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


class Failures:
    """Thread-safe list of what went wrong, with when."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, source, text):
        with self.lock:
            self.items.append("%.3f %s: %s" % (time.monotonic(), source, text))


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.times = []  # monotonic time of every correct answer

    def ok(self):
        with self.lock:
            self.count += 1
            self.times.append(time.monotonic())


def check_www(reply, msg_id):
    """'' if reply is a correct answer to our www.example.test A query, else what is wrong."""
    if reply is None:
        return "no answer within %.0f s" % QUERY_TIMEOUT
    try:
        m = wire.parse(reply)
    except ValueError as e:
        return "unparsable answer: %s" % e
    if m.id != msg_id:
        return "answer id %d for query id %d" % (m.id, msg_id)
    if m.rcode_text() != "NOERROR" or not m.aa:
        return "rcode %s aa %s" % (m.rcode_text(), m.aa)
    rdatas = sorted(rr.rdata for rr in m.answer if rr.rtype == A)
    if rdatas != [WWW_A]:
        return "answer %r" % rdatas
    return ""


def udp_load(host, port, stop, counter, failures):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + LOAD_DEADLINE
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.connect((host, port))
        while not stop.is_set() and time.monotonic() < deadline:
            msg_id = random.randrange(65536)
            s.send(wire.build_query(WWW, "A", msg_id=msg_id, rd=False))
            reply = None
            until = time.monotonic() + QUERY_TIMEOUT
            while time.monotonic() < until:
                s.settimeout(max(0.01, until - time.monotonic()))
                try:
                    data = s.recv(65535)
                except socket.timeout:
                    break
                if len(data) >= 2 and struct.unpack("!H", data[:2])[0] == msg_id:
                    reply = data
                    break  # a late answer to an earlier query is skipped
            problem = check_www(reply, msg_id)
            if problem:
                failures.add("udp %s" % host, problem)
            else:
                counter.ok()


def recv_exact(sock, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(buf))
        except (socket.timeout, ConnectionResetError):
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_load(host, port, stop, counter, failures):
    """One connection for the whole run: a reload must not close it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + LOAD_DEADLINE
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(QUERY_TIMEOUT)
        s.connect((host, port))
        while not stop.is_set() and time.monotonic() < deadline:
            msg_id = random.randrange(65536)
            q = wire.build_query(WWW, "A", msg_id=msg_id, rd=False)
            try:
                s.sendall(struct.pack("!H", len(q)) + q)
            except OSError as e:
                failures.add("tcp %s" % host, "send failed (connection closed?): %s" % e)
                return
            until = time.monotonic() + QUERY_TIMEOUT
            head = recv_exact(s, 2, until)
            body = recv_exact(s, struct.unpack("!H", head)[0], until) if head else None
            problem = check_www(body, msg_id)
            if problem:
                failures.add("tcp %s" % host, problem)
                if body is None:
                    return  # the stream is out of step or closed
            else:
                counter.ok()


def dig_load(host, port, batch_file, batch_size, stop, counter, failures):
    deadline = time.monotonic() + LOAD_DEADLINE
    argv = [paths.dig(), "@" + host, "-p", str(port), "+tries=1", "+time=3", "+norec",
            "-f", batch_file]
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=60, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            failures.add("dig", "dig -f did not finish in 60 s")
            continue
        responses = diglib.parse(done.stdout)
        good = [r for r in responses if r.rcode == "NOERROR" and "aa" in r.flags
                and r.rdatas("answer", "A") == ["192.0.2.80"]]
        for _ in good:
            counter.ok()
        if len(good) != batch_size:
            failures.add("dig", "%d of %d answers correct:\n%s" % (len(good), batch_size,
                                                                  done.stdout[-3000:]))


class ReloadUnderLoadTest(unittest.TestCase):
    def setUp(self):
        missing = require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        self.workdir = tempfile.mkdtemp(prefix="tidal-reload-load-")
        self.config_path = os.path.join(self.workdir, "tidal.yaml")
        self.db_path = os.path.join(self.workdir, "tidal.db")
        self.log_path = os.path.join(self.workdir, "tidald.log")
        self.proc = None
        self.notify = None
        self.keep = False
        self.addCleanup(self.cleanup)

    def cleanup(self):
        if self.proc is not None:
            self.proc.stop()
        if self.notify is not None:
            self.notify.close()
        if self.keep or os.environ.get("TIDAL_KEEP_TMP"):
            sys.stderr.write("test files kept in %s\n" % self.workdir)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- configurations ---------------------------------------------------------------------

    def config_text(self, level="info", absent_listed=False):
        listen = ", ".join('"%s"' % listen_text(h, p) for h, p in self.listen)
        lines = [
            "database: %s" % self.db_path,
            "control: %s" % os.path.join(self.workdir, "control.sock"),
            "log: {level: %s, target: stderr}" % level,
            "server:",
            "  listen: [%s]" % listen,
            "  workers: 2",
            "zones:",
            "  - {name: %s, role: primary}" % ZONE,
        ]
        if absent_listed:
            lines.append("  - {name: %s, role: primary}" % ABSENT_ZONE)
        return "\n".join(lines) + "\n"

    def broken_configs(self):
        """(name, text or None for a missing file, 1-based line the error must name or None)."""
        good = self.config_text()
        return [
            ("yaml-syntax", good.replace("server:\n", "server:\n\tworkers: 3\n"), 5),
            ("unknown-key", good + "surprise: yes\n", 9),
            ("dangling-reference",
             good + "  - name: other.test.\n    role: secondary\n    primaries: [nowhere]\n", 11),
            ("missing-file", None, None),
        ]

    def write_config(self, text):
        tmp = self.config_path + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)  # tidald never reads half a file

    def tidalctl(self, *args):
        done = process.run([paths.tidalctl(), "--config", self.config_path] + list(args),
                           timeout=120)
        self.assertEqual(done.returncode, 0, "tidalctl %s:\n%s%s" % (" ".join(args), done.stdout,
                                                                    done.stderr))
        return done

    # --- server ----------------------------------------------------------------------------

    def start(self):
        self.listen = [("127.0.0.1", free_port("127.0.0.1")), ("::1", free_port("::1"))]
        self.write_config(self.config_text())
        self.tidalctl("zone", "import", ZONE_FILE, "--origin", ZONE)
        notify_path = os.path.join(self.workdir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=notify_path)
        for key in ("WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID"):
            env.pop(key, None)
        self.proc = process.ManagedProcess([paths.tidald(), "--config", self.config_path],
                                           self.log_path, env=env)
        self.wait_notify("READY=1", 30)

    def wait_notify(self, wanted, timeout):
        """Reads sd_notify datagrams until one holds the line `wanted`; returns all read."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.notify.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                text = self.notify.recv(4096).decode()
            except socket.timeout:
                break
            seen.append(text)
            if wanted in text.split("\n"):
                return seen
        self.fail("no %s from tidald within %.0f s (got %r)\n%s" % (wanted, timeout, seen,
                                                                    self.log_tail()))

    def reload(self):
        """SIGHUP, then waits for RELOADING=1 and READY=1; returns the log lines it wrote."""
        before = self.log_size()
        os.kill(self.proc.pid, signal.SIGHUP)
        self.wait_notify("RELOADING=1", RELOAD_TIMEOUT)
        self.wait_notify("READY=1", RELOAD_TIMEOUT)
        self.assertTrue(self.proc.alive(), "tidald died reloading\n" + self.log_tail())
        return self.log_since(before)

    def log_size(self):
        return os.path.getsize(self.log_path)

    def log_since(self, offset):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def log_tail(self):
        return self.proc.log_text()[-20000:] if self.proc else ""

    def absent_zone_rcode(self):
        host, port = self.listen[0]
        reply = wire.udp_exchange(port, wire.build_query(ABSENT_ZONE, "SOA", rd=False),
                                  host=host, timeout=QUERY_TIMEOUT)
        self.assertIsNotNone(reply, "no answer for %s" % ABSENT_ZONE)
        return wire.parse(reply).rcode_text()

    def expect_config_in_force(self, absent_listed, after):
        wanted = "SERVFAIL" if absent_listed else "REFUSED"
        self.assertEqual(self.absent_zone_rcode(), wanted,
                         "after %s, %s should answer %s (it is %slisted in the configuration "
                         "that should be in force)" % (after, ABSENT_ZONE, wanted,
                                                       "" if absent_listed else "not "))

    # --- the test --------------------------------------------------------------------------

    def test_reloads_under_load_drop_nothing(self):
        self.start()
        stop = threading.Event()
        failures = Failures()
        counters = {}
        threads = []

        batch_size = 40
        batch_file = os.path.join(self.workdir, "dig-batch.txt")
        with open(batch_file, "w") as f:
            for i in range(batch_size):
                f.write("%s A %s\n" % (WWW, "+tcp" if i % 4 == 0 else "+notcp"))

        def spawn(name, target, *args):
            counters[name] = Counter()
            t = threading.Thread(target=target, args=args + (stop, counters[name], failures),
                                 name=name, daemon=True)
            threads.append(t)
            t.start()

        (h4, p4), (h6, p6) = self.listen
        spawn("udp4", udp_load, h4, p4)
        spawn("udp6", udp_load, h6, p6)
        spawn("tcp4", tcp_load, h4, p4)
        spawn("dig", dig_load, h4, p4, batch_file, batch_size)

        reload_times = []
        in_force_absent = False
        try:
            time.sleep(0.5)  # the load is running before the first reload
            steps = []
            broken = self.broken_configs()
            for i in range(3):
                steps.append(("good", {"level": "debug" if i % 2 else "info",
                                       "absent_listed": True}))
                steps.append(("broken", broken[(2 * i) % len(broken)]))
                steps.append(("good", {"level": "info", "absent_listed": False}))
                steps.append(("broken", broken[(2 * i + 1) % len(broken)]))
            for n, (kind, what) in enumerate(steps):
                if kind == "good":
                    self.write_config(self.config_text(**what))
                    reload_times.append(time.monotonic())
                    log = self.reload()
                    self.assertIn("reloaded", log, "good config #%d not reloaded:\n%s" %
                                  (n, log))
                    self.assertNotIn("reload failed", log)
                    in_force_absent = what["absent_listed"]
                    self.expect_config_in_force(in_force_absent, "good reload #%d" % n)
                else:
                    name, text, line = what
                    if text is None:
                        os.remove(self.config_path)
                    else:
                        self.write_config(text)
                    reload_times.append(time.monotonic())
                    log = self.reload()
                    self.assertIn("reload failed", log, "broken config %s accepted:\n%s" %
                                  (name, log))
                    self.assertIn(self.config_path, log, "the log must name the file")
                    if line is not None:
                        self.assertRegex(log, re.escape(self.config_path) + ":%d:" % line,
                                         "the log must name the line (%s)" % name)
                    self.expect_config_in_force(in_force_absent, "broken config %s" % name)
                # A zone edit between reloads: a new serial swapped in under load too.
                if n % 2 == 0:
                    label = "edit%d" % n
                    self.tidalctl("record", "add", "--zone", ZONE, label, "300", "TXT",
                                  '"%d"' % n)
                    self.wait_txt(label + "." + ZONE, '"%d"' % n)
            time.sleep(0.5)  # and keeps running after the last one
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=QUERY_TIMEOUT * 2 + 70)
        self.assertFalse(any(t.is_alive() for t in threads), "a load thread did not stop")

        if failures.items:
            self.keep = True
        self.assertEqual(failures.items, [], "queries failed during reloads\n" +
                         self.log_tail())
        for name, minimum in (("udp4", 200), ("udp6", 200), ("tcp4", 100), ("dig", 80)):
            self.assertGreaterEqual(counters[name].count, minimum,
                                    "%s: only %d answers; the load did not really run" %
                                    (name, counters[name].count))
        # Every reload happened while answers were flowing: one within 1 s on each side.
        answers = sorted(t for c in counters.values() for t in c.times)
        for when in reload_times:
            self.assertTrue(any(when - 1.0 <= t < when for t in answers) and
                            any(when < t <= when + 1.0 for t in answers),
                            "no answers around the reload at %.3f" % when)
        sys.stderr.write("%d reloads; answers: %s\n" % (len(reload_times), ", ".join(
            "%s %d" % (name, c.count) for name, c in sorted(counters.items()))))

        status = self.proc.stop()
        self.assertEqual(status, 0, "tidald did not exit 0 on SIGTERM\n" + self.log_tail())
        reports = [line for line in self.log_tail().splitlines()
                   if any(m in line for m in SANITIZER_MARKERS)]
        self.assertEqual(reports, [])

    def wait_txt(self, name, rdata_text):
        host, port = self.listen[0]
        client = diglib.Dig(port, server=host)

        def visible():
            r = client.query(name, "TXT", opts=["+norec"])
            return r is not None and r.rdatas("answer", "TXT") == [rdata_text]

        self.assertTrue(process.wait_until(visible, 10, interval=0.1),
                        "%s TXT %s not served 10 s after tidalctl committed it" % (name,
                                                                                rdata_text))


if __name__ == "__main__":
    unittest.main(verbosity=2)
