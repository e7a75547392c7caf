"""CPU time and memory of running processes, from /proc (Linux)."""

import os

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (field 3 onwards), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pids):
    """utime + stime of every live process in pids (all their threads), in seconds."""
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
    return ticks / CLOCK_TICKS


def descendants(pid):
    """pid and every live process below it (NSD forks xfrd and its serving children)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _kib_field(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib(pid):
    """VmRSS of one process, MiB."""
    return _kib_field("/proc/%d/status" % pid, "VmRSS") / 1024.0


def pss_mib(pids):
    """Proportional set size summed over pids (shared pages split between them), MiB."""
    return sum(_kib_field("/proc/%d/smaps_rollup" % p, "Pss") for p in pids) / 1024.0


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def _cpu_totals():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]), idle  # user..steal (guest time is already in user)


def busy_fraction(seconds):
    """Share of all CPUs busy (anything but idle and iowait) over the next `seconds`."""
    import time
    total0, idle0 = _cpu_totals()
    time.sleep(seconds)
    total1, idle1 = _cpu_totals()
    return 1.0 - (idle1 - idle0) / (total1 - total0) if total1 > total0 else 0.0
