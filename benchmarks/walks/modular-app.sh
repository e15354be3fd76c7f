#!/usr/bin/env bash
# A walk by hand, as an operator would: a modular HTTP service (modules app and lib, module-info with
# requires/exports, run with --module-path ... -m app/app.Main) whose bugs (a path traversal, a wrong bulk
# price) are in app.internal, a package the module does not export; patched live under a client loop that
# counts failures. Three patches: a hand-written one in an unnamed module (refused: it cannot use
# app.internal), a hand-written Livepatch-Nestmates one in app.internal, and jlivepatch build's from the two
# builds; load, status, disable, enable and unload, with the probes' answers checked after each.
# Not run by CI; README "Patch JARs" ("A modular application") records what such walks showed.
#
# Usage: benchmarks/walks/modular-app.sh javaagent|attach
# JAVA_HOME chooses the JDK (else java on PATH). Needs curl and the build (mvn -B -o -q install -DskipTests).
# Prints every command and its output, then one line: walk: ... requests=<n> failed=<n> problems=<n>.
# Exit status 0 when nothing went wrong, 1 otherwise, 2 for a usage error. Leaves no process behind;
# KEEP=1 keeps the work directory.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AGENT="$ROOT/agent/target/jlivepatch-agent.jar"
CORE="$(ls "$ROOT"/core/target/jlivepatch-core-*.jar 2>/dev/null | grep -v -- '-sources\|-javadoc' | head -1)"
SRC="$ROOT/benchmarks/walks/modular-app"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
BIN="${JAVA_HOME:+$JAVA_HOME/bin/}"
how="${1:-}"
case "$how" in javaagent|attach) ;; *) echo "usage: $0 javaagent|attach" >&2; exit 2 ;; esac
[ -f "$AGENT" ] && [ -n "$CORE" ] || { echo "missing $AGENT or the core JAR: build first (mvn -B -o -q install -DskipTests)" >&2; exit 2; }

WORK="$(mktemp -d /tmp/jlivepatch-modular-walk.XXXXXX)"
app=""; client=""; problems=0
cleanup() {
  [ -n "$client" ] && kill "$client" 2>/dev/null && wait "$client" 2>/dev/null
  [ -n "$app" ] && kill "$app" 2>/dev/null && wait "$app" 2>/dev/null
  [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
problem() { echo "PROBLEM: $*"; problems=$((problems + 1)); }
jlp() { "$JAVA" -jar "$AGENT" "$@"; }
# run <expected exit> <command...>: prints the command and its output, checks the exit code
run() {
  local want=$1; shift
  echo "\$ jlivepatch $*"; jlp "$@" 2>&1; local rc=$?
  [ "$rc" = "$want" ] || problem "jlivepatch $1 exited $rc, not $want"
}
# probes <traversal code> <price of 10>: what the bugs answer now
probes() {
  local port t p; port=$(cat "$WORK/port")
  t=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/files?name=../secret.txt")
  p=$(curl -s "http://127.0.0.1:$port/price?qty=10")
  echo "  probes: traversal $t, price(10) $p"
  [ "$t/$p" = "$1/$2" ] || problem "probes answered $t/$p, not $1/$2"
}

cd "$WORK" || exit 1
mkdir -p out/lib out/app mods fixed/src fixed/out nest/out resolve/out data/served
"${BIN}javac" --release 17 -d out/lib $(find "$SRC/src/lib" -name '*.java') && "${BIN}jar" --create --file mods/lib.jar -C out/lib . \
  && "${BIN}javac" --release 17 -g --module-path mods -d out/app $(find "$SRC/src/app" -name '*.java') \
  && "${BIN}jar" --create --file mods/app.jar --main-class app.Main -C out/app . \
  && cp -r "$SRC/src/app" fixed/src/ && cp "$SRC"/fixed/*.java fixed/src/app/app/internal/ \
  && "${BIN}javac" --release 17 -g --module-path mods -d fixed/out $(find fixed/src/app -name '*.java') \
  && "${BIN}javac" --release 17 -cp mods/app.jar:"$CORE" -d resolve/out "$SRC/patch/ResolveFix.java" \
  && "${BIN}javac" --release 17 -cp mods/app.jar:"$CORE" -d nest/out "$SRC/patch/ResolveNest.java" \
  || { echo "compiling the walk's service failed" >&2; exit 1; }
printf 'Livepatch-Name: fix-resolve\nLivepatch-Class: fix.ResolveFix\n' > resolve.mf
printf 'Livepatch-Name: fix-nest\nLivepatch-Class: app.internal.ResolveNest\nLivepatch-Nestmates: app.internal.ResolveNest=app.internal.FileStore\n' > nest.mf
"${BIN}jar" --create --file fix-resolve.jar --manifest resolve.mf -C resolve/out . \
  && "${BIN}jar" --create --file fix-nest.jar --manifest nest.mf -C nest/out . || exit 1
jlp build --old out/app --new fixed/out --name fix-modapp --description "resolve stays in its directory; bulk price" \
  -o fix-modapp.jar || { problem "jlivepatch build failed"; exit 1; }
echo alpha > data/served/a.txt; echo TOP-SECRET > data/secret.txt

agentopt=(); [ "$how" = javaagent ] && agentopt=(-javaagent:"$AGENT")
"$JAVA" "${agentopt[@]}" --module-path mods -m app/app.Main data/served port >app.out 2>app.err &
app=$!
for _ in $(seq 1 300); do [ -f port ] && break; sleep 0.1; done
[ -f port ] || { problem "the service did not start"; cat app.err; exit 1; }
"$JAVA" "$SRC/Client.java" port stop 4 >client.out 2>&1 &
client=$!
sleep 3
probes 200 2475

run 1 load "$app" fix-resolve.jar
grep -q "does not export app.internal" <(jlp status "$app" --log 2>&1) || problem "the refusal is not on record"
probes 200 2475
run 0 load "$app" fix-nest.jar; probes 403 2250
run 0 disable "$app" fix-nest; probes 200 2475
run 0 enable "$app" fix-nest; probes 403 2250
run 0 unload "$app" fix-nest; probes 200 2475
run 0 load "$app" fix-modapp.jar; probes 403 2250
run 0 status "$app"
run 0 unload "$app" fix-modapp; probes 200 2475

touch stop; wait "$client"; crc=$?; client=""
cat client.out
[ "$crc" = 0 ] || problem "the client saw failures"
summary=$(grep '^client summary' client.out)
echo "walk: $how ${summary#client summary: } problems=$problems"
[ "$problems" = 0 ]
