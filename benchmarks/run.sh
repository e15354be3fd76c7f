#!/usr/bin/env bash
# Runs the jlivepatch JMH benchmarks on JDK 17 and JDK 25. See BENCHMARKS.md.
#
#   benchmarks/run.sh [smoke|quick|full] [extra JMH arguments...]
#
#   smoke  every benchmark once: 1 fork, 1 x 100 ms warm-up, 1 x 100 ms measurement. For CI: exits
#          non-zero when any benchmark fails (-foe true). Its JSON goes to benchmarks/target/smoke/,
#          since its figures mean nothing.
#   quick  1 fork, 4 x 1 s warm-up, 10 x 500 ms measurement (about a minute per JDK today).
#   full   the annotations' settings: 3 forks, 5 x 1 s warm-up, 10 x 1 s measurement.
#   inlining  runs CallCost.patched once with C2's inlining tree of the benchmark loop printed
#          (-XX:CompileCommand=PrintInlining), saves the output to benchmarks/results/<jdk>-inlining.txt
#          and checks that the replacement is inlined through the invokedynamic call sites.
#
# quick and full write JMH JSON to benchmarks/results/<jdk>-<mode>.json (jdk17-quick.json, ...)
# and print the table of BENCHMARKS.md (benchmarks/summarize.py).
# Extra arguments go to JMH after the mode's own, e.g. a benchmark regex or
#   -jvmArgsAppend "-XX:+UnlockDiagnosticVMOptions -XX:+PrintInlining"
#
# JDKs: the default one (JAVA_HOME, else java on the PATH), then /usr/lib/jvm/temurin-25-jdk-amd64
# when it exists. BENCH_JDKS=default runs on the default JDK only; BENCH_JDKS="/jdk/a /jdk/b" on
# those Java homes.
# The benchmark JAR is built first (mvn -B -q -pl benchmarks -am package -DskipTests) when it is
# missing; BENCH_BUILD=always rebuilds it anyway. A JAR older than the sources only gets a warning.
set -euo pipefail

MODE="${1:-quick}"
if [[ $# -gt 0 ]]; then shift; fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$HERE/target/benchmarks.jar"
JDK25=/usr/lib/jvm/temurin-25-jdk-amd64

case "$MODE" in
  smoke) MODE_ARGS=(-f 1 -wi 1 -w 100ms -i 1 -r 100ms) ;;
  quick) MODE_ARGS=(-f 1 -wi 4 -w 1s -i 10 -r 500ms) ;;
  inlining) MODE_ARGS=('CallCost\.patched$' -f 1 -wi 3 -w 1s -i 1 -r 1s -jvmArgsAppend
              "-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=PrintInlining,*CallCost_patched_jmhTest::patched_avgt_jmhStub") ;;
  full)  MODE_ARGS=() ;;
  -h|--help|help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "run.sh: unknown mode '$MODE': use smoke, quick, full or inlining" >&2; exit 2 ;;
esac

if [[ ! -f "$JAR" || "${BENCH_BUILD:-}" == always ]]; then
  echo "run.sh: building $JAR" >&2
  (cd "$ROOT" && mvn -B -q -pl benchmarks -am package -DskipTests)
elif [[ -n "$(find "$HERE/src" "$HERE/pom.xml" "$ROOT/core/src" "$ROOT/core/pom.xml" "$ROOT/pom.xml" \
              -newer "$JAR" -type f -print -quit 2>/dev/null)" ]]; then
  echo "run.sh: warning: $JAR is older than the sources; BENCH_BUILD=always rebuilds it" >&2
fi
[[ -f "$JAR" ]] || { echo "run.sh: $JAR was not built" >&2; exit 1; }

# Java homes to run on.
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
  DEFAULT_HOME="$JAVA_HOME"
else
  DEFAULT_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
fi
if [[ "${BENCH_JDKS:-}" == default ]]; then
  HOMES=("$DEFAULT_HOME")
elif [[ -n "${BENCH_JDKS:-}" ]]; then
  read -r -a HOMES <<< "$BENCH_JDKS"
else
  HOMES=("$DEFAULT_HOME")
  if [[ -x "$JDK25/bin/java" && "$(readlink -f "$JDK25")" != "$(readlink -f "$DEFAULT_HOME")" ]]; then
    HOMES+=("$JDK25")
  fi
fi

# The feature version of a Java home: 17, 25, ...
jdk_feature() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}

if [[ "$MODE" == smoke ]]; then
  OUT_DIR="$HERE/target/smoke"
else
  OUT_DIR="$HERE/results"
fi
mkdir -p "$OUT_DIR"

status=0
for home in "${HOMES[@]}"; do
  feature="$(jdk_feature "$home")"
  label="jdk${feature:-unknown}"
  json="$OUT_DIR/$label-$MODE.json"
  # JDK 24+ warns that JMH 1.37 uses sun.misc.Unsafe memory access; allow it, in the runner and in
  # the forks, to keep the logs readable. JDK 17 does not know the option.
  JDK_ARGS=()
  FORK_ARGS=()
  if [[ "$feature" =~ ^[0-9]+$ ]] && (( feature >= 24 )); then
    JDK_ARGS=(--sun-misc-unsafe-memory-access=allow)
    FORK_ARGS=(-jvmArgsPrepend --sun-misc-unsafe-memory-access=allow)
  fi
  if [[ "$MODE" == inlining ]]; then
    out="$OUT_DIR/$label-inlining.txt"
    echo "run.sh: inlining on $label ($home) -> $out" >&2
    if ! "$home/bin/java" "${JDK_ARGS[@]}" -jar "$JAR" "${MODE_ARGS[@]}" "${FORK_ARGS[@]}" -foe true "$@" > "$out" 2>&1; then
      cat "$out" >&2
      echo "run.sh: JMH failed on $label" >&2
      status=1
      break
    fi
    # C2's tree: UsernameRule::isValid (the hooked method), its two linkToCallSite frames, then the
    # replacement. "inline (hot)" under them means the patched call compiles like a direct one.
    if grep -q 'UsernameRuleFix::isValid ([0-9]* bytes) *inline' "$out"; then
      echo "run.sh: $label: the replacement is inlined into the caller through the invokedynamic call site:" >&2
      grep -E 'UsernameRule::isValid|linkToCallSite|MutableCallSite::getTarget|UsernameRuleFix::isValid' "$out" \
        | tail -n 6 >&2
    else
      echo "run.sh: $label: the replacement is NOT inlined into the caller; see $out" >&2
      status=1
    fi
    continue
  fi
  echo "run.sh: $MODE on $label ($home) -> $json" >&2
  # -foe true: JMH exits non-zero as soon as a benchmark fails, instead of reporting success.
  if "$home/bin/java" "${JDK_ARGS[@]}" -jar "$JAR" "${MODE_ARGS[@]}" "${FORK_ARGS[@]}" -foe true \
       -rf json -rff "$json" "$@"; then
    if [[ "$MODE" != smoke ]] && command -v python3 > /dev/null; then
      python3 "$HERE/summarize.py" "$json" || true
    fi
  else
    echo "run.sh: JMH failed on $label" >&2
    status=1
    break
  fi
done
exit "$status"
