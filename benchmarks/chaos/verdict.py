#!/usr/bin/env python3
"""The chaos run's verdict, from what chaos.sh left in its work directory (deterministic given those files).

Prints the counts and one 'VIOLATION: ...' per broken invariant; exits 1 when there is one."""
import glob, json, os, re, sys

W = sys.argv[1]
violations = []
def bad(msg): violations.append(msg); print("VIOLATION: " + msg)
def read(p, default=""):
    try:
        with open(p, errors="replace") as f: return f.read()
    except FileNotFoundError: return default

# --- the audit file(s): rotated ones in rotation order, then the current one --------------------
def nanos(t):  # 2026-12-07T13:35:26.239746466Z -> comparable integer
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", t)
    if not m: bad("audit time not ISO-8601 UTC: " + t); return 0
    from datetime import datetime, timezone
    s = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    return int(s) * 10**9 + int((m.group(2) or "0").ljust(9, "0"))
files = sorted(glob.glob(W + "/rotated/audit.jsonl.*"), key=lambda p: int(p.rsplit(".", 1)[1])) + [W + "/audit.jsonl"]
records, last = [], 0
for f in files:
    for n, line in enumerate(read(f).splitlines(), 1):
        try: r = json.loads(line)
        except ValueError: bad(f"{f}:{n}: not a JSON line: {line[:200]}"); continue
        t = nanos(r["time"])
        if t < last: bad(f"{f}:{n}: out of order ({r['time']} after a later record): {line[:200]}")
        last = max(last, t)
        records.append(r)
        if r["operation"] == "audit-gap": bad(f"{f}:{n}: records lost: {r['outcome'][:300]}")
forced = any(r["operation"] == "transition" and "forced" in r["outcome"] for r in records)
ok = lambda r: r["outcome"].startswith("ok")

# --- the commands ------------------------------------------------------------------------------
ALLOWED = {"load": {0, 1, 3, 4}, "enable": {0, 1, 3, 4}, "disable": {0, 1, 3, 4}, "unload": {0, 1, 3, 4},
           "force": {0, 1, 4}, "status": {0}}
counts, slowest = {}, (0, "")
for cmdf in sorted(glob.glob(W + "/ops/*.cmd")):
    base = cmdf[:-4]
    ms, *argv = read(cmdf).split()
    cmd = argv[0]
    rc = int(read(base + ".rc", "-1").strip() or -1)
    out = read(base + ".out")
    pid = read(base + ".pid").strip()
    counts[(cmd, rc)] = counts.get((cmd, rc), 0) + 1
    slowest = max(slowest, (int(ms), " ".join(argv)))
    where = f"{os.path.basename(base)} ({' '.join(argv)}, exit {rc}, {ms} ms)"
    if rc in (124, 137): bad(f"{where}: hung past its --timeout and --wait: {out[-300:]}"); continue
    if rc not in ALLOWED[cmd]: bad(f"{where}: exit code not allowed here: {out[-600:]}"); continue
    if "\tat " in out or "Exception in thread" in out: bad(f"{where}: printed a stack trace: {out[-600:]}")
    if argv[-1].endswith("/bad.jar") and rc != 1: bad(f"{where}: the bad JAR was not refused")
    if rc == 1 and "refused" not in out and "instead of" not in out and "reversing" not in out and "now" not in out:
        bad(f"{where}: exit 1 without a refusal or a reversal: {out[-400:]}")
    if rc == 3 and "still running" not in out: bad(f"{where}: exit 3 without a running transition: {out[-400:]}")
    if rc == 4 and ("unknown outcome" not in out or "did not answer" in out or "closed" in out):
        bad(f"{where}: exit 4, yet the JVM answers: {out[-400:]}")
    if cmd == "status" or not pid: continue
    mine = [r for r in records if r["requester"].startswith(f"pid {pid} ") and r["operation"] != "transition"]
    # a cumulative load's replaced patches are unregistered on its account: part of that load
    done = [r["operation"] for r in mine if ok(r) and not r["outcome"].startswith("ok (replaced by")]
    if rc == 0:
        want = {"load": [["load"]], "enable": [["enable"]], "disable": [["disable"]], "force": [["force"], []],
                "unload": [["disable", "unregister"], ["unregister"]]}[cmd]
        if cmd == "unload" and "has unregistered" in out:
            # another operation unregistered it between this command's disable and its unregister (the command says
            # so, and who in the audit log): its own record is the disable alone
            want = want + [["disable"]]
        if done not in want: bad(f"{where}: its audit records are {done}, expected one of {want}")
    elif rc == 1 and "refused" in out and done:
        bad(f"{where}: refused, 'nothing changed', yet the audit file records {done} by it")

# --- the end state -----------------------------------------------------------------------------
if read(W + "/status.rc").strip() != "0": bad("the last status did not answer: " + read(W + "/status.txt")[-400:])
try:
    st = json.loads(read(W + "/status.json"))
    for p in st["patches"]:
        if p["transition"]: bad(f"patch {p['name']} still in transition at the end")
        for fn in p["functions"]:
            for l in fn["loaders"]:
                if l["state"] == "FAILED" and not l["detail"]:
                    bad(f"patch {p['name']}: {fn['class']}.{fn['method']} FAILED without a reason")
    if st["audit"]["problem"] or st["audit"]["notWritten"]: bad(f"audit file trouble: {st['audit']}")
    # all actors stopped: the watch converges, or fails on the bad JAR alone when the directory holds it
    if not re.match(read(W + "/settled").strip() or "^converged", st["watch"]["state"]):
        bad("watch did not settle: " + st["watch"]["state"])
    print("end state: " + " ".join(f"{p['name']}[{'on' if p['enabled'] else 'off'}]" for p in st["patches"])
          + "; watch " + st["watch"]["state"][:120])
except (ValueError, KeyError) as e:
    bad(f"no status --json at the end: {e}: {read(W + '/status.json')[:300]}")

err = read(W + "/service.err")
lines = err.splitlines()
for i, l in enumerate(lines):
    if l.startswith("\tat ") and (i == 0 or not lines[i - 1].startswith("\tat ")):
        bad("service stderr has a stack trace: " + " / ".join(lines[max(0, i - 2):i + 3]))
for l in lines:
    if l.startswith("VIOLATION"): bad("service: " + l)
summary = next((l for l in read(W + "/service.out").splitlines() if l.startswith("summary:")), "")
if not summary: bad("the service printed no summary (did it die?)")
mixed = int(re.search(r"mixed=(\d+)", summary).group(1)) if summary else 0
# A mix is allowed only next to a forced transition: its record within the 10 s before the call returned (its
# slow calls take 3 s) or the 2 s after (the record's time is taken once the force has moved every thread,
# after a caller may have run the new code): the consistency model's one exception. The service prints the
# first 20 mixes.
forced_at = [nanos(r["time"]) for r in records if r["operation"] == "transition" and "forced" in r["outcome"]]
mixes = [m.group(1) for m in (re.search(r"^MIXED: .* at (\S+)$", l) for l in lines) if m]
for t in mixes:
    if not any(-2 * 10**9 <= nanos(t) - f <= 10 * 10**9 for f in forced_at):
        bad(f"ac mixed versions at {t}, with no forced transition from 10 s before to 2 s after")
if mixed > len(mixes) and not forced_at: bad(f"{mixed} calls of ac mixed versions, and no transition was forced")
if read(W + "/service.rc").strip() != "0": bad("service exit " + read(W + "/service.rc").strip())

print("service: " + summary)
print("commands: " + ", ".join(f"{c} exit {rc}: {n}" for (c, rc), n in sorted(counts.items())))
ops = {}
for r in records: ops[r["requester"].split(" ")[0]] = ops.get(r["requester"].split(" ")[0], 0) + 1
print(f"slowest command: {slowest[0]} ms ({slowest[1]})")
print(f"audit: {len(records)} records in {len(files)} file(s), by requester {ops}; forced transitions: {forced}")
print(f"watch copier: {len(read(W + '/copier.log').splitlines())} changes; audit rotations: {len(read(W + '/rotations.log').splitlines())}")
print("verdict: " + ("CLEAN" if not violations else f"{len(violations)} violation(s)"))
sys.exit(1 if violations else 0)
