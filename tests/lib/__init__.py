"""Shared helpers for Tidal's Python integration and interop tests.

Add the tests/ directory to sys.path and import from `lib`:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from lib.tidal import TidalServer

Modules: paths (source tree, binaries, zone files), ports (free loopback ports), process
(Popen wrapper that stops only its own pid), dig (dig/kdig runners and output parser), wire
(raw DNS messages over UDP/TCP), tidal (a tidald instance), knot (a knotd instance),
testcase (unittest base class that prints server logs when a test fails).
"""
