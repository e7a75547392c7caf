"""Propagation, issue 6 point 4: commit on a primary → served by three secondaries.

Not measured yet: Tidal's replication (tidal-sync: NOTIFY, IXFR/AXFR) does not exist. When it
does, run() is where it goes, beside the same measurement for Knot → Knot and BIND → BIND:

  - one primary and three secondaries of each implementation on 127.0.0.1, distinct ports
    (Tidal: four tidald + tidal-sync pairs, each with its own database and config; Knot: one
    knotd primary with `notify:` to three knotd secondaries; BIND: named likewise), default
    settings first, then tuned;
  - for 1,000-record and 1,000,000-record zones (bench/gen_zone.py --records);
  - >= 200 edits, each one record added on the primary (tidalctl record add; knotc
    zone-begin/zone-set/zone-commit; nsupdate for BIND), then a Prober
    (benchlib/dnswire.py) per secondary polling every millisecond for the new name: the edit's
    propagation time is the time until the LAST secondary answers it;
  - report p50/p95/p99 per implementation and zone size (benchlib/report.percentile), and write
    propagation.csv. Goal: p99 < 10 ms with default settings, no growth with zone size.
"""


def run():
    """Measures propagation when replication exists; today returns the Markdown saying why not."""
    return ("Not measured: Tidal's replication (tidal-sync) does not exist yet. "
            "bench/benchlib/propagation.py describes the measurement (1 primary → 3 "
            "secondaries, ≥ 200 edits, 1 k and 1 M records, beside Knot → Knot and "
            "BIND → BIND) and is where it goes.")
