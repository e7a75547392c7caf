"""Before a server is timed: one query of each kind in the mix, checked for the answer an
authoritative server must give, so that no server is faster for answering something else."""

from . import dnswire

NOERROR, NXDOMAIN = 0, 3


def expectations(origin):
    """(query name, type, what must hold, description) for each kind of query in the mix,
    using names bench/gen_zone.py always generates."""
    return [
        ("h0000001." + origin, "A",
         lambda a: a.rcode == NOERROR and a.aa and a.ancount == 1, "positive: NOERROR, AA, 1 A"),
        ("h0000002." + origin, "AAAA",
         lambda a: a.rcode == NOERROR and a.aa and a.ancount == 1, "positive AAAA"),
        ("xnothere." + origin, "A",
         lambda a: a.rcode == NXDOMAIN and a.aa and a.ancount == 0 and a.nscount == 1,
         "NXDOMAIN with the SOA"),
        ("h0000001." + origin, "MX",
         lambda a: a.rcode == NOERROR and a.aa and a.ancount == 0 and a.nscount == 1,
         "NODATA with the SOA"),
        ("anything.w0000000." + origin, "A",
         lambda a: a.rcode == NOERROR and a.aa and a.ancount == 1, "wildcard: 1 synthesised A"),
        ("c0000000." + origin, "A",
         lambda a: a.rcode == NOERROR and a.aa and a.ancount == 2, "CNAME followed: CNAME + A"),
        ("www.d0000000." + origin, "A",
         lambda a: a.rcode == NOERROR and not a.aa and a.ancount == 0 and a.nscount == 1 and
         a.arcount >= 1, "referral: NS in authority, glue, no AA"),
    ]


def check(port, origin):
    """Returns a list of problems (empty when every answer is as it must be)."""
    problems = []
    for name, qtype, ok, what in expectations(origin):
        answer = None
        for _ in range(3):  # a lost datagram is not a wrong answer: ask again
            answer = dnswire.ask(port, name, qtype, timeout=1.0)
            if answer is not None:
                break
        if answer is None:
            problems.append("%s %s: no answer (%s expected)" % (name, qtype, what))
        elif not ok(answer):
            problems.append("%s %s: rcode %d aa %d an %d ns %d ar %d (%s expected)" % (
                name, qtype, answer.rcode, answer.aa, answer.ancount, answer.nscount,
                answer.arcount, what))
    return problems
