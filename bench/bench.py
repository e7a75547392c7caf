#!/usr/bin/python3
"""Tidal side by side with Knot DNS and NSD on this machine (issue 6); run by `make bench`.

Usage: bench/bench.py --build BUILD_DIR [--out DIR] [--only propagation|commit]

--only propagation runs the propagation benchmark alone (1 primary → 3 secondaries of Tidal,
Knot and BIND; knobs BENCH_PROPAGATION_* in bench/benchlib/propagation.py).
--only commit runs the commit → served latency alone, on the main zone and the
BENCH_SCALE_RECORDS zone (BENCH_EDITS commits each).

Every knob is an environment variable (defaults in brackets):
  BENCH_RUNS [3]           runs per server and scenario; the tables show medians
  BENCH_SECONDS [20]       dnsperf duration of each measured run
  BENCH_WARMUP [2]         dnsperf seconds before each measured run (not counted)
  BENCH_SERVERS [tidal,knot,nsd]
  BENCH_NAMES [100000]     names in the main zone
  BENCH_QUERIES [1000000]  lines in each query file (dnsperf loops over it)
  BENCH_TWO_WORKERS [1]    the second table: two workers, dnsperf sharing the CPUs
  BENCH_SCALE [1]          the 1,000,000-record zone table and the commit → served latency
  BENCH_SCALE_RECORDS [1000000]
  BENCH_EDITS [20]         one-record commits per zone for the commit → served latency
  BENCH_PERF [1]           perf record of each server under load (when perf works)
  BENCH_PERF_SECONDS [10]
  BENCH_MICRO [1]          run BUILD/bench/micro/tidal_micro_bench when it was built
  BENCH_PROPAGATION [1]    the propagation table (1 primary -> 3 secondaries of Tidal, Knot,
                           BIND; about an hour with the defaults, BIND's 5 s notify-delay
                           dominating; BENCH_PROPAGATION_* knobs in benchlib/propagation.py)
  BENCH_CLIENTS [8], BENCH_OUTSTANDING [200]   dnsperf -c and -q
  BENCH_DNSPERF_ARGS []    more dnsperf arguments, e.g. "-e" for EDNS
  BENCH_KEEP [0]           keep the temporary directory (configs, logs, databases)
  BENCH_NICE [-10 as root, else 0]   niceness of the servers and dnsperf (and of this session's
                           scheduler autogroup): favoured over other work on the machine, the
                           same for every server
  BENCH_WAIT_IDLE [0]      before each scenario, wait up to this many seconds for the machine
                           to be idle (under 15 % of the CPUs busy over 2 s): other work on the
                           machine steals CPU from the pinned server and client

Nothing listens or is queried outside 127.0.0.1; every server is stopped by its own pid.
"""

import argparse
import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_zone  # noqa: E402
from benchlib import (commit_latency, measure, procstat, profile, propagation,  # noqa: E402
                      report, servers)

ORIGIN = "bench.test."
SERVER_CLASSES = {"tidal": "Tidal", "knot": "Knot", "nsd": "NSD"}


def env_int(name, default):
    value = os.environ.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        sys.exit("bench: %s=%r is not a whole number" % (name, value))


class Output:
    """Prints to stdout and keeps the Markdown report for report.md."""

    def __init__(self):
        self.parts = []

    def say(self, text=""):
        print(text, flush=True)

    def keep(self, text=""):
        print(text, flush=True)
        self.parts.append(text)


def command_output(argv):
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=30)
        return done.stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return "(%s)" % e


def favour_session(nice):
    """With scheduler autogroups (kernel.sched_autogroup_enabled), niceness only orders
    processes within one session's group, and each session gets an equal share of the CPUs:
    the servers and dnsperf, niced or not, would get a quarter of a core beside three busy
    sessions. So the autogroup of this session (this script, the servers and dnsperf it starts,
    and whatever started it) gets the same niceness for the duration of the bench. Returns a
    function that puts the previous value back."""
    path = "/proc/self/autogroup"
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as f:
            enabled = f.read().strip() == "1"
        with open(path) as f:
            previous = int(f.read().split("nice")[1])
    except (OSError, ValueError, IndexError):
        return lambda: None
    if not enabled or nice == 0:
        return lambda: None
    try:
        with open(path, "w") as f:
            f.write(str(nice))
    except OSError as e:
        print("bench: could not set this session's autogroup niceness: %s" % e)
        return lambda: None

    def restore():
        try:
            with open(path, "w") as f:
                f.write(str(previous))
        except OSError:
            pass
    return restore


def machine_description(build):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = [
        command_output([os.path.join(build, "server", "tidald"), "--version"]),
        command_output(["/usr/sbin/knotd", "--version"]),
        command_output(["/usr/sbin/nsd", "-v"]).splitlines()[0],
        [l for l in command_output(["dnsperf", "-h"]).splitlines() if "Version" in l][0:1],
    ]
    versions[3] = "dnsperf " + (versions[3][0].split()[-1] if versions[3] else "?")
    git = command_output(["git", "-C", os.path.dirname(HERE), "describe", "--always", "--dirty"])
    return ("%d CPUs (%s), Linux %s, %.0f GiB RAM; %s; Tidal at %s" %
            (os.cpu_count(), cpu, platform.release(),
             os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30,
             ", ".join(versions), git))


class Bench:
    def __init__(self, build, out_dir, tmp):
        self.build = build
        self.out_dir = out_dir
        self.tmp = tmp
        self.tidald = os.path.join(build, "server", "tidald")
        self.tidalctl = os.path.join(build, "tools", "tidalctl")
        self.runs = env_int("BENCH_RUNS", 3)
        self.servers = [s.strip().lower() for s in
                        os.environ.get("BENCH_SERVERS", "tidal,knot,nsd").split(",") if s.strip()]
        for s in self.servers:
            if s not in SERVER_CLASSES:
                sys.exit("bench: BENCH_SERVERS: unknown server %r (tidal, knot, nsd)" % s)
        self.server_names = [SERVER_CLASSES[s] for s in self.servers]
        self.options_base = dict(seconds=env_int("BENCH_SECONDS", 20),
                                 warmup=env_int("BENCH_WARMUP", 2),
                                 clients=env_int("BENCH_CLIENTS", 8),
                                 outstanding=env_int("BENCH_OUTSTANDING", 200),
                                 dnsperf_extra=os.environ.get("BENCH_DNSPERF_ARGS", "").split(),
                                 nice=env_int("BENCH_NICE", -10 if os.geteuid() == 0 else 0))
        self.rows = []
        self.medians = []
        self.scenarios = []
        self.labels = []
        self.databases = {}
        self.failures = []
        self.out = Output()

    def options(self, client_cpus, load_timeout):
        return measure.RunOptions(client_cpus=client_cpus, load_timeout=load_timeout,
                                  **self.options_base)

    def make_server(self, kind, workdir, zone_file, workers, cpus):
        if kind == "tidal":
            return servers.TidalServer(workdir, ORIGIN, zone_file, workers, cpus, self.tidald,
                                       self.databases[zone_file])
        if kind == "knot":
            return servers.KnotServer(workdir, ORIGIN, zone_file, workers, cpus)
        return servers.NsdServer(workdir, ORIGIN, zone_file, workers, cpus)

    def import_for_tidal(self, zone_file, label):
        if "tidal" not in self.servers:
            return
        database, seconds = servers.tidal_import(self.tidalctl,
                                                 os.path.join(self.tmp, "db-" + label), ORIGIN,
                                                 zone_file)
        self.databases[zone_file] = database
        self.out.say("tidalctl zone import of %s: %.1f s (not part of the load time: tidald "
                     "loads from the database)" % (os.path.basename(zone_file), seconds))
        return seconds

    def scenario(self, title, short, zone_file, query_file, workers, server_cpus, client_cpus,
                 load_timeout=120):
        """BENCH_RUNS runs of every server, interleaved (T K N, T K N, ...) so that a slow
        moment of the machine does not land on one server only."""
        self.out.say("\n== %s: server on CPU %s, dnsperf on CPU %s, %d s per run ==" %
                     (title, server_cpus, client_cpus, self.options_base["seconds"]))
        self.wait_idle()
        options = self.options(client_cpus, load_timeout)
        slug = title.split(":")[0].replace(" ", "-").replace(",", "")
        for run in range(1, self.runs + 1):
            for kind in self.servers:
                workdir = os.path.join(self.tmp, "%s-%s-run%d" % (slug, kind, run))
                server = self.make_server(kind, workdir, zone_file, workers, server_cpus)
                try:
                    row = measure.measure(server, query_file, options, title, run)
                except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                    self.out.say("  run %d %-5s FAILED: %s" % (run, server.name, e))
                    self.failures.append("%s, %s, run %d: %s" % (title, server.name, run,
                                                                 str(e).splitlines()[0]))
                    continue
                self.rows.append(row)
                self.out.say(
                    "  run %d %-5s qps %8.0f  cpu %5.1f %%  answers/cpu-s %8.0f  lat %.3f ms  "
                    "lost %d  %s %.1f MiB  load %.2f s  NXDOMAIN %.1f %%  busy before %.0f %%%s" %
                    (run, row["server"], row["qps"], row["cpu_pct"], row["answers_per_cpu_s"],
                     row["latency_ms"], row["lost"], row["mem_kind"], row["mem_mib"],
                     row["load_s"], row["nxdomain_pct"], row["machine_busy_before_pct"],
                     "" if row["spotcheck"] == "ok" else "  WRONG ANSWERS: " + row["spotcheck"]))
                if row["other_rcodes"]:
                    self.out.say("    other rcodes: %s" % row["other_rcodes"])
        self.scenarios.append(title)
        self.labels.append(short)
        self.medians = report.median_rows(self.rows)

    def wait_idle(self):
        limit = env_int("BENCH_WAIT_IDLE", 0)
        if limit <= 0:
            return
        deadline = time.monotonic() + limit
        busy = procstat.busy_fraction(2)
        while busy > 0.15 and time.monotonic() < deadline:
            self.out.say("  machine %.0f %% busy with other work; waiting (up to %d s more)" %
                         (100 * busy, deadline - time.monotonic()))
            time.sleep(8)
            busy = procstat.busy_fraction(2)
        self.out.say("  machine %.0f %% busy before the scenario" % (100 * busy))

    def table(self, title, note):
        self.out.keep("\n### %s\n" % title)
        if note:
            self.out.keep(note + "\n")
        self.out.keep(report.server_table(self.medians, title, self.server_names))

    def commit_latency(self, zone_file, label, edits):
        self.out.say("\n== commit → served, %s: %d one-record commits ==" % (label, edits))
        workdir = os.path.join(self.tmp, "commit-" + label)
        server = servers.TidalServer(workdir, ORIGIN, zone_file, 1, "0", self.tidald,
                                     self.databases[zone_file])
        server.nice = self.options_base["nice"]
        server.start(measure.free_port())
        try:
            server.wait_loaded(600)
            time.sleep(0.5)
            rss_before = server.memory_mib()
            rows = commit_latency.measure(server, self.tidalctl, ORIGIN, edits, "1", label)
            rss_after = server.memory_mib()
        finally:
            server.stop()
        for r in rows:
            r["rss_before_edits_mib"] = rss_before
            r["rss_after_edits_mib"] = rss_after
        for r in rows:
            self.out.say("  edit %2d: tidalctl %.3f s, exit → served %.1f ms, start → served "
                         "%.1f ms" % (r["edit"], r["tidalctl_s"], r["exit_to_served_ms"],
                                      r["start_to_served_ms"]))
        return rows

    def micro(self):
        binary = os.path.join(self.build, "bench", "micro", "tidal_micro_bench")
        if not os.path.exists(binary):
            self.out.say("\n(microbenchmarks not built: %s missing; configure with "
                         "-DTIDAL_BENCH=ON)" % binary)
            return None
        self.out.say("\n== microbenchmarks (Google Benchmark, pinned to CPU 0) ==")
        json_path = os.path.join(self.out_dir, "micro.json")
        done = subprocess.run(["taskset", "-c", "0", binary, "--benchmark_out=" + json_path,
                               "--benchmark_out_format=json"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=900)
        self.out.say(done.stdout)
        if done.returncode != 0:
            self.out.say("(tidal_micro_bench exited %d)" % done.returncode)
            return None
        return micro_table(json_path)


def micro_table(json_path):
    import json
    with open(json_path) as f:
        data = json.load(f)
    lines = ["| benchmark | ns per operation | operations per second (one core) |",
             "| --- | ---: | ---: |"]
    for b in data.get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration":
            continue
        ns = b["cpu_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        lines.append("| %s | %.0f | %s |" % (b["name"], ns, "%.2f M" % (1e3 / ns) if ns < 1e6
                                              else "%.1f" % (1e9 / ns)))
    return "\n".join(lines)


def latency_table(rows_by_zone):
    lines = ["| zone | edits | commit → served p50 | p95 | max | tidalctl start → served p50 | "
             "p95 | tidalctl run time p50 | tidald RSS before → after the edits |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, rows in rows_by_zone:
        exit_ms = [r["exit_to_served_ms"] for r in rows]
        start_ms = [r["start_to_served_ms"] for r in rows]
        ctl = [r["tidalctl_s"] * 1000 for r in rows]
        lines.append("| %s | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | "
                     "%.0f → %.0f MiB |" % (
                         label, len(rows), report.percentile(exit_ms, 50),
                         report.percentile(exit_ms, 95), max(exit_ms),
                         report.percentile(start_ms, 50), report.percentile(start_ms, 95),
                         report.percentile(ctl, 50), rows[0]["rss_before_edits_mib"],
                         rows[0]["rss_after_edits_mib"]))
    return "\n".join(lines)


def finish_report(out, out_dir, started, link_latest=True):
    """Writes report.md and (a full run) points bench/results/latest at out_dir."""
    out.keep("Total bench time: %.0f s." % (time.monotonic() - started))
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write("\n".join(out.parts) + "\n")
    latest = os.path.join(HERE, "results", "latest")
    if link_latest and os.path.dirname(out_dir) == os.path.dirname(latest):
        if os.path.islink(latest):
            os.remove(latest)
        if not os.path.exists(latest):
            os.symlink(os.path.basename(out_dir), latest)
    print("\nreport: %s" % os.path.join(out_dir, "report.md"))


COMMIT_LATENCY_NOTE = (
    "`tidalctl record add` of one A record at a new name, then a UDP query for it every "
    "millisecond until the answer has it. \"Commit → served\" starts when tidalctl exits (its "
    "transaction is committed), \"tidalctl start → served\" when it is launched. Goal (point "
    "3): under 5 ms, whatever the zone size.\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", required=True, help="Release build directory (build/)")
    parser.add_argument("--out", help="results directory (default bench/results/<date-time>)")
    parser.add_argument("--only", choices=["propagation", "commit"],
                        help="run only this part (its report.md has only its table)")
    args = parser.parse_args()
    build = os.path.abspath(args.build)
    for binary in ("server/tidald", "tools/tidalctl", "zone-sync/tidal-sync"):
        if not os.access(os.path.join(build, binary), os.X_OK):
            sys.exit("bench: %s/%s not found: build first (make bench does)" % (build, binary))
    for tool in ("taskset", "dnsperf") if not args.only else ():
        if shutil.which(tool) is None:
            sys.exit("bench: %s not found (bench/run.sh installs it)" % tool)
    if os.cpu_count() < 2:
        sys.exit("bench: needs 2 CPUs (server on CPU 0, dnsperf on CPU 1); this machine has %d"
                 % os.cpu_count())

    started = time.monotonic()
    now = datetime.datetime.now(datetime.timezone.utc)
    out_dir = os.path.abspath(args.out or os.path.join(HERE, "results",
                                                       now.strftime("%Y%m%d-%H%M%S")))
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="tidal-bench-")
    bench = Bench(build, out_dir, tmp)
    restore_priority = favour_session(bench.options_base["nice"])
    out = bench.out
    seconds = bench.options_base["seconds"]
    try:
        out.keep("## Results of %s UTC\n" % now.strftime("%Y-%m-%d %H:%M"))
        if args.only:
            out.keep("Command: `bench/bench.py --build %s --only %s` (BENCH_* knobs in the "
                     "script's help)." % (build, args.only))
        else:
            out.keep("Command: `BENCH_RUNS=%d BENCH_SECONDS=%d make bench` (or bench/run.sh on a "
                     "build made by it; medians of %d runs of %d s each, after a %d s warm-up; "
                     "servers and dnsperf at nice %d; dnsperf -c %d -q %d%s; answers per server "
                     "CPU-second: median (lowest–highest run))." %
                     (bench.runs, seconds, bench.runs, seconds, bench.options_base["warmup"],
                      bench.options_base["nice"],
                      bench.options_base["clients"], bench.options_base["outstanding"],
                      (" " + " ".join(bench.options_base["dnsperf_extra"]))
                      if bench.options_base["dnsperf_extra"] else ""))
        out.keep("Machine: %s." % machine_description(build))
        out.keep("Load average at the start: %.2f; CPUs %.0f %% busy with other work (it steals "
                 "CPU from the pinned processes; answers per server CPU-second is the figure "
                 "that resists it best; runs.csv has the figure before every run)." %
                 (procstat.loadavg(), 100 * procstat.busy_fraction(2)))
        repo = os.path.dirname(HERE)
        out.keep("Results directory: `%s`." % (os.path.relpath(out_dir, repo)
                                               if out_dir.startswith(repo + os.sep) else out_dir))

        data = os.path.join(build, "bench-data")
        names = env_int("BENCH_NAMES", 100000)
        queries = env_int("BENCH_QUERIES", 1000000)
        if args.only == "propagation":
            out.keep("\n### Propagation (issue 3 point 9, issue 6 point 4)\n")
            out.keep(propagation.run(build, out_dir, data, tmp, out.say, queries))
            finish_report(out, out_dir, started, link_latest=False)
            return 0
        zone, qfile, layout = gen_zone.generate(data, "names%d" % names, ORIGIN, names=names,
                                                queries=queries)
        out.say("zone %s: %d names, %d records; %s: %d queries" %
                (zone, layout.names, layout.record_count(), qfile, queries))
        bench.import_for_tidal(zone, "main")
        if args.only == "commit":
            edits = env_int("BENCH_EDITS", 20)
            latency = [(f"{layout.record_count():,} records",
                        bench.commit_latency(zone, "main", edits))]
            records = env_int("BENCH_SCALE_RECORDS", 1000000)
            big, _, big_layout = gen_zone.generate(data, "records%d" % records, ORIGIN,
                                                   records=records, queries=queries)
            bench.import_for_tidal(big, "big")
            latency.append((f"{big_layout.record_count():,} records",
                            bench.commit_latency(big, "big", edits)))
            out.keep("\n### Commit → served (tidald, one worker)\n")
            out.keep(COMMIT_LATENCY_NOTE)
            out.keep(latency_table(latency))
            report.write_csv(os.path.join(out_dir, "commit_latency.csv"),
                             [r for _, rows in latency for r in rows])
            finish_report(out, out_dir, started, link_latest=False)
            return 0

        main_title = "%s names (%s records), 1 worker" % (f"{layout.names:,}",
                                                          f"{layout.record_count():,}")
        bench.scenario(main_title, "%dk, 1 worker" % (layout.names // 1000), zone, qfile,
                       1, "0", "1")
        bench.table(main_title, "One worker pinned to CPU 0, dnsperf pinned to CPU 1.")
        out.keep("\nGoals (issue 6, point 2):\n" + report.goals_text(
            report.goals(bench.medians, main_title)))

        if env_int("BENCH_TWO_WORKERS", 1):
            title = "%s names, 2 workers" % f"{layout.names:,}"
            bench.scenario(title, "%dk, 2 workers" % (layout.names // 1000), zone, qfile,
                           2, "0,1", "0,1")
            bench.table(title, "Two workers, server and dnsperf both on CPUs 0-1: dnsperf "
                        "competes with the server for the same two cores, so qps is capped "
                        "by the client; compare answers per server CPU-second.")

        if env_int("BENCH_PERF", 1):
            if profile.perf_available():
                out.say("\n== perf record of each server under load (%d s) ==" %
                        env_int("BENCH_PERF_SECONDS", 10))
                paths, profiles = [], []
                for kind in bench.servers:
                    server = bench.make_server(kind, os.path.join(tmp, "perf-" + kind), zone, 1,
                                               "0")
                    path, shares = profile.record(server, qfile, bench.options("1", 120),
                                                  env_int("BENCH_PERF_SECONDS", 10), out_dir)
                    paths.append(os.path.basename(path))
                    own = {"tidal": ["tidald"], "knot": ["knotd", "libknot"], "nsd": ["nsd"]}
                    profiles.append((server.name, own[kind], shares))
                    with open(path) as f:
                        out.say(f.read()[:4000])
                out.keep("\n### Where the CPU time goes\n")
                out.keep("perf record of each server (one worker) under the load of the first "
                         "table, software cpu-clock event (hardware counters %s here); the "
                         "symbols are in %s.\n" %
                         ("work" if profile.hardware_counters() else "are not available",
                          ", ".join("`%s`" % p for p in paths)))
                out.keep(profile.shares_table(profiles))
            else:
                out.say("\n(perf record skipped: perf is missing or may not sample here)")

        latency = []
        edits = env_int("BENCH_EDITS", 20)
        if env_int("BENCH_SCALE", 1):
            if "tidal" in bench.servers and edits > 0:
                latency.append((f"{layout.record_count():,} records",
                                bench.commit_latency(zone, "main", edits)))
            records = env_int("BENCH_SCALE_RECORDS", 1000000)
            big, big_q, big_layout = gen_zone.generate(data, "records%d" % records, ORIGIN,
                                                       records=records, queries=queries)
            out.say("zone %s: %d names, %d records" % (big, big_layout.names,
                                                       big_layout.record_count()))
            import_s = bench.import_for_tidal(big, "big")
            title = "%s records (%s names), 1 worker" % (f"{big_layout.record_count():,}",
                                                         f"{big_layout.names:,}")
            bench.scenario(title, "%gM rec., 1 worker" % (records / 1e6), big, big_q, 1, "0",
                           "1", load_timeout=600)
            bench.table(title, "Scale: the same conditions as the first table." +
                        (" `tidalctl zone import` of this zone took %.1f s." % import_s
                         if import_s else ""))
            if "tidal" in bench.servers and edits > 0:
                latency.append((f"{big_layout.record_count():,} records",
                                bench.commit_latency(big, "big", edits)))
            if latency:
                out.keep("\n### Commit → served (tidald, one worker)\n")
                out.keep(COMMIT_LATENCY_NOTE)
                out.keep(latency_table(latency))

        if env_int("BENCH_PROPAGATION", 1):
            out.keep("\n### Propagation (issue 3 point 9, issue 6 point 4)\n")
            out.keep(propagation.run(build, out_dir, data, tmp, out.say, queries))

        if env_int("BENCH_MICRO", 1):
            table = bench.micro()
            if table:
                out.keep("\n### Microbenchmarks (bench/micro, Google Benchmark, CPU time)\n")
                out.keep(table)

        if bench.failures:
            out.keep("\nFailed runs (left out of the medians):\n" +
                     "\n".join("- " + f for f in bench.failures))
        report.write_csv(os.path.join(out_dir, "runs.csv"), bench.rows)
        report.write_csv(os.path.join(out_dir, "summary.csv"), bench.medians)
        report.write_csv(os.path.join(out_dir, "commit_latency.csv"),
                         [r for _, rows in latency for r in rows])
        chart, why = report.write_chart(out_dir, bench.medians, bench.scenarios,
                                        bench.server_names,
                                        "Tidal, Knot, NSD — %s UTC" %
                                        now.strftime("%Y-%m-%d %H:%M"), bench.labels)
        out.keep("\nFiles: `runs.csv` (every run), `summary.csv` (medians), "
                 "`commit_latency.csv`, `propagation.csv`, %s." % (
                     "`chart.png`" if chart else "no chart (gnuplot: %s)" % why.strip()[:200]))
        finish_report(out, out_dir, started)
    finally:
        restore_priority()
        if os.environ.get("BENCH_KEEP", "0") == "1":
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
