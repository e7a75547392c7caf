#!/usr/bin/python3
"""Soak (issue 7 point 5): dnsperf at the highest rate the machine sustains for --minutes, with
edits flowing on the primary and a secondary syncing. Never part of `make test`; `make soak`.

Usage: bench/soak.py [--build build] [--minutes 10] [--target both|primary|secondary]

On 127.0.0.1: a Tidal primary (tidald + tidal-sync) serving the 100,000-name bench zone
(bench/gen_zone.py, the query mix of the bench) and one Tidal secondary (tidald + tidal-sync)
that follows it by NOTIFY + IXFR. For the whole duration:
  - dnsperf -c 8 -q 200 without a rate limit (-Q unset) against the primary and the secondary
    (one dnsperf each with --target both, the default);
  - an editor: one `tidalctl record add|del|set` started on the primary about every
    --edit-interval seconds (0.1), at most --edit-concurrency (4) running at once, never two on
    one name; adds and deletes on a bounded pool of names (so the zone keeps its size), sets
    on existing hosts; each must exit 0;
  - every --sample seconds (10): VmRSS of every daemon (/proc/PID/status), the serials of the
    primary and the secondary (SOA over UDP), answers so far (dnsperf -S), edits so far.
After the load: dnsperf's summaries (sent, completed, lost, rcodes), the edits applied, the
secondary's convergence (its serial equal to the primary's within --converge seconds once the
edits stop), every daemon alive, and RSS first / last / max per daemon with the growth over the
first sample (taken under load). Written to bench/results/soak-<UTC date-time>.csv (samples) and
.md (summary), and printed.

Exit status 0 only when: no daemon died, no error answer (any rcode other than NOERROR and
NXDOMAIN, e.g. SERVFAIL, REFUSED, FORMERR), no edit failed, the secondary converged, and dnsperf
ran. Lost queries (dnsperf timeouts: UDP drops under overload) and memory growth are reported,
not judged: the Markdown summary gives the figures.

Nothing listens or is queried outside 127.0.0.1; every daemon is stopped by its own pid.
"""

import argparse
import datetime
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_zone  # noqa: E402
from benchlib import dnsperf, procstat, report  # noqa: E402
from benchlib.replicas import TidalCluster  # noqa: E402

ORIGIN = "bench.test."
OK_RCODES = ("NOERROR", "NXDOMAIN")
POOL = 200            # names the editor adds and deletes (soak-NNN): the zone keeps its size
START_TIMEOUT = 600.0  # load of the primary, initial transfer of the secondary
STATS_LINE = re.compile(r"^\s*(\d+(?:\.\d+)?):\s+(\d+(?:\.\d+)?)\s*$")


class SoakCluster(TidalCluster):
    """The bench's Tidal cluster (benchlib/replicas.py) with one secondary."""

    SECONDARIES = 1

    def daemons(self):
        """{label: Process} of every daemon: tidald and tidal-sync of each host."""
        out = {}
        for index, procs in sorted(self.host_processes.items()):
            host = "primary" if index == 0 else "secondary"
            for p in procs:
                out["%s %s" % (host, os.path.basename(p.argv[0]))] = p
        return out


class DnsperfRun:
    """dnsperf in the background for a fixed time; -S gives the answers so far."""

    def __init__(self, label, query_file, port, seconds, clients, outstanding, interval, log_dir,
                 qps=0):
        self.label = label
        self.interval = interval
        # stdbuf -oL: dnsperf's -S lines arrive as they are printed, not in pipe-sized blocks.
        line_buffered = ["stdbuf", "-oL"] if shutil.which("stdbuf") else []
        self.argv = line_buffered + ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", query_file,
                     "-c", str(clients), "-q", str(outstanding), "-l", str(seconds),
                     "-S", str(interval)] + (["-Q", str(qps)] if qps else [])
        self.log_path = os.path.join(log_dir, "dnsperf-%s.log" % label)
        self.lines = []
        self.stopped_early = False  # killed before its time (a daemon died)
        self.answers_so_far = 0.0  # sum over the -S intervals of qps x interval
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        with open(self.log_path, "w") as log:
            log.write("$ %s\n" % " ".join(self.argv))
            for line in self.proc.stdout:
                log.write(line)
                log.flush()
                self.lines.append(line)
                m = STATS_LINE.match(line)
                if m:
                    self.answers_so_far += float(m.group(2)) * self.interval

    def wait(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.reader.join(timeout=30)
        return self.proc.returncode

    def stop(self):
        if self.proc.poll() is None:
            self.stopped_early = True
            self.proc.kill()
            self.proc.wait(timeout=30)

    def result(self):
        """benchlib.dnsperf.DnsperfResult of the summary, or None (with the reason) if dnsperf
        failed or printed none."""
        text = "".join(self.lines)
        if self.stopped_early:
            return None, "stopped early, no summary"
        if self.proc.returncode != 0:
            return None, "dnsperf exited %s: %s" % (self.proc.returncode, text[-2000:])
        try:
            return dnsperf.DnsperfResult(text), ""
        except RuntimeError as e:
            return None, str(e)


class Editor:
    """Starts one tidalctl edit on the primary about every `interval` seconds until stop(), with
    at most `concurrency` running at once (tidalctl takes ~160 ms on this zone unloaded, more
    under load: one at a time could not keep the pace). Edits in flight never touch the same
    name, so each one's effect is known whatever order they commit in."""

    def __init__(self, tidalctl, config, hosts, interval, concurrency, seed, log_path):
        self.tidalctl = tidalctl
        self.config = config
        self.hosts = hosts
        self.interval = interval
        self.rng = random.Random(seed)
        self.log = open(log_path, "w")
        self.lock = threading.Lock()
        self.slots = threading.Semaphore(concurrency)
        self.present = set()   # pool names the editor added and has not deleted
        self.reserved = set()  # names of the edits in flight
        self.counts = {"add": 0, "del": 0, "set": 0}
        self.attempted = 0
        self.saturated = 0     # slots that found every edit still running (no edit started)
        self.failed = []       # (argv, exit status, output) of every failed edit
        self.durations = []    # seconds each tidalctl run took
        self.runners = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self._stop.set()
        self.thread.join(timeout=120)
        for t in self.runners:
            t.join(timeout=120)
        self.log.close()

    def _next_edit(self):
        """(kind, name, tidalctl args) of a random edit on a name no edit in flight touches.
        Called with the lock held."""
        rng = self.rng
        roll = rng.random()
        free_pool = [n for n in ("soak-%03d.%s" % (i, ORIGIN) for i in range(POOL))
                     if n not in self.present and n not in self.reserved]
        deletable = sorted(self.present - self.reserved)
        if roll < 0.4 and free_pool or roll < 0.7 and free_pool and not deletable:
            name = rng.choice(free_pool)
            address = "192.0.2.%d" % rng.randrange(1, 255)
            return "add", name, ["record", "add", name, "300", "A", address]
        if roll < 0.7 and deletable:
            name = rng.choice(deletable)
            return "del", name, ["record", "del", name]
        while True:
            host = "h%07d.%s" % (rng.randrange(self.hosts), ORIGIN)
            if host not in self.reserved:
                break
        address = "10.255.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
        return "set", host, ["record", "set", host, "300", "A", address]

    def _loop(self):
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self.slots.acquire(blocking=False):
                with self.lock:
                    kind, name, args = self._next_edit()
                    self.reserved.add(name)
                    self.attempted += 1
                t = threading.Thread(target=self._run_one, args=(kind, name, args), daemon=True)
                t.start()
                self.runners = [r for r in self.runners if r.is_alive()] + [t]
            else:
                self.saturated += 1
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()  # late: no burst to catch up
                delay = 0
            self._stop.wait(delay)

    def _run_one(self, kind, name, args):
        argv = [self.tidalctl, "--config", self.config] + args
        started = time.monotonic()
        try:
            try:
                done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, timeout=60, stdin=subprocess.DEVNULL)
                status, output = done.returncode, done.stdout
            except subprocess.TimeoutExpired as e:
                status, output = "timeout", str(e) + "\n"
            with self.lock:
                self.durations.append(time.monotonic() - started)
                self.log.write("%.3f %s -> %s %s" % (started, " ".join(args), status, output))
                if status == 0:
                    self.counts[kind] += 1
                    if kind == "add":
                        self.present.add(name)
                    elif kind == "del":
                        self.present.discard(name)
                else:
                    self.failed.append((" ".join(argv), status, output.strip()))
        finally:
            with self.lock:
                self.reserved.discard(name)
            self.slots.release()

    def applied(self):
        with self.lock:
            return sum(self.counts.values())

    def failures(self):
        with self.lock:
            return len(self.failed)


def soa_serial(port, timeout=2):
    """The SOA serial served on 127.0.0.1:port for the bench zone (dig), or None."""
    try:
        done = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), ORIGIN, "SOA", "+short",
                               "+norec", "+time=1", "+tries=2"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout + 8)
    except subprocess.TimeoutExpired:
        return None
    fields = done.stdout.split()
    if done.returncode != 0 or len(fields) < 3 or not fields[2].isdigit():
        return None
    return int(fields[2])


def machine_line(build):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        version = subprocess.run([os.path.join(build, "server", "tidald"), "--version"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 timeout=30).stdout.strip()
        source = build_source(build)
        git = subprocess.run(["git", "-C", source, "describe", "--always", "--dirty"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             timeout=30).stdout.strip() or "not a git checkout"
    except (OSError, subprocess.TimeoutExpired):
        version, source, git = "?", "?", "?"
    return "%d CPUs (%s), Linux %s, %.0f GiB RAM; %s built from %s (%s)" % (
        os.cpu_count(), cpu, platform.release(),
        os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30, version, source, git)


def build_source(build):
    """The source tree the build directory was configured from (its CMakeCache.txt)."""
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_HOME_DIRECTORY:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return os.path.dirname(HERE)


def log_levels(path):
    """"N warning, N error, N critical" over a daemon's log, with the first error line."""
    counts = {"warning": 0, "error": 0, "critical": 0}
    first_error = None
    try:
        with open(path, errors="replace") as f:
            for line in f:
                for level in counts:
                    if "] %s: " % level in line:
                        counts[level] += 1
                        if level != "warning" and first_error is None:
                            first_error = line.strip()
    except OSError as e:
        return "(no log: %s)" % e
    text = ", ".join("%d %s" % (n, level) for level, n in counts.items())
    return text + (" (first: `%s`)" % first_error[:200] if first_error else "")


def rss_table(samples, labels):
    lines = ["| process | RSS first sample | last | max | last − first | max − first | "
             "max 1st half → 2nd half |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    figures = {}
    for label in labels:
        values = [s["rss_mib " + label] for s in samples if s.get("rss_mib " + label)]
        if not values:
            lines.append("| %s | – | – | – | – | – | – |" % label)
            continue
        first, last, peak = values[0], values[-1], max(values)
        figures[label] = (first, last, peak)
        # A leak keeps raising the peak; memory that plateaus has the same peak in both halves.
        half = max(1, len(values) // 2)
        halves = "%.1f → %.1f MiB" % (max(values[:half]), max(values[half:] or values[-1:]))
        lines.append("| %s | %.1f MiB | %.1f MiB | %.1f MiB | %+.1f MiB (%+.1f %%) | %+.1f MiB | "
                     "%s |" % (label, first, last, peak, last - first,
                               100 * (last - first) / first, peak - first, halves))
    return "\n".join(lines), figures


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build"),
                        help="Release build directory (default: build/)")
    parser.add_argument("--minutes", type=float, default=10.0, help="load duration [10]")
    parser.add_argument("--target", choices=["both", "primary", "secondary"], default="both",
                        help="who dnsperf queries: one dnsperf per server [both]")
    parser.add_argument("--names", type=int, default=100000, help="names in the zone [100000]")
    parser.add_argument("--queries", type=int, default=1000000,
                        help="lines in the query file (dnsperf loops over it) [1000000]")
    parser.add_argument("--clients", type=int, default=8, help="dnsperf -c [8]")
    parser.add_argument("--outstanding", type=int, default=200, help="dnsperf -q [200]")
    parser.add_argument("--qps", type=int, default=0,
                        help="dnsperf -Q per target; 0: no limit, as fast as it goes [0]")
    parser.add_argument("--edit-interval", type=float, default=0.1,
                        help="seconds between edit starts [0.1]")
    parser.add_argument("--edit-concurrency", type=int, default=4,
                        help="edits that may run at once [4]")
    parser.add_argument("--sample", type=float, default=10.0, help="sampling period, s [10]")
    parser.add_argument("--converge", type=float, default=30.0,
                        help="seconds the secondary may take to catch up after the edits [30]")
    parser.add_argument("--seed", type=int, default=5, help="seed of the editor [5]")
    parser.add_argument("--out", default=os.path.join(HERE, "results"),
                        help="where soak-<date>.csv/.md go [bench/results]")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (configs, logs, databases)")
    args = parser.parse_args()

    build = os.path.abspath(args.build)
    binaries = {b: os.path.join(build, b) for b in
                ("server/tidald", "tools/tidalctl", "zone-sync/tidal-sync")}
    for path in binaries.values():
        if not os.access(path, os.X_OK):
            sys.exit("soak: %s not found: build first (make soak does)" % path)
    for tool in ("dnsperf", "dig"):
        if shutil.which(tool) is None:
            sys.exit("soak: %s not found (make soak installs dnsperf; dig: bind9-dnsutils)" %
                     tool)
    seconds = max(1, int(round(args.minutes * 60)))
    now = datetime.datetime.now(datetime.timezone.utc)
    stem = os.path.join(os.path.abspath(args.out), "soak-" + now.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(os.path.dirname(stem), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tidal-soak-")
    say = lambda text="": print(text, flush=True)  # noqa: E731

    data = os.path.join(build, "bench-data")
    zone, qfile, layout = gen_zone.generate(data, "names%d" % args.names, ORIGIN,
                                            names=args.names, queries=args.queries)
    say("soak: zone %s (%d names, %d records), queries %s" % (
        zone, layout.names, layout.record_count(), qfile))
    say("soak: machine: %s; load average %.2f" % (machine_line(build), procstat.loadavg()))

    cluster = SoakCluster(os.path.join(tmp, "cluster"), ORIGIN, zone, build)
    failures = []
    samples = []
    runs = []
    editor = None
    converged_s = None
    final = (None, None)
    dead = []
    statuses = {}
    load_seconds = 0.0
    started_wall = time.monotonic()
    try:
        initial = cluster.start(START_TIMEOUT)
        say("soak: primary serving after %.1f s (import %.1f s before), secondary after its "
            "initial transfer in %.1f s" % (initial["primary_load_s"], cluster.import_s,
                                           initial["secondary_ready_s"][0]))
        daemons = cluster.daemons()
        ports = {"primary": cluster.primary_port, "secondary": cluster.secondary_ports[0]}
        serial0 = soa_serial(ports["primary"])
        say("soak: primary 127.0.0.1:%d, secondary 127.0.0.1:%d, serial %s; %s of dnsperf "
            "-c %d -q %d against %s, an edit every %.2f s" % (
                ports["primary"], ports["secondary"], serial0, seconds, args.clients,
                args.outstanding, args.target, args.edit_interval))

        targets = ["primary", "secondary"] if args.target == "both" else [args.target]
        interval = max(1, int(round(args.sample)))
        load_started = time.monotonic()
        runs = [DnsperfRun(t, qfile, ports[t], seconds, args.clients, args.outstanding, interval,
                           tmp, args.qps) for t in targets]
        editor = Editor(binaries["tools/tidalctl"], cluster.config_path(0), layout.hosts,
                        args.edit_interval, args.edit_concurrency, args.seed,
                        os.path.join(tmp, "edits.log"))
        editor.start()

        # Samples every `interval` seconds while dnsperf runs (bounded by the duration).
        deadline = load_started + seconds
        next_sample = load_started + interval
        while time.monotonic() < deadline + 5 and any(r.proc.poll() is None for r in runs):
            time.sleep(max(0.0, min(next_sample, deadline + 5) - time.monotonic()))
            if time.monotonic() < next_sample:
                continue
            next_sample += interval
            row = {"t_s": round(time.monotonic() - load_started, 1),
                   "loadavg": procstat.loadavg()}
            for label, p in daemons.items():
                row["rss_mib " + label] = procstat.rss_mib(p.proc.pid) if p.alive() else 0.0
            # The secondary first: the primary's serial, asked after, is then never older.
            row["serial secondary"] = soa_serial(ports["secondary"])
            row["serial primary"] = soa_serial(ports["primary"])
            for r in runs:
                row["answers " + r.label] = int(r.answers_so_far)
            row["edits applied"] = editor.applied()
            row["edits failed"] = editor.failures()
            samples.append(row)
            say("  t=%5.0f s  %s  serial p %s s %s  answers %s  edits %d (%d failed)  load %.1f"
                % (row["t_s"], "  ".join("%s %.1f MiB" % (k[8:], v) for k, v in row.items()
                                        if k.startswith("rss_mib ")),
                   row["serial primary"], row["serial secondary"],
                   "/".join("%d" % row["answers " + r.label] for r in runs),
                   row["edits applied"], row["edits failed"], row["loadavg"]))
            gone = [label for label, p in daemons.items() if not p.alive()]
            if gone:
                say("soak: daemon(s) died: %s; stopping the load" % ", ".join(gone))
                for r in runs:
                    r.stop()
                break
        for r in runs:
            r.wait(timeout=max(60, deadline - time.monotonic() + 60))
        editor.stop()
        load_seconds = time.monotonic() - load_started

        # Convergence: the secondary reaches the primary's serial once the edits stop.
        stop_at = time.monotonic()
        while time.monotonic() < stop_at + args.converge:
            final = (soa_serial(ports["primary"]), soa_serial(ports["secondary"]))
            if final[0] is not None and final[0] == final[1]:
                converged_s = time.monotonic() - stop_at
                break
            time.sleep(0.2)
        dead = [label for label, p in daemons.items() if not p.alive()]
    finally:
        for r in runs:
            r.stop()
        if editor is not None and editor.thread.is_alive():
            editor.stop()
        alive_before_stop = {label: p.alive() for label, p in cluster.daemons().items()}
        for label, p in cluster.daemons().items():
            statuses[label] = p.stop() if alive_before_stop[label] else p.proc.returncode

    # --- verdict and report ----------------------------------------------------------------
    results = []
    for r in runs:
        res, why = r.result()
        results.append((r, res))
        if res is None:
            failures.append("dnsperf against the %s: %s" % (r.label, why.splitlines()[0]
                                                            if why else "no summary"))
            continue
        errors = {k: v for k, v in res.rcodes.items() if k not in OK_RCODES}
        if errors:
            failures.append("error answers from the %s: %s" % (
                r.label, ", ".join("%s %d" % kv for kv in sorted(errors.items()))))
    if dead:
        failures.append("daemon(s) died during the soak: %s (exit statuses %s)" % (
            ", ".join(dead), ", ".join("%s" % statuses.get(d) for d in dead)))
    if editor is not None and editor.failed:
        failures.append("%d of %d edits failed; first: %s -> %s %s" % (
            len(editor.failed), editor.attempted, *editor.failed[0]))
    if editor is not None and editor.applied() == 0:
        failures.append("no edit was applied")
    if converged_s is None:
        failures.append("the secondary did not converge within %.0f s after the edits stopped "
                        "(primary serial %s, secondary %s)" % (args.converge, *final))
    if not samples:
        failures.append("no sample taken")

    labels = list(cluster.daemons().keys())
    table, _ = rss_table(samples, labels)
    md = ["# Soak of %s UTC" % now.strftime("%Y-%m-%d %H:%M"), "",
          "Command: `%s` (dnsperf -c %d -q %d, %s; an edit every %.2f s, at most %d at once; "
          "samples every %d s)." % (
              " ".join(["bench/soak.py"] + sys.argv[1:]), args.clients, args.outstanding,
              "-Q %d" % args.qps if args.qps else "no rate limit", args.edit_interval,
              args.edit_concurrency, int(round(args.sample))),
          "", "Machine: %s. Load average at the end: %.2f." % (machine_line(build),
                                                              procstat.loadavg()),
          "", "Zone: %s names, %s records (bench/gen_zone.py), the bench's query mix." % (
              f"{layout.names:,}", f"{layout.record_count():,}"), "",
          "**Verdict: %s**" % ("PASS" if not failures else "FAIL"), ""]
    for f in failures:
        md.append("- " + f)
    if failures:
        md.append("")
    md += ["## Queries", "",
           "| dnsperf against | sent | completed | lost | qps | mean latency | rcodes |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r, res in results:
        if res is None:
            md.append("| %s | – | – | – | – | – | dnsperf failed |" % r.label)
            continue
        md.append("| %s | %s | %s | %s (%.3f %%) | %.0f | %.3f ms | %s |" % (
            r.label, f"{res.sent:,}", f"{res.completed:,}", f"{res.lost:,}",
            100.0 * res.lost / res.sent if res.sent else 0.0, res.qps, res.latency * 1000,
            ", ".join("%s %s" % (k, f"{v:,}") for k, v in sorted(res.rcodes.items()))))
    md += ["", "## Edits and replication", ""]
    if editor is not None:
        durations = sorted(editor.durations)
        md.append("Edits on the primary: %d attempted (%.1f per second; %d slots of %.2f s "
                  "skipped with %d edits already running), %d applied (add %d, del %d, set %d), "
                  "%d failed; tidalctl run time p50 %.0f ms, p95 %.0f ms, max %.0f ms." % (
                      editor.attempted, editor.attempted / load_seconds if load_seconds else 0,
                      editor.saturated, args.edit_interval, args.edit_concurrency,
                      editor.applied(), editor.counts["add"],
                      editor.counts["del"], editor.counts["set"], len(editor.failed),
                      1000 * report.percentile(durations, 50) if durations else 0,
                      1000 * report.percentile(durations, 95) if durations else 0,
                      1000 * max(durations) if durations else 0))
    md.append("")
    md.append("Convergence after the edits stopped: %s (primary serial %s, secondary %s)." % (
        "%.1f s" % converged_s if converged_s is not None else "NOT within %.0f s" %
        args.converge, *final))
    lag = [(s["serial primary"] - s["serial secondary"]) for s in samples
           if s.get("serial primary") is not None and s.get("serial secondary") is not None]
    if lag:
        md.append("")
        md.append("Secondary behind the primary at the samples (serials): max %d, mean %.1f." % (
            max(lag), sum(lag) / len(lag)))
    md += ["", "## Daemons", "",
           "Alive at the end: %s. Exit statuses on SIGTERM: %s." % (
               "all" if not dead else "NOT " + ", ".join(dead),
               ", ".join("%s %s" % kv for kv in statuses.items())), "",
           "Log lines at warning level or above (logs kept with --keep): %s." % "; ".join(
               "%s %s" % (label, log_levels(p.log_path))
               for label, p in cluster.daemons().items()), "",
           "Resident memory (VmRSS), first sample %d s into the load:" % int(round(args.sample)),
           "", table, ""]
    md.append("Samples: `%s.csv`. Load ran %.0f s; the whole soak %.0f s." % (
        os.path.basename(stem), load_seconds,
        time.monotonic() - started_wall))
    report.write_csv(stem + ".csv", samples)
    with open(stem + ".md", "w") as f:
        f.write("\n".join(md) + "\n")
    say()
    say("\n".join(md))
    say()
    say("soak: written %s.md and %s.csv" % (stem, stem))
    if args.keep or failures:
        say("soak: temporary files kept in %s" % tmp)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
