#!/usr/bin/env python3
"""Turns the benchmark results into the Markdown tables of BENCHMARKS.md.

    python3 benchmarks/summarize.py benchmarks/results/jdk17-quick-*.json benchmarks/results/jdk25-quick-*.json

Pass the files of one mode: a benchmark found in two files of the same JDK keeps the last one read.

Reads JMH JSON (CallCost, ChangeCost, ToggleCost) and the JSON of StartupCost and MemoryCost, groups
them by JDK (one column group per JDK) and prints one table per benchmark:

  - CallCost: JMH's score (mean over the measurement iterations +- its 99.9% confidence half-width),
    its ratio to `direct`, and the median of the iterations with its ratio to direct's median; then
    the two targets (patched/direct <= 1.05, afterDisable/original <= 1.02) with the range the ratio
    can take within the two 99.9% intervals.
  - ChangeCost: ms per enable/disable (with its transition) and per retransformClasses of the same
    classes, and the ratio to retransform (target <= 1.5).
  - ToggleCost: callers' throughput with and without toggling, the ratio, toggles per second, and the
    failed calls (must be 0); then the JVM's floor: the same callers, never patched, while their class
    is retransformed with no change, as fast as it goes and ten times a second.
  - StartupCost: ms to main per variant and what the agent adds (target <= 50 ms).
  - MemoryCost: bytes of heap and metaspace per patched method, per patch, per patch JAR; then the
    patch JAR's repeated life cycles: heap and metaspace at each checkpoint over the level after the
    first cycle (target <= 1.05 on JDK 25) and the growth per cycle since it.

Ratios are plain ratios of means (or medians); the errors are not propagated into them.
"""
import json
import os
import statistics
import sys
from collections import OrderedDict

CALLCOST_ORDER = ["direct", "original", "patched", "afterDisable", "inTransition", "reflectiveRedirect",
                  "volatileRedirect", "mapRedirect", "adviceRedirect"]


def num(x):
    """JMH writes "NaN" as a string where there is no error (a single iteration)."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def fmt(x, digits=2):
    x = num(x) if x is not None else None
    if x is None or x != x:
        return "–"
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 10 and digits > 1:
        return "%.1f" % x
    return ("%." + str(digits) + "f") % x


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b and a == a and b == b else "–"


def jdk_label(version):
    v = str(version)
    return "JDK " + v


def load(paths):
    """Returns {jdk: {"jmh": [records], "startup": obj, "memory": obj}} in the order seen."""
    by_jdk = OrderedDict()
    for p in paths:
        with open(p) as f:
            data = json.load(f)
        if isinstance(data, list):
            for r in data:
                jdk = jdk_label(r.get("jdkVersion", os.path.basename(p)))
                by_jdk.setdefault(jdk, {"jmh": []})["jmh"].append(r)
        elif isinstance(data, dict) and data.get("benchmark") in ("StartupCost", "MemoryCost"):
            jdk = jdk_label(data["jvm"]["jdkVersion"])
            key = "startup" if data["benchmark"] == "StartupCost" else "memory"
            by_jdk.setdefault(jdk, {"jmh": []})[key] = data
        else:
            print("summarize.py: %s: not a result file I know" % p, file=sys.stderr)
    return by_jdk


def jmh_rows(records, cls):
    """{(method, params): (score, error, median, unit, record)} for benchmarks of class cls."""
    rows = OrderedDict()
    for r in records:
        full, _, method = r["benchmark"].rpartition(".")
        if full.rpartition(".")[2] != cls:
            continue
        params = tuple(sorted((r.get("params") or {}).items()))
        m = r["primaryMetric"]
        iters = [x for fork in m.get("rawData", []) for x in fork]
        median = statistics.median(iters) if iters else float("nan")
        rows[(method, params)] = (num(m["score"]), num(m["scoreError"]), median, m["scoreUnit"], r)
    return rows


def interval(a, ea, b, eb):
    """The range of a/b when a and b lie anywhere in their intervals."""
    lo = (a - ea) / (b + eb) if b + eb > 0 else float("nan")
    hi = (a + ea) / (b - eb) if b - eb > 0 else float("inf")
    return lo, hi


def verdict(value, target):
    return "met" if value <= target else "**missed**"


def callcost(by_jdk):
    cols = [(jdk, jmh_rows(d["jmh"], "CallCost")) for jdk, d in by_jdk.items()]
    cols = [(j, r) for j, r in cols if r]
    if not cols:
        return
    print("### CallCost (ns/op, lower is better; ratios to `direct`)\n")
    header = "| Benchmark |" + "".join(" %s: mean ± error | ratio | median (ratio) |" % j for j, _ in cols)
    print(header)
    print("|---|" + "---:|---:|---:|" * len(cols))
    methods = [m for m in CALLCOST_ORDER if any((m, ()) in r for _, r in cols)]
    methods += [m for _, r in cols for (m, p) in r if m not in methods]
    for m in methods:
        line = "| `%s` |" % m
        for _, rows in cols:
            if (m, ()) not in rows:
                line += " – | – | – |"
                continue
            s, e, med, unit, _ = rows[(m, ())]
            base = rows.get(("direct", ()))
            line += " %s ± %s | %s | %s (%s) |" % (fmt(s), fmt(e), ratio(s, base[0]) if base else "–", fmt(med),
                                                 ratio(med, base[2]) if base else "–")
        print(line)
    print()
    for name, num, den, target in (("patched/direct", "patched", "direct", 1.05),
                                   ("afterDisable/original", "afterDisable", "original", 1.02),
                                   ("inTransition/direct", "inTransition", "direct", None),
                                   ("inTransition/patched", "inTransition", "patched", None)):
        parts = []
        for jdk, rows in cols:
            if (num, ()) in rows and (den, ()) in rows:
                a, ea, ma = rows[(num, ())][:3]
                b, eb, mb = rows[(den, ())][:3]
                lo, hi = interval(a, ea, b, eb)
                text = "%s: %.2f (medians %.2f" % (jdk, a / b, ma / mb)
                text += "; within the 99.9%% intervals %.2f to %.2f)" % (lo, hi) if lo == lo and hi == hi else ")"
                if target is not None:
                    text += ", " + verdict(a / b, target)
                parts.append(text)
        if parts:
            print("- `%s`%s: %s" % (name, " (target ≤ %.2f)" % target if target else "", "; ".join(parts)))
    print()


def changecost(by_jdk):
    cols = [(jdk, jmh_rows(d["jmh"], "ChangeCost")) for jdk, d in by_jdk.items()]
    cols = [(j, r) for j, r in cols if r]
    if not cols:
        return
    print("### ChangeCost (ms per operation, one shot per iteration; ratios to `retransform` of the same classes)\n")
    print("| methods (classes) | operation |" + "".join(" %s: mean ± error | median | ratio (medians) |" % j
                                                   for j, _ in cols))
    print("|---|---|" + "---:|---:|---:|" * len(cols))
    params = []
    for _, rows in cols:
        for (m, p) in rows:
            if p not in params:
                params.append(p)
    params.sort(key=lambda p: int(dict(p).get("methods", 0)))
    for p in params:
        n = int(dict(p).get("methods", 0))
        classes = 1 if n < 10 else n // 10
        for op in ("enable", "disable", "retransform", "retransformBeside"):
            if not any((op, p) in rows for _, rows in cols):
                continue
            line = "| %d (%d) | `%s` |" % (n, classes, op)
            for _, rows in cols:
                if (op, p) not in rows:
                    line += " – | – | – |"
                    continue
                s, e, med, unit, _ = rows[(op, p)]
                base = rows.get(("retransform", p))
                line += " %s ± %s | %s | %s (%s) |" % (fmt(s), fmt(e), fmt(med), ratio(s, base[0]) if base else "–",
                                                     ratio(med, base[2]) if base else "–")
            print(line)
    print()
    # The target's ratio (to `retransform`, with its verdict), then the one to `retransformBeside`,
    # which only explains it.
    for base, label, target in (("retransform", "target ≤ 1.5", 1.5),
                                ("retransformBeside", "the JVM's retransformation in the same JVM; not the target",
                                 None)):
        for op in ("enable", "disable"):
            parts = []
            for jdk, rows in cols:
                for p in params:
                    if (op, p) in rows and (base, p) in rows:
                        a, b = rows[(op, p)][0], rows[(base, p)][0]
                        parts.append("%s, %s methods: %.2f%s" % (jdk, dict(p)["methods"], a / b,
                                                                 " (%s)" % verdict(a / b, target) if target else ""))
            if parts:
                print("- `%s/%s` (%s): %s" % (op, base, label, "; ".join(parts)))
    print()


def secondary(record, name):
    s = (record.get("secondaryMetrics") or {}).get(name)
    return (num(s["score"]), num(s["scoreError"]), s["scoreUnit"]) if s else None


def togglecost(by_jdk):
    cols = [(jdk, jmh_rows(d["jmh"], "ToggleCost")) for jdk, d in by_jdk.items()]
    cols = [(j, r) for j, r in cols if r]
    if not cols:
        return
    print("### ToggleCost (4 caller threads; calls per ms, higher is better)\n")
    print("| | " + " | ".join(j for j, _ in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    lines = OrderedDict((k, "| %s |" % k) for k in (
        "callers, patch steady (`steady`)", "callers while it toggles (`toggling:calls`)", "ratio toggling / steady",
        "toggles per second (`toggling:toggle`)", "failed calls (steady + toggling + ten a second)",
        "calls answered by the original / the replacement (toggling)",
        "callers at ten changes a second (`tenPerSecond:callsAtTen`)", "ratio ten changes a second / steady",
        "changes per second (`tenPerSecond:toggleAtTen`)",
        "JVM floor: callers, never patched (`unpatchedSteady`)",
        "JVM floor: callers while a no-op retransformation repeats (`retransforming`)", "… ratio to `unpatchedSteady`",
        "JVM floor: retransformations per second (`retransforming:retransform`)",
        "JVM floor: callers at ten retransformations a second (`retransformingAtTen`)", "… ratio to `unpatchedSteady` ",
        "failed calls (the floor's groups)"))
    for _, rows in cols:
        steady = rows.get(("steady", ()))
        toggling = rows.get(("toggling", ()))
        # A group of one method has no secondary result for it: its primary one is the callers'.
        sc = (secondary(steady[4], "steadyCalls") or steady[:2]) if steady else None
        tc = secondary(toggling[4], "calls") if toggling else None
        tg = secondary(toggling[4], "toggle") if toggling else None
        ten = rows.get(("tenPerSecond", ()))
        c10 = secondary(ten[4], "callsAtTen") if ten else None
        t10 = secondary(ten[4], "toggleAtTen") if ten else None
        failed = sum((secondary(r[4], "failedCalls") or (0, 0, ""))[0] for r in (steady, toggling, ten) if r)
        orig = secondary(toggling[4], "originalResults") if toggling else None
        new = secondary(toggling[4], "patchedResults") if toggling else None
        lines["callers, patch steady (`steady`)"] += " %s ± %s |" % (fmt(sc[0]), fmt(sc[1])) if sc else " – |"
        lines["callers while it toggles (`toggling:calls`)"] += " %s ± %s |" % (fmt(tc[0]), fmt(tc[1])) if tc else " – |"
        lines["ratio toggling / steady"] += " %s |" % (ratio(tc[0], sc[0]) if tc and sc else "–")
        lines["toggles per second (`toggling:toggle`)"] += " %s ± %s |" % (fmt(tg[0] * 1000, 1), fmt(tg[1] * 1000, 1)) \
            if tg else " – |"
        lines["failed calls (steady + toggling + ten a second)"] += " %d |" % failed
        lines["calls answered by the original / the replacement (toggling)"] += " %s / %s |" % (
            "%.3g" % orig[0] if orig else "–", "%.3g" % new[0] if new else "–")
        lines["callers at ten changes a second (`tenPerSecond:callsAtTen`)"] += \
            " %s ± %s |" % (fmt(c10[0]), fmt(c10[1])) if c10 else " – |"
        lines["ratio ten changes a second / steady"] += " %s |" % (ratio(c10[0], sc[0]) if c10 and sc else "–")
        lines["changes per second (`tenPerSecond:toggleAtTen`)"] += \
            " %s ± %s |" % (fmt(t10[0] * 1000, 1), fmt(t10[1] * 1000, 1)) if t10 else " – |"
        unp = rows.get(("unpatchedSteady", ()))
        rt = rows.get(("retransforming", ()))
        rt10 = rows.get(("retransformingAtTen", ()))
        uc = (secondary(unp[4], "unpatchedCalls") or unp[:2]) if unp else None
        rc = secondary(rt[4], "callsWhileRetransformed") if rt else None
        rr = secondary(rt[4], "retransform") if rt else None
        r10 = secondary(rt10[4], "callsAtTenRetransformations") if rt10 else None
        lines["JVM floor: callers, never patched (`unpatchedSteady`)"] += " %s ± %s |" % (fmt(uc[0]), fmt(uc[1])) if uc else " – |"
        lines["JVM floor: callers while a no-op retransformation repeats (`retransforming`)"] += \
            " %s ± %s |" % (fmt(rc[0]), fmt(rc[1])) if rc else " – |"
        lines["… ratio to `unpatchedSteady`"] += " %s |" % (ratio(rc[0], uc[0]) if rc and uc else "–")
        lines["JVM floor: retransformations per second (`retransforming:retransform`)"] += \
            " %s ± %s |" % (fmt(rr[0] * 1000, 1), fmt(rr[1] * 1000, 1)) if rr else " – |"
        lines["JVM floor: callers at ten retransformations a second (`retransformingAtTen`)"] += \
            " %s ± %s |" % (fmt(r10[0]), fmt(r10[1])) if r10 else " – |"
        lines["… ratio to `unpatchedSteady` "] += " %s |" % (ratio(r10[0], uc[0]) if r10 and uc else "–")
        lines["failed calls (the floor's groups)"] += " %d |" % sum(
            (secondary(r[4], "failedCalls") or (0, 0, ""))[0] for r in (unp, rt, rt10) if r)
    for line in lines.values():
        print(line)
    print()


def startup(by_jdk):
    cols = [(jdk, d["startup"]) for jdk, d in by_jdk.items() if "startup" in d]
    if not cols:
        return
    print("### StartupCost (ms from process start to the first line of `main`)\n")
    print("| variant |" + "".join(" %s: median | mean ± error | added to `noAgent`(`Aot`) | added to `emptyAgent`(`Aot`) |" % j
                                  for j, _ in cols))
    print("|---|" + "---:|---:|---:|---:|" * len(cols))
    variants = []
    for _, d in cols:  # the AOT-cache variants exist on JDK 25+ only
        variants += [v for v in d["variants"] if v not in variants]
    for v in variants:
        line = "| `%s` |" % v
        for _, d in cols:
            if v not in d["variants"]:
                line += " – | – | – | – |"
                continue
            s = d["variants"][v]["toMain"]
            # an AOT-cache variant against its AOT-cache baselines
            suffix = "Aot" if v.endswith("Aot") else ""
            base = d["variants"]["noAgent" + suffix]["toMain"]["median"]
            empty = d["variants"].get("emptyAgent" + suffix, {}).get("toMain", {}).get("median")
            line += " %s | %s ± %s | %+.1f | %s |" % (fmt(s["median"], 1), fmt(s["mean"], 1), fmt(s["error"], 1),
                                                     s["median"] - base,
                                                     "%+.1f" % (s["median"] - empty) if empty is not None else "–")
        print(line)
    print()
    parts = []
    for jdk, d in cols:
        base = d["variants"]["noAgent"]["toMain"]["median"]
        for v in ("agent", "agentTenPatches"):
            if v in d["variants"]:
                added = d["variants"][v]["toMain"]["median"] - base
                parts.append("%s, `%s`: %+.1f ms (%s)" % (jdk, v, added, verdict(added, 50)))
    print("- added to start-up by jlivepatch, medians against `noAgent` (target ≤ 50 ms): " + "; ".join(parts))
    floors = []
    for jdk, d in cols:
        m = {v: d["variants"][v]["toMain"]["median"] for v in
             ("agent", "agentOnePatch", "agentTenPatches", "floorAgentNoPatches", "floorAgentOnePatch",
              "floorAgentTenPatches") if v in d["variants"]}
        if len(m) == 6:
            floors.append("%s: jlivepatch %+.1f ms (first patch %+.1f, each further %+.1f); the floor %+.1f ms (first"
                          " %+.1f, each further %+.1f)" % (
                              jdk, m["agentTenPatches"] - m["agent"], m["agentOnePatch"] - m["agent"],
                              (m["agentTenPatches"] - m["agentOnePatch"]) / 9,
                              m["floorAgentTenPatches"] - m["floorAgentNoPatches"],
                              m["floorAgentOnePatch"] - m["floorAgentNoPatches"],
                              (m["floorAgentTenPatches"] - m["floorAgentOnePatch"]) / 9))
    if floors:
        print("- ten patch JARs over none (issue 14: ≤ 50 ms), jlivepatch's against its plain agent and the floor's"
              " (`floorAgent*`, a bare ASM redirect without checks, dispatch or transitions) against its empty"
              " directory: " + "; ".join(floors))
    print("- rounds: " + ", ".join("%s %d (+%d warm-up)" % (j, d["rounds"], d.get("warmupRounds", 0)) for j, d in cols))
    for j, d in cols:
        a = d.get("agentJar")
        if a:
            print("- %s: agent JAR %s bytes, modified %s, sha256 %s" % (j, a["bytes"], a["modified"], a["sha256"][:12]))
    print()


def memory(by_jdk):
    cols = [(jdk, d["memory"]) for jdk, d in by_jdk.items() if "memory" in d]
    full = [(jdk, d) for jdk, d in cols if "perPatchedMethod" in d]  # a "cycles" run has only patchJarCycles
    if full:
        memory_per_unit(full)
    memory_cycles(cols)


def memory_per_unit(cols):
    print("### MemoryCost (bytes per unit: heap after a full GC, metaspace used; deltas from before registering)\n")
    print("| scenario | step |" + "".join(" %s: heap | metaspace |" % j for j, _ in cols))
    print("|---|---|" + "---:|---:|" * len(cols))
    for scen, unit in (("perPatchedMethod", "per method"), ("perRegisteredPatch", "per patch"),
                       ("perPatchJar", "per patch JAR")):
        for step in ("registered", "enabled", "enabledAndCalled", "residual", "residualAfterSecondCycle",
                     "retransformTwiceControl"):
            if not any(step in d[scen] for _, d in cols):
                continue
            n = cols[0][1][scen].get("methods", cols[0][1][scen].get("patches"))
            line = "| `%s` (%s, n = %s) | %s |" % (scen, unit, n, step)
            for _, d in cols:
                u = d[scen].get(step)
                line += " %s | %s |" % ((fmt(u["heapBytesPerUnit"], 0), fmt(u["metaspaceBytesPerUnit"], 0))
                                        if u else ("–", "–"))
            print(line)
    print()
    for jdk, d in cols:
        floor = d.get("noiseFloor", {}).get("heapSpreadBytes")
        loaders = ", ".join("%d calls (%s): %s" % (x["calls"], x.get("calledFrom", ""),
                                                   "collected" if x["collected"] else "NOT collected")
                            for x in d["classLoaderCollected"])
        print("- %s: heap noise floor (spread of 5 readings at rest) %s bytes; unregistered patch JAR's class loader: %s"
              % (jdk, floor, loaders))
    print()


def memory_cycles(cols):
    """The patchJarCycles table: one row per checkpoint, level over the level after cycle 1."""
    cols = [(jdk, d["patchJarCycles"]) for jdk, d in cols if "patchJarCycles" in d]
    if not cols:
        return
    print("### MemoryCost: one patch JAR loaded, enabled, called, disabled, unregistered, again and again\n")
    print("Level at the checkpoint / level after cycle 1 (target: <= 1.05 on JDK 25); in brackets the growth"
          " per cycle since the previous checkpoint, bytes.\n")
    print("| after cycle |" + "".join(" %s: heap | metaspace | classes unloaded (JVM total) |" % j for j, _ in cols))
    print("|---:|" + "---:|---:|---:|" * len(cols))
    cycles = sorted({r["cycle"] for _, c in cols for r in c["readings"]})
    for n in cycles:
        line = "| %d |" % n
        for _, c in cols:
            rs = c["readings"]
            i = next((i for i, r in enumerate(rs) if r["cycle"] == n), None)
            if i is None:
                line += " – | – | – |"
                continue
            r, p = rs[i], rs[max(i - 1, 0)]
            span = max(r["cycle"] - p["cycle"], 1)
            line += " %.3f (%s) | %.3f (%s) | %d |" % (r["heapOverFirst"], fmt((r["heapBytes"] - p["heapBytes"]) / span, 0),
                                                       r["metaspaceOverFirst"],
                                                       fmt((r["metaspaceBytes"] - p["metaspaceBytes"]) / span, 0),
                                                       r["classesUnloaded"])
        print(line)
    print()
    for jdk, c in cols:
        first = c["readings"][0]
        last = c["readings"][-1]
        if "failed" in c:
            print("- %s: **FAILED** at %s (readings up to then above)" % (jdk, c["failed"]))
        if not c["readings"]:
            continue
        grew = ", ".join("%s %+d B" % (h["class"], h["bytes"]) for h in c.get("histogramGrowthTop", [])[:5])
        print("- %s: %d cycles in %.0f s; after cycle 1: heap %d B, metaspace %d B; after cycle %d: heap %s, metaspace %s;"
              " heap grown most (histogram, cycle 1 to %d): %s"
              % (jdk, c["cycles"], c["seconds"], first["heapBytes"], first["metaspaceBytes"], last["cycle"],
                 verdict(last["heapOverFirst"], 1.05), verdict(last["metaspaceOverFirst"], 1.05), last["cycle"], grew))
    print()


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    by_jdk = load(paths)
    callcost(by_jdk)
    changecost(by_jdk)
    togglecost(by_jdk)
    startup(by_jdk)
    memory(by_jdk)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
