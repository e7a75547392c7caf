"""Runs dnsperf pinned to given CPUs and reads its summary."""

import re
import subprocess


class DnsperfResult:
    """The figures of one dnsperf run (counts, qps, mean latency in seconds, rcode counts)."""

    def __init__(self, text):
        self.text = text
        self.sent = self._int(r"Queries sent:\s+(\d+)")
        self.completed = self._int(r"Queries completed:\s+(\d+)")
        self.lost = self._int(r"Queries lost:\s+(\d+)")
        self.run_time = self._float(r"Run time \(s\):\s+([\d.]+)")
        self.qps = self._float(r"Queries per second:\s+([\d.]+)")
        self.latency = self._float(r"Average Latency \(s\):\s+([\d.]+)")
        match = re.search(r"Average packet size:\s+request (\d+), response (\d+)", text)
        self.request_bytes = int(match.group(1)) if match else 0
        self.response_bytes = int(match.group(2)) if match else 0
        self.rcodes = {}
        match = re.search(r"Response codes:\s+(.*)", text)
        if match:
            for code, count in re.findall(r"([A-Z]+) (\d+) \(", match.group(1)):
                self.rcodes[code] = int(count)

    def _int(self, pattern):
        match = re.search(pattern, self.text)
        if not match:
            raise RuntimeError("dnsperf output has no %r:\n%s" % (pattern, self.text[-3000:]))
        return int(match.group(1))

    def _float(self, pattern):
        match = re.search(pattern, self.text)
        if not match:
            raise RuntimeError("dnsperf output has no %r:\n%s" % (pattern, self.text[-3000:]))
        return float(match.group(1))

    def rcode_share(self, code):
        return 100.0 * self.rcodes.get(code, 0) / self.completed if self.completed else 0.0


def run(query_file, port, seconds, cpus, clients=8, outstanding=200, extra=(), nice=0):
    """dnsperf -c clients -q outstanding for `seconds` against 127.0.0.1:port, pinned to cpus,
    at niceness `nice`."""
    argv = (["nice", "-n", str(nice)] if nice else []) + ["taskset", "-c", cpus, "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d",
            query_file, "-c", str(clients), "-q", str(outstanding), "-l", str(seconds)]
    argv += list(extra)
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=seconds + 60, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError("dnsperf failed (exit %d): %s\n%s" % (done.returncode, " ".join(argv),
                                                                 done.stdout[-3000:]))
    return DnsperfResult(done.stdout)
