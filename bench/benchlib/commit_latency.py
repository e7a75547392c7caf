"""Commit → served: how long after `tidalctl record add` writes one record to the database that
tidald serves it (issue 6, point 3).

For each edit: tidalctl (pinned to the client CPUs) adds an A record at a new name; meanwhile a
UDP query for that name goes out every millisecond; the first positive answer ends the edit.
Two intervals per edit: from tidalctl's exit (the commit is durable by then) to the answer, and
from tidalctl's start to the answer (what an editor sees). The first is a slight underestimate
(the commit happens a little before the exit), the second an overestimate (it includes
tidalctl's own start-up and its reading of the zone).
"""

import subprocess
import time

from . import dnswire

EDIT_TIMEOUT = 300.0  # seconds one edit may take to be served, whatever the zone size


def measure(server, tidalctl, origin, edits, client_cpus, label):
    """server: a started and loaded TidalServer. Returns one row per edit."""
    rows = []
    prober = dnswire.Prober(server.port)
    try:
        for i in range(edits):
            name = "commit-%s-%03d.%s" % (label, i, origin)
            argv = ["taskset", "-c", client_cpus, tidalctl, "--config", server.config_path,
                    "record", "add", name, "300", "A", "192.0.2.%d" % (i % 250 + 1)]
            started = time.monotonic()
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
            exited = [None]

            def note_exit(p=proc, box=exited):
                if box[0] is None and p.poll() is not None:
                    box[0] = time.monotonic()

            served = prober.wait_positive(name, "A", EDIT_TIMEOUT, alive=server.alive,
                                          tick=note_exit)
            try:
                output, _ = proc.communicate(timeout=EDIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate(timeout=30)
            note_exit()
            if proc.returncode != 0:
                raise RuntimeError("tidalctl record add failed (exit %d): %s\n%s" %
                                   (proc.returncode, " ".join(argv), output.decode()[-2000:]))
            if served is None:
                raise RuntimeError("%s: %s was not served within %.0f s of the commit" %
                                   (label, name, EDIT_TIMEOUT))
            rows.append({
                "zone": label,
                "edit": i,
                "tidalctl_s": exited[0] - started,
                "exit_to_served_ms": (served - exited[0]) * 1000.0,
                "start_to_served_ms": (served - started) * 1000.0,
            })
            time.sleep(0.2)  # let the server settle before the next edit
    finally:
        prober.close()
    return rows
