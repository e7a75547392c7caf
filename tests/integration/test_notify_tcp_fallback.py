#!/usr/bin/python3
"""NOTIFY falls back to TCP when UDP goes unanswered (a lost datagram, or a secondary whose UDP
socket a flood keeps full; RFC 1996 §3.3 sends NOTIFY over UDP first).

The "secondary" here is a stand-in on loopback: its UDP socket is bound and never read (every
NOTIFY datagram is lost), its TCP listener answers each NOTIFY with the RFC 1996 §3.7 response
(the query, QR set, rcode NOERROR). A Tidal primary (tidald + tidal-sync) is edited with
tidalctl right after tidal-sync starts, while its start-up NOTIFY is in flight; the NOTIFY for
the new serial must still arrive, over TCP, and tidal-sync must log it as sent.
"""

import os
import select
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths, wire  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.replication import Remote, ZoneSpec  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402

ZONE = "example.test."
WAIT_SECONDS = 15


class TcpOnlySecondary:
    """UDP: bound, never read. TCP: answers NOTIFYs and remembers their SOA serials."""

    def __init__(self, port):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", port))
        self.tcp.listen(8)
        self.tcp.settimeout(0.2)
        self.serials = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                conn, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2.0)
                try:
                    length = struct.unpack("!H", self.read(conn, 2))[0]
                    query = self.read(conn, length)
                except (OSError, ValueError):
                    continue
                message = wire.parse(query)
                if message.opcode == 4 and message.answer:
                    # The SOA's five counters end its rdata; SERIAL is the first of them.
                    rdata = message.answer[0].rdata
                    self.serials.append(struct.unpack("!I", rdata[-20:-16])[0])
                # RFC 1996 §3.7: the response echoes the query with QR set, NOERROR.
                flags = struct.unpack("!H", query[2:4])[0] | 0x8000
                answer = query[:2] + struct.pack("!H", flags & ~0x000F) + query[4:]
                conn.sendall(struct.pack("!H", len(answer)) + answer)

    @staticmethod
    def read(conn, n):
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ValueError("closed")
            data += chunk
        return data

    def close(self):
        self.running = False
        self.tcp.close()
        self.udp.close()
        self.thread.join(timeout=5)


class NotifyTcpFallback(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        missing = require_binaries("tidald", "tidalctl", "tidal-sync")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        workdir = cls.make_workdir("tidal-notify-tcp-")
        cls.secondary = TcpOnlySecondary(free_port())
        stand_in = Remote("standin", cls.secondary.udp.getsockname()[1])
        try:
            cls.primary = cls.add_server(TidalServer(
                os.path.join(workdir, "primary"),
                [ZoneSpec(ZONE, paths.zone_path("example.test.zone"), notify=[stand_in])]))
            os.makedirs(cls.primary.workdir, exist_ok=True)
            cls.primary.start()
            # No settling: the test's edit lands while the start-up NOTIFY round (the zone is new
            # to tidal-sync) is still waiting for its UDP answer, the case where a change made
            # during a round must still be announced after it.
            cls.primary.start_sync(settle=0)
        except Exception:
            cls._failed = True
            cls.print_logs("set-up failed")
            cls.stop_servers()
            cls.secondary.close()
            cls.cleanup_workdir()
            raise

    @classmethod
    def tearDownClass(cls):
        statuses = cls.stop_servers()
        cls.secondary.close()
        cls.cleanup_workdir()
        cls.check_clean_exits(statuses)

    def test_notify_reaches_a_secondary_that_only_answers_over_tcp(self):
        # The start-up round's datagram has arrived (and will never be answered): edit now.
        readable, _, _ = select.select([self.secondary.udp], [], [], WAIT_SECONDS)
        self.assertTrue(readable, "no NOTIFY datagram from tidal-sync at start-up\n%s" %
                        self.primary.sync.log_text()[-4000:])
        serial = self.primary.record("add", "tcp-fallback.example.test.", 300, "A",
                                     "192.0.2.44")
        self.assertIsNotNone(serial)
        deadline = time.monotonic() + WAIT_SECONDS
        while serial not in self.secondary.serials and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn(serial, self.secondary.serials,
                      "no NOTIFY for serial %d over TCP within %d s; got %r\n%s" % (
                          serial, WAIT_SECONDS, self.secondary.serials,
                          self.primary.sync.log_text()[-4000:]))
        log = self.primary.sync.log_text()
        self.assertIn("NOTIFY for %s sent to standin" % ZONE, log, log[-4000:])


if __name__ == "__main__":
    main()
