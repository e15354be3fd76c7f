#!/usr/bin/env bash
# Chaos run: operators (the CLI), a JMX client, a watched directory and rotations of the audit
# file act on one service at once; see README.md ("Maintainers: the chaos run").
# Usage: benchmarks/chaos/chaos.sh [seconds] [workdir]   (JAVA_HOME picks the JDK; default 600 s)
# Exit 0 when every invariant held, 1 when one did not (each printed as 'VIOLATION: ...').
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/benchmarks/chaos"
AGENT="$ROOT/agent/target/jlivepatch-agent.jar"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVAC="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
SECONDS_TO_RUN="${1:-600}"
W="${2:-$(mktemp -d /tmp/chaos.XXXXXX)}"
TIMEOUT=20     # each command's --timeout
WAIT=10        # each command's --wait
HANG=$((TIMEOUT + WAIT + 60))   # past this a command hangs: JVM start on a loaded machine included
mkdir -p "$W"/{app,jars,watch,ops,rotated}
echo "chaos: work directory $W, $SECONDS_TO_RUN s, $("$JAVA" -version 2>&1 | head -1)"

# --- the service and its patches ------------------------------------------------------------
variant() {  # variant <dir> <a> <b> <c>
  mkdir -p "$W/src/$1/chaos"
  sed -e "s/@A@/$2/" -e "s/@B@/$3/" -e "s/@C@/$4/" "$HERE/Svc.java.in" > "$W/src/$1/chaos/Svc.java"
  "$JAVAC" --release 17 -d "$W/$1" "$W/src/$1/chaos/Svc.java" || exit 1
}
variant app 0 0 0
"$JAVAC" --release 17 -cp "$W/app" -d "$W/app" "$HERE/ChaosService.java" || exit 1
variant v1 1 0 0; variant v2 0 2 0; variant v3 3 0 3; variant v4 4 4 4
HOLD='chaos.Svc.ac(I)Ljava/lang/String;'
build() { "$JAVA" -jar "$AGENT" build --old "$W/app" --new "$W/$1" --include 'chaos.*' --name "$2" -o "$W/jars/$2.jar" "${@:3}" >/dev/null || exit 1; }
build v1 fix-a1 --hold "$HOLD"; build v2 fix-b2 --hold "$HOLD"; build v3 fix-ac3 --hold "$HOLD"; build v4 cum4 --replace --hold "$HOLD"
head -c 700 "$W/jars/fix-a1.jar" > "$W/jars/bad.jar"   # a JAR that does not read whole: refused
NAMES=(fix-a1 fix-b2 fix-ac3 cum4)
JARS=(fix-a1 fix-b2 fix-ac3 cum4 bad)

"$JAVA" -javaagent:"$AGENT=audit=$W/audit.jsonl,patches=$W/watch,watch=true,interval=5" \
  -cp "$W/app" chaos.ChaosService "$W" > "$W/service.out" 2> "$W/service.err" &
SVC=$!
trap 'touch "$W/stop"; kill $SVC 2>/dev/null; wait' EXIT
for _ in $(seq 600); do [ -f "$W/ready" ] && break; sleep 0.1; done
[ -f "$W/ready" ] || { echo "VIOLATION: the service did not start"; exit 1; }
END=$(( $(date +%s) + SECONDS_TO_RUN ))

# --- actors -------------------------------------------------------------------------------------
op() {  # op <operator> <n> <command...>: one jlivepatch command, its pid, exit code, time and output
  local f="$W/ops/$1-$2" start end
  start=$(date +%s%N)
  timeout -k 5 "$HANG" bash -c 'echo $$ > "$0.pid"; exec "$@"' "$f" "$JAVA" -jar "$AGENT" "${@:3}" > "$f.out" 2>&1
  echo $? > "$f.rc"
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 )) ${*:3}" > "$f.cmd"
}
operator() {
  local n=0 name
  while [ "$(date +%s)" -lt "$END" ]; do
    n=$((n + 1)); name=${NAMES[RANDOM % 4]}
    case $((RANDOM % 7)) in
      0|1) op "$1" $n load --timeout $TIMEOUT --wait $WAIT "$SVC" "$W/jars/${JARS[RANDOM % 5]}.jar" ;;
      2) op "$1" $n enable --timeout $TIMEOUT --wait $WAIT "$SVC" "$name" ;;
      3) op "$1" $n disable --timeout $TIMEOUT --wait $WAIT "$SVC" "$name" ;;
      4) op "$1" $n unload --timeout $TIMEOUT --wait $WAIT "$SVC" "$name" ;;
      5) op "$1" $n status --timeout $TIMEOUT "$SVC" ;;
      6) op "$1" $n force --timeout $TIMEOUT "$SVC" "$name" ;;
    esac
  done
}
copier() {
  local n=0 j files=(10-fix-a1 20-fix-b2 30-fix-ac3 40-cum4 25-bad)
  while [ "$(date +%s)" -lt "$END" ]; do
    sleep $((2 + RANDOM % 7)); n=$((n + 1)); j=${files[RANDOM % 5]}
    if [ -f "$W/watch/$j.jar" ]; then rm -f "$W/watch/$j.jar"; echo "rm $j" >> "$W/copier.log"
    else cp "$W/jars/${j#*-}.jar" "$W/watch/.$j.tmp" && mv "$W/watch/.$j.tmp" "$W/watch/$j.jar"; echo "add $j" >> "$W/copier.log"; fi
  done
}
rotator() {
  local n=0
  while [ "$(date +%s)" -lt "$END" ]; do
    sleep $((30 + RANDOM % 60)); n=$((n + 1))
    mv "$W/audit.jsonl" "$W/rotated/audit.jsonl.$n" 2>/dev/null && echo "$n" >> "$W/rotations.log"
  done
}
operator op1 & P1=$!; operator op2 & P2=$!; copier & P3=$!; rotator & P4=$!
wait $P1 $P2 $P3 $P4
echo "chaos: actors stopped at $(date -u +%T)"

# --- the end state --------------------------------------------------------------------------------
touch "$W/quiet"   # the JMX client stops too
for _ in $(seq 100); do [ -f "$W/jmx-stopped" ] && break; sleep 0.1; done
settled='^converged'; [ -f "$W/watch/25-bad.jar" ] && settled='^failed: INVALID_PATCH: patch JAR [^ ]*/25-bad.jar'
for _ in $(seq 90); do   # the watch converges (or fails on bad.jar alone) and no transition runs
  "$JAVA" -jar "$AGENT" status --json --timeout $TIMEOUT "$SVC" > "$W/status.json" 2> "$W/status.err"
  rc=$?
  [ $rc -eq 0 ] && ! jq -e '.patches[] | select(.transition == true or (.transition|type) == "string")' "$W/status.json" >/dev/null \
    && jq -e --arg s "$settled" '.watch.state | test($s)' "$W/status.json" >/dev/null && break
  sleep 1
done
"$JAVA" -jar "$AGENT" status --log --timeout $TIMEOUT "$SVC" > "$W/status.txt" 2>&1; echo $? > "$W/status.rc"
touch "$W/stop"; wait $SVC; echo $? > "$W/service.rc"; trap - EXIT
echo "$settled" > "$W/settled"
python3 "$HERE/verdict.py" "$W"
