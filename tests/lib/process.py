"""A child process started by a test: output kept in a log file, stopped by its own pid only."""

import os
import signal
import subprocess
import time


class ManagedProcess:
    """Runs argv with stdout and stderr appended to log_path.

    stop() sends SIGTERM to this pid, waits up to `timeout` seconds, then SIGKILL; it never
    signals any other process.
    """

    def __init__(self, argv, log_path, env=None, cwd=None):
        self.argv = list(argv)
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self._log.write(("$ %s\n" % " ".join(self.argv)).encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def returncode(self):
        return self.proc.poll()

    def stop(self, timeout=10.0):
        """Stops the process (SIGTERM, then SIGKILL after timeout). Returns its exit status."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        self._log.close()
        return self.proc.returncode

    def log_size(self):
        """Octets in the log so far: a mark for log_since()."""
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_since(self, mark):
        """What the log gained after log_size() returned mark."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(mark)
                return f.read().decode("utf-8", "replace")
        except OSError as e:
            return "(cannot read %s: %s)" % (self.log_path, e)

    def log_text(self, limit=200000):
        """The log so far (the last `limit` characters)."""
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except OSError as e:
            return "(cannot read %s: %s)" % (self.log_path, e)
        return data[-limit:].decode("utf-8", "replace")


def run(argv, timeout=60, env=None):
    """Runs a short command to completion; returns CompletedProcess with text stdout/stderr."""
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def wait_until(predicate, timeout, interval=0.05):
    """Polls predicate() until it returns a true value or timeout seconds pass (bounded loop).

    Returns the last value of predicate().
    """
    deadline = time.monotonic() + timeout
    result = predicate()
    while not result and time.monotonic() < deadline:
        time.sleep(interval)
        result = predicate()
    return result
