#!/usr/bin/env python3
"""Turns JMH JSON results into the Markdown table of BENCHMARKS.md.

    python3 benchmarks/summarize.py benchmarks/results/jdk17-quick.json benchmarks/results/jdk25-quick.json

One row per benchmark; per file (one JDK each) three columns:
  - JMH's score: the mean over all measurement iterations, +- its 99.9% confidence half-width;
  - the ratio of that mean to the mean of the benchmark named `direct` of the same class and
    parameters in the same file (a plain ratio; the errors are not propagated into it);
  - the median of the per-iteration scores, with its ratio to the median of `direct`. On a shared,
    noisy machine a burst of load inflates a few iterations: the median shows what the quiet
    iterations measured, the mean +- error shows how noisy the run was.
"""
import json
import os
import statistics
import sys

BASELINE = "direct"


def load(path):
    with open(path) as f:
        runs = json.load(f)
    label = None
    rows = {}
    for r in runs:
        if label is None:
            label = "JDK " + str(r.get("jdkVersion", os.path.basename(path)))
        cls, _, method = r["benchmark"].rpartition(".")
        params = r.get("params") or {}
        key = (cls.rpartition(".")[2], method, tuple(sorted(params.items())))
        m = r["primaryMetric"]
        iterations = [x for fork in m.get("rawData", []) for x in fork]
        median = statistics.median(iterations) if iterations else float("nan")
        rows[key] = (m["score"], m["scoreError"], median, m["scoreUnit"])
    return label or os.path.basename(path), rows


def fmt(x):
    if x != x:
        return "NaN"
    return "%.2f" % x if x < 100 else "%.0f" % x


def ratio(a, b):
    return "%.2f" % (a / b) if b and b == b and a == a else "–"


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    files = [load(p) for p in paths]
    keys = []
    for _, rows in files:
        for k in rows:
            if k not in keys:
                keys.append(k)
    header = "| Benchmark |"
    rule = "|---|"
    for label, _ in files:
        header += " %s: mean ± error | ratio to `%s` | median (ratio) |" % (label, BASELINE)
        rule += "---:|---:|---:|"
    print(header)
    print(rule)
    for k in keys:
        cls, method, params = k
        name = "%s.%s" % (cls, method) + ("" if not params else " " + ",".join("%s=%s" % p for p in params))
        line = "| `%s` |" % name
        for _, rows in files:
            if k not in rows:
                line += " – | – | – |"
                continue
            score, err, median, unit = rows[k]
            base = rows.get((cls, BASELINE, params))
            cell = "%s ± %s" % (fmt(score), fmt(err))
            if unit != "ns/op":
                cell += " " + unit
            line += " %s | %s | %s (%s) |" % (cell, ratio(score, base[0]) if base else "–",
                                             fmt(median), ratio(median, base[2]) if base else "–")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
