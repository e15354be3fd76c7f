"""Summarises a JFR recording of ToggleCost.tenPerSecond (stdin: `jfr print --json`; args: the JMH log, a label)."""
import collections
import json
import re
import sys

log, label = sys.argv[1], sys.argv[2]
events = json.load(sys.stdin)["recording"]["events"]
text = open(log, encoding="utf-8", errors="replace").read()
toggles = re.findall(r"ToggleCost: (\d+) toggles, (\d+) failed calls", text)
changes = sum(int(t) for t, _ in toggles)
failed = sum(int(f) for _, f in toggles)
score = re.search(r"ToggleCost\.tenPerSecond:callsAtTen\s+thrpt\s+\d+\s+([\d.]+)", text)

deopt = collections.Counter()
compiled = collections.Counter()
compile_ms = collections.Counter()
failures = collections.Counter()
for e in events:
    kind = e["type"]
    v = e["values"]
    if kind == "jdk.Deoptimization":
        deopt[(v.get("reason") or "?", v.get("action") or "?")] += 1
    elif kind == "jdk.Compilation":
        level = v.get("compileLevel")
        tier = "C2" if level == 4 else "C1"
        compiled[tier] += 1
        d = v.get("duration") or "PT0S"
        m = re.match(r"PT(?:([\d.]+)M)?([\d.]+)S", d)
        secs = (float(m.group(1) or 0) * 60 + float(m.group(2))) if m else 0.0
        compile_ms[tier] += secs * 1000
    elif kind == "jdk.CompilationFailure":
        failures[v.get("failureMessage") or "?"] += 1

per = (lambda n: "%.2f" % (n / changes)) if changes else (lambda n: "–")
print("%s: ToggleCost.tenPerSecond, whole fork (warm-up included): %d patch changes, %d failed calls; callers %s calls/ms"
      % (label, changes, failed, score.group(1) if score else "?"))
print("deoptimizations: %d (%s per change)" % (sum(deopt.values()), per(sum(deopt.values()))))
for (reason, action), n in deopt.most_common(8):
    print("  %5d  %s / %s" % (n, reason, action))
for tier in ("C1", "C2"):
    print("%s compilations completed: %d (%s per change), %.0f ms compiling" % (tier, compiled[tier], per(compiled[tier]), compile_ms[tier]))
print("compilations thrown away: %d (%s per change)" % (sum(failures.values()), per(sum(failures.values()))))
for msg, n in failures.most_common(8):
    print("  %5d  %s" % (n, msg))
