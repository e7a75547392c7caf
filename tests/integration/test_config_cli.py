"""Configuration checking from the command line: tidal-sync and tidalctl accept a good file, and
refuse a bad one with exit status 2 and file:line on stderr (INTERFACE.md)."""

import os
import re
import signal
import socket
import subprocess
import time
import tempfile
import unittest

TIMEOUT = 30  # seconds for any one command


def binary(env_name):
    path = os.environ.get(env_name)
    if not path:
        raise unittest.SkipTest(f"{env_name} is not set (run through ctest)")
    return path


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


GOOD = """\
database: {tmp}/tidal.db
control: {tmp}/control.sock
log:
  level: info
  target: stderr
server:
  listen: ["127.0.0.1:5300", "[::1]:5300"]
  workers: 2
  udp-max-payload: 1232
keys:
  - {{ name: transfer, algorithm: hmac-sha256, secret: "dHJhbnNmZXItc2VjcmV0" }}
remotes:
  - {{ id: ns1, address: "192.0.2.1:53", key: transfer }}
zones:
  - name: example.com.
    role: primary
    notify: [ns1]
    allow-transfer: [ns1, 10.0.0.0/8]
    max-staleness: 1h
  - name: example.net.
    role: secondary
    primaries: [ns1]
"""

# Each bad file, the line its error is on, and words the message must contain.
BAD = {
    "unknown-key": ("database: /tmp/x.db\nserver:\n  workers: 2\n  wrokers: 3\n", 4, ["wrokers"]),
    "bad-workers": ("server:\n  workers: 0\n", 2, ["workers"]),
    "bad-reference": (
        "remotes:\n  - { id: ns1, address: \"192.0.2.1:53\" }\nzones:\n"
        "  - name: example.com.\n    notify: [ns1, ns7]\n",
        5, ["notify", "ns7"]),
    "secondary-without-primaries": (
        "zones:\n  - name: example.net.\n    role: secondary\n", 3, ["primaries"]),
    "yaml-syntax": ("log:\n  level: info\n\ttarget: stderr\n", 3, ["YAML"]),
}


def free_loopback_port():
    """A UDP port on 127.0.0.1 nobody listens on (the kernel picked it and we let it go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ConfigCliBase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="tidal-config-cli-")
        self.addCleanup(self.tmp.cleanup)

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def good_file(self):
        return self.write("good.yaml", GOOD.format(tmp=self.tmp.name))

    def assert_refused(self, result, path, line, words):
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(f"{path}:{line}:", result.stderr)
        for word in words:
            self.assertIn(word, result.stderr)


class TidalSyncTest(ConfigCliBase):
    def setUp(self):
        super().setUp()
        self.sync = binary("TIDAL_SYNC")

    def test_version(self):
        result = run(self.sync, "--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout.strip(), r"^tidal-sync \d+\.\d+\.\d+")

    def test_help(self):
        result = run(self.sync, "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("--config", result.stdout)
        self.assertIn("--check-config", result.stdout)

    def test_unknown_option_is_a_usage_error(self):
        result = run(self.sync, "--no-such-option")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--no-such-option", result.stderr)

    def test_good_file_passes(self):
        result = run(self.sync, "--config", self.good_file(), "--check-config")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_bad_files_are_refused_with_their_line(self):
        for name, (text, line, words) in BAD.items():
            with self.subTest(name):
                path = self.write(name + ".yaml", text)
                result = run(self.sync, "--config", path, "--check-config")
                self.assert_refused(result, path, line, words)

    def test_unreadable_file_is_named(self):
        path = os.path.join(self.tmp.name, "missing.yaml")
        result = run(self.sync, "--config", path, "--check-config")
        self.assertEqual(result.returncode, 2)
        self.assertIn(path, result.stderr)
        self.assertIn("No such file", result.stderr)

    def test_daemon_refuses_to_start_on_a_bad_file(self):
        text, line, words = BAD["bad-reference"]
        path = self.write("bad.yaml", text)
        result = run(self.sync, "--config", path)
        self.assert_refused(result, path, line, words)

    def test_daemon_runs_on_a_good_file_and_stops_cleanly(self):
        # A good file: the daemon starts, says it is replicating, and SIGTERM stops it with 0.
        # Every remote on loopback: a running tidal-sync really sends SOA queries and NOTIFYs.
        config = self.write("run.yaml", GOOD.format(tmp=self.tmp.name).replace(
            "192.0.2.1:53", "127.0.0.1:%d" % free_loopback_port()))
        self.assertNotIn("192.0.2.", open(config).read())
        log_path = os.path.join(self.tmp.name, "sync.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([self.sync, "--config", config], stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            text = ""
            while time.monotonic() < deadline and "replicating" not in text:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
                with open(log_path, errors="replace") as f:
                    text = f.read()
            self.assertIn("replicating", text)
            self.assertIsNone(proc.poll(), text)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=20), 0, text)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


class TidalctlConfigCheckTest(ConfigCliBase):
    def setUp(self):
        super().setUp()
        self.ctl = binary("TIDALCTL")

    def test_version_and_help(self):
        result = run(self.ctl, "--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(re.match(r"^tidalctl \d+\.\d+\.\d+", result.stdout.strip()), result.stdout)
        result = run(self.ctl, "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("--config", result.stdout)

    def test_good_file_passes(self):
        result = run(self.ctl, "--config", self.good_file(), "config", "check")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_bad_files_are_refused_with_their_line(self):
        for name, (text, line, words) in BAD.items():
            with self.subTest(name):
                path = self.write(name + ".yaml", text)
                result = run(self.ctl, "--config", path, "config", "check")
                self.assert_refused(result, path, line, words)


if __name__ == "__main__":
    unittest.main(verbosity=2)
