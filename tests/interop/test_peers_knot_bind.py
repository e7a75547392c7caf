#!/usr/bin/python3
"""The replication harness checked on two servers that already interoperate: Knot primary →
BIND secondary and BIND primary → Knot secondary, with TSIG (hmac-sha256 one way, hmac-sha512
the other) on transfers, NOTIFY and UPDATE. The same scenario (lib/replication_case.py) runs
against Tidal in test_tidal_primary.py and test_tidal_secondary.py; if it fails here, the
harness is wrong, not Tidal."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lib.bind import BindServer  # noqa: E402
from lib.knot import KnotServer  # noqa: E402
from lib.peers import BindPeer, KnotPeer  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.replication import Remote, ZoneSpec  # noqa: E402
from lib import replication_case  # noqa: E402
from lib.replication_case import ensure_dir, zone_files  # noqa: E402
from lib.testcase import main, require_binaries  # noqa: E402
from lib.tsigkeys import TsigKey  # noqa: E402


class KnotPrimaryToBind(replication_case.ReplicationCase):
    @classmethod
    def build(cls):
        missing = require_binaries("knotd", "knotc", "named", "rndc")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        key = TsigKey.random("knot-bind", "hmac-sha256")
        cls.refused_keys = [TsigKey.random("knot-other", "hmac-sha256")]
        knot_port, bind_port = free_port(), free_port()
        knot = cls.add_server(KnotServer(
            ensure_dir(os.path.join(cls.workdir, "knot")),
            [ZoneSpec(origin, path, notify=[Remote("bind", bind_port, key)],
                      allow_transfer=[key])
             for origin, path in zone_files(cls.ZONES)],
            port=knot_port, keys=cls.refused_keys))
        knot.start()
        bind = cls.add_server(BindServer(
            ensure_dir(os.path.join(cls.workdir, "bind")),
            [ZoneSpec(origin, role="secondary", primaries=[Remote("knot", knot_port, key)],
                      allow_notify=[key], allow_transfer=[key])
             for origin, _ in cls.ZONES],
            port=bind_port, debug_level=3))
        bind.start()
        cls.primary = KnotPeer(knot, key)
        cls.secondaries = [BindPeer(bind, key)]


class BindPrimaryToKnot(replication_case.ReplicationCase):
    @classmethod
    def build(cls):
        missing = require_binaries("knotd", "knotc", "named", "nsupdate")
        if missing:
            raise AssertionError("binaries missing: %s" % ", ".join(missing))
        key = TsigKey.random("bind-knot", "hmac-sha512")
        cls.refused_keys = [TsigKey.random("bind-other", "hmac-sha512")]
        bind_port, knot_port = free_port(), free_port()
        bind = cls.add_server(BindServer(
            ensure_dir(os.path.join(cls.workdir, "bind")),
            [ZoneSpec(origin, path, notify=[Remote("knot", knot_port, key)],
                      allow_transfer=[key], allow_update=[key])
             for origin, path in zone_files(cls.ZONES)],
            port=bind_port, keys=cls.refused_keys))
        bind.start()
        knot = cls.add_server(KnotServer(
            ensure_dir(os.path.join(cls.workdir, "knot")),
            [ZoneSpec(origin, role="secondary", primaries=[Remote("bind", bind_port, key)],
                      allow_notify=[key], allow_transfer=[key])
             for origin, _ in cls.ZONES],
            port=knot_port))
        knot.start()
        cls.primary = BindPeer(bind, key)
        cls.secondaries = [KnotPeer(knot, key)]


if __name__ == "__main__":
    main()
