#!/usr/bin/env bash
# What changing patches costs the JIT: runs ToggleCost's tenPerSecond group (4 callers, the patch
# disabled or enabled every 100 ms) once per JDK with a JFR recording, and counts per change the
# deoptimizations, the JIT compilations that completed, and those thrown away, by reason. See
# BENCHMARKS.md, "3. Throughput while a patch toggles".
#
#   benchmarks/toggle-jit.sh [extra JMH arguments...]     (BENCH_JDKS as for run.sh; TOGGLE_JIT_RUN
#   replaces the run settings, default "-f 1 -wi 3 -w 1s -i 10 -r 1s")
#
# Writes benchmarks/results/<jdk>-toggle-jit.txt. Needs benchmarks/target/benchmarks.jar (run.sh builds it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$HERE/target/benchmarks.jar"
[[ -f "$JAR" ]] || { echo "toggle-jit.sh: $JAR is missing: run benchmarks/run.sh smoke (or mvn -pl benchmarks -am package) first" >&2; exit 1; }
# shellcheck source=jdks.sh
source "$HERE/jdks.sh"
bench_homes
# JMH run settings; TOGGLE_JIT_RUN="-f 1 -wi 1 -i 3" for a short run.
read -r -a JMH_RUN <<< "${TOGGLE_JIT_RUN:--f 1 -wi 3 -w 1s -i 10 -r 1s}"
mkdir -p "$HERE/results" "$HERE/target/toggle-jit"
for home in "${HOMES[@]}"; do
  feature="$(jdk_feature "$home")"
  label="jdk$feature"
  extra=()
  (( feature >= 24 )) && extra=(--sun-misc-unsafe-memory-access=allow)
  rec="$HERE/target/toggle-jit/$label.jfr"
  log="$HERE/target/toggle-jit/$label.log"
  out="$HERE/results/$label-toggle-jit.txt"
  rm -f "$rec"
  echo "toggle-jit.sh: ToggleCost.tenPerSecond on $label ($home) -> $out" >&2
  "$home/bin/java" "${extra[@]}" -Djmh.ignoreLock=true -jar "$JAR" 'ToggleCost\.tenPerSecond' "${JMH_RUN[@]}" \
      ${extra[@]:+-jvmArgsPrepend "${extra[*]}"} \
      -jvmArgsAppend "-XX:StartFlightRecording=filename=$rec,settings=profile,jdk.Compilation#threshold=0ms" "$@" > "$log" 2>&1 \
    || { tail -n 30 "$log" >&2; exit 1; }
  "$home/bin/jfr" print --json --events jdk.Deoptimization,jdk.Compilation,jdk.CompilationFailure "$rec" \
    | python3 "$HERE/toggle_jit.py" "$log" "$label" > "$out"
  cat "$out" >&2
done
