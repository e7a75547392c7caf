"""One measured run of one server: start, load time, warm-up, dnsperf with CPU accounting, memory,
stop."""

import socket
import time

from . import dnsperf, procstat, spotcheck

_handed_out = set()


def free_port(host="127.0.0.1"):
    """A high loopback port free for UDP and TCP now, never handed out twice by this process."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            if port in _handed_out or port < 20000:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free UDP+TCP port on %s after 100 tries" % host)


class RunOptions:
    """How a run is driven (see bench.py for the defaults and the environment variables)."""

    def __init__(self, seconds, warmup, client_cpus, clients, outstanding, load_timeout,
                 dnsperf_extra=(), nice=0):
        self.nice = nice
        self.seconds = seconds
        self.warmup = warmup
        self.client_cpus = client_cpus
        self.clients = clients
        self.outstanding = outstanding
        self.load_timeout = load_timeout
        self.dnsperf_extra = tuple(dnsperf_extra)


def measure(server, query_file, options, scenario, run_index):
    """Starts server, measures, stops it; returns one row (a dict) of figures."""
    server.nice = options.nice
    load_before = procstat.loadavg()
    busy_before = procstat.busy_fraction(0.5)
    server.start(free_port())
    try:
        load_s = server.wait_loaded(options.load_timeout)
        problems = spotcheck.check(server.port, server.origin)
        time.sleep(0.5)  # let background work after the load (journals, timers) settle
        mem_after_load = server.memory_mib()
        if options.warmup > 0:
            dnsperf.run(query_file, server.port, options.warmup, options.client_cpus,
                        options.clients, options.outstanding, options.dnsperf_extra,
                        options.nice)
        cpu_before = server.cpu_seconds()
        wall_before = time.monotonic()
        result = dnsperf.run(query_file, server.port, options.seconds, options.client_cpus,
                             options.clients, options.outstanding, options.dnsperf_extra,
                             options.nice)
        wall = time.monotonic() - wall_before
        cpu = server.cpu_seconds() - cpu_before
        mem_after_traffic = server.memory_mib()
        if not server.alive():
            raise RuntimeError("%s died during the run; log:\n%s" % (server.name,
                                                                     server.log_tail()))
    finally:
        server.stop()
    other = {code: count for code, count in result.rcodes.items()
             if code not in ("NOERROR", "NXDOMAIN")}
    return {
        "scenario": scenario,
        "server": server.name,
        "run": run_index,
        "workers": server.workers,
        "server_cpus": server.cpus,
        "client_cpus": options.client_cpus,
        "load_s": load_s,
        "mem_after_load_mib": mem_after_load,
        "mem_mib": mem_after_traffic,
        "mem_kind": server.memory_kind(),
        "qps": result.qps,
        # Over dnsperf's own run time: the wall time around it also holds dnsperf's wait for
        # the replies to its last queries (up to its 5 s timeout when some are lost).
        "cpu_pct": 100.0 * cpu / result.run_time if result.run_time > 0 else 0.0,
        "wall_s": wall,
        "cpu_s": cpu,
        "answers_per_cpu_s": result.completed / cpu if cpu > 0 else 0.0,
        "latency_ms": result.latency * 1000.0,
        "sent": result.sent,
        "completed": result.completed,
        "lost": result.lost,
        "response_bytes": result.response_bytes,
        "noerror_pct": result.rcode_share("NOERROR"),
        "nxdomain_pct": result.rcode_share("NXDOMAIN"),
        "other_rcodes": " ".join("%s=%d" % kv for kv in sorted(other.items())),
        "spotcheck": "; ".join(problems) if problems else "ok",
        "machine_busy_before_pct": 100.0 * busy_before,
        "loadavg_before": load_before,
        "loadavg_after": procstat.loadavg(),
    }
