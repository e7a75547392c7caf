"""Medians over runs, the Markdown tables with the Tidal/Knot and Tidal/NSD ratios, CSV files and
the gnuplot chart."""

import csv
import math
import os
import statistics
import subprocess

METRICS = ("qps", "cpu_pct", "answers_per_cpu_s", "latency_ms", "lost", "mem_mib",
           "mem_after_load_mib", "load_s", "response_bytes")


def median_rows(rows):
    """One row per (scenario, server): the median of every metric over the runs."""
    groups = {}
    for row in rows:
        groups.setdefault((row["scenario"], row["server"]), []).append(row)
    out = []
    for (scenario, server), group in groups.items():
        med = {"scenario": scenario, "server": server, "runs": len(group),
               "workers": group[0]["workers"], "mem_kind": group[0]["mem_kind"]}
        for metric in METRICS:
            med[metric] = statistics.median(r[metric] for r in group)
        med["lost_max"] = max(r["lost"] for r in group)
        med["answers_per_cpu_s_min"] = min(r["answers_per_cpu_s"] for r in group)
        med["answers_per_cpu_s_max"] = max(r["answers_per_cpu_s"] for r in group)
        out.append(med)
    return out


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def _fmt_k(value):
    return "%.1f k" % (value / 1000.0)


def _ratio(a, b):
    return "%.2f×" % (a / b) if b else "—"


def server_table(medians, scenario, servers):
    """The Markdown table of one scenario: a row per server, then Tidal/X ratio rows. Answers
    per server CPU-second show the median and, in parentheses, the lowest and highest run."""
    by_server = {m["server"]: m for m in medians if m["scenario"] == scenario}
    lines = [
        "| server | qps | server CPU | answers per server CPU-second | mean latency | "
        "lost queries | memory after load | load to first answer |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in servers:
        m = by_server.get(name)
        if m is None:
            continue
        spread = ""
        if m["runs"] > 1:
            spread = " (%.0f–%.0f)" % (m["answers_per_cpu_s_min"] / 1000.0,
                                       m["answers_per_cpu_s_max"] / 1000.0)
        lines.append("| %s | %s | %.0f %% | %s%s | %.3f ms | %d | %.1f MiB (%s) | %.2f s |" % (
            name, _fmt_k(m["qps"]), m["cpu_pct"], _fmt_k(m["answers_per_cpu_s"]), spread,
            m["latency_ms"], m["lost"], m["mem_mib"], m["mem_kind"], m["load_s"]))
    tidal = by_server.get("Tidal")
    for name in servers:
        other = by_server.get(name)
        if tidal is None or other is None or name == "Tidal":
            continue
        lines.append("| **Tidal/%s** | %s | %s | **%s** | %s | %d vs %d | %s | %s |" % (
            name, _ratio(tidal["qps"], other["qps"]), _ratio(tidal["cpu_pct"], other["cpu_pct"]),
            _ratio(tidal["answers_per_cpu_s"], other["answers_per_cpu_s"]),
            _ratio(tidal["latency_ms"], other["latency_ms"]), tidal["lost"], other["lost"],
            _ratio(tidal["mem_mib"], other["mem_mib"]), _ratio(tidal["load_s"], other["load_s"])))
    sizes = ", ".join("%s %.0f" % (name, by_server[name]["response_bytes"]) for name in servers
                      if name in by_server)
    lines.append("\nMean response size (dnsperf), octets: %s." % sizes)
    return "\n".join(lines)


def goals(medians, scenario):
    """Issue 6 point 2, checked on one scenario's medians: a list of (goal, figure, met)."""
    by_server = {m["server"]: m for m in medians if m["scenario"] == scenario}
    tidal = by_server.get("Tidal")
    if tidal is None:
        return []
    out = []
    for name in ("Knot", "NSD"):
        other = by_server.get(name)
        if other and other["answers_per_cpu_s"]:
            ratio = tidal["answers_per_cpu_s"] / other["answers_per_cpu_s"]
            out.append(("answers per server CPU-second ≥ 1.2× %s" % name, "%.2f×" % ratio,
                        ratio >= 1.2))
    knot = by_server.get("Knot")
    if knot:
        out.append(("memory after load ≤ Knot's", "%.1f vs %.1f MiB" % (tidal["mem_mib"],
                                                                        knot["mem_mib"]),
                    tidal["mem_mib"] <= knot["mem_mib"]))
        out.append(("load to first answer ≤ Knot's", "%.3f vs %.3f s" % (tidal["load_s"],
                                                                         knot["load_s"]),
                    tidal["load_s"] <= knot["load_s"]))
    out.append(("zero lost queries (every run)", "%d lost at most" % tidal["lost_max"],
                tidal["lost_max"] == 0))
    return out


def goals_text(goal_list):
    return "\n".join("- %s: %s — %s" % (goal, figure, "met" if met else "NOT met")
                     for goal, figure, met in goal_list)


def write_csv(path, rows):
    if not rows:
        return
    keys = []
    for row in rows:
        for key in row:
            if key not in keys:
                keys.append(key)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("%.6g" % v if isinstance(v, float) else v)
                             for k, v in row.items()})


def write_chart(out_dir, medians, scenarios, servers, title, labels=None):
    """chart.png: answers per server CPU-second, memory and load time, clustered by scenario.
    labels: a short name per scenario for the x axis.
    Returns (PNG path, "") or (None, why) when gnuplot is missing or fails."""
    labels = labels or scenarios
    panels = (("answers_per_cpu_s", "answers per server CPU-second (thousands)", 1000.0),
              ("mem_mib", "memory after load (MiB; NSD: PSS)", 1.0),
              ("load_s", "load to first answer (s)", 1.0))
    for metric, _, scale in panels:
        with open(os.path.join(out_dir, "chart-%s.dat" % metric), "w") as f:
            f.write("scenario %s\n" % " ".join(servers))
            for scenario, label in zip(scenarios, labels):
                values = []
                for name in servers:
                    m = [x for x in medians if x["scenario"] == scenario and x["server"] == name]
                    values.append("%.4f" % (m[0][metric] / scale) if m else "NaN")
                f.write("\"%s\" %s\n" % (label, " ".join(values)))
    script = [
        "set terminal pngcairo size 1600,560 font ',10'",
        "set output 'chart.png'",
        "set style data histogram",
        "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.9",
        "set key top left",
        "set grid ytics",
        "set yrange [0:*]",
        "set multiplot layout 1,%d title \"%s\"" % (len(panels), title.replace('"', "'")),
    ]
    for metric, label, _ in panels:
        plots = ", ".join("'chart-%s.dat' using %d%s title columnheader(%d)" %
                          (metric, i + 2, ":xtic(1)" if i == 0 else "", i + 2)
                          for i in range(len(servers)))
        script += ["set title '%s'" % label, "plot " + plots]
    script.append("unset multiplot")
    with open(os.path.join(out_dir, "chart.gp"), "w") as f:
        f.write("\n".join(script) + "\n")
    try:
        done = subprocess.run(["gnuplot", "chart.gp"], cwd=out_dir, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if done.returncode != 0:
        return None, done.stdout
    return os.path.join(out_dir, "chart.png"), ""
