#!/usr/bin/python3
"""Runs Tidal's libFuzzer targets (fuzz/fuzz_*.cc, built in the fuzz build directory).

  run_fuzz.py fuzz  --build DIR [--seconds N] [--scratch DIR] [--targets a,b]
      `make fuzz`: each target in turn for N seconds (default 300), starting from
      fuzz/corpus/<target> and fuzz/regressions/<target>. New inputs go to
      SCRATCH/corpus/<target> (never into the repository); the ones that add coverage to the
      seed corpus are merged into SCRATCH/new/<target> (copy them to fuzz/corpus/ to keep them).
      Crashes are saved in SCRATCH/crashes/<target>/. Prints executions and time per target;
      exit status 1 when a target crashed.

  run_fuzz.py check --build DIR --target NAME [--seconds N]
      `make test` (one ctest test per target): replays every file of fuzz/corpus/<target> and
      fuzz/regressions/<target> once, then fuzzes for N seconds (default 10) from them. Fails
      when the target is missing (the fuzz build needs clang and libclang-rt-14-dev: `make
      deps`, then `make fuzz-build`) or when any input crashes it or breaks an invariant.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

FUZZ_DIR = os.path.dirname(os.path.abspath(__file__))
CORPUS_DIR = os.path.join(FUZZ_DIR, "corpus")
REGRESSIONS_DIR = os.path.join(FUZZ_DIR, "regressions")

# Per input: no input of the seed corpus takes more than a few milliseconds under ASan; the
# margin is for a loaded machine (at nice 19 a process can stall for seconds), a hang still shows.
TIMEOUT_SECONDS = 30
RSS_LIMIT_MB = 2048

SANITIZER_ENV = {
    "ASAN_OPTIONS": "abort_on_error=1:detect_leaks=1:symbolize=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}


def all_targets():
    """Every fuzz/fuzz_*.cc but the support file, by name."""
    return sorted(f[:-3] for f in os.listdir(FUZZ_DIR)
                  if f.startswith("fuzz_") and f.endswith(".cc") and f != "fuzz_support.cc")


def binary(build, target):
    return os.path.join(build, "fuzz", target)


def require_binary(build, target):
    path = binary(build, target)
    if not os.access(path, os.X_OK):
        sys.exit("fuzz target %s is not built (%s missing). The fuzz build needs clang and "
                 "libclang-rt-14-dev (`make deps` installs them); build it with `make "
                 "fuzz-build`." % (target, path))
    return path


def seed_dirs(target):
    return [d for d in (os.path.join(CORPUS_DIR, target), os.path.join(REGRESSIONS_DIR, target))
            if os.path.isdir(d)]


def seed_files(target):
    files = []
    for directory in seed_dirs(target):
        files += sorted(os.path.join(directory, f) for f in os.listdir(directory)
                        if os.path.isfile(os.path.join(directory, f)) and not f.startswith("."))
    return files


def environment():
    env = dict(os.environ)
    for name, value in SANITIZER_ENV.items():
        env.setdefault(name, value)
    return env


def fuzz_run(path, dirs, seconds, artifacts, log_path):
    """Fuzzes for `seconds` from dirs (new inputs go to dirs[0]). Returns (exit status, stats,
    wall seconds); stats from -print_final_stats."""
    argv = [path] + dirs + [
        "-max_total_time=%d" % seconds, "-timeout=%d" % TIMEOUT_SECONDS,
        "-rss_limit_mb=%d" % RSS_LIMIT_MB, "-print_final_stats=1",
        "-artifact_prefix=" + artifacts.rstrip("/") + "/"]
    start = time.monotonic()
    with open(log_path, "w") as log:
        # libFuzzer stops itself at max_total_time; the margin covers start-up and a slow input.
        done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, env=environment(),
                              timeout=seconds + 300 + TIMEOUT_SECONDS)
    elapsed = time.monotonic() - start
    with open(log_path, errors="replace") as f:
        text = f.read()
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    return done.returncode, stats, elapsed, text


def crash_files(directory):
    return sorted(os.path.join(directory, f) for f in os.listdir(directory)
                  if re.match(r"(crash|leak|timeout|oom)-", f)) \
        if os.path.isdir(directory) else []


def tail(text, lines=80):
    return "\n".join(text.splitlines()[-lines:])


def cmd_check(args):
    path = require_binary(args.build, args.target)
    files = seed_files(args.target)
    if not files:
        sys.exit("no seeds for %s in fuzz/corpus/%s" % (args.target, args.target))
    # Replay: each file once (libFuzzer runs the files given as arguments and exits).
    start = time.monotonic()
    done = subprocess.run([path, "-timeout=%d" % TIMEOUT_SECONDS,
                           "-rss_limit_mb=%d" % RSS_LIMIT_MB] + files,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment(),
                          timeout=600)
    out = done.stdout.decode(errors="replace")
    if done.returncode != 0:
        print(tail(out, 120))
        sys.exit("%s: replaying the corpus and regressions failed (exit %d); the input is named "
                 "in the last 'Running:' line above" % (args.target, done.returncode))
    print("%s: replayed %d inputs in %.1f s" % (args.target, len(files),
                                                 time.monotonic() - start))

    artifacts = os.path.join(args.build, "fuzz-artifacts", args.target)
    os.makedirs(artifacts, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tidal-fuzz-check-") as scratch:
        corpus = os.path.join(scratch, "corpus")
        os.makedirs(corpus)
        status, stats, elapsed, text = fuzz_run(path, [corpus] + seed_dirs(args.target),
                                                args.seconds, artifacts,
                                                os.path.join(scratch, "log"))
    if status != 0:
        print(tail(text, 120))
        sys.exit("%s: crashed while fuzzing (exit %d); the input is in %s. Fix it, then save "
                 "the input as fuzz/regressions/%s/<name>." % (args.target, status, artifacts,
                                                               args.target))
    print("%s: %s executions in %.1f s, %s inputs in the corpus, no crash" % (
        args.target, stats.get("number_of_executed_units", "?"), elapsed,
        stats.get("new_units_added", "?")))


def cmd_fuzz(args):
    targets = args.targets.split(",") if args.targets else all_targets()
    scratch = os.path.abspath(args.scratch)
    results = []
    failed = False
    for target in targets:
        path = require_binary(args.build, target)
        corpus = os.path.join(scratch, "corpus", target)
        crashes = os.path.join(scratch, "crashes", target)
        logs = os.path.join(scratch, "logs")
        for d in (corpus, crashes, logs):
            os.makedirs(d, exist_ok=True)
        log_path = os.path.join(logs, target + ".log")
        print("== %s: fuzzing for %d s (log %s)" % (target, args.seconds, log_path), flush=True)
        status, stats, elapsed, text = fuzz_run(path, [corpus] + seed_dirs(target), args.seconds,
                                                crashes, log_path)
        found = crash_files(crashes)
        if status != 0:
            failed = True
            print(tail(text, 60))
        # Inputs that add coverage to the seed corpus, for a human to copy into fuzz/corpus/.
        new_dir = os.path.join(scratch, "new", target)
        base = os.path.join(scratch, "merge-base", target)
        shutil.rmtree(base, ignore_errors=True)
        shutil.copytree(os.path.join(CORPUS_DIR, target), base)
        before = set(os.listdir(base))
        subprocess.run([path, "-merge=1", "-timeout=%d" % TIMEOUT_SECONDS, base, corpus],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment(),
                       timeout=3600)
        shutil.rmtree(new_dir, ignore_errors=True)
        os.makedirs(new_dir)
        for f in set(os.listdir(base)) - before:
            shutil.move(os.path.join(base, f), os.path.join(new_dir, f))
        shutil.rmtree(base, ignore_errors=True)
        executions = int(stats.get("number_of_executed_units", 0))
        results.append((target, executions, elapsed, len(os.listdir(new_dir)), len(found),
                        status))
        print("== %s: %d executions in %.0f s (%.0f/s), exit %d, %d new coverage inputs, "
              "%d crash files" % (target, executions, elapsed, executions / max(elapsed, 1e-9),
                                  status, len(os.listdir(new_dir)), len(found)), flush=True)

    print("\n%-22s %14s %10s %9s %6s %8s" % ("target", "executions", "seconds", "exec/s",
                                            "new", "crashes"))
    for target, executions, elapsed, new, crashes, _ in results:
        print("%-22s %14d %10.0f %9.0f %6d %8d" % (target, executions, elapsed,
                                                 executions / max(elapsed, 1e-9), new, crashes))
    print("\nscratch: %s (corpus/, new/, crashes/, logs/)" % scratch)
    if failed:
        print("crashes: see %s/crashes/<target>/; each becomes fuzz/regressions/<target>/<name> "
              "once fixed (fuzz/README.md)" % scratch)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description="Runs Tidal's libFuzzer targets.")
    sub = parser.add_subparsers(dest="command", required=True)
    fuzz = sub.add_parser("fuzz", help="fuzz every target for a while (make fuzz)")
    fuzz.add_argument("--build", required=True, help="the fuzz build directory")
    fuzz.add_argument("--seconds", type=int, default=300, help="per target")
    fuzz.add_argument("--scratch", default=os.path.join(tempfile.gettempdir(), "tidal-fuzz"),
                      help="where new corpus entries, crashes and logs go")
    fuzz.add_argument("--targets", help="comma-separated subset (default: all)")
    check = sub.add_parser("check", help="replay the corpus and fuzz briefly (make test)")
    check.add_argument("--build", required=True, help="the fuzz build directory")
    check.add_argument("--target", required=True)
    check.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    args.build = os.path.abspath(args.build)
    if args.command == "check":
        cmd_check(args)
        return 0
    return cmd_fuzz(args)


if __name__ == "__main__":
    sys.exit(main())
