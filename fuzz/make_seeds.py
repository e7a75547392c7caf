#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.

Every seed is built here from the RFCs' wire formats (queries, UPDATEs, TSIG-signed requests)
or copied from the repository (zone files, the example configuration), except the transfer
answers: those are captured from a real tidald serving zones/example.test.zone (AXFR, IXFR
after two edits, IXFR up to date, each unsigned and TSIG-signed). The capture needs the
binaries (env TIDALD and TIDALCTL, else build-test/ of the source tree); --no-capture keeps
the captured seeds already in the corpus.

The input formats are those documented at the top of each fuzz/fuzz_*.cc. Run it again after
changing a format; commit what it writes. Inputs found by libFuzzer and merged into the corpus
(files named by a SHA-1) are kept. Usage: fuzz/make_seeds.py [--no-capture]
"""

import argparse
import base64
import hashlib
import hmac
import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import time

FUZZ_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(FUZZ_DIR)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests"))

from lib import wire  # noqa: E402  (tests/lib, the test suite's raw-message helpers)

CORPUS = os.path.join(FUZZ_DIR, "corpus")

# As in fuzz/fuzz_support.h.
FIXED_NOW = 1700000000
KEY_NAME = "transfer"
KEY_SECRET = "ZnV6ei10c2lnLWtleS1mb3ItdGlkYWwtMzItb2N0ZXRzIQ=="
REQUEST_ID = 0x7A1D  # fuzz_transfer_client.cc

T = wire.TYPES
CLASS_IN, CLASS_NONE, CLASS_ANY = 1, 254, 255
TYPE_TSIG = 250
OPCODE_NOTIFY, OPCODE_UPDATE = 4, 5
OPTION_EXPIRE = 9  # RFC 7314


# --- wire building ---------------------------------------------------------------------------

def name(text):
    return wire.encode_name(text)


def rr(owner, rtype, rdata=b"", rclass=CLASS_IN, ttl=3600):
    rtype = T[rtype] if isinstance(rtype, str) else rtype
    return name(owner) + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def message(msg_id=4242, flags=0, opcode=0, question=(), answer=(), authority=(),
            additional=()):
    """question: (name, type, class) tuples; the sections: encoded RRs."""
    header = struct.pack("!HHHHHH", msg_id, flags | (opcode << 11), len(question), len(answer),
                         len(authority), len(additional))
    body = b"".join(name(n) + struct.pack("!HH", T[t] if isinstance(t, str) else t, c)
                    for n, t, c in question)
    return header + body + b"".join(answer) + b"".join(authority) + b"".join(additional)


def soa_rdata(serial, mname="ns1.example.test.", rname="hostmaster.example.test."):
    return name(mname) + name(rname) + struct.pack("!IIIII", serial, 7200, 900, 1209600, 300)


def a_rdata(text):
    return socket.inet_pton(socket.AF_INET, text)


def txt_rdata(text):
    raw = text.encode()
    return bytes([len(raw)]) + raw


def opt(payload=1232, do=False, version=0, options=b""):
    return wire.opt_rr(payload=payload, version=version, do=do, options=options)


def expire_option():
    return struct.pack("!HH", OPTION_EXPIRE, 0)


# --- TSIG (RFC 8945 §4.3), HMAC-SHA256 ------------------------------------------------------

def tsig_sign(msg, now, key_name=KEY_NAME, secret=KEY_SECRET, fudge=300, prior_mac=None,
              timers_only=False, unsigned_before=b""):
    """msg with a TSIG RR appended and ARCOUNT + 1; returns (signed, mac). prior_mac: sign as
    an answer over that MAC (§4.3.1); timers_only: a later message of a stream (§4.3.1);
    unsigned_before: the messages sent unsigned since the last signed one, which this MAC
    covers too (§5.3.1)."""
    key_wire = name(key_name.lower())
    alg_wire = name("hmac-sha256")
    time_fudge = struct.pack("!HIH", now >> 32, now & 0xFFFFFFFF, fudge)
    if timers_only:
        variables = time_fudge
    else:
        variables = key_wire + struct.pack("!HI", CLASS_ANY, 0) + alg_wire + time_fudge + \
            struct.pack("!HH", 0, 0)
    digest = b"" if prior_mac is None else struct.pack("!H", len(prior_mac)) + prior_mac
    mac = hmac.new(base64.b64decode(secret), digest + unsigned_before + msg + variables,
                   hashlib.sha256).digest()
    rdata = alg_wire + time_fudge + struct.pack("!H", len(mac)) + mac + msg[:2] + \
        struct.pack("!HH", 0, 0)
    tsig = key_wire + struct.pack("!HHIH", TYPE_TSIG, CLASS_ANY, 0, len(rdata)) + rdata
    arcount = struct.unpack("!H", msg[10:12])[0] + 1
    return msg[:10] + struct.pack("!H", arcount) + msg[12:] + tsig, mac


def frame(msgs):
    return b"".join(struct.pack("!H", len(m)) + m for m in msgs)


# --- writing ---------------------------------------------------------------------------------

def write_corpus(target, seeds, keep_prefix=None):
    """Replaces the seeds of fuzz/corpus/<target>/ with seeds ({file name: bytes}). Inputs
    libFuzzer found (named by their SHA-1, merged in from `make fuzz`) and files starting with
    keep_prefix are left in place."""
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    for existing in os.listdir(directory):
        found_by_fuzzer = re.fullmatch(r"[0-9a-f]{40}", existing) is not None
        kept = keep_prefix is not None and existing.startswith(keep_prefix)
        if not found_by_fuzzer and not kept:
            os.remove(os.path.join(directory, existing))
    for file_name, data in sorted(seeds.items()):
        with open(os.path.join(directory, file_name), "wb") as f:
            f.write(data)
    print("%-20s %3d seeds, %3d files" % (target, len(seeds), len(os.listdir(directory))))


# --- fuzz_query ------------------------------------------------------------------------------

def query_seeds():
    q = wire.build_query
    seeds = {
        "a-www": q("www.example.test.", "A", msg_id=1, edns=1232),
        "aaaa-mixed-case": q("WwW.ExAmPlE.TeSt.", "AAAA", msg_id=2, edns=1232),
        "mx-apex-additional": q("example.test.", "MX", msg_id=3, edns=1232),
        "soa-no-edns": q("example.test.", "SOA", msg_id=4),
        "ns-apex": q("example.test.", "NS", msg_id=5, edns=4096),
        "any-apex": q("example.test.", "ANY", msg_id=6, edns=1232),
        "nxdomain": q("nope.example.test.", "A", msg_id=7, edns=1232),
        "nodata": q("www.example.test.", "MX", msg_id=8),
        "cname-chain": q("chain1.cname.test.", "A", msg_id=9, edns=1232),
        "cname-loop": q("loop1.cname.test.", "A", msg_id=10, edns=1232),
        "wildcard": q("anything.wild.test.", "A", msg_id=11, edns=1232),
        "wildcard-deep": q("a.b.c.wild.test.", "TXT", msg_id=12, edns=1232),
        "delegation": q("www.child.parent.test.", "A", msg_id=13, edns=1232),
        "ds-at-cut": q("child.parent.test.", "DS", msg_id=14, edns=1232),
        "big-truncated-udp": q("big.test.", "TXT", msg_id=15),
        "big-edns-512": q("big.test.", "A", msg_id=16, edns=512),
        "names-escaped": q("names.test.", "ANY", msg_id=17, edns=1232),
        "refused-outside": q("www.elsewhere.", "A", msg_id=18, edns=1232),
        "class-ch": q("version.bind.", "TXT", qclass="CH", msg_id=19),
        "qtype-0": q("www.example.test.", 0, msg_id=20),
        "edns-do": q("www.example.test.", "A", msg_id=21, edns=opt(do=True)),
        "edns-version-1": q("www.example.test.", "A", msg_id=22, edns=opt(version=1)),
        "edns-expire": q("example.test.", "SOA", msg_id=23, edns=opt(options=expire_option())),
        "secondary-servfail": q("secondary.test.", "SOA", msg_id=24, edns=1232),
        "two-questions": q("www.example.test.", "A", msg_id=25, qdcount=2),
        "no-question": q("www.example.test.", "A", msg_id=26, qdcount=0),
        "opcode-status": q("example.test.", "SOA", msg_id=27, opcode=2),
        "axfr-tcp": q("example.test.", "AXFR", msg_id=28, rd=False),
        "axfr-refused-zone": q("elsewhere.", "AXFR", msg_id=29, rd=False),
        "axfr-big": q("big.test.", "AXFR", msg_id=30, rd=False),
    }
    # IXFR (RFC 1995 §3): the client's SOA in the authority section; from the imported serial
    # (the journal has two changes), from the current one, and from an unknown one.
    for label, serial in (("journal", 2024010101), ("current", 2024010103), ("unknown", 7)):
        seeds["ixfr-" + label] = message(
            31, question=[("example.test.", "IXFR", CLASS_IN)],
            authority=[rr("example.test.", "SOA", soa_rdata(serial))])
    # NOTIFY (RFC 1996) for the secondary zone, with and without the SOA, and for a primary.
    seeds["notify-secondary"] = message(
        32, flags=wire.FLAG_AA, opcode=OPCODE_NOTIFY,
        question=[("secondary.test.", "SOA", CLASS_IN)],
        answer=[rr("secondary.test.", "SOA", soa_rdata(9, "ns.secondary.test.", "h.test."))])
    seeds["notify-bare"] = message(33, flags=wire.FLAG_AA, opcode=OPCODE_NOTIFY,
                                   question=[("secondary.test.", "SOA", CLASS_IN)])
    seeds["notify-primary"] = message(34, flags=wire.FLAG_AA, opcode=OPCODE_NOTIFY,
                                      question=[("example.test.", "SOA", CLASS_IN)])
    # Signed (TSIG at the fixed time: the responder checks against the clock, so BADTIME; the
    # transfer session against the fixed time, so valid).
    signed, _ = tsig_sign(wire.build_query("example.test.", "SOA", msg_id=35, rd=False),
                          FIXED_NOW)
    seeds["tsig-soa"] = signed
    signed, _ = tsig_sign(wire.build_query("example.test.", "AXFR", msg_id=36, rd=False),
                          FIXED_NOW)
    seeds["tsig-axfr"] = signed
    signed, _ = tsig_sign(wire.build_query("example.test.", "SOA", msg_id=37, rd=False),
                          FIXED_NOW, key_name="nokey")
    seeds["tsig-badkey"] = signed
    # Compression pointer in the question (not allowed there) and garbage after the message.
    seeds["question-pointer"] = struct.pack("!HHHHHH", 38, 0, 1, 0, 0, 0) + \
        b"\xc0\x0c\x00\x01\x00\x01"
    seeds["trailing-octets"] = q("www.example.test.", "A", msg_id=39) + b"\x00\x01\x02"
    return seeds


# --- fuzz_zone_file --------------------------------------------------------------------------

ZONE_SNIPPETS = {
    "include": "$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n"
               "ns1 A 192.0.2.1\n$INCLUDE inc.zone\n$INCLUDE nested.zone sub.example.test.\n",
    "include-loop": "$ORIGIN x.test.\n@ 60 SOA ns h 1 2 3 4 5\n@ 60 NS ns\n$INCLUDE loop.zone\n",
    "rfc3597": "x.test. 60 IN SOA ns.x.test. h.x.test. 1 2 3 4 5\nx.test. 60 NS ns.x.test.\n"
               "a.x.test. 60 TYPE65280 \\# 4 0a000001\nb.x.test. 60 A \\# 4 c0000201\n",
    "ttl-units-parens": "$TTL 1h30m\nx.test. IN SOA ns.x.test. h.x.test. (\n 1 ; serial\n 2h\n"
                        " 15m\n 2w\n 5m )\nx.test. NS ns\nns 1d A 192.0.2.53\n",
    "escapes": "$ORIGIN x.test.\n@ 60 SOA ns h 1 2 3 4 5\n@ 60 NS ns\n"
               "a\\.b 60 TXT \"quote \\\" and \\065\"\n\\@ 60 A 192.0.2.1\n"
               "sp\\032ace 60 TXT a b c\n",
    "cname-conflict": "$ORIGIN x.test.\n@ 60 SOA ns h 1 2 3 4 5\n@ 60 NS ns\n"
                      "c 60 CNAME t\nc 60 A 192.0.2.1\n",
    "two-soa": "$ORIGIN x.test.\n@ 60 SOA ns h 1 2 3 4 5\n@ 60 SOA ns h 2 2 3 4 5\n@ 60 NS ns\n",
    "outside-and-ttls": "$ORIGIN x.test.\n@ 60 SOA ns h 1 2 3 4 5\n@ 60 NS ns\n"
                        "a 60 A 192.0.2.1\na 90 A 192.0.2.2\nwww.y.test. 60 A 192.0.2.3\n"
                        "del 60 NS ns.other.\nbelow.del 60 A 192.0.2.4\n",
    "many-types": "$ORIGIN x.test.\n@ 60 SOA ns h 1 2 3 4 5\n@ 60 NS ns\n"
                  "@ 60 MX 10 mail\n_sip._udp 60 SRV 0 5 5060 sip\n@ 60 CAA 0 issue \"ca\"\n"
                  "@ 60 NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:x@y!\" .\n"
                  "ds 60 DS 12345 13 2 0123456789abcdef0123456789abcdef"
                  "0123456789abcdef0123456789abcdef\n"
                  "h 60 HTTPS 1 . alpn=h2 port=443\nd 60 DNAME y.test.\nw 60 AAAA 2001:db8::1\n",
}


def zone_seeds():
    seeds = {}
    for file_name in ("example.test.zone", "wild.test.zone", "cname.test.zone", "names.test.zone",
                      "parent.test.zone", "child.parent.test.zone"):
        with open(os.path.join(SOURCE_DIR, "zones", file_name), "rb") as f:
            seeds[file_name] = f.read()
    for label, text in ZONE_SNIPPETS.items():
        seeds[label + ".zone"] = text.encode()
    return seeds


# --- fuzz_tsig -------------------------------------------------------------------------------

def tsig_request_seed(msg, now, request=True):
    return bytes([0 if request else 1]) + struct.pack("!HI", now >> 32, now & 0xFFFFFFFF) + msg


def tsig_seeds(captured_streams):
    query = wire.build_query("example.test.", "SOA", msg_id=77, rd=False, edns=1232)
    signed, _ = tsig_sign(query, FIXED_NOW)
    other_key, _ = tsig_sign(query, FIXED_NOW, key_name="editor")
    late, _ = tsig_sign(query, FIXED_NOW + 3600)
    seeds = {
        "request-signed": tsig_request_seed(signed, FIXED_NOW),
        "request-unsigned": tsig_request_seed(query, FIXED_NOW),
        "request-other-key": tsig_request_seed(other_key, FIXED_NOW),
        "request-badtime": tsig_request_seed(late, FIXED_NOW),
        "request-truncated-mac": tsig_request_seed(signed[:-20], FIXED_NOW),
    }
    # A stream signed here: two messages, the second signed over the first's MAC, timers only.
    request, request_mac = tsig_sign(query, FIXED_NOW)
    first, mac = tsig_sign(message(77, flags=wire.FLAG_QR | wire.FLAG_AA,
                                   question=[("example.test.", "AXFR", CLASS_IN)],
                                   answer=[rr("example.test.", "SOA", soa_rdata(5))]),
                           FIXED_NOW, prior_mac=request_mac)
    last, _ = tsig_sign(message(77, flags=wire.FLAG_QR | wire.FLAG_AA,
                                answer=[rr("example.test.", "SOA", soa_rdata(5))]),
                        FIXED_NOW, prior_mac=mac, timers_only=True)
    # RFC 8945 §5.3.1: a message may go unsigned; the next signed one's MAC covers it too.
    middle = message(77, flags=wire.FLAG_QR | wire.FLAG_AA,
                     answer=[rr("www.example.test.", "A", a_rdata("192.0.2.80"))])
    after_middle, _ = tsig_sign(message(77, flags=wire.FLAG_QR | wire.FLAG_AA,
                                        answer=[rr("example.test.", "SOA", soa_rdata(5))]),
                                FIXED_NOW, prior_mac=mac, timers_only=True,
                                unsigned_before=middle)
    seeds["stream-unsigned-middle"] = tsig_request_seed(
        bytes([len(request_mac)]) + request_mac + frame([first, middle, after_middle]),
        FIXED_NOW, False)
    seeds["stream-made-here"] = tsig_request_seed(
        bytes([len(request_mac)]) + request_mac + frame([first, last]), FIXED_NOW, False)
    for label, (now, mac_bytes, stream) in captured_streams.items():
        seeds["stream-" + label] = tsig_request_seed(bytes([len(mac_bytes)]) + mac_bytes + stream,
                                                     now, False)
    return seeds


# --- fuzz_transfer_client --------------------------------------------------------------------

def transfer_seed(ixfr, serial, now, mac, stream):
    flags = (1 if ixfr else 0) | (2 if mac else 0)
    return bytes([flags]) + struct.pack("!I", serial) + \
        struct.pack("!HI", now >> 32, now & 0xFFFFFFFF) + bytes([len(mac)]) + mac + stream


def transfer_request(ixfr_serial=None):
    """The request fuzz_transfer_client.cc rebuilds (xfr::build_request with our fixed ID)."""
    authority = []
    if ixfr_serial is not None:
        authority = [name("example.test.") + struct.pack("!HHIH", T["SOA"], CLASS_IN, 0, 22) +
                     b"\x00\x00" + struct.pack("!IIIII", ixfr_serial, 0, 0, 0, 0)]
    return message(REQUEST_ID, question=[("example.test.", "IXFR" if ixfr_serial is not None
                                          else "AXFR", CLASS_IN)],
                   authority=authority, additional=[opt(options=expire_option())])


def synthetic_transfer_seeds():
    """Answer streams written here, for what a tidald capture does not show."""
    qr = wire.FLAG_QR | wire.FLAG_AA
    axfr_q = [("example.test.", "AXFR", CLASS_IN)]
    ixfr_q = [("example.test.", "IXFR", CLASS_IN)]
    soa5 = rr("example.test.", "SOA", soa_rdata(5))
    soa6 = rr("example.test.", "SOA", soa_rdata(6))
    soa7 = rr("example.test.", "SOA", soa_rdata(7))
    ns = rr("example.test.", "NS", name("ns1.example.test."))
    www = rr("www.example.test.", "A", a_rdata("192.0.2.80"))
    www2 = rr("www.example.test.", "A", a_rdata("192.0.2.81"))
    outside = rr("www.other.test.", "A", a_rdata("192.0.2.1"))
    m = lambda q, an: message(REQUEST_ID, flags=qr, question=q, answer=an)  # noqa: E731
    return {
        "synthetic-axfr-one-message": transfer_seed(False, 0, FIXED_NOW, b"",
                                                    frame([m(axfr_q, [soa5, ns, www, soa5])])),
        "synthetic-axfr-three-messages": transfer_seed(
            False, 0, FIXED_NOW, b"",
            frame([m(axfr_q, [soa5, ns]), m([], [www, outside]), m([], [soa5])])),
        "synthetic-axfr-soa-only": transfer_seed(False, 0, FIXED_NOW, b"",
                                                 frame([m(axfr_q, [soa5, soa5])])),
        "synthetic-ixfr-two-diffs": transfer_seed(
            True, 5, FIXED_NOW, b"",
            frame([m(ixfr_q, [soa7, soa5, www, soa6, www2, soa6, soa7, soa7])])),
        "synthetic-ixfr-up-to-date": transfer_seed(True, 5, FIXED_NOW, b"",
                                                   frame([m(ixfr_q, [soa5])])),
        "synthetic-ixfr-axfr-style": transfer_seed(True, 3, FIXED_NOW, b"",
                                                   frame([m(ixfr_q, [soa5, ns, www, soa5])])),
        "synthetic-notauth": transfer_seed(False, 0, FIXED_NOW, b"", frame([message(
            REQUEST_ID, flags=wire.FLAG_QR | 9, question=axfr_q)])),
    }


def capture_transfers(workdir):
    """Runs tidald on example.test. and captures its AXFR/IXFR answers (unsigned and signed).
    Returns ({seed name: fuzz_transfer_client input}, {label: (now, request MAC, stream)})."""
    from lib import process
    from lib.replication import ZoneSpec
    from lib.tidal import TidalServer
    from lib.tsigkeys import TsigKey

    key = TsigKey(KEY_NAME, "hmac-sha256", KEY_SECRET)
    zone_file = os.path.join(SOURCE_DIR, "zones", "example.test.zone")
    spec = ZoneSpec("example.test.", zone_file, allow_transfer=[key, "127.0.0.1"])
    server = TidalServer(workdir, [spec], workers=1)
    server.start()
    try:
        def soa_serial():
            reply = wire.udp_exchange(server.port, wire.build_query("example.test.", "SOA",
                                                                    rd=False))
            return struct.unpack("!I", wire.parse(reply).answer[0].rdata[-20:-16])[0]

        def exchange(request):
            """Sends request over TCP; reads answers until the connection is quiet."""
            stream = b""
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
                s.sendall(struct.pack("!H", len(request)) + request)
                s.settimeout(1.0)
                for _ in range(10000):
                    try:
                        chunk = s.recv(65536)
                    except socket.timeout:
                        break
                    if not chunk:
                        break
                    stream += chunk
            if not stream:
                raise RuntimeError("tidald sent no answer to a transfer request")
            return stream

        seeds, streams = {}, {}

        def capture(label, ixfr_serial):
            plain = transfer_request(ixfr_serial)
            seeds["tidald-" + label] = transfer_seed(ixfr_serial is not None, ixfr_serial or 0,
                                                     FIXED_NOW, b"", exchange(plain))
            now = int(time.time())
            signed, mac = tsig_sign(plain, now)
            stream = exchange(signed)
            seeds["tidald-signed-" + label] = transfer_seed(ixfr_serial is not None,
                                                            ixfr_serial or 0, now, mac, stream)
            streams[label] = (now, mac, stream)

        first = soa_serial()
        capture("axfr", None)
        for i in (1, 2):
            server.record("add", "journal%d.example.test." % i, 300, "TXT", '"change %d"' % i)
        if not process.wait_until(lambda: soa_serial() != first, 10.0, interval=0.1):
            raise RuntimeError("tidald did not pick up the edits")
        current = soa_serial()
        capture("ixfr", first)
        capture("ixfr-up-to-date", current)
        capture("ixfr-axfr-style", (first - 10) & 0xFFFFFFFF)
        return seeds, streams
    finally:
        server.proc.stop()


# --- fuzz_update -----------------------------------------------------------------------------

def update_seeds():
    def upd(msg_id, zone, prereq=(), updates=()):
        return message(msg_id, opcode=OPCODE_UPDATE, question=[(zone, "SOA", CLASS_IN)],
                       answer=list(prereq), authority=list(updates))

    z = "example.test."
    seeds = {
        "add-a": upd(1, z, updates=[rr("new.example.test.", "A", a_rdata("192.0.2.77"), ttl=300)]),
        "add-existing-ttl": upd(2, z, updates=[rr("www.example.test.", "A", a_rdata("192.0.2.80"),
                                                  ttl=60)]),
        "delete-rrset": upd(3, z, updates=[rr("www.example.test.", "A", rclass=CLASS_ANY, ttl=0)]),
        "delete-name": upd(4, z, updates=[rr("www.example.test.", "ANY", rclass=CLASS_ANY,
                                             ttl=0)]),
        "delete-rr": upd(5, z, updates=[rr("www.example.test.", "A", a_rdata("192.0.2.80"),
                                           rclass=CLASS_NONE, ttl=0)]),
        "delete-apex-ns": upd(6, z, updates=[rr(z, "NS", rclass=CLASS_ANY, ttl=0)]),
        "delete-last-ns": upd(7, z, updates=[
            rr(z, "NS", name("ns1.example.test."), rclass=CLASS_NONE, ttl=0),
            rr(z, "NS", name("ns2.example.test."), rclass=CLASS_NONE, ttl=0)]),
        "cname-over-data": upd(8, z, updates=[rr("www.example.test.", "CNAME",
                                                 name("mail.example.test."))]),
        "data-at-cname": upd(9, z, updates=[
            rr("alias.example.test.", "CNAME", name("www.example.test.")),
            rr("alias.example.test.", "TXT", txt_rdata("beside"))]),
        "soa-newer": upd(10, z, updates=[rr(z, "SOA", soa_rdata(2100000000))]),
        "prereq-yxdomain": upd(11, z, prereq=[rr("www.example.test.", "ANY", rclass=CLASS_ANY,
                                                 ttl=0)],
                               updates=[rr("www.example.test.", "TXT", txt_rdata("x"))]),
        "prereq-nxdomain-fails": upd(12, z, prereq=[rr("www.example.test.", "ANY",
                                                       rclass=CLASS_NONE, ttl=0)]),
        "prereq-yxrrset-value": upd(13, z, prereq=[rr("www.example.test.", "A",
                                                      a_rdata("192.0.2.80"), ttl=0)],
                                    updates=[rr("www.example.test.", "A", rclass=CLASS_ANY,
                                                ttl=0)]),
        "prereq-nxrrset": upd(14, z, prereq=[rr("www.example.test.", "MX", rclass=CLASS_NONE,
                                                ttl=0)]),
        "outside-notzone": upd(15, z, updates=[rr("www.other.test.", "A", a_rdata("192.0.2.1"))]),
        "unknown-zone": upd(16, "other.test.",
                            updates=[rr("a.other.test.", "A", a_rdata("192.0.2.1"))]),
        "unsigned-refused": upd(17, "wild.test.",
                                updates=[rr("x.wild.test.", "A", a_rdata("192.0.2.1"))]),
        "zone-section-a": message(18, opcode=OPCODE_UPDATE, question=[(z, "A", CLASS_IN)]),
        "many-edits": upd(19, z, updates=[
            rr("a.b.example.test.", "AAAA", socket.inet_pton(socket.AF_INET6, "2001:db8::1")),
            rr("mail.example.test.", "MX", struct.pack("!H", 5) + name("www.example.test.")),
            rr("www.example.test.", "ANY", rclass=CLASS_ANY, ttl=0),
            rr("www.example.test.", "A", a_rdata("192.0.2.99"))]),
    }
    signed, _ = tsig_sign(upd(20, "wild.test.",
                              updates=[rr("x.wild.test.", "A", a_rdata("192.0.2.1"))]), FIXED_NOW)
    seeds["signed-wild"] = signed
    signed, _ = tsig_sign(upd(21, z, updates=[rr("new.example.test.", "TXT", txt_rdata("t"))]),
                          FIXED_NOW + 10000)
    seeds["signed-badtime"] = signed
    seeds["with-opt"] = message(22, opcode=OPCODE_UPDATE, question=[(z, "SOA", CLASS_IN)],
                                authority=[rr("e.example.test.", "A", a_rdata("192.0.2.5"))],
                                additional=[opt()])
    return seeds


# --- fuzz_config -----------------------------------------------------------------------------

CONFIG_SNIPPETS = {
    "minimal.yaml": "database: /tmp/x.db\n",
    "empty-map.yaml": "{}\n",
    "full.yaml": """database: /var/lib/tidal/tidal.db
control: /run/tidal/control.sock
log: {level: debug, target: stderr}
server:
  listen: ["127.0.0.1:5300", "[::1]:5300"]
  workers: 2
  udp-max-payload: 1400
  udp-batch-wait: 250us
  tcp-idle-timeout: 10s
  tcp-max-connections: 100
keys:
  - { name: transfer, algorithm: hmac-sha256, secret: "%s" }
  - { name: editor., algorithm: hmac-sha512, secret: "%s" }
remotes:
  - { id: ns1, address: "192.0.2.1:53", key: transfer }
  - { id: ns2, address: "[2001:db8::2]:5353" }
zones:
  - name: example.com.
    role: primary
    notify: [ns2]
    allow-transfer: [ns2, transfer, 10.0.0.0/8, "2001:db8::/32"]
    allow-update: [editor]
    serial-policy: dateserial
    max-staleness: 1h
    stale-policy: serve
  - name: Example.NET
    role: secondary
    primaries: [ns1, ns2]
    allow-notify: [ns1]
    max-staleness: 2d
""" % (KEY_SECRET, KEY_SECRET),
    "errors.yaml": """keys:
  - { name: k, algorithm: hmac-sha999, secret: "not base64!" }
remotes:
  - { id: r, address: "nowhere", key: missing }
zones:
  - { name: a.test., role: secondary }
  - { name: a.test., role: primary, allow-transfer: [unknown, 300.1.1.1/33] }
  - { name: "bad..name", serial-policy: sometimes, max-staleness: -1h }
""",
    "syntax-error.yaml": "zones: [ {name: x.test., role: primary\n",
    "anchors.yaml": "base: &z {role: primary}\nzones:\n  - {<<: *z, name: a.test.}\n",
}


def config_seeds():
    seeds = {name_: text.encode() for name_, text in CONFIG_SNIPPETS.items()}
    with open(os.path.join(SOURCE_DIR, "packaging", "tidal.yaml.example"), "rb") as f:
        seeds["tidal.yaml.example"] = f.read()
    return seeds


# --- main ------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-capture", action="store_true",
                        help="keep the tidald captures already in the corpus")
    args = parser.parse_args()
    os.environ.setdefault("TIDALD", os.path.join(SOURCE_DIR, "build-test", "server", "tidald"))
    os.environ.setdefault("TIDALCTL", os.path.join(SOURCE_DIR, "build-test", "tools", "tidalctl"))

    write_corpus("fuzz_query", query_seeds())
    write_corpus("fuzz_zone_file", zone_seeds())
    write_corpus("fuzz_update", update_seeds())
    write_corpus("fuzz_config", config_seeds())
    if args.no_capture:
        write_corpus("fuzz_transfer_client", synthetic_transfer_seeds(), keep_prefix="tidald-")
        write_corpus("fuzz_tsig", tsig_seeds({}), keep_prefix="stream-tidald")
        return
    workdir = tempfile.mkdtemp(prefix="tidal-seeds-")
    try:
        captured, streams = capture_transfers(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    seeds = synthetic_transfer_seeds()
    seeds.update(captured)
    write_corpus("fuzz_transfer_client", seeds)
    write_corpus("fuzz_tsig", tsig_seeds({"tidald-" + k: v for k, v in streams.items()}))


if __name__ == "__main__":
    main()
