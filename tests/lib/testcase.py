"""unittest glue: a base class that runs servers for a whole test class, prints their logs
when a test fails, and checks on teardown that they stopped cleanly."""

import os
import shutil
import sys
import tempfile
import unittest

from . import paths


class ServerTestCase(unittest.TestCase):
    """Subclasses set up servers in setUpClass via cls.add_server(...) and get logs printed
    for failing tests. The temp dir is removed unless something failed or TIDAL_KEEP_TMP=1.
    """

    servers = []
    workdir = None
    _failed = False

    @classmethod
    def make_workdir(cls, prefix):
        cls.workdir = tempfile.mkdtemp(prefix=prefix)
        cls.servers = []
        cls._failed = False
        return cls.workdir

    @classmethod
    def add_server(cls, server):
        cls.servers.append(server)
        return server

    @classmethod
    def stop_servers(cls):
        """Stops every server this class started; returns {name: exit status}."""
        statuses = {}
        for s in cls.servers:
            statuses[type(s).__name__ + ":" + str(s.port)] = s.stop()
        return statuses

    @staticmethod
    def check_clean_exits(statuses):
        """Fails when a server stopped with a status other than 0 on SIGTERM (a crash, a
        sanitizer report). statuses: what stop_servers() returned."""
        for name, status in statuses.items():
            if status not in (0, None):
                raise AssertionError("%s exited with %s" % (name, status))

    @classmethod
    def stop_and_clean_up(cls):
        """The usual tearDownClass: stop every server, remove the temp dir (kept when a test
        failed), then fail on an unclean exit."""
        statuses = cls.stop_servers()
        cls.cleanup_workdir()
        cls.check_clean_exits(statuses)

    @classmethod
    def cleanup_workdir(cls):
        if cls.workdir is None:
            return
        if cls._failed or os.environ.get("TIDAL_KEEP_TMP"):
            sys.stderr.write("test files kept in %s\n" % cls.workdir)
        else:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    @classmethod
    def print_logs(cls, reason):
        sys.stderr.write("\n===== %s: server logs =====\n" % reason)
        for s in cls.servers:
            sys.stderr.write("----- %s on port %s -----\n%s\n" % (type(s).__name__, s.port,
                                                                   s.log_text()[-30000:]))

    def run(self, result=None):
        before = (len(result.failures) + len(result.errors)) if result is not None else 0
        out = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > before:
            type(self)._failed = True
            self.print_logs(self.id())
        return out


def require_binaries(*names):
    """Paths of the named binaries that are missing or not executable. Callers fail on a
    non-empty list: a missing binary is a failure, never a silent skip."""
    missing = []
    for n in names:
        path = {"tidald": paths.tidald, "tidalctl": paths.tidalctl, "knotd": paths.knotd,
                "knotc": paths.knotc, "named": paths.named, "rndc": paths.rndc,
                "nsupdate": paths.nsupdate, "tidal-sync": paths.tidal_sync,
                "named-compilezone": paths.named_compilezone}[n]()
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            missing.append(path)
    return missing


def main():
    unittest.main(verbosity=2)
