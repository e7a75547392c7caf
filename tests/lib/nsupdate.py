"""Runs BIND's nsupdate (bind9-dnsutils) against a test server and reports the rcode it got.

nsupdate exits 0 when the server answered NOERROR and 2 with "update failed: RCODE" (or a
TSIG complaint) otherwise; update() returns an Outcome with the rcode parsed from that, so a
test can assert YXDOMAIN, NOTAUTH, ... without knowing nsupdate's wording.
"""

import os
import re
import subprocess
import time

from . import paths

_FAILED = re.compile(r"update failed:\s*([A-Z]+)")
_REPLY_STATUS = re.compile(r"opcode: UPDATE, status: ([A-Z]+)")


class Outcome:
    """rcode: "NOERROR", "REFUSED", "NOTAUTH", ... or None when no answer arrived (timeout)."""

    def __init__(self, rcode, returncode, stdout, stderr, script, seconds):
        self.rcode = rcode
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.script = script
        self.seconds = seconds

    def __repr__(self):
        return "<nsupdate %s exit %s in %.1f s>" % (self.rcode, self.returncode, self.seconds)

    def describe(self):
        return "nsupdate exit %s, rcode %s, %.1f s\n--- script ---\n%s--- stdout ---\n%s" \
            "--- stderr ---\n%s" % (self.returncode, self.rcode, self.seconds, self.script,
                                     self.stdout, self.stderr)


def write_key_file(path, key):
    """A BIND key file for nsupdate -k."""
    with open(path, "w") as f:
        f.write(key.bind_conf() + "\n")
    return path


def update(port, zone, commands, key=None, key_file=None, tcp=False, server="127.0.0.1",
           timeout=15, log_path=None):
    """Sends the nsupdate commands (lines such as "update add www.example.test. 300 A
    192.0.2.1" or "prereq nxdomain x.example.test.") as ONE UPDATE for zone to server:port.
    key: a TsigKey (-y); key_file: a path (-k); tcp: -v. Returns an Outcome."""
    script = "server %s %d\nzone %s\n%s\nsend\n" % (server, port, zone, "\n".join(commands))
    # -d prints the answer, so the rcode is known even when nsupdate words its failure oddly.
    argv = [paths.nsupdate(), "-d", "-t", str(max(1, int(timeout) - 2))]
    if tcp:
        argv.append("-v")
    if key is not None:
        argv += ["-y", key.dig_arg()]
    if key_file is not None:
        argv += ["-k", key_file]
    started = time.monotonic()
    try:
        done = subprocess.run(argv, input=script, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout + 10)
        returncode, out, err = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as e:
        returncode, out, err = None, e.stdout or "", (e.stderr or "") + "\n(killed: timeout)"
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        if isinstance(err, bytes):
            err = err.decode(errors="replace")
    seconds = time.monotonic() - started
    rcode = None
    if returncode == 0:
        rcode = "NOERROR"
    else:
        statuses = _REPLY_STATUS.findall(out + err)
        failed = _FAILED.findall(err + out)
        if statuses:
            rcode = statuses[-1]
        elif failed:
            rcode = failed[-1]
    if log_path is not None:
        with open(log_path, "a") as f:
            f.write("[test] $ %s <<%r -> exit %s rcode %s\n" % (
                " ".join(a if not a.count(":") >= 2 else "<key>" for a in argv), script,
                returncode, rcode))
    return Outcome(rcode, returncode, out, err, script, seconds)


def key_is_logged(log_text, key):
    """True when key's secret appears in a log (it never should)."""
    return key.secret in log_text or key.secret.rstrip("=") in log_text


def ensure_dir(path):
    os.makedirs(path, exist_ok=True)
    return path
