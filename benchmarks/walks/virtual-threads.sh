#!/usr/bin/env bash
# A walk by hand, as an operator would: a server-like JVM of many virtual threads, each calling a patched
# method in a loop that blocks inside it (parked, a queue's poll, Thread.sleep inside synchronized, and a few
# 2 s parks: idle connections), with the patch (built by jlivepatch build from the two versions) loaded and
# unloaded under that load. Every call checks its answer: "v1:a<x>" (old handle, old tag) or "v2:b<x>" (new,
# new); anything else is a mixed version, which the consistency model forbids unless a transition was forced.
# Not run by CI; README "The consistency model", "Virtual threads", records what such walks showed.
#
# Usage: benchmarks/walks/virtual-threads.sh [threads (10000)] [cycles (3)] [long parks per mille (5)]
# JAVA_HOME chooses the JDK, 21 or later (else java on PATH). Needs the build (mvn -B -o -q install -DskipTests).
# Prints each command's first line (its time, in the kernel's words), one status during a load, the
# server's last counts, then: walk: threads=<n> calls=<n> mixed=<n> errors=<n> problems=<n>.
# Exit status 0 when nothing went wrong, 1 otherwise, 2 for a usage error. Leaves no process behind;
# KEEP=1 keeps the work directory (the server's output).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AGENT="$ROOT/agent/target/jlivepatch-agent.jar"
SRC="$ROOT/benchmarks/walks/virtual-threads"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVAC="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
threads="${1:-10000}"; cycles="${2:-3}"; longpark="${3:-5}"
case "$threads$cycles$longpark" in *[!0-9]*|'') echo "usage: $0 [threads] [cycles] [long parks per mille]" >&2; exit 2 ;; esac
[ -f "$AGENT" ] || { echo "missing $AGENT: build first (mvn -B -o -q install -DskipTests)" >&2; exit 2; }
feature=$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${feature:-0}" -ge 21 ] 2>/dev/null || { echo "virtual threads need JDK 21 or later; this is ${feature:-?}: set JAVA_HOME" >&2; exit 2; }

WORK="$(mktemp -d /tmp/jlivepatch-vt-walk.XXXXXX)"
server=""
problems=0
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
problem() { echo "PROBLEM: $*"; problems=$((problems + 1)); }
jlp() { "$JAVA" -jar "$AGENT" "$@"; }

# The two builds: the new one differs in Handler.handle's tag and in Codec.tag.
mkdir -p "$WORK/src/vt" "$WORK/newsrc/vt" "$WORK/old" "$WORK/new"
cp "$SRC"/*.java "$WORK/src/vt/" && cp "$SRC"/*.java "$WORK/newsrc/vt/"
sed -i 's|return "v1:" + Codec.tag(x); // BUG: the old tag|return "v2:" + Codec.tag(x);|' "$WORK/newsrc/vt/Handler.java"
sed -i 's|return "a" + x;|return "b" + x;|' "$WORK/newsrc/vt/Codec.java"
"$JAVAC" --release 21 -g -d "$WORK/old" "$WORK"/src/vt/*.java && "$JAVAC" --release 21 -g -d "$WORK/new" "$WORK"/newsrc/vt/*.java \
  || { echo "compiling the walk's service failed" >&2; exit 1; }
jlp build --old "$WORK/old" --new "$WORK/new" --name fix-vt --description "handle and tag, version 2" \
  -o "$WORK/fix-vt.jar" || { echo "jlivepatch build failed" >&2; exit 1; }

"$JAVA" -javaagent:"$AGENT" -cp "$WORK/old" vt.Server "$threads" "$longpark" >"$WORK/server.out" 2>"$WORK/server.err" &
server=$!
for _ in $(seq 1 300); do grep -q '^started' "$WORK/server.out" && break; sleep 0.1; done
grep -q '^started' "$WORK/server.out" || { problem "the server did not start"; cat "$WORK/server.err"; exit 1; }
sleep 5 # the threads are in the loop, most of them inside the method

for i in $(seq 1 "$cycles"); do
  echo "\$ jlivepatch load --wait 300 $server fix-vt.jar"
  jlp load --wait 300 "$server" "$WORK/fix-vt.jar" >"$WORK/load.out" 2>&1 &
  loader=$!
  if [ "$i" = 1 ]; then
    sleep 4
    echo "\$ jlivepatch status $server (during the load)"
    jlp status "$server" | grep -E '^  [0-9]|transition|waiting' | head -5
  fi
  wait "$loader"; rc=$?
  head -1 "$WORK/load.out"
  [ "$rc" = 0 ] || problem "load exited $rc"
  echo "\$ jlivepatch unload --wait 300 $server fix-vt"
  jlp unload --wait 300 "$server" fix-vt 2>&1 | head -1
  [ "${PIPESTATUS[0]}" = 0 ] || problem "unload exited ${PIPESTATUS[0]}"
done
sleep 1.5
last=$(tail -1 "$WORK/server.out")
echo "server: $last"
calls=$(sed -n 's/.* total=\([0-9]*\).*/\1/p' <<<"$last")
mixed=$(sed -n 's/.* mixed=\([0-9]*\).*/\1/p' <<<"$last")
errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$last")
v2=$(sed -n 's/.* v2=\([0-9]*\).*/\1/p' <<<"$last")
[ "${mixed:-x}" = 0 ] || problem "mixed versions: $mixed"
[ "${errors:-x}" = 0 ] || problem "failed calls: $errors"
[ "${v2:-0}" -gt 0 ] 2>/dev/null || problem "no call ran the patch"
grep -E 'Exception|Error' "$WORK/server.err" | grep -v 'WARNING' | head -3 | while read -r l; do echo "server stderr: $l"; done
echo "walk: threads=$threads calls=${calls:-?} mixed=${mixed:-?} errors=${errors:-?} problems=$problems"
[ "$problems" = 0 ]
