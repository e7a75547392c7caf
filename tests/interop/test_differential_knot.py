#!/usr/bin/python3
"""Differential test: the same few hundred queries to Knot DNS 3.2 (knotd) and to tidald,
both serving zones/*.zone, and the answers compared section by section.

Compared: the response exists; rcode; header flags; OPT present, its version and DO bit;
the question as echoed (case included); the answer, authority and additional sections as
multisets of (owner, TTL, class, type, rdata), names case-insensitively. Every difference
must be covered by a row of TOLERATED below, each backed by the RFC clause that allows
both answers; any other difference is printed with the query and both answers, and fails.

With TIDAL_TEST_TARGET=knot the target is a second knotd, which checks the harness itself
(it must report no difference at all).
"""

import collections
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib import paths  # noqa: E402
from lib.dig import Dig  # noqa: E402
from lib.knot import KnotServer  # noqa: E402
from lib.testcase import ServerTestCase, main, require_binaries  # noqa: E402
from lib.tidal import TidalServer  # noqa: E402
from lib.zonedata import ZoneData, rdata_key  # noqa: E402

TARGET = os.environ.get("TIDAL_TEST_TARGET", "tidal")
ZONES = [(origin, paths.zone_path(f)) for origin, f in paths.STANDARD_ZONES + [paths.HUGE_ZONE]]

# ---------------------------------------------------------------------------------------
# Not compared at all (both answers are right whatever these hold):
#   - the message ID (random per query);
#   - the case of names in the answer, authority and additional sections and in RDATA
#     (RFC 4343 §3: comparisons are case-insensitive; a server may answer from its copy of
#     the owner name or echo the query's case);
#   - the EDNS payload size advertised and EDNS options (EDE, NSID, COOKIE): RFC 6891 §6.2.3
#     lets each responder advertise its own size, RFC 8914 §3 makes EDE optional, RFC 7873
#     §5.2 lets a server ignore cookies.
# ---------------------------------------------------------------------------------------


class Tolerance:
    def __init__(self, key, fields, what, rfc, applies):
        self.key, self.fields, self.what, self.rfc, self.applies = key, fields, what, rfc, applies


def _qtype(query):
    return query.rtype.upper()


def _any_choice(query, ref, got, zd):
    """ANY answered with one RRset of the name (or a synthesised HINFO), chosen freely."""
    if _qtype(query) != "ANY" or got.rcode != ref.rcode or got.rcode != "NOERROR":
        return False
    if not got.answer:
        return False
    kinds = set((rr.owner.lower(), rr.rtype) for rr in got.answer)
    if len(kinds) != 1:
        return False
    owner, rtype = next(iter(kinds))
    if rtype == "HINFO" and all("RFC8482" in rr.rdata for rr in got.answer):
        return True
    # every record must be one of the name's own (or of the wildcard that synthesised it)
    return all(zd.has_rr(owner, rr.rtype, rr.rdata, rr.ttl) or
               any(zd.has_rr(w, rr.rtype, rr.rdata, rr.ttl) for w in zd.wildcards())
               for rr in got.answer)


def _both_truncated(query, ref, got, zd):
    """Both set TC: which RRsets made it into the truncated message is the server's choice."""
    return "tc" in ref.flags and "tc" in got.flags


def _additional_optional(query, ref, got, zd):
    """Additional records are optional (RFC 1035 §3.3.9/§3.3.11, RFC 2181 §5.4.1), except
    in-domain glue in referrals (RFC 9471 §3.1). Tolerated when everything the target put in
    the additional section is true data and no mandatory glue is missing."""
    for rr in got.additional:
        if rr.rtype not in ("A", "AAAA") or \
                not zd.has_rr(rr.owner, rr.rtype, rr.rdata, rr.ttl):
            return False
    if "aa" not in got.flags and not got.answer:  # a referral: in-domain glue is mandatory
        present = set((rr.owner.lower(), rr.rtype, rdata_key(rr.rtype, rr.rdata))
                      for rr in got.additional)
        for ns in got.rrs("authority", "NS"):
            cut = ns.owner.lower()
            target = ns.rdata.lower()
            if not target.endswith("." + cut):
                continue
            for rtype in ("A", "AAAA"):
                for glue in zd.nodes.get(target, {}).get(rtype, []):
                    if (target, rtype, rdata_key(rtype, glue.rdata)) not in present:
                        return False
    return True


def _chaos_refused(query, ref, got, zd):
    """Identifying the server by CH TXT (version.bind, id.server, ...) is optional."""
    return (query.rclass or "IN").upper() == "CH" and got.rcode == "REFUSED" and \
        not got.answer


def _notify_update_not_accepted(query, ref, got, zd):
    """NOTIFY or UPDATE that this server does not take from this client (no allow-notify /
    allow-update for it, or not implemented yet): refused in one of the allowed ways."""
    opcode = [o for o in query.opts if o.startswith("+opcode=")]
    return bool(opcode) and opcode[0] in ("+opcode=4", "+opcode=5", "+opcode=notify",
                                          "+opcode=update") and \
        got.rcode in ("NOTIMP", "REFUSED", "NOTAUTH") and not got.answer


def _reference_duplicates(query, ref, got, zd):
    """Knot 3.2 repeats a synthesised CNAME in a loop through a wildcard; the target gives
    the same records once each."""
    if not duplicated_rrs(ref) or duplicated_rrs(got):
        return False
    return all(set(_rr_multiset(ref.section(s))) == set(_rr_multiset(got.section(s)))
               for s in ("answer", "authority", "additional"))


TOLERATED = [
    Tolerance("any-rrset", {"answer", "authority", "additional"},
              "Which RRset answers a QTYPE=ANY query (one RRset, or a synthesised HINFO)",
              "RFC 8482 §4.1, §4.2", _any_choice),
    Tolerance("truncated-content", {"answer", "authority", "additional"},
              "Which records a truncated (TC=1) UDP response still holds",
              "RFC 2181 §9, RFC 1035 §4.2.1", _both_truncated),
    Tolerance("additional-selection", {"additional"},
              "Optional additional-section data (addresses of NS/MX/SRV targets, sibling "
              "glue); in-domain referral glue stays mandatory",
              "RFC 1035 §3.3.9, §3.3.11; RFC 9471 §2.2, §3.1", _additional_optional),
    Tolerance("chaos-refused", {"rcode", "flags", "answer", "authority", "additional", "opt"},
              "CH-class server identification (version.bind, id.server, hostname.bind) "
              "refused instead of answered",
              "RFC 4892 §2 (optional, operator's choice)", _chaos_refused),
    Tolerance("knot-duplicate-rr", {"answer", "authority", "additional"},
              "Knot repeats an RR (a CNAME looping through a wildcard); the target sends the "
              "same records without the repeat",
              "RFC 2181 §5 (duplicates are to be suppressed)", _reference_duplicates),
    Tolerance("notify-update-refused", {"rcode"},
              "NOTIFY/UPDATE from a client with no permission: NOTIMP, REFUSED or NOTAUTH "
              "(Knot says NOTAUTH)",
              "RFC 1035 §4.1.1, RFC 1996 §3.10/§3.12, RFC 2136 §3.3",
              _notify_update_not_accepted),
]


# --- the corpus --------------------------------------------------------------------------

Query = collections.namedtuple("Query", "name rtype rclass opts tool")


def q(name, rtype="A", rclass=None, opts=(), tool="dig"):
    return Query(name, rtype, rclass, tuple(opts), tool)


def random_case(rnd, name):
    return "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in name)


def build_corpus(zd):
    """Queries generated from the zone contents plus hand-written edge cases (deterministic)."""
    rnd = random.Random(4592)
    out = []
    common = ["A", "AAAA", "MX", "TXT", "ANY", "DS"]
    extra = ["NS", "SOA", "CNAME", "SRV"]
    names = zd.owners() + sorted(zd.ents)
    for i, name in enumerate(names):
        types = set(zd.types_at(name)) | set(common)
        if i % 3 == 0:
            types |= set(extra)
        for t in sorted(types):
            out.append(q(name, t))
        if i % 3 == 1:
            out.append(q("nx." + name, "A"))
            out.append(q("nx." + name, "TXT"))
    for zone in zd.zones:
        out += [q("nx-1." + zone, "A"), q("a.b.nx-2." + zone, "AAAA"), q(zone, "NS"),
                q(zone, "SOA"), q(zone, "TYPE65280"), q("nx-3." + zone, "ANY")]
    for w in zd.wildcards():
        base = w[2:]
        for t in ("A", "AAAA", "TXT", "MX", "ANY", "CNAME", "SRV"):
            out.append(q("match." + base, t))
        out += [q("a.b." + base, "A"), q("A.Mixed." + base, "TXT"), q(w, "A"), q(w, "TXT"),
                q("x." + w, "A")]
    for cut in zd.cuts():
        for t in ("NS", "DS", "A", "ANY", "SOA"):
            out.append(q(cut, t))
        for t in ("A", "AAAA", "NS", "DS"):
            out.append(q("host." + cut, t))
    # case variations
    sample = rnd.sample(names, min(40, len(names)))
    for name in sample:
        out.append(q(random_case(rnd, name), rnd.choice(["A", "TXT", "MX", "AAAA", "NS"])))
    # transport and EDNS variants
    variants = [["+noedns"], ["+tcp"], ["+bufsize=512"], ["+bufsize=4096"], ["+dnssec"],
                ["+norecurse"], ["+tcp", "+noedns"], ["+bufsize=600"]]
    base = rnd.sample(out, 60)
    for i, b in enumerate(base):
        out.append(b._replace(opts=tuple(variants[i % len(variants)])))
    for name in ("tc512.big.test.", "tc1232.big.test.", "many.big.test.", "txt.big.test.",
                 "txt.huge.test."):
        rtype = "TXT" if name.startswith("txt") else "A"
        for v in variants + [[]]:
            out.append(q(name, rtype, opts=v))
        out.append(q(name, "ANY", opts=["+tcp"]))
    # kdig (no EDNS by default, its own question encoding)
    for b in rnd.sample(out, 25):
        out.append(b._replace(opts=(), tool="kdig"))
    # hand-written edge cases
    out += [
        q("version.bind", "TXT", "CH"), q("hostname.bind", "TXT", "CH"),
        q("id.server", "TXT", "CH"), q("version.server", "TXT", "CH"),
        q("www.example.test", "A", "CH"), q("www.example.test", "A", "HS"),
        q("www.example.com", "A"), q("test", "SOA"), q(".", "NS"), q("example.net", "A"),
        q("nottest", "A"), q("www.example.test.example.com", "A"),
        q("www.example.test", "A", opts=["+edns=1", "+noednsnegotiation"]),
        q("nx.example.test", "A", opts=["+edns=1", "+noednsnegotiation"]),
        q("www.example.test", "A", opts=["+opcode=3"]),
        q("www.example.test", "A", opts=["+opcode=1"]),
        q("www.example.test", "A", opts=["+opcode=2"]),
        q("example.test", "SOA", opts=["+opcode=4", "+norecurse"]),
        q("example.test", "SOA", opts=["+opcode=5", "+norecurse"]),
        q("www.example.test", "A", "ANY"),
        q("www.example.test", "A", opts=["+nsid"]),
        q("www.example.test", "A", opts=["+subnet=192.0.2.0/24"]),
        q("www.example.test", "A", opts=["+nocookie"]),
        q("www.example.test", "A", opts=["+ednsopt=65001:abcd"]),
        q("www.example.test", "A", opts=["+bufsize=100"]),
        q("WwW.ExAmPlE.TeSt", "A"), q("WWW.EXAMPLE.TEST", "ANY"),
        q("ftp.example.test", "A"), q("ftp.example.test", "CNAME"), q("ftp.example.test", "MX"),
        q("loop1.cname.test", "A"), q("self.cname.test", "TXT"), q("loop.wl.cname.test", "A"),
        q("a.wl.cname.test", "TXT"), q("long1.cname.test", "A"), q("long3.cname.test", "MX"),
        q("dangling2.cname.test", "MX"),
        q("outserved.cname.test", "A"), q("out.cname.test", "AAAA"),
        q("todeleg.cname.test", "A", opts=["+tcp"]),
        q("a" * 63 + ".example.test", "A"),
        q(".".join(["b" * 60] * 4) + ".test", "A"),
        q("_sip._tcp.example.test", "SRV", opts=["+noedns"]),
        q("example.test", "MX", opts=["+noedns"]),
        q("sub.parent.test", "NS", opts=["+noedns"]),
        q("child.parent.test", "DS", opts=["+tcp"]),
        q("www.child.parent.test", "DS"),
        q("nx.sub.parent.test", "DS"),
        q("small.huge.test", "A"), q("huge.test", "SOA"), q("nx.huge.test", "A"),
        q("www.example.test", "TYPE0"), q("www.example.test", "TYPE65535"),
        q("www.example.test", "RRSIG"), q("www.example.test", "NSEC"),
        q("example.test", "DNSKEY"), q("www.example.test", "OPT"),
    ]
    seen = set()
    corpus = []
    for item in out:
        key = (item.name.rstrip("."), item.rtype, item.rclass, item.opts, item.tool)
        if key not in seen:
            seen.add(key)
            corpus.append(item)
    return corpus


# --- comparison --------------------------------------------------------------------------

def _rr_multiset(rrs):
    return collections.Counter((rr.owner.lower(), rr.ttl, rr.rclass, rr.rtype,
                                rdata_key(rr.rtype, rr.rdata)) for rr in rrs)


def duplicated_rrs(r):
    """RRs that appear twice in one section (RFC 2181 §5: servers suppress duplicates)."""
    dups = []
    for section in ("answer", "authority", "additional"):
        counts = _rr_multiset(r.section(section))
        dups += [(section,) + key for key, n in counts.items() if n > 1]
    return dups


def differences(ref, got):
    """The names of the fields in which two responses differ. "duplicates" is reported for
    the target alone, whatever the reference does (Knot 3.2 repeats a CNAME in one case)."""
    if ref is None or got is None:
        return ["response"] if (ref is None) != (got is None) else []
    fields = []
    if TARGET != "knot" and duplicated_rrs(got):
        fields.append("duplicates")
    if ref.rcode != got.rcode:
        fields.append("rcode")
    if ref.flags != got.flags:
        fields.append("flags")
    ref_opt = None if ref.edns is None else (ref.edns["version"], "do" in ref.edns["flags"])
    got_opt = None if got.edns is None else (got.edns["version"], "do" in got.edns["flags"])
    if ref_opt != got_opt:
        fields.append("opt")
    if [tuple(x) for x in ref.question] != [tuple(x) for x in got.question]:
        fields.append("question")
    for section in ("answer", "authority", "additional"):
        if _rr_multiset(ref.section(section)) != _rr_multiset(got.section(section)):
            fields.append(section)
    return fields


def classify(query, ref, got, zd):
    """([untolerated fields], {field: tolerance key})."""
    fields = differences(ref, got)
    covered = {}
    left = []
    for f in fields:
        for t in TOLERATED:
            if f in t.fields and ref is not None and got is not None and \
                    t.applies(query, ref, got, zd):
                covered[f] = t.key
                break
        else:
            left.append(f)
    return left, covered


def describe(query, client):
    argv = client.command(query.name, query.rtype, query.rclass, query.opts)
    shown = [a for a in argv[1:] if a not in client.DIG_DEFAULTS and a not in client.KDIG_DEFAULTS
             and not a.startswith("@") and a not in ("-p", str(client.port))]
    return "%s %s" % (query.tool, " ".join(shown))


class DifferentialKnot(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.make_workdir("tidal-differential-")
        missing = require_binaries("knotd")
        if TARGET != "knot":
            missing += require_binaries("tidald", "tidalctl")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        try:
            os.makedirs(os.path.join(cls.workdir, "knot"))
            cls.knot = cls.add_server(KnotServer(os.path.join(cls.workdir, "knot"), ZONES))
            cls.knot.start()
            cls.knot_start_problems = cls.knot.problems_in_log()
            os.makedirs(os.path.join(cls.workdir, "target"))
            if TARGET == "knot":
                cls.target = KnotServer(os.path.join(cls.workdir, "target"), ZONES)
            else:
                cls.target = TidalServer(os.path.join(cls.workdir, "target"), ZONES)
            cls.add_server(cls.target)
            cls.target.start()
            # huge.test. cannot be transferred (its RRset exceeds a message); its names are
            # in the hand-written part of the corpus.
            cls.zd = ZoneData.from_axfr(cls.knot.port,
                                        [z for z, _ in ZONES if z != "huge.test."])
        except Exception:
            cls._failed = True
            cls.print_logs("server start failed")
            cls.stop_servers()
            cls.cleanup_workdir()
            raise

    @classmethod
    def tearDownClass(cls):
        alive = [s.alive() for s in cls.servers]
        statuses = cls.stop_servers()
        cls.cleanup_workdir()
        if not all(alive):
            raise AssertionError("a server died during the test: exit statuses %s" % statuses)

    def test_knot_loaded_every_zone_cleanly(self):
        self.assertEqual(self.knot_start_problems, [], "knotd reported problems")
        for origin, _ in ZONES:
            self.assertIn("[%s] loaded" % origin, self.knot.log_text())

    def test_zones_pass_kzonecheck(self):
        kzonecheck = shutil.which("kzonecheck")
        if kzonecheck is None:
            self.skipTest("kzonecheck not installed (Debian package knot-dnssecutils)")
        for origin, path in ZONES:
            with self.subTest(zone=origin):
                done = subprocess.run([kzonecheck, "-o", origin, path], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, timeout=60)
                self.assertEqual((done.returncode, done.stdout), (0, ""), path)

    def test_same_answers_as_knot(self):
        corpus = build_corpus(self.zd)
        self.assertGreater(len(corpus), 300)
        ref_clients = {"dig": Dig(self.knot.port), "kdig": Dig(self.knot.port, tool="kdig")}
        got_clients = {"dig": Dig(self.target.port), "kdig": Dig(self.target.port, tool="kdig")}

        def ask(query):
            ref, ref_raw = ref_clients[query.tool].query_all(query.name, query.rtype,
                                                             query.rclass, query.opts)
            got, got_raw = got_clients[query.tool].query_all(query.name, query.rtype,
                                                             query.rclass, query.opts)
            return (query, ref[-1] if ref else None, ref_raw, got[-1] if got else None, got_raw)

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(ask, corpus))

        tolerated = collections.Counter()
        failures = []
        no_reference = []
        for query, ref, ref_raw, got, got_raw in results:
            if ref is None:
                no_reference.append(describe(query, ref_clients[query.tool]))
            left, covered = classify(query, ref, got, self.zd)
            for key in set(covered.values()):
                tolerated[key] += 1
            if left:
                failures.append((query, left, covered, ref, ref_raw, got, got_raw))

        report = ["%d queries, %d with untolerated differences" % (len(corpus), len(failures))]
        for key, n in sorted(tolerated.items()):
            report.append("  tolerated %-22s %d" % (key, n))
        sys.stderr.write("\n".join(report) + "\n")
        for query, left, covered, ref, ref_raw, got, got_raw in failures:
            sys.stderr.write(
                "\n=== DIFFERENCE in %s: %s%s\n--- knot ---\n%s\n--- %s ---\n%s\n" %
                (", ".join(left), describe(query, ref_clients[query.tool]),
                 (" (also tolerated: %s)" % covered) if covered else "",
                 ref.text if ref else ref_raw, TARGET, got.text if got else got_raw))
        self.assertEqual(no_reference, [], "Knot did not answer these (harness problem)")
        self.assertEqual(len(failures), 0, "\n".join(report))


if __name__ == "__main__":
    main()
