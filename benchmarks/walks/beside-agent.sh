#!/usr/bin/env bash
# A walk by hand, as an operator would: the demo's file service (demo-app) with another Java agent,
# patched live with the demo's patch in one start order, under a client loop that counts failures.
# Not run by CI; README "Other agents" records what such walks showed.
#
# Usage: benchmarks/walks/beside-agent.sh jacoco|prometheus|prometheus-all jlivepatch-first|other-first|attach
#   jacoco          JaCoCo's runtime agent (destfile in the work directory); its coverage is read at the end
#                   with jacococli execinfo and report (FileStore's lines)
#   prometheus      the Prometheus JMX exporter agent with deploy/prometheus/jlivepatch.yaml; its page is
#                   read (the jlivepatch lines) with the patch loaded, disabled and unloaded
#   prometheus-all  the same exporter with a config that exports every MBean ("rules: [{pattern: '.*'}]")
#   jlivepatch-first / other-first: both by -javaagent in that order; attach: the other agent's -javaagent
#                   only, jlivepatch by 'jlivepatch load'
# JAVA_HOME chooses the JDK (else java on PATH). Needs curl, unzip and python3, and the build (mvn -B -o -q install -DskipTests)
# with the JaCoCo and exporter JARs in ~/.m2 (the agent module's test dependencies put them there).
# Prints every command and its output, then one line: walk: ... requests=<n> failed=<n> problems=<n>.
# Exit status 0 when nothing went wrong, 1 otherwise, 2 for a usage error. Leaves no process behind; KEEP=1
# keeps the work directory (the service's log, jacoco.exec).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
M2="${M2_REPO:-$HOME/.m2/repository}"
AGENT="$ROOT/agent/target/jlivepatch-agent.jar"
DEMO="$ROOT/demo-app/target/jlivepatch-demo.jar"
PATCH="$ROOT/demo-app/target/jlivepatch-demo-fix-traversal.jar"
JACOCO="$M2/org/jacoco/org.jacoco.agent/0.8.15/org.jacoco.agent-0.8.15-runtime.jar"
JACOCO_CLI="$M2/org/jacoco/org.jacoco.cli/0.8.15/org.jacoco.cli-0.8.15-nodeps.jar"
EXPORTER="$M2/io/prometheus/jmx/jmx_prometheus_javaagent/1.0.1/jmx_prometheus_javaagent-1.0.1.jar"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

other="${1:-}"; order="${2:-}"
case "$other/$order" in
  jacoco/*|prometheus/*|prometheus-all/*) ;;
  *) echo "usage: $0 jacoco|prometheus|prometheus-all jlivepatch-first|other-first|attach" >&2; exit 2 ;;
esac
case "$order" in jlivepatch-first|other-first|attach) ;; *) echo "unknown order: $order" >&2; exit 2 ;; esac
for f in "$AGENT" "$DEMO" "$PATCH"; do
  [ -f "$f" ] || { echo "missing $f: build first (mvn -B -o -q install -DskipTests)" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/beside-agent.XXXXXX")"
service=""; clients=""
cleanup() {
  [ -n "$clients" ] && kill "$clients" 2>/dev/null
  [ -n "$service" ] && kill -9 "$service" 2>/dev/null
  wait 2>/dev/null
  [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $work" || rm -rf "$work"
}
trap cleanup EXIT
problems=0
problem() { echo "PROBLEM: $*"; problems=$((problems + 1)); }
jlp() { echo "\$ jlivepatch $*"; "$JAVA" -jar "$AGENT" "$@" 2>&1 | sed 's/^/    /'; return "${PIPESTATUS[0]}"; }

mkdir -p "$work/www/docs"
echo "Guide" > "$work/www/docs/guide.txt"
echo "the secret" > "$work/secret.txt"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
case "$other" in
  jacoco) other_opt="-javaagent:$JACOCO=destfile=$work/jacoco.exec" ;;
  prometheus) other_opt="-javaagent:$EXPORTER=127.0.0.1:$port:$ROOT/deploy/prometheus/jlivepatch.yaml" ;;
  prometheus-all) printf 'rules:\n  - pattern: ".*"\n' > "$work/all.yaml"
    other_opt="-javaagent:$EXPORTER=127.0.0.1:$port:$work/all.yaml" ;;
esac
jlp_opt="-javaagent:$AGENT"
case "$order" in
  jlivepatch-first) agents=("$jlp_opt" "$other_opt") ;;
  other-first) agents=("$other_opt" "$jlp_opt") ;;
  attach) agents=("$other_opt") ;;
esac
# As the demo starts its service: dynamic loading allowed (JDK 21+ warns without it; 17 ignores it).
cmd=("$JAVA" -XX:+IgnoreUnrecognizedVMOptions -XX:+EnableDynamicAgentLoading "${agents[@]}"
     -cp "$DEMO" com.acme.files.FileService "$work/www" 0)
echo "\$ ${cmd[*]}"
"${cmd[@]}" > "$work/service.log" 2>&1 &
service=$!
for _ in $(seq 300); do grep -q '^serving' "$work/service.log" && break; sleep 0.1; done
base="$(sed -n 's|^serving .* on \(http://[^/]*\)/files.*|\1|p' "$work/service.log")"
[ -n "$base" ] || { cat "$work/service.log"; problem "the service did not start"; exit 1; }
echo "service pid $service on $base ($("$JAVA" -version 2>&1 | head -1))"

# One client, one request after the other; every status but 200 is a failure.
( ok=0; bad=0
  trap 'echo "$ok $bad" > "$work/clients.count"; exit 0' TERM
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' "$base/files?name=docs/guide.txt")"
    if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); echo "client: HTTP $code" >&2; fi
  done ) &
clients=$!

hole() { # expect 200 (open) or 403 (closed)
  local code; code="$(curl -s -o /dev/null -w '%{http_code}' "$base/files?name=../secret.txt")"
  echo "hole check ($2): HTTP $code"; [ "$code" = "$1" ] || problem "hole check $2: HTTP $code, expected $1"
}
metrics() {
  case "$other" in prometheus*) ;; *) return ;; esac
  echo "\$ curl -s http://127.0.0.1:$port/metrics | grep -i livepatch   ($1)"
  curl -s "http://127.0.0.1:$port/metrics" | grep -i livepatch | grep -v '^#' | sed 's/^/    /'
  [ "${PIPESTATUS[0]}" = 0 ] || problem "metrics page not read ($1)"
}

hole 200 "before the patch"
metrics "before the patch"
jlp load "$service" "$PATCH" || problem "load failed"
hole 403 "patched"
jlp status "$service" || problem "status failed"
metrics "patched"
jlp disable "$service" fix-traversal || problem "disable failed"
hole 200 "disabled"
metrics "disabled"
jlp enable "$service" fix-traversal || problem "enable failed"
hole 403 "enabled again"
jlp unload "$service" fix-traversal || problem "unload failed"
hole 200 "unloaded"
metrics "unloaded"
jlp status "$service" || problem "status failed"
status_after="$("$JAVA" -jar "$AGENT" status "$service" 2>&1)"
echo "$status_after" | grep -q 'no patches registered' || problem "status not clean after unload"

kill -TERM "$clients"; wait "$clients"; clients=""
read -r ok bad < "$work/clients.count"
kill -TERM "$service"; wait "$service"; echo "service exit status $?"; service=""

echo "--- service log: lines with WARNING, SEVERE, Exception or Error"
grep -n 'WARNING\|SEVERE\|Exception\|Error' "$work/service.log" | sed 's/^/    /'
grep -q 'SEVERE' "$work/service.log" && problem "SEVERE in the service log"

if [ "$other" = jacoco ]; then
  if [ -s "$work/jacoco.exec" ]; then
    echo "jacoco.exec: $(stat -c %s "$work/jacoco.exec") bytes"
    echo "\$ java -jar jacococli.jar execinfo jacoco.exec | grep -i 'acme\|jlivepatch' "
    "$JAVA" -jar "$JACOCO_CLI" execinfo "$work/jacoco.exec" | grep -i 'acme\|jlivepatch' | head -20 | sed 's/^/    /'
    echo "    ($("$JAVA" -jar "$JACOCO_CLI" execinfo "$work/jacoco.exec" | grep -ci 'io/jlivepatch') io/jlivepatch classes in it)"
    mkdir -p "$work/classes"; (cd "$work/classes" && unzip -q "$DEMO" 'com/acme/*')
    "$JAVA" -jar "$JACOCO_CLI" report "$work/jacoco.exec" --classfiles "$work/classes" --csv "$work/report.csv" \
      > "$work/report.out" 2>&1 || { cat "$work/report.out"; problem "jacococli report failed"; }
    echo "report (GROUP,PACKAGE,CLASS,...LINE_MISSED,LINE_COVERED,...):"
    grep 'FileStore\|FileService,' "$work/report.csv" | sed 's/^/    /'
    grep -q 'FileStore' "$work/report.csv" || problem "FileStore not in the coverage report"
  else
    problem "no jacoco.exec written"
  fi
fi
echo "walk: $other $order $("$JAVA" -version 2>&1 | head -1): requests=$((ok + bad)) failed=$bad problems=$problems"
[ "$bad" = 0 ] && [ "$problems" = 0 ]
