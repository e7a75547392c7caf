"""Raw DNS messages (RFC 1035 §4) for tests that dig cannot express: malformed queries,
odd header bits, several queries on one TCP connection, garbage.

build_query() makes a query, parse() reads any message (names decompressed), udp_exchange()
and tcp_exchange() talk to a server with bounded timeouts.
"""

import collections
import random
import socket
import struct
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "HINFO": 13, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "DNAME": 39, "OPT": 41, "DS": 43, "RRSIG": 46, "NSEC": 47,
         "DNSKEY": 48, "CAA": 257, "AXFR": 252, "IXFR": 251, "ANY": 255}
CLASSES = {"IN": 1, "CH": 3, "HS": 4, "NONE": 254, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED",
          9: "NOTAUTH", 16: "BADVERS"}

FLAG_QR = 0x8000
FLAG_AA = 0x0400
FLAG_TC = 0x0200
FLAG_RD = 0x0100
FLAG_RA = 0x0080

WireRR = collections.namedtuple("WireRR", "owner rtype rclass ttl rdata")


def encode_name(text):
    """Wire form of a presentation name, case kept (no escapes needed by the tests)."""
    text = text.rstrip(".")
    out = b""
    if text:
        for label in text.split("."):
            raw = label.encode()
            if not 0 < len(raw) < 64:
                raise ValueError("bad label %r" % label)
            out += bytes([len(raw)]) + raw
    return out + b"\x00"


def opt_rr(payload=1232, version=0, do=False, ext_rcode=0, options=b""):
    """An OPT pseudo-RR (RFC 6891 §6.1.2)."""
    ttl = (ext_rcode << 24) | (version << 16) | (0x8000 if do else 0)
    return b"\x00" + struct.pack("!HHIH", TYPES["OPT"], payload, ttl, len(options)) + options


def build_query(qname, qtype="A", qclass="IN", msg_id=None, rd=True, opcode=0, flags=0,
                edns=None, qdcount=None, raw_question=None):
    """A query message. edns: None (no OPT) or a payload size, or raw OPT RR bytes.

    qdcount overrides the header count; raw_question replaces the encoded question.
    """
    if msg_id is None:
        msg_id = random.randrange(0, 65536)
    bits = flags | (opcode << 11) | (FLAG_RD if rd else 0)
    if raw_question is None:
        qt = TYPES[qtype] if isinstance(qtype, str) else qtype
        qc = CLASSES[qclass] if isinstance(qclass, str) else qclass
        question = encode_name(qname) + struct.pack("!HH", qt, qc)
        count = 1
    else:
        question = raw_question
        count = 1
    if qdcount is not None:
        count = qdcount
    additional = b""
    arcount = 0
    if edns is not None:
        additional = edns if isinstance(edns, bytes) else opt_rr(edns)
        arcount = 1
    return struct.pack("!HHHHHH", msg_id, bits, count, 0, 0, arcount) + question + additional


class Message:
    """A parsed message. Names are presentation text as sent (case kept), with trailing dot."""

    def __init__(self):
        self.id = 0
        self.flags = 0
        self.opcode = 0
        self.rcode = 0          # header rcode (4 bits)
        self.counts = (0, 0, 0, 0)
        self.question = []      # (name, type, class)
        self.answer = []
        self.authority = []
        self.additional = []    # without OPT
        self.opt = None         # WireRR of the OPT pseudo-RR, if any
        self.size = 0

    @property
    def qr(self):
        return bool(self.flags & FLAG_QR)

    @property
    def aa(self):
        return bool(self.flags & FLAG_AA)

    @property
    def tc(self):
        return bool(self.flags & FLAG_TC)

    def full_rcode(self):
        """rcode with the OPT extended bits (RFC 6891 §6.1.3)."""
        ext = (self.opt.ttl >> 24) if self.opt else 0
        return (ext << 4) | self.rcode

    def rcode_text(self):
        code = self.full_rcode()
        return RCODES.get(code, str(code))


def _read_name(data, pos):
    labels = []
    jumped = False
    end = pos
    for _ in range(256):
        if pos >= len(data):
            raise ValueError("name runs past the end")
        length = data[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= len(data):
                raise ValueError("truncated pointer")
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if not jumped:
                end = pos + 2
            jumped = True
            if target >= pos:
                raise ValueError("forward compression pointer")
            pos = target
            continue
        if length & 0xC0:
            raise ValueError("bad label type")
        if length == 0:
            if not jumped:
                end = pos + 1
            return ".".join(labels) + ".", end
        labels.append(data[pos + 1:pos + 1 + length].decode("latin-1"))
        pos += 1 + length
    raise ValueError("name too long / pointer loop")


def parse(data):
    """Parses a whole message; raises ValueError if it is malformed."""
    if len(data) < 12:
        raise ValueError("shorter than a header")
    m = Message()
    m.size = len(data)
    m.id, bits, qd, an, ns, ar = struct.unpack("!HHHHHH", data[:12])
    m.flags = bits
    m.opcode = (bits >> 11) & 0xF
    m.rcode = bits & 0xF
    m.counts = (qd, an, ns, ar)
    pos = 12
    for _ in range(qd):
        name, pos = _read_name(data, pos)
        if pos + 4 > len(data):
            raise ValueError("truncated question")
        qt, qc = struct.unpack("!HH", data[pos:pos + 4])
        pos += 4
        m.question.append((name, qt, qc))
    for count, section in ((an, m.answer), (ns, m.authority), (ar, m.additional)):
        for _ in range(count):
            name, pos = _read_name(data, pos)
            if pos + 10 > len(data):
                raise ValueError("truncated RR header")
            rt, rc, ttl, rdlen = struct.unpack("!HHIH", data[pos:pos + 10])
            pos += 10
            if pos + rdlen > len(data):
                raise ValueError("truncated rdata")
            rr = WireRR(name, rt, rc, ttl, data[pos:pos + rdlen])
            pos += rdlen
            if rt == TYPES["OPT"] and section is m.additional:
                if m.opt is not None:
                    raise ValueError("two OPT RRs")
                m.opt = rr
            else:
                section.append(rr)
    if pos != len(data):
        raise ValueError("%d trailing octets" % (len(data) - pos))
    return m


def udp_exchange(port, packet, host="127.0.0.1", timeout=2.0, expect_reply=True):
    """Sends one datagram; returns the reply datagram (bytes) or None after timeout."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))
        s.send(packet)
        if not expect_reply:
            return None
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def _recv_exact(sock, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out reading %d octets" % n)
        sock.settimeout(left)
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d octets" % (len(buf), n))
        buf += chunk
    return buf


def tcp_exchange(port, packets, host="127.0.0.1", timeout=5.0, pipeline=True, split=False):
    """Sends the queries on one TCP connection (RFC 7766 §6.2.1.1 framing) and reads as many
    replies. pipeline: send all before reading any; split: send each message in two writes
    (length prefix alone first) to test reassembly. Returns a list of reply bytes (shorter
    than packets if the server closed the connection or timed out).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.monotonic() + timeout
    replies = []
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((host, port))

        def send(p):
            framed = struct.pack("!H", len(p)) + p
            if split:
                s.sendall(framed[:1])
                time.sleep(0.01)
                s.sendall(framed[1:])
            else:
                s.sendall(framed)

        def read_one():
            length = struct.unpack("!H", _recv_exact(s, 2, deadline))[0]
            return _recv_exact(s, length, deadline)

        try:
            if pipeline:
                for p in packets:
                    send(p)
                for _ in packets:
                    replies.append(read_one())
            else:
                for p in packets:
                    send(p)
                    replies.append(read_one())
        except (socket.timeout, ConnectionError, OSError):
            pass
    return replies
