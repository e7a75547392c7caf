"""Propagation (issue 3 point 9, issue 6 point 4): from a commit on a primary to the new answer
served by all three secondaries, Tidal beside Knot → Knot and BIND → BIND, in one run.

For each zone size (1,000 and 1,000,000 records by default) and implementation: one primary and
three secondaries on 127.0.0.1 (benchlib/replicas.py), the initial transfer timed (secondaries
started together once the primary serves; each one's time to serve the zone), then N edits, one
at a time, each adding an A record at a new name on the primary with the implementation's own
tool (tidalctl record add; knotc zone-begin / zone-set / zone-commit; nsupdate). While the tool
runs and after, one UDP query per millisecond goes to each secondary and to the primary for the
new name (benchlib/dnswire.py queries). An edit's propagation time runs from its commit (the
tool's exit, or the primary's first positive answer when that comes first) to the first
positive answer of the LAST secondary. The next edit starts GAP seconds after every secondary
answered.

Knobs (environment): BENCH_PROPAGATION_EDITS [200], BENCH_PROPAGATION_SIZES [1000,1000000]
(records), BENCH_PROPAGATION_IMPLS [tidal,knot,bind,bind-tuned], BENCH_PROPAGATION_GAP [0.1]
seconds, BENCH_PROPAGATION_TIMEOUT [30] seconds one edit may take.
Writes propagation.csv (one row per edit) and propagation-initial.csv; returns the Markdown.
"""

import os
import select
import shutil
import socket
import subprocess
import time

from . import dnswire, report
from .replicas import BindCluster, KnotCluster, TidalCluster

ORIGIN = "bench.test."
IMPLEMENTATIONS = {
    "tidal": ("Tidal", "Tidal → Tidal"),
    "knot": ("Knot", "Knot → Knot"),
    "bind": ("BIND", "BIND → BIND, defaults"),
    "bind-tuned": ("BIND", "BIND → BIND, notify-rate 1000, notify-delay 0"),
}
START_TIMEOUT = 900.0  # a 1M-record zone: load plus three transfers at once on two cores


def env_value(name, default, kind=int):
    text = os.environ.get(name, "").strip()
    return kind(text) if text else default


class MultiProber:
    """Queries several servers on 127.0.0.1 for one name about every `interval` seconds each,
    until each has answered positively (an answer to any earlier query of this round counts)."""

    def __init__(self, ports):
        self.ports = list(ports)
        self.socks = []
        for port in self.ports:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            s.connect(("127.0.0.1", port))
            self.socks.append(s)
        self.next_id = 1

    def close(self):
        for s in self.socks:
            s.close()

    def wait_all(self, name, timeout, interval=0.001, tick=None):
        """[monotonic time of the first positive answer per port, or None], after every port
        answered or timeout seconds. tick() runs once per round of queries."""
        deadline = time.monotonic() + timeout
        found = [None] * len(self.socks)
        sent = [set() for _ in self.socks]
        by_fd = {s.fileno(): i for i, s in enumerate(self.socks)}
        while time.monotonic() < deadline and None in found:
            for i, s in enumerate(self.socks):
                if found[i] is not None:
                    continue
                qid = self.next_id
                self.next_id = self.next_id % 65535 + 1
                try:
                    s.send(dnswire.build_query(qid, name, "A"))
                    sent[i].add(qid)
                except OSError:
                    pass  # ICMP port unreachable from an earlier send: try again next round
            until = min(deadline, time.monotonic() + interval)
            while None in found:
                left = until - time.monotonic()
                if left <= 0:
                    break
                waiting = [s for i, s in enumerate(self.socks) if found[i] is None]
                ready, _, _ = select.select(waiting, [], [], left)
                if not ready:
                    break
                for s in ready:
                    i = by_fd[s.fileno()]
                    for _ in range(64):
                        try:
                            packet = s.recv(65535)
                        except (BlockingIOError, InterruptedError):
                            break
                        except OSError:
                            break
                        now = time.monotonic()
                        if len(packet) < 12 or found[i] is not None:
                            continue
                        answer = dnswire.Answer(packet)
                        if answer.id in sent[i] and answer.positive():
                            found[i] = now
            if tick is not None:
                tick()
        for s in self.socks:  # drop late answers before the next round
            for _ in range(1000):
                try:
                    s.recv(65535)
                except OSError:
                    break
        return found


def zone_for(data_dir, records, queries):
    """The generated zone of about `records` records (gen_zone; a small one for 1,000)."""
    import gen_zone
    if records >= 1450:
        zone, _, layout = gen_zone.generate(data_dir, "records%d" % records, ORIGIN,
                                            records=records, queries=queries)
        return zone, layout.record_count()
    # gen_zone's Layout wants 1,000 names at least (~1,450 records): the same mix, fewer.
    names = int(round(records / gen_zone.RECORDS_PER_NAME))
    layout = gen_zone.Layout.__new__(gen_zone.Layout)
    layout.cnames = names * 5 // 100
    layout.delegations = names * 2 // 100
    layout.wildcards = names // 100
    layout.hosts = names - layout.cnames - 2 * layout.delegations - layout.wildcards
    layout.names = names
    path = os.path.join(data_dir, "propagation%d.zone" % records)
    if not os.path.exists(path):
        os.makedirs(data_dir, exist_ok=True)
        gen_zone.write_zone(path + ".tmp", ORIGIN, layout, 6)
        os.replace(path + ".tmp", path)
    return path, layout.record_count()


def make_cluster(kind, workdir, zone_file, build):
    if kind == "tidal":
        return TidalCluster(workdir, ORIGIN, zone_file, build)
    if kind == "knot":
        return KnotCluster(workdir, ORIGIN, zone_file)
    return BindCluster(workdir, ORIGIN, zone_file, tuned=(kind == "bind-tuned"))


def run_edits(cluster, kind, label, edits, gap, timeout, say):
    """The edits on a started cluster; one row per edit."""
    rows = []
    prober = MultiProber(cluster.ports)
    failures = 0
    try:
        for i in range(edits):
            name = "prop-%s-%s-%03d.%s" % (kind, label, i, ORIGIN)
            argv, stdin_text = cluster.edit_command(name, "192.0.2.%d" % (i % 250 + 1))
            started = time.monotonic()
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL)
            if stdin_text:
                proc.stdin.write(stdin_text.encode())
                proc.stdin.close()
                proc.stdin = None  # communicate() below must not touch it again
            exited = [None]

            def note_exit(p=proc, box=exited):
                if box[0] is None and p.poll() is not None:
                    box[0] = time.monotonic()

            found = prober.wait_all(name, timeout, tick=note_exit)
            try:
                output, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate(timeout=30)
            note_exit()
            if proc.returncode != 0:
                raise RuntimeError("%s: edit %d failed (exit %d): %s\n%s" % (
                    cluster.name, i, proc.returncode, " ".join(argv),
                    output.decode(errors="replace")[-2000:]))
            # The change is committed by the time the tool exits, and by the time the primary
            # serves it (nsupdate, for one, exits some milliseconds after BIND serves it).
            committed = min(t for t in (exited[0], found[0]) if t is not None)
            row = {"implementation": IMPLEMENTATIONS[kind][1], "zone": label, "edit": i,
                   "tool_s": round(committed - started, 6)}

            def ms(t):
                return round((t - committed) * 1000.0, 3) if t is not None else None

            row["primary_ms"] = ms(found[0])
            for j, t in enumerate(found[1:], 1):
                row["secondary%d_ms" % j] = ms(t)
            secondaries = found[1:]
            if None in secondaries:
                failures += 1
                row["all_ms"] = None
                say("  edit %d: not on every secondary after %.0f s (%s)" % (
                    i, timeout, ", ".join("%s" % row["secondary%d_ms" % j] for j in
                                          range(1, len(secondaries) + 1))))
                if failures >= 3:
                    rows.append(row)
                    raise RuntimeError("%s: three edits did not propagate within %.0f s" % (
                        cluster.name, timeout))
            else:
                row["all_ms"] = ms(max(secondaries))
                row["first_ms"] = ms(min(secondaries))
            rows.append(row)
            if i % 50 == 0 or i == edits - 1:
                say("  edit %3d: tool %.0f ms, primary %s ms, last secondary %s ms" % (
                    i, row["tool_s"] * 1000, row["primary_ms"], row["all_ms"]))
            time.sleep(gap)
    finally:
        prober.close()
    return rows


def summary_row(kind, label, records, rows, initial):
    done = [r["all_ms"] for r in rows if r.get("all_ms") is not None]
    primary = [r["primary_ms"] for r in rows if r.get("primary_ms") is not None]
    tool = [r["tool_s"] * 1000 for r in rows]
    out = {"implementation": IMPLEMENTATIONS[kind][1], "zone": label, "records": records,
           "edits": len(rows), "propagated": len(done)}
    if done:
        for p in (50, 95, 99):
            out["p%d_ms" % p] = report.percentile(done, p)
        out["max_ms"] = max(done)
    if primary:
        out["primary_p50_ms"] = report.percentile(primary, 50)
    if tool:
        out["tool_p50_ms"] = report.percentile(tool, 50)
    if initial:
        out["primary_load_s"] = initial["primary_load_s"]
        out["initial_transfer_s"] = max(initial["secondary_ready_s"])
    return out


def fmt_ms(value):
    if value is None:
        return "—"
    return "%.1f ms" % value if value < 1000 else "%.2f s" % (value / 1000.0)


def tables(summaries, failures, edits, gap):
    lines = ["One primary and three secondaries per implementation on 127.0.0.1, default "
             "settings (BIND also tuned); %d edits per zone, each one A record at a new name "
             "added on the primary (tidalctl record add; knotc zone-begin/zone-set/zone-commit; "
             "nsupdate), the next one %.1f s after every secondary served the previous one. "
             "Propagation: from the commit (the edit tool's exit, or the primary's first "
             "positive answer if earlier) to the first positive answer "
             "of the LAST secondary, each secondary and the primary asked about every "
             "millisecond. Goal: p99 < 10 ms, no growth with zone size.\n" % (edits, gap),
             "| implementation | zone | edits | p50 | p95 | p99 | max | primary serves it "
             "(p50) | edit tool run (p50) |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summaries:
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            s["implementation"], s["zone"],
            "%d" % s["edits"] if s["propagated"] == s["edits"] else
            "%d (%d lost)" % (s["edits"], s["edits"] - s["propagated"]),
            fmt_ms(s.get("p50_ms")), fmt_ms(s.get("p95_ms")), fmt_ms(s.get("p99_ms")),
            fmt_ms(s.get("max_ms")), fmt_ms(s.get("primary_p50_ms")),
            fmt_ms(s.get("tool_p50_ms"))))
    initial = [s for s in summaries if s.get("initial_transfer_s") is not None]
    if initial:
        lines += ["", "Initial transfer: the primary loads the zone (Tidal: from its database, "
                  "after `tidalctl zone import`), then the three secondaries start together; "
                  "time until the last of them serves the zone.\n",
                  "| implementation | zone | primary load to first answer | three secondaries "
                  "start → all serve it |", "| --- | --- | ---: | ---: |"]
        for s in initial:
            lines.append("| %s | %s | %.2f s | %.2f s |" % (
                s["implementation"], s["zone"], s["primary_load_s"], s["initial_transfer_s"]))
    if failures:
        lines += ["", "Failed:"] + ["- " + f for f in failures]
    return "\n".join(lines)


def run(build=None, out_dir=None, data_dir=None, tmp=None, say=print, queries=1000000):
    """Runs the measurement; returns the Markdown report. Without a build directory (an old
    caller), says how to run it."""
    if build is None:
        return "Not measured: propagation.run() needs the build directory (bench.py passes it)."
    edits = env_value("BENCH_PROPAGATION_EDITS", 200)
    sizes = [int(s) for s in os.environ.get("BENCH_PROPAGATION_SIZES", "1000,1000000").split(",")
             if s.strip()]
    kinds = [k.strip() for k in os.environ.get("BENCH_PROPAGATION_IMPLS",
                                               "tidal,knot,bind,bind-tuned").split(",")
             if k.strip()]
    for k in kinds:
        if k not in IMPLEMENTATIONS:
            raise SystemExit("bench: BENCH_PROPAGATION_IMPLS: unknown %r (%s)" % (
                k, ", ".join(IMPLEMENTATIONS)))
    gap = env_value("BENCH_PROPAGATION_GAP", 0.1, float)
    timeout = env_value("BENCH_PROPAGATION_TIMEOUT", 30.0, float)
    data_dir = data_dir or os.path.join(build, "bench-data")
    out_dir = out_dir or "."
    tmp = tmp or out_dir
    all_rows, summaries, failures, initial_rows = [], [], [], []
    for records in sizes:
        zone_file, count = zone_for(data_dir, records, queries)
        label = "%s records" % f"{count:,}"
        for kind in kinds:
            say("\n== propagation: %s, %s, %d edits ==" % (IMPLEMENTATIONS[kind][1], label,
                                                           edits))
            workdir = os.path.join(tmp, "propagation-%s-%d" % (kind, records))
            cluster = make_cluster(kind, workdir, zone_file, build)
            rows, initial = [], None
            try:
                initial = cluster.start(START_TIMEOUT)
                say("  primary serves after %.2f s; secondaries serve after %s s%s" % (
                    initial["primary_load_s"],
                    ", ".join("%.2f" % s for s in initial["secondary_ready_s"]),
                    " (tidalctl zone import took %.1f s before)" % cluster.import_s
                    if getattr(cluster, "import_s", None) else ""))
                initial_rows.append({"implementation": IMPLEMENTATIONS[kind][1], "zone": label,
                                     "primary_load_s": round(initial["primary_load_s"], 3),
                                     **{"secondary%d_ready_s" % (i + 1): round(s, 3) for i, s in
                                        enumerate(initial["secondary_ready_s"])}})
                rows = run_edits(cluster, kind, "%d" % records, edits, gap, timeout, say)
                if not cluster.alive():
                    raise RuntimeError("a daemon of %s died during the edits" % cluster.name)
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                say("  FAILED: %s" % e)
                say(cluster.logs()[-6000:])
                failures.append("%s, %s: %s" % (IMPLEMENTATIONS[kind][1], label,
                                                str(e).splitlines()[0]))
            finally:
                statuses = cluster.stop()
                if os.environ.get("BENCH_KEEP", "0") != "1":
                    shutil.rmtree(workdir, ignore_errors=True)
            all_rows += rows
            if rows or initial:
                s = summary_row(kind, label, count, rows, initial)
                summaries.append(s)
                say("  p50 %s, p95 %s, p99 %s, max %s (stop: exit %s)" % (
                    fmt_ms(s.get("p50_ms")), fmt_ms(s.get("p95_ms")), fmt_ms(s.get("p99_ms")),
                    fmt_ms(s.get("max_ms")), statuses))
    report.write_csv(os.path.join(out_dir, "propagation.csv"), all_rows)
    report.write_csv(os.path.join(out_dir, "propagation-summary.csv"), summaries)
    report.write_csv(os.path.join(out_dir, "propagation-initial.csv"), initial_rows)
    return tables(summaries, failures, edits, gap)
