#!/usr/bin/env bash
# A walk by hand, as an operator new to jlivepatch would make it: the Spring Boot fat JAR of spring-it
# (shop-1.0.jar) under the OpenTelemetry Java agent, which traces the bean method PricingService.quote
# (-Dotel.instrumentation.methods.include), 4 clients calling GET /quote in a loop and checking every answer,
# and a patch of that very method (jlivepatch build from shop-1.0.jar and shop-1.0-fixed.jar) loaded,
# disabled, enabled, unloaded and loaded again. Not run by CI; README "Other agents" records what such
# walks showed.
#
# Usage: benchmarks/walks/spring-otel.sh attach|otel-first|jlivepatch-first
#   attach            OpenTelemetry's -javaagent only; jlivepatch comes with 'jlivepatch load'
#   otel-first        -javaagent:opentelemetry-javaagent.jar -javaagent:jlivepatch-agent.jar
#   jlivepatch-first  the other way round
# JAVA_HOME chooses the JDK (else java on PATH). Needs curl and python3, the build (mvn -B -o -q install
# -DskipTests, which builds spring-it's two fat JARs) and the OpenTelemetry agent 2.22.0 in ~/.m2.
# Checks: no failed client call (an answer is the old price or the new one, nothing else), the price the
# state says after each step, a span of PricingService.quote after each step (none while the patch is
# enabled is expected only where README says so: OpenTelemetry's code runs after jlivepatch's hook, and
# then load/status must say so on the function's line), status clean at the end, no SEVERE.
# Prints every command and its output, then one line: walk: ... requests=<n> failed=<n> problems=<n>.
# Exit status 0 when nothing went wrong, 1 otherwise, 2 for a usage error. Leaves no process behind; KEEP=1
# keeps the work directory (the service's log, with the spans).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
M2="${M2_REPO:-$HOME/.m2/repository}"
AGENT="$ROOT/agent/target/jlivepatch-agent.jar"
OLD="$ROOT/spring-it/apps/shop-1.0/target/shop-1.0.jar"
NEW="$ROOT/spring-it/apps/shop-1.0-fixed/target/shop-1.0-fixed.jar"
OTEL="$M2/io/opentelemetry/javaagent/opentelemetry-javaagent/2.22.0/opentelemetry-javaagent-2.22.0.jar"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
CLIENTS=4

order="${1:-}"
case "$order" in attach|otel-first|jlivepatch-first) ;;
  *) echo "usage: $0 attach|otel-first|jlivepatch-first" >&2; exit 2 ;; esac
for f in "$AGENT" "$OLD" "$NEW" "$OTEL"; do
  [ -f "$f" ] || { echo "missing $f: build first (mvn -B -o -q install -DskipTests)" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/spring-otel.XXXXXX")"
service=""; clients=()
cleanup() {
  for c in "${clients[@]}"; do kill "$c" 2>/dev/null; done
  [ -n "$service" ] && kill -9 "$service" 2>/dev/null
  wait 2>/dev/null
  [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $work" || rm -rf "$work"
}
trap cleanup EXIT
problems=0
problem() { echo "PROBLEM: $*"; problems=$((problems + 1)); }
last=""
jlp() { echo "\$ jlivepatch $*"; last="$("$JAVA" -jar "$AGENT" "$@" 2>&1)"; local rc=$?
  echo "$last" | sed 's/^/    /'; echo "    (exit $rc)"; return $rc; }

patch="$work/fix-quote.jar"
jlp build --old "$OLD" --new "$NEW" --include 'com.acme.shop.*' --name fix-quote -o "$patch" \
  || { problem "build failed"; exit 1; }

otel_opt=(-javaagent:"$OTEL" -Dotel.traces.exporter=logging -Dotel.metrics.exporter=none -Dotel.logs.exporter=none
          '-Dotel.instrumentation.methods.include=com.acme.shop.PricingService[quote]')
case "$order" in
  attach) agents=("${otel_opt[@]}") ;;
  otel-first) agents=("${otel_opt[@]}" -javaagent:"$AGENT") ;;
  jlivepatch-first) agents=(-javaagent:"$AGENT" "${otel_opt[@]}") ;;
esac
cmd=("$JAVA" -XX:+IgnoreUnrecognizedVMOptions -XX:+EnableDynamicAgentLoading "${agents[@]}" -jar "$OLD" --server.port=0)
echo "\$ ${cmd[*]}"
"${cmd[@]}" > "$work/service.log" 2>&1 &
service=$!
for _ in $(seq 1200); do grep -q '^shop listening on port' "$work/service.log" && break
  kill -0 "$service" 2>/dev/null || break; sleep 0.1; done
port="$(sed -n 's/^shop listening on port \([0-9]*\).*/\1/p' "$work/service.log" | head -1)"
[ -n "$port" ] || { cat "$work/service.log"; problem "the service did not start"; exit 1; }
base="http://127.0.0.1:$port"
echo "service pid $service on $base ($("$JAVA" -version 2>&1 | head -1))"

# 100 cents x 10: 1000 with the bug, 900 fixed; 100 x 3 is 300 in both. Anything else is a failure.
for i in $(seq "$CLIENTS"); do
  ( ok=0; bad=0
    trap 'echo "$ok $bad" > "$work/client$i.count"; exit 0' TERM
    while :; do
      a="$(curl -s -m 10 "$base/quote?unit=100&qty=10")"; b="$(curl -s -m 10 "$base/quote?unit=100&qty=3")"
      if [ "$a" = 1000 ] || [ "$a" = 900 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); echo "client $i: qty=10 answered '$a'" >&2; fi
      if [ "$b" = 300 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); echo "client $i: qty=3 answered '$b'" >&2; fi
    done ) &
  clients+=($!)
done

spans() { grep -c "'PricingService.quote'" "$work/service.log"; }
# After a step: the price the state gives, and whether a new request makes a span (the logging exporter
# prints a span line per ended span; the clients keep making them, so look for one within 10 s).
check() { # check <price> <span expected: yes|no|any> <step>
  local code; code="$(curl -s -m 10 "$base/quote?unit=100&qty=10")"
  [ "$code" = "$1" ] || problem "$3: quote answered '$code', expected $1"
  local before after; before="$(spans)"; after="$before"
  for _ in $(seq 100); do after="$(spans)"; [ "$after" -gt "$before" ] && break; sleep 0.1; done
  local got=no; [ "$after" -gt "$before" ] && got=yes
  echo "check ($3): quote $code, spans of PricingService.quote going on: $got"
  [ "$2" = any ] || [ "$2" = "$got" ] || problem "$3: spans going on: $got, expected $2"
}
# While the patch is enabled, OpenTelemetry's span wraps the replacement only when its transformer runs
# after jlivepatch's hook: jlivepatch's -javaagent first. Otherwise the line says so (README "Other agents").
while_enabled() { # while_enabled <step>
  if [ "$order" = jlivepatch-first ]; then
    check 900 yes "$1"
  else
    check 900 no "$1"
    echo "$last" | grep -q 'another agent changed this method' \
      || problem "$1: the function's line does not say that another agent's code does not run"
  fi
}
sleep 3
check 1000 yes "before the patch"
jlp load "$service" "$patch" || problem "load failed"
while_enabled "loaded"
jlp status "$service" || problem "status failed"
echo "$last" | grep -q 'fix-quote \[enabled\]' || problem "status does not say fix-quote is enabled"
jlp disable "$service" fix-quote || problem "disable failed"
check 1000 yes "disabled"
jlp enable "$service" fix-quote || problem "enable failed"
jlp status "$service" || problem "status failed"   # enable prints one line; status has the function's
while_enabled "enabled again"
jlp unload "$service" fix-quote || problem "unload failed"
check 1000 yes "unloaded"
jlp load "$service" "$patch" || problem "second load failed"
while_enabled "loaded again"
jlp unload "$service" fix-quote || problem "second unload failed"
check 1000 yes "unloaded again"
jlp status "$service" || problem "status failed"
echo "$last" | grep -q 'no patches registered' || problem "status not clean after unload"

for c in "${clients[@]}"; do kill -TERM "$c"; wait "$c"; done; clients=()
ok=0; bad=0
for i in $(seq "$CLIENTS"); do read -r o b < "$work/client$i.count"; ok=$((ok + o)); bad=$((bad + b)); done
kill -TERM "$service"; wait "$service"; echo "service exit status $?"; service=""

echo "--- service log: lines of jlivepatch's, and lines with WARNING, SEVERE, Exception or Error"
grep -n 'jlivepatch\|WARNING\|SEVERE\|Exception\|Error' "$work/service.log" | grep -v "'PricingService.quote'" | cut -c1-400 | sed 's/^/    /'
grep -q 'SEVERE' "$work/service.log" && problem "SEVERE in the service log"
echo "spans of PricingService.quote in all: $(spans)"
echo "walk: spring-otel $order $("$JAVA" -version 2>&1 | head -1): requests=$((ok + bad)) failed=$bad problems=$problems (${SECONDS} s)"
[ "$bad" = 0 ] && [ "$problems" = 0 ]
