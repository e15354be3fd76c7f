#!/usr/bin/env bash
# What jlivepatch's first load costs a running JVM: classes defined and metaspace (issue 10).
# See BENCHMARKS.md, "First-load footprint", and io.jlivepatch.bench.Footprint.
#
#   benchmarks/footprint.sh                     # the three scenarios on JDK 17 and JDK 25
#   benchmarks/footprint.sh --probe -- -XX:MaxMetaspaceSize=7m   # jlivepatch load into a JVM near its limit
#
# Arguments go to Footprint (--scenarios operator,connector,agent, --logs <dir> keeps the class lists,
# anything after -- goes to the target JVM). JDKs: the default one (JAVA_HOME, else java on the PATH),
# then /usr/lib/jvm/temurin-25-jdk-amd64 when it exists; BENCH_JDKS=default or BENCH_JDKS="/jdk/a /jdk/b"
# as in run.sh. Without --probe, writes benchmarks/results/<jdk>-footprint.json.
# Builds the agent, the demo and the benchmarks (mvn -B -q -DskipTests package) when a JAR is missing,
# or always with BENCH_BUILD=always.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$HERE/target/benchmarks.jar"
AGENT="$ROOT/agent/target/jlivepatch-agent.jar"
DEMO="$ROOT/demo-app/target/jlivepatch-demo.jar"
PATCH="$ROOT/demo-app/target/jlivepatch-demo-fix-traversal.jar"
# shellcheck source=jdks.sh
source "$HERE/jdks.sh"

if [[ "${BENCH_BUILD:-}" == always || ! -f "$JAR" || ! -f "$AGENT" || ! -f "$DEMO" || ! -f "$PATCH" ]]; then
  echo "footprint: building (mvn -B -q -DskipTests package in $ROOT) ..." >&2
  (cd "$ROOT" && mvn -B -q -DskipTests package) >&2
fi

bench_homes

probe=0
for a in "$@"; do
  [[ "$a" == --probe ]] && probe=1
  [[ "$a" == -- ]] && break
done

for home in "${HOMES[@]}"; do
  java="$home/bin/java"
  feature="$(jdk_feature "$home")"
  out=()
  if [[ "$probe" == 0 ]]; then
    mkdir -p "$HERE/results"
    out=(--out "$HERE/results/jdk${feature}-footprint.json")
  fi
  echo "== JDK $feature ($java)"
  # Footprint's own options first; a "--" in "$@" passes the rest to the target JVM.
  "$java" -cp "$JAR" io.jlivepatch.bench.Footprint --agent-jar "$AGENT" --demo-jar "$DEMO" --patch-jar "$PATCH" \
    ${out[@]+"${out[@]}"} "$@"
done
