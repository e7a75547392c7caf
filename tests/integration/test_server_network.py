#!/usr/bin/python3
"""tidald's process and network layer: UDP and TCP on several addresses (IPv4 and IPv6), TCP
framing, pipelining, idle timeout and connection cap (RFC 7766), zone changes picked up while
running, SIGHUP and SIGTERM, --check-config and start-up failures (INTERFACE.md exit statuses).

The server runs with a configuration written here and the example.test. zone imported with
tidalctl. Only loopback addresses are used, except in the wildcard test, which runs inside a
private network namespace of its own (root only; skipped otherwise).
"""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, process, wire  # noqa: E402
from lib.dig import Dig  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.testcase import ServerTestCase, require_binaries  # noqa: E402
from lib.tidal import SANITIZER_MARKERS  # noqa: E402

ZONE_ORIGIN = "example.test."
ZONE_FILE = paths.zone_path("example.test.zone")
WWW_A = bytes([192, 0, 2, 80])
MAIL_A = bytes([192, 0, 2, 25])
A = wire.TYPES["A"]
MX = wire.TYPES["MX"]
SOA = wire.TYPES["SOA"]


def format_listen(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


class Tidald:
    """One tidald with its own config, database and log in workdir; stopped by its pid only."""

    def __init__(self, workdir, hosts=("127.0.0.1",), workers=2, idle_timeout="10s",
                 max_connections=1024):
        self.workdir = workdir
        self.hosts = list(hosts)
        self.workers = workers
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.listen = []  # [(host, port)]
        self.proc = None
        self.port = None  # for ServerTestCase's log printing: the first port
        self.config_path = os.path.join(workdir, "tidal.yaml")
        self.db_path = os.path.join(workdir, "tidal.db")
        self.log_path = os.path.join(workdir, "tidald.log")
        self.ctl_log_path = os.path.join(workdir, "tidalctl.log")

    def config_text(self):
        listen = ", ".join('"%s"' % format_listen(h, p) for h, p in self.listen)
        return "\n".join([
            "database: %s" % self.db_path,
            "control: %s" % os.path.join(self.workdir, "control.sock"),
            "log: {level: info, target: stderr}",
            "server:",
            "  listen: [%s]" % listen,
            "  workers: %d" % self.workers,
            "  tcp-idle-timeout: %s" % self.idle_timeout,
            "  tcp-max-connections: %d" % self.max_connections,
            "zones:",
            "  - {name: %s, role: primary}" % ZONE_ORIGIN,
        ]) + "\n"

    def write_config(self, text=None):
        with open(self.config_path, "w") as f:
            f.write(self.config_text() if text is None else text)

    def tidalctl(self, *args):
        argv = [paths.tidalctl(), "--config", self.config_path] + list(args)
        done = process.run(argv, timeout=120)
        with open(self.ctl_log_path, "a") as f:
            f.write("$ %s\nexit %d\n%s%s" % (" ".join(argv), done.returncode, done.stdout,
                                            done.stderr))
        if done.returncode != 0:
            raise RuntimeError("%s failed (exit %d):\n%s%s" % (" ".join(argv), done.returncode,
                                                               done.stdout, done.stderr))
        return done

    def start(self, timeout=20.0):
        """Imports the zone, starts tidald, waits until it answers on every address."""
        last = None
        for attempt in range(3):
            self.listen = [(h, free_port(h)) for h in self.hosts]
            self.port = self.listen[0][1]
            self.write_config()
            if attempt == 0:
                self.tidalctl("zone", "import", ZONE_FILE, "--origin", ZONE_ORIGIN)
            self.proc = process.ManagedProcess([paths.tidald(), "--config", self.config_path],
                                               self.log_path)
            if process.wait_until(self.ready, timeout, interval=0.1) and self.proc.alive():
                return self
            last = "tidald not ready on %s after %.0f s (alive: %s)" % (self.listen, timeout,
                                                                         self.proc.alive())
            self.proc.stop()
            if "in use" not in self.proc.log_text().lower():
                break
        raise RuntimeError("%s\n%s" % (last, self.log_text()))

    def ready(self):
        if not self.proc.alive():
            return None
        return all(soa_answered(h, p) for h, p in self.listen)

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def stop(self):
        return None if self.proc is None else self.proc.stop()

    def log_text(self):
        text = ""
        if os.path.exists(self.ctl_log_path):
            with open(self.ctl_log_path, errors="replace") as f:
                text += "--- tidalctl ---\n" + f.read()[-20000:]
        return text + "--- tidald ---\n" + (self.proc.log_text() if self.proc else "")

    def sanitizer_reports(self):
        return [l for l in self.log_text().splitlines() if any(m in l for m in SANITIZER_MARKERS)]


def soa_answered(host, port):
    try:
        reply = wire.udp_exchange(port, wire.build_query(ZONE_ORIGIN, "SOA"), host=host,
                                  timeout=0.5)
    except ConnectionRefusedError:  # ICMP port unreachable: nothing bound there (yet)
        return False
    if reply is None:
        return False
    m = wire.parse(reply)
    return m.rcode == 0 and any(rr.rtype == SOA for rr in m.answer)


def frame(message):
    return struct.pack("!H", len(message)) + message


def tcp_connect(host, port, timeout=5.0):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


def recv_exact(sock, n, timeout=5.0):
    """n octets, or fewer if the peer closed (EOF or reset) first; bounded by timeout."""
    deadline = time.monotonic() + timeout
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out after %d of %d octets" % (len(buf), n))
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(buf))
        except ConnectionResetError:
            break
        if not chunk:
            break
        buf += chunk
    return buf


def read_reply(sock, timeout=5.0):
    """One framed reply, parsed; None if the server closed the connection first."""
    head = recv_exact(sock, 2, timeout)
    if len(head) < 2:
        return None
    length = struct.unpack("!H", head)[0]
    body = recv_exact(sock, length, timeout)
    if len(body) < length:
        return None
    return wire.parse(body)


def wait_closed(sock, timeout):
    """Seconds until the server closed the connection (EOF or reset), or None if it did not
    within timeout. Data the server sends meanwhile is read and ignored."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            if not sock.recv(4096):
                return time.monotonic() - start
        except socket.timeout:
            return None
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start


def a_rdatas(message, name):
    return sorted(rr.rdata for rr in message.answer
                  if rr.rtype == A and rr.owner.rstrip(".").lower() == name.rstrip(".").lower())


class NetworkTest(ServerTestCase):
    """One server on 127.0.0.1 and ::1 at once, two workers, tcp-idle-timeout 1s."""

    @classmethod
    def setUpClass(cls):
        cls.make_workdir("tidal-network-")
        missing = require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        cls.server = cls.add_server(Tidald(cls.workdir, hosts=("127.0.0.1", "::1"), workers=2,
                                           idle_timeout="1s"))
        try:
            cls.server.start()
        except Exception:
            cls._failed = True
            cls.print_logs("server start failed")
            cls.stop_servers()
            cls.cleanup_workdir()
            raise

    @classmethod
    def tearDownClass(cls):
        problems = []
        alive = cls.server.alive()
        started = time.monotonic()
        status = cls.server.stop()
        if not alive:
            problems.append("tidald died during the tests (exit %s)" % status)
        elif status != 0:
            problems.append("tidald exited %s on SIGTERM, not 0" % status)
        elif time.monotonic() - started > 5:
            problems.append("tidald took %.1f s to stop" % (time.monotonic() - started))
        problems += cls.server.sanitizer_reports()
        if problems:
            cls._failed = True
            cls.print_logs("tidald did not stop cleanly")
        cls.cleanup_workdir()
        if problems:
            raise AssertionError("\n".join(problems))

    def query_tcp(self, sock, name, qtype="A", msg_id=None):
        q = wire.build_query(name, qtype, msg_id=msg_id, rd=False)
        sock.sendall(frame(q))
        return read_reply(sock)

    def test_udp_and_tcp_on_each_listen_address(self):
        for host, port in self.server.listen:
            for tool in ("dig", "kdig"):
                for transport in ("+notcp", "+tcp"):
                    with self.subTest(host=host, tool=tool, transport=transport):
                        r = Dig(port, server=host, tool=tool).query(
                            "www.example.test", "A", opts=[transport, "+norec"])
                        self.assertIsNotNone(r, "no answer from %s" % format_listen(host, port))
                        self.assertEqual(r.rcode, "NOERROR", r.text)
                        self.assertIn("aa", r.flags, r.text)
                        self.assertEqual(r.rdatas("answer", "A"), ["192.0.2.80"], r.text)

    def test_pipelined_queries_in_one_send_answered_in_order(self):
        host, port = self.server.listen[0]
        queries = [(0x1111, "www.example.test", "A"), (0x2222, "mail.example.test", "A"),
                   (0x3333, "example.test", "MX")]
        with tcp_connect(host, port) as s:
            s.sendall(b"".join(frame(wire.build_query(n, t, msg_id=i, rd=False))
                               for i, n, t in queries))
            replies = [read_reply(s) for _ in queries]
        self.assertNotIn(None, replies, "the server closed before answering all three")
        self.assertEqual([m.id for m in replies], [i for i, _, _ in queries])
        for m, (_, name, _) in zip(replies, queries):
            self.assertTrue(m.qr)
            self.assertEqual(m.question[0][0].rstrip(".").lower(), name)
        self.assertEqual(a_rdatas(replies[0], "www.example.test"), [WWW_A])
        self.assertEqual(a_rdatas(replies[1], "mail.example.test"), [MAIL_A])
        self.assertEqual(len([rr for rr in replies[2].answer if rr.rtype == MX]), 2)

    def test_many_pipelined_queries_on_ipv6(self):
        host, port = self.server.listen[1]
        ids = list(range(100, 150))
        with tcp_connect(host, port) as s:
            s.sendall(b"".join(frame(wire.build_query("www.example.test", "A", msg_id=i))
                               for i in ids))
            replies = [read_reply(s) for _ in ids]
        self.assertNotIn(None, replies)
        self.assertEqual([m.id for m in replies], ids)
        self.assertTrue(all(a_rdatas(m, "www.example.test") == [WWW_A] for m in replies))

    def test_query_split_byte_by_byte(self):
        host, port = self.server.listen[0]
        with tcp_connect(host, port) as s:
            data = frame(wire.build_query("www.example.test", "A", msg_id=0x4242))
            for i in range(len(data)):
                s.sendall(data[i:i + 1])
                time.sleep(0.002)
            m = read_reply(s)
            self.assertIsNotNone(m, "no answer to a query sent one octet at a time")
            self.assertEqual(m.id, 0x4242)
            self.assertEqual(a_rdatas(m, "www.example.test"), [WWW_A])
            # The connection is still in step: a second query on it is answered.
            m = self.query_tcp(s, "mail.example.test", msg_id=0x4343)
            self.assertIsNotNone(m)
            self.assertEqual((m.id, a_rdatas(m, "mail.example.test")), (0x4343, [MAIL_A]))

    def test_message_boundaries_inside_sends(self):
        host, port = self.server.listen[0]
        data = b"".join(frame(wire.build_query("www.example.test", "A", msg_id=i))
                        for i in (1, 2, 3))
        cut = len(data) // 2  # in the middle of the second message
        with tcp_connect(host, port) as s:
            s.sendall(data[:cut])
            time.sleep(0.05)
            s.sendall(data[cut:])
            replies = [read_reply(s) for _ in range(3)]
        self.assertEqual([m.id if m else None for m in replies], [1, 2, 3])

    def test_client_half_close_still_answered(self):
        host, port = self.server.listen[0]
        with tcp_connect(host, port) as s:
            s.sendall(frame(wire.build_query("www.example.test", "A", msg_id=77)))
            s.shutdown(socket.SHUT_WR)
            m = read_reply(s)
            self.assertIsNotNone(m, "no answer after the client's FIN")
            self.assertEqual(m.id, 77)
            self.assertIsNotNone(wait_closed(s, 5), "server kept the half-closed connection")

    def test_idle_connection_closed_after_timeout(self):
        host, port = self.server.listen[0]
        with tcp_connect(host, port) as s:
            elapsed = wait_closed(s, 10)
        self.assertIsNotNone(elapsed, "an idle connection was still open after 10 s "
                                      "(tcp-idle-timeout: 1s)")
        self.assertGreater(elapsed, 0.8, "closed before the idle timeout")
        self.assertLess(elapsed, 4.0, "closed long after the 1 s idle timeout")

    def test_idle_timeout_counts_from_the_last_query(self):
        host, port = self.server.listen[1]
        with tcp_connect(host, port) as s:
            for i in range(3):  # 3 x 0.6 s: longer than the timeout in all, never idle 1 s
                time.sleep(0.6)
                m = self.query_tcp(s, "www.example.test", msg_id=i)
                self.assertIsNotNone(m, "closed although a query came every 0.6 s")
            elapsed = wait_closed(s, 10)
        self.assertIsNotNone(elapsed)
        self.assertGreater(elapsed, 0.8)
        self.assertLess(elapsed, 4.0)

    def test_message_shorter_than_a_header_closes_connection(self):
        host, port = self.server.listen[0]
        with tcp_connect(host, port) as s:
            s.sendall(struct.pack("!H", 5) + b"\x12\x34\x00\x00\x00")
            elapsed = wait_closed(s, 0.9)  # well before the idle timeout would
        self.assertIsNotNone(elapsed, "connection left open after a 5-octet message")

    def test_udp_garbage_is_ignored(self):
        host, port = self.server.listen[0]
        self.assertIsNone(wire.udp_exchange(port, b"\x01\x02\x03", host=host, timeout=0.5))
        self.assertTrue(soa_answered(host, port), "no answer after garbage")

    def test_zone_change_served_within_one_second(self):
        host, port = self.server.listen[0]
        name = "added-%d.example.test." % os.getpid()
        q = wire.build_query(name, "A", rd=False)
        before = wire.parse(wire.udp_exchange(port, q, host=host))
        self.assertEqual(before.rcode_text(), "NXDOMAIN", "the name exists before the change")
        self.server.tidalctl("record", "add", name, "60", "A", "192.0.2.199")
        changed = time.monotonic()

        def served():
            r = wire.udp_exchange(port, q, host=host, timeout=0.2)
            return r is not None and a_rdatas(wire.parse(r), name) == [bytes([192, 0, 2, 199])]

        self.assertTrue(process.wait_until(served, 1.0, interval=0.02),
                        "the new record was not served within 1 s of tidalctl's return")
        self.assertLess(time.monotonic() - changed, 1.5)
        # And from every worker and address, not just the one that answered first.
        for h, p in self.server.listen:
            for _ in range(8):
                m = wire.parse(wire.udp_exchange(p, q, host=h))
                self.assertEqual(a_rdatas(m, name), [bytes([192, 0, 2, 199])])

    def test_sighup_with_broken_config_keeps_serving(self):
        good = self.server.config_text()
        log_before = len(self.server.proc.log_text())
        try:
            self.server.write_config(good + "server: [this is not\n")
            os.kill(self.server.proc.pid, signal.SIGHUP)

            where = re.compile(re.escape(self.server.config_path) + r":\d+")

            def reported():  # the error names the file and line ("path:line: ...")
                return where.search(self.server.proc.log_text()[log_before:])

            self.assertTrue(process.wait_until(reported, 5),
                            "no error naming the broken file and line after SIGHUP")
            self.assertTrue(self.server.alive(), "tidald died on SIGHUP with a broken config")
            for h, p in self.server.listen:
                self.assertTrue(soa_answered(h, p), "not answering on %s" % format_listen(h, p))
        finally:
            self.server.write_config(good)
        os.kill(self.server.proc.pid, signal.SIGHUP)  # a good file again: reloads fine
        time.sleep(0.3)
        self.assertTrue(self.server.alive())
        for h, p in self.server.listen:
            self.assertTrue(soa_answered(h, p))


class ConnectionCapTest(ServerTestCase):
    """workers 1, tcp-max-connections 2: a third concurrent connection is closed at once."""

    @classmethod
    def setUpClass(cls):
        cls.make_workdir("tidal-network-cap-")
        missing = require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        cls.server = cls.add_server(Tidald(cls.workdir, workers=1, max_connections=2,
                                           idle_timeout="30s"))
        try:
            cls.server.start()
        except Exception:
            cls._failed = True
            cls.print_logs("server start failed")
            cls.stop_servers()
            cls.cleanup_workdir()
            raise

    @classmethod
    def tearDownClass(cls):
        status = cls.server.stop()
        problems = cls.server.sanitizer_reports()
        if status != 0:
            problems.append("tidald exited %s on SIGTERM, not 0" % status)
        if problems:
            cls._failed = True
            cls.print_logs("tidald did not stop cleanly")
        cls.cleanup_workdir()
        if problems:
            raise AssertionError("\n".join(problems))

    def ask(self, sock, msg_id):
        sock.sendall(frame(wire.build_query("www.example.test", "A", msg_id=msg_id)))
        return read_reply(sock)

    def test_third_connection_closed_while_two_keep_working(self):
        host, port = self.server.listen[0]
        first = tcp_connect(host, port)
        second = tcp_connect(host, port)
        try:
            # Answers prove both connections were accepted before the third one arrives.
            self.assertEqual(self.ask(first, 1).id, 1)
            self.assertEqual(self.ask(second, 2).id, 2)
            with tcp_connect(host, port) as third:
                try:
                    third.sendall(frame(wire.build_query("www.example.test", "A", msg_id=3)))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                elapsed = wait_closed(third, 5)
                self.assertIsNotNone(elapsed, "a third connection was kept open (cap is 2)")
            self.assertEqual(self.ask(first, 4).id, 4, "first connection broken by the third")
            self.assertEqual(self.ask(second, 5).id, 5, "second connection broken by the third")
        finally:
            first.close()

        # With one closed there is room again (the server notices the close shortly).
        def fourth_served():
            try:
                with tcp_connect(host, port, timeout=1) as s:
                    m = self.ask(s, 6)
                    return m is not None and m.id == 6
            except OSError:
                return False

        try:
            self.assertTrue(process.wait_until(fourth_served, 5, interval=0.1),
                            "no new connection served after one of the two closed")
        finally:
            second.close()


class ProcessTest(unittest.TestCase):
    """Command line, start-up failures and stopping: each test runs its own tidald."""

    def setUp(self):
        missing = require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        self.workdir = tempfile.mkdtemp(prefix="tidal-network-proc-")
        self.server = Tidald(self.workdir, workers=2)
        self.addCleanup(self.cleanup)

    def cleanup(self):
        self.server.stop()  # also closes the log of a server that already exited
        shutil.rmtree(self.workdir, ignore_errors=True)

    def run_tidald(self, *args, timeout=30):
        return process.run([paths.tidald()] + list(args), timeout=timeout)

    def prepared_server(self):
        """Config written and zone imported, tidald not started."""
        self.server.listen = [("127.0.0.1", free_port("127.0.0.1"))]
        self.server.write_config()
        self.server.tidalctl("zone", "import", ZONE_FILE, "--origin", ZONE_ORIGIN)
        return self.server

    def test_version_help_and_usage_errors(self):
        r = self.run_tidald("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(), r"^tidald \d+\.\d+\.\d+")
        r = self.run_tidald("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        for option in ("--config", "--check-config", "--version"):
            self.assertIn(option, r.stdout)
        r = self.run_tidald("--no-such-option")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)

    def test_check_config_exit_codes(self):
        server = self.prepared_server()
        r = self.run_tidald("--config", server.config_path, "--check-config")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        bad = os.path.join(self.workdir, "bad.yaml")
        with open(bad, "w") as f:
            f.write(server.config_text() + "server:\n  workers: many\n")
        r = self.run_tidald("--config", bad, "--check-config")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(bad, r.stderr)
        missing = os.path.join(self.workdir, "missing.yaml")
        r = self.run_tidald("--config", missing, "--check-config")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(missing, r.stderr)
        # Without --check-config a bad file stops the daemon from starting, also with 2.
        r = self.run_tidald("--config", bad)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)

    def test_bind_failure_names_the_address(self):
        server = self.prepared_server()
        host, port = server.listen[0]
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            with self.subTest(kind=kind), socket.socket(socket.AF_INET, kind) as holder:
                holder.bind((host, port))  # no SO_REUSEPORT: nobody else may bind this port
                if kind == socket.SOCK_STREAM:
                    holder.listen(1)
                r = self.run_tidald("--config", server.config_path)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn(format_listen(host, port), r.stderr)
                self.assertIn("in use", r.stderr.lower())

    def test_second_server_on_the_same_port_refused(self):
        # SO_REUSEPORT must not let two tidalds silently share one address.
        self.server.start()
        second = os.path.join(self.workdir, "second.yaml")
        with open(second, "w") as f:
            f.write(self.server.config_text().replace(
                self.server.db_path, os.path.join(self.workdir, "second.db")))
        r = self.run_tidald("--config", second)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(format_listen(*self.server.listen[0]), r.stderr)
        self.assertTrue(soa_answered(*self.server.listen[0]))

    def test_database_that_cannot_be_opened_is_named(self):
        server = self.prepared_server()
        db = os.path.join(self.workdir, "corrupt.db")
        with open(db, "wb") as f:
            f.write(b"this is not an SQLite database" * 200)
        path = os.path.join(self.workdir, "nodb.yaml")
        with open(path, "w") as f:
            f.write(server.config_text().replace(server.db_path, db))
        r = self.run_tidald("--config", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(db, r.stderr)

    def test_fresh_host_without_database_serves_once_one_appears(self):
        # A new host: tidald starts before anything was imported, says so, answers SERVFAIL
        # for its configured zone, and serves the zone as soon as the database exists.
        self.server.listen = [("127.0.0.1", free_port("127.0.0.1"))]
        self.server.port = self.server.listen[0][1]
        self.server.write_config()
        self.assertFalse(os.path.exists(self.server.db_path))
        self.server.proc = process.ManagedProcess(
            [paths.tidald(), "--config", self.server.config_path], self.server.log_path)
        host, port = self.server.listen[0]

        def rcode():
            try:
                reply = wire.udp_exchange(port, wire.build_query(ZONE_ORIGIN, "SOA"), host=host,
                                          timeout=0.5)
            except ConnectionRefusedError:  # not bound yet
                return None
            return None if reply is None else reply[3] & 0x0F

        self.assertEqual(process.wait_until(lambda: rcode() == 2, 10, interval=0.1), True,
                         self.server.log_text())
        self.assertIn("does not exist yet", self.server.proc.log_text())
        self.server.tidalctl("zone", "import", ZONE_FILE, "--origin", ZONE_ORIGIN)
        self.assertEqual(process.wait_until(lambda: soa_answered(host, port), 10, interval=0.1),
                         True, self.server.log_text())

    def test_systemd_notifications(self):
        # sd_notify(3) without systemd: our own NOTIFY_SOCKET collects what tidald says.
        server = self.prepared_server()
        host, port = server.listen[0]
        notify_path = os.path.join(self.workdir, "notify.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
            notify.bind(notify_path)
            env = dict(os.environ, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="400000")
            env.pop("WATCHDOG_PID", None)
            server.proc = process.ManagedProcess([paths.tidald(), "--config", server.config_path],
                                                 server.log_path, env=env)

            def next_message(wanted, timeout=20.0):
                """Messages up to and including the first that holds `wanted`."""
                seen = []
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    notify.settimeout(max(0.01, deadline - time.monotonic()))
                    try:
                        text = notify.recv(4096).decode()
                    except socket.timeout:
                        break
                    seen.append(text)
                    if wanted in text.split("\n"):
                        return seen
                self.fail("no %s from tidald; got %r\n%s" % (wanted, seen, server.log_text()))

            ready = next_message("READY=1")[-1]
            self.assertTrue(soa_answered(host, port), "READY=1 sent before the server answers")
            self.assertTrue(any(l.startswith("STATUS=") for l in ready.split("\n")), ready)
            # WATCHDOG_USEC=0.4 s: pings at least every 0.2 s.
            started = time.monotonic()
            next_message("WATCHDOG=1", timeout=1.0)
            next_message("WATCHDOG=1", timeout=1.0)
            self.assertLess(time.monotonic() - started, 1.0)
            os.kill(server.proc.pid, signal.SIGHUP)
            next_message("RELOADING=1", timeout=5)
            next_message("READY=1", timeout=5)  # the reload is done
            server.proc.proc.send_signal(signal.SIGTERM)
            next_message("STOPPING=1", timeout=5)
            self.assertEqual(server.proc.proc.wait(timeout=10), 0, server.log_text())

    def test_sigterm_exits_zero_promptly_with_connections_open(self):
        server = self.server.start()
        host, port = server.listen[0]
        idle = tcp_connect(host, port)
        partial = tcp_connect(host, port)
        try:
            partial.sendall(frame(wire.build_query("www.example.test", "A"))[:7])
            time.sleep(0.1)
            started = time.monotonic()
            server.proc.proc.send_signal(signal.SIGTERM)
            try:
                status = server.proc.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.fail("tidald still running 5 s after SIGTERM")
            self.assertEqual(status, 0, server.log_text())
            self.assertLess(time.monotonic() - started, 5)
            self.assertEqual(server.sanitizer_reports(), [])
        finally:
            idle.close()
            partial.close()


# --- wildcard addresses, in a private network namespace ---------------------------------------

def wildcard_check(tidald, workdir):
    """Runs inside `unshare --net`: tidald on 0.0.0.0 and [::] (the same port on both, which
    needs IPV6_V6ONLY), queried at 127.0.0.2 and ::1 with connected sockets, which accept only
    replies from the address they sent to. Prints OK or what failed; exit status 0 or 1."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    port = free_port("127.0.0.1")
    server = Tidald(workdir, hosts=("0.0.0.0", "::"), workers=2)
    server.listen = [("0.0.0.0", port), ("::", port)]
    server.write_config()
    server.tidalctl("zone", "import", ZONE_FILE, "--origin", ZONE_ORIGIN)
    server.proc = process.ManagedProcess([tidald, "--config", server.config_path],
                                         server.log_path)
    failures = []
    try:
        for dest in ("127.0.0.2", "127.0.0.1", "::1"):
            ok = process.wait_until(lambda: not server.alive() or soa_answered(dest, port), 10)
            if not ok or not server.alive():
                failures.append("no UDP answer from %s (wrong source address?)" % dest)
            with tcp_connect(dest, port) as s:
                s.sendall(frame(wire.build_query("www.example.test", "A", msg_id=9)))
                m = read_reply(s)
                if m is None or a_rdatas(m, "www.example.test") != [WWW_A]:
                    failures.append("no TCP answer from %s" % dest)
    finally:
        status = server.stop()
    if status != 0:
        failures.append("tidald exited %s" % status)
    if failures:
        print("\n".join(failures) + "\n" + server.log_text())
        return 1
    print("OK")
    return 0


class WildcardTest(unittest.TestCase):
    def test_wildcard_addresses_answer_from_the_queried_address(self):
        unshare = shutil.which("unshare")
        if os.geteuid() != 0 or unshare is None or shutil.which("ip") is None:
            self.skipTest("needs root, unshare and ip for a private network namespace")
        missing = require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        workdir = tempfile.mkdtemp(prefix="tidal-network-wild-")
        self.addCleanup(shutil.rmtree, workdir, True)
        env = dict(os.environ, TIDALD=paths.tidald(), TIDALCTL=paths.tidalctl())
        done = subprocess.run([unshare, "--net", sys.executable, os.path.abspath(__file__),
                               "--wildcard-check", workdir], capture_output=True, text=True,
                              timeout=120, env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--wildcard-check":
        sys.exit(wildcard_check(paths.tidald(), sys.argv[2]))
    unittest.main(verbosity=2)
