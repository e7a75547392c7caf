"""Just enough DNS wire format to probe a server: build a query, read a response's header."""

import select
import socket
import struct
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28}
RCODE_NOERROR = 0


def encode_name(name):
    out = bytearray()
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out.append(len(raw))
            out += raw
    out.append(0)
    return bytes(out)


def build_query(qid, name, qtype):
    """A query without RD and without EDNS, as dnsperf sends them by default."""
    header = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0)
    return header + encode_name(name) + struct.pack("!HH", TYPES[qtype], 1)


class Answer:
    """The parts of a response header the probes look at."""

    def __init__(self, packet):
        (self.id, flags, self.qdcount, self.ancount, self.nscount,
         self.arcount) = struct.unpack("!HHHHHH", packet[:12])
        self.qr = bool(flags & 0x8000)
        self.aa = bool(flags & 0x0400)
        self.rcode = flags & 0x000F

    def positive(self):
        """NOERROR with at least one answer record."""
        return self.qr and self.rcode == RCODE_NOERROR and self.ancount > 0


class Prober:
    """Sends one query after another to 127.0.0.1:port until one gets a positive answer.

    Each attempt waits `interval` seconds for answers; an answer to any earlier attempt counts
    (a server that was still loading answers the queries queued in its socket buffer).
    """

    def __init__(self, port, host="127.0.0.1"):
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.next_id = 1

    def close(self):
        self.sock.close()

    def wait_positive(self, name, qtype, timeout, interval=0.001, alive=None, tick=None):
        """Returns the monotonic time of the first positive answer, or None after timeout
        seconds (or as soon as alive() says the server died). tick(), when given, is called
        once per attempt (about every `interval` seconds)."""
        deadline = time.monotonic() + timeout
        sent = set()
        checks = 0
        while time.monotonic() < deadline:
            qid = self.next_id
            self.next_id = self.next_id % 65535 + 1
            try:
                self.sock.sendto(build_query(qid, name, qtype), self.addr)
                sent.add(qid)
            except OSError:
                pass  # nothing listening yet (ICMP port unreachable reported on send)
            until = min(deadline, time.monotonic() + interval)
            while True:
                left = until - time.monotonic()
                if left <= 0:
                    break
                ready, _, _ = select.select([self.sock], [], [], left)
                if not ready:
                    break
                try:
                    packet = self.sock.recv(65535)
                except OSError:
                    continue
                now = time.monotonic()
                if len(packet) >= 12:
                    answer = Answer(packet)
                    if answer.id in sent and answer.positive():
                        return now
            checks += 1
            if tick is not None:
                tick()
            if alive is not None and checks % 50 == 0 and not alive():
                return None
        return None


def ask(port, name, qtype, timeout=2.0, host="127.0.0.1"):
    """One query, one Answer (or None after timeout seconds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        qid = 4242
        sock.sendto(build_query(qid, name, qtype), (host, port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                packet = sock.recv(65535)
            except (socket.timeout, OSError):
                return None
            if len(packet) >= 12:
                answer = Answer(packet)
                if answer.id == qid and answer.qr:
                    return answer
    return None
