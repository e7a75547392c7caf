"""Shared helpers for Tidal's Python integration and interop tests.

Add the tests/ directory to sys.path and import from `lib`:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from lib.tidal import TidalServer

Modules: paths (source tree, binaries, zone files), ports (free loopback ports), process
(Popen wrapper that stops only its own pid), dig (dig/kdig runners and output parser), wire
(raw DNS messages over UDP/TCP), tidal (a tidald instance, with tidal-sync), knot (a knotd
instance: plain, primary or secondary), bind (a named instance: primary with dynamic zones or
secondary), testcase (unittest base class that prints server logs when a test fails).

Replication tests: tsigkeys (random TSIG keys in each server's syntax), replication (Remote,
ZoneSpec: what a server replicates, whatever its software), transfer (serials, AXFR/IXFR with
dig, zone contents compared as canonical RR sets), peers (one interface over Knot, BIND and
Tidal: edit, refresh, read the log for IXFR evidence), replication_case (the scenario every
primary/secondary pair runs).
"""
