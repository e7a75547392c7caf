"""Where a server's time goes under load: `perf record` (software cpu-clock event, so it works
in VMs without hardware counters) of the server process while dnsperf runs, then the flat
profile by shared object and by symbol."""

import os
import shutil
import subprocess
import time

from . import dnsperf, measure


def perf_available():
    """perf is installed and may sample another process here."""
    if shutil.which("perf") is None:
        return False
    done = subprocess.run(["perf", "stat", "-e", "cpu-clock", "true"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=30)
    return done.returncode == 0


def hardware_counters():
    """Whether `perf stat -e instructions` counts here (no in most VMs)."""
    if shutil.which("perf") is None:
        return False
    done = subprocess.run(["perf", "stat", "-x", ",", "-e", "instructions", "true"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
    return done.returncode == 0 and "not supported" not in done.stdout and \
        "not counted" not in done.stdout


def record(server, query_file, options, seconds, out_dir):
    """Starts server, loads it, samples it for `seconds` under dnsperf load, stops it.
    Writes perf-<server>.txt in out_dir; returns its path and the shares by shared object."""
    data = os.path.join(out_dir, "perf-%s.data" % server.name.lower())
    text = os.path.join(out_dir, "perf-%s.txt" % server.name.lower())
    server.nice = options.nice
    server.start(measure.free_port())
    try:
        server.wait_loaded(options.load_timeout)
        dnsperf.run(query_file, server.port, max(1, options.warmup), options.client_cpus,
                    options.clients, options.outstanding, options.dnsperf_extra,
                    options.nice)
        perf = subprocess.Popen(["taskset", "-c", options.client_cpus, "perf", "record", "-q",
                                 "-e", "cpu-clock", "-F", "4000", "-p",
                                 ",".join(str(p) for p in server.pids()),
                                 "-o", data, "--", "sleep", str(seconds)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        time.sleep(0.2)
        result = dnsperf.run(query_file, server.port, seconds, options.client_cpus,
                             options.clients, options.outstanding, options.dnsperf_extra,
                             options.nice)
        perf_out, _ = perf.communicate(timeout=seconds + 60)
        if perf.returncode != 0:
            raise RuntimeError("perf record failed: %s" % perf_out.decode()[-2000:])
    finally:
        server.stop()
    sections = []
    for fields in ("overhead,dso", "overhead,dso,sym"):
        done = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                               "-F", fields, "--percent-limit", "0.5"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=300)
        lines = [l.rstrip() for l in done.stdout.splitlines()
                 if l.strip() and not l.startswith("#")]
        sections.append("## perf report -F %s: %s under dnsperf, %.0f qps during the recording\n"
                        "%s\n" % (fields, server.name, result.qps, "\n".join(lines)))
    with open(text, "w") as f:
        f.write("\n".join(sections))
    os.remove(data)
    return text, dso_shares(sections[0])


def dso_shares(section):
    """{shared object: percent of samples} from the "overhead,dso" section."""
    shares = {}
    for line in section.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith("%"):
            shares[" ".join(parts[1:])] = float(parts[0].rstrip("%"))
    return shares


def shares_table(profiles):
    """Markdown: per server, the share of its CPU samples in the kernel, in its own binary,
    in libc and elsewhere. profiles: [(server name, prefixes of its own objects, shares)]."""
    lines = ["| server | kernel | own code | libc | other libraries |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, own_prefixes, shares in profiles:
        kernel = sum(v for k, v in shares.items() if k.startswith("[kernel"))
        own = sum(v for k, v in shares.items() if k.startswith(tuple(own_prefixes)))
        libc = sum(v for k, v in shares.items() if k.startswith("libc.so"))
        other = max(0.0, 100.0 - kernel - own - libc)
        lines.append("| %s | %.0f %% | %.0f %% | %.0f %% | %.0f %% |" % (name, kernel, own, libc,
                                                                     other))
    return "\n".join(lines)
