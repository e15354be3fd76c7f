#!/usr/bin/env bash
# Runs the jlivepatch benchmarks on JDK 17 and JDK 25. See BENCHMARKS.md.
#
#   benchmarks/run.sh [smoke|quick|full|inlining|profile] [extra JMH arguments...]
#
# Seven parts, each one figure of BENCHMARKS.md (BENCH_PARTS="callcost toggle" runs some of them):
#   callcost  JMH CallCost: steady-state cost of a call, patched and not, against the alternatives
#   change    JMH ChangeCost: enable()/disable() + transition of 1/100/1000 methods vs retransformClasses
#   toggle    JMH ToggleCost: throughput of 4 callers while a patch toggles, failed calls (must be 0)
#   startup   StartupCost: time to main without the agent, with it, with it and 10 patch JARs
#   memory    MemoryCost: heap and metaspace per patched method / patch / patch JAR, class loader collection
#   shadow    JMH ShadowCost: Shadow.get and getOrAttach against a ConcurrentHashMap and a WeakHashMap
#   guard     JMH GuardCost: jlivepatch's code marking its thread (the recursion guard), and nested in a mark
#
#   smoke  every benchmark once: JMH 1 fork, 1 x 100 ms warm-up, 1 x 100 ms measurement (ChangeCost with
#          100 methods only), 1 start-up round, a small memory run. For CI: exits non-zero when anything
#          fails. Its output goes to benchmarks/target/smoke/, since its figures mean nothing.
#   quick  1 fork and few iterations per JMH part, 15 start-up rounds: a few minutes per JDK.
#   full   the annotations' settings (3 forks), 40 start-up rounds: about 12 minutes per JDK.
#   inlining  runs CallCost.patched once with C2's inlining tree of the benchmark loop printed
#          (-XX:CompileCommand=PrintInlining), saves the output to benchmarks/results/<jdk>-inlining.txt
#          and checks that the replacement is inlined through the invokedynamic call sites; the same
#          tree for CallCost.inTransition goes to <jdk>-inlining-inTransition.txt (not checked).
#   profile  not a benchmark: where the time goes, in three parts (BENCH_PARTS="change startup toggle", the
#          default, or some of them):
#          change: enable()/disable() (ChangeProfile: stack samples of 1000-method and 1-method cycles),
#            saved to benchmarks/results/<jdk>-change-profile.txt;
#          startup: premain (StartupProfile: StartupCost's agent, agentOnePatch and agentTenPatches JVMs, 5 runs each,
#            with a wall-clock sampler of the main thread every 1 ms as a first agent, plus one
#            -Xlog:class+load run each): time per phase, methods, classes loaded, saved to
#            benchmarks/results/<jdk>-startup-profile.txt (collapsed stacks in benchmarks/target/);
#          toggle: a change while 0 or 4 threads call the method (ToggleProfile: jlivepatch's toggle against
#            the JVM's no-op retransformation, each in a JVM of its own with -Xlog:safepoint and handshake):
#            time per change and the VM operations it takes, saved to benchmarks/results/<jdk>-toggle-profile.txt.
#
# quick and full write benchmarks/results/<jdk>-<mode>-<part>.json (JMH JSON for the JMH parts) and
# print the tables of BENCHMARKS.md (benchmarks/summarize.py). Extra arguments go to every JMH part
# after the mode's own, e.g. -prof gc. BENCH_INCLUDE='<regex>' replaces the part's benchmark regex
# (pick the part with BENCH_PARTS), e.g.
#   BENCH_PARTS=callcost BENCH_INCLUDE='CallCost\.(direct|patched)$' benchmarks/run.sh full
#
# JDKs: the default one (JAVA_HOME, else java on the PATH), then /usr/lib/jvm/temurin-25-jdk-amd64
# when it exists. BENCH_JDKS=default runs on the default JDK only; BENCH_JDKS="/jdk/a /jdk/b" on
# those Java homes.
# The benchmark JAR is built first (mvn -B -q -pl benchmarks -am package -DskipTests) when it is
# missing; BENCH_BUILD=always rebuilds it anyway. A JAR older than the sources only gets a warning.
# The startup part needs agent/target/jlivepatch-agent.jar, built the same way when missing
# (mvn -B -q -pl agent -am package -DskipTests).
set -euo pipefail

MODE="${1:-quick}"
if [[ $# -gt 0 ]]; then shift; fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAR="$HERE/target/benchmarks.jar"
AGENT="$ROOT/agent/target/jlivepatch-agent.jar"
# shellcheck source=jdks.sh
source "$HERE/jdks.sh"
PARTS="${BENCH_PARTS:-callcost change toggle startup memory shadow guard}"
# The flags a process needs to attach to itself (StartupCost does not; MemoryCost does).
SELF_ATTACH=(-XX:+IgnoreUnrecognizedVMOptions -XX:+EnableDynamicAgentLoading -Djdk.attach.allowAttachSelf=true)

# JMH arguments per mode and part.
jmh_args() { # mode part
  case "$1:$2" in
    smoke:callcost) echo "CallCost -f 1 -wi 1 -w 100ms -i 1 -r 100ms" ;;
    smoke:change)   echo "ChangeCost -f 1 -wi 1 -i 1 -p methods=100" ;;
    smoke:toggle)   echo "ToggleCost -f 1 -wi 1 -w 100ms -i 1 -r 100ms" ;;
    smoke:shadow)   echo "ShadowCost -f 1 -wi 1 -w 100ms -i 1 -r 100ms" ;;
    smoke:guard)    echo "GuardCost -f 1 -wi 1 -w 100ms -i 1 -r 100ms" ;;
    quick:callcost) echo "CallCost -f 1 -wi 3 -w 500ms -i 6 -r 500ms" ;;
    quick:change)   echo "ChangeCost -f 1 -wi 4 -i 10" ;;
    quick:toggle)   echo "ToggleCost -f 1 -wi 2 -w 1s -i 4 -r 1s" ;;
    quick:shadow)   echo "ShadowCost -f 1 -wi 3 -w 1s -i 3 -r 1s" ;;
    quick:guard)    echo "GuardCost -f 1 -wi 3 -w 1s -i 3 -r 1s" ;;
    full:callcost)  echo "CallCost" ;;
    full:change)    echo "ChangeCost" ;;
    full:toggle)    echo "ToggleCost" ;;
    full:shadow)    echo "ShadowCost" ;;
    full:guard)     echo "GuardCost" ;;
  esac
}
startup_rounds() { case "$1" in smoke) echo "1 0" ;; quick) echo "15 2" ;; *) echo "40 3" ;; esac; }

case "$MODE" in
  smoke|quick|full) ;;
  inlining) PARTS=inlining ;;
  profile)
    PARTS=""
    for p in ${BENCH_PARTS:-change startup toggle}; do
      case "$p" in change|startup|toggle) PARTS+=" profile-$p" ;;
        *) echo "run.sh: profile has the parts change, startup and toggle, not '$p'" >&2; exit 2 ;; esac
    done ;;
  -h|--help|help) sed -n '2,48p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "run.sh: unknown mode '$MODE': use smoke, quick, full, inlining or profile" >&2; exit 2 ;;
esac

if [[ ! -f "$JAR" || "${BENCH_BUILD:-}" == always ]]; then
  echo "run.sh: building $JAR" >&2
  (cd "$ROOT" && mvn -B -q -pl benchmarks -am package -DskipTests)
elif [[ -n "$(find "$HERE/src" "$HERE/pom.xml" "$ROOT/core/src" "$ROOT/core/pom.xml" "$ROOT/pom.xml" \
              -newer "$JAR" -type f -print -quit 2>/dev/null)" ]]; then
  echo "run.sh: warning: $JAR is older than the sources; BENCH_BUILD=always rebuilds it" >&2
fi
[[ -f "$JAR" ]] || { echo "run.sh: $JAR was not built" >&2; exit 1; }
if [[ " $PARTS " == *" startup "* || " $PARTS " == *" profile-startup "* ]] && [[ ! -f "$AGENT" ]]; then
  echo "run.sh: building $AGENT" >&2
  (cd "$ROOT" && mvn -B -q -pl agent -am package -DskipTests)
fi

# Java homes to run on (HOMES), and jdk_feature.
bench_homes

if [[ "$MODE" == smoke ]]; then
  OUT_DIR="$HERE/target/smoke"
else
  OUT_DIR="$HERE/results"
fi
mkdir -p "$OUT_DIR" "$HERE/target"

# Checks an inlining log: is $2 (a Class::method) inlined in the C2 tree of $1?
inlined() { grep -q "$2 ([0-9]* bytes) *inline" "$1"; }

status=0
started=$SECONDS
for home in "${HOMES[@]}"; do
  feature="$(jdk_feature "$home")"
  label="jdk${feature:-unknown}"
  # JDK 24+ warns that JMH 1.37 uses sun.misc.Unsafe memory access; allow it, in the runner and in
  # the forks, to keep the logs readable. JDK 17 does not know the option.
  JDK_ARGS=()
  FORK_ARGS=()
  if [[ "$feature" =~ ^[0-9]+$ ]] && (( feature >= 24 )); then
    JDK_ARGS=(--sun-misc-unsafe-memory-access=allow)
    FORK_ARGS=(-jvmArgsPrepend --sun-misc-unsafe-memory-access=allow)
  fi
  files=()
  for part in $PARTS; do
    t0=$SECONDS
    case "$part" in
      inlining)
        for bench in patched inTransition; do
          out="$OUT_DIR/$label-inlining.txt"
          [[ "$bench" == patched ]] || out="$OUT_DIR/$label-inlining-$bench.txt"
          echo "run.sh: inlining of CallCost.$bench on $label ($home) -> $out" >&2
          if ! "$home/bin/java" "${JDK_ARGS[@]}" -jar "$JAR" "CallCost\\.$bench\$" -f 1 -wi 3 -w 1s -i 1 -r 1s \
               -jvmArgsAppend "-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=PrintInlining,*CallCost_${bench}_jmhTest::${bench}_avgt_jmhStub" \
               "${FORK_ARGS[@]}" -foe true "$@" > "$out" 2>&1; then
            cat "$out" >&2
            echo "run.sh: JMH failed on $label" >&2
            status=1
            break 3
          fi
        done
        # C2's tree: UsernameRule::isValid (the hooked method), its two linkToCallSite frames, then the
        # replacement and its body. "inline (hot)" under them means the patched call compiles like a direct one.
        out="$OUT_DIR/$label-inlining.txt"
        if inlined "$out" 'UsernameRuleFix::isValid' && inlined "$out" 'UsernameRuleFix::check'; then
          echo "run.sh: $label: the replacement is inlined into the caller through the invokedynamic call site:" >&2
          grep -E 'UsernameRule::isValid|linkToCallSite|MutableCallSite::getTarget|UsernameRuleFix::' "$out" \
            | tail -n 7 >&2
        else
          echo "run.sh: $label: the replacement is NOT inlined into the caller; see $out" >&2
          status=1
        fi
        echo "run.sh: $label: inTransition's tree (not checked): $OUT_DIR/$label-inlining-inTransition.txt" >&2
        ;;
      profile-change)
        out="$OUT_DIR/$label-change-profile.txt"
        echo "run.sh: ChangeProfile on $label ($home) -> $out" >&2
        if ! { "$home/bin/java" "${SELF_ATTACH[@]}" -cp "$JAR" io.jlivepatch.bench.ChangeProfile 1000 30 \
                 && echo && "$home/bin/java" "${SELF_ATTACH[@]}" -cp "$JAR" io.jlivepatch.bench.ChangeProfile 1 100; } \
               2> "$HERE/target/$label-change-profile.stderr" > "$out"; then
          tail -n 30 "$HERE/target/$label-change-profile.stderr" >&2
          status=1
          break 2
        fi
        grep -E '^ChangeProfile' "$out" >&2
        ;;
      profile-toggle)
        out="$OUT_DIR/$label-toggle-profile.txt"
        echo "run.sh: ToggleProfile on $label ($home) -> $out" >&2
        if ! "$home/bin/java" -cp "$JAR" io.jlivepatch.bench.ToggleProfile "$out" 100 \
               > "$HERE/target/$label-toggle-profile.stdout" 2> "$HERE/target/$label-toggle-profile.stderr"; then
          tail -n 30 "$HERE/target/$label-toggle-profile.stderr" >&2
          status=1
          break 2
        fi
        grep -E '^(==|  [0-9.]+ changes)' "$out" >&2
        ;;
      profile-startup)
        out="$OUT_DIR/$label-startup-profile.txt"
        echo "run.sh: StartupProfile on $label ($home) -> $out" >&2
        if ! "$home/bin/java" -cp "$JAR" io.jlivepatch.bench.StartupProfile "$AGENT" 5 "$out" \
               > "$HERE/target/$label-startup-profile.stdout" 2> "$HERE/target/$label-startup-profile.stderr"; then
          tail -n 30 "$HERE/target/$label-startup-profile.stderr" >&2
          status=1
          break 2
        fi
        mv -f "$out".*.collapsed "$HERE/target/" 2> /dev/null || true
        grep -E '^(==|[0-9]+ samples)' "$out" >&2
        ;;
      callcost|change|toggle|shadow|guard)
        json="$OUT_DIR/$label-$MODE-$part.json"
        echo "run.sh: $part, $MODE, on $label ($home) -> $json" >&2
        read -r -a args <<< "$(jmh_args "$MODE" "$part")"
        if [[ -n "${BENCH_INCLUDE:-}" ]]; then
          args[0]="$BENCH_INCLUDE"
        fi
        # -foe true: JMH exits non-zero as soon as a benchmark fails, instead of reporting success.
        if ! "$home/bin/java" "${JDK_ARGS[@]}" -jar "$JAR" "${args[@]}" "${FORK_ARGS[@]}" -foe true \
             -rf json -rff "$json" "$@"; then
          echo "run.sh: JMH ($part) failed on $label" >&2
          status=1
          break 2
        fi
        files+=("$json")
        ;;
      startup)
        json="$OUT_DIR/$label-$MODE-startup.json"
        echo "run.sh: startup, $MODE, on $label ($home) -> $json" >&2
        read -r rounds warmup <<< "$(startup_rounds "$MODE")"
        if ! "$home/bin/java" -cp "$JAR" io.jlivepatch.bench.StartupCost "$AGENT" "$rounds" "$json" "$warmup"; then
          echo "run.sh: StartupCost failed on $label" >&2
          status=1
          break 2
        fi
        files+=("$json")
        ;;
      memory)
        json="$OUT_DIR/$label-$MODE-memory.json"
        log="$HERE/target/$label-$MODE-memory.stderr"
        echo "run.sh: memory, $MODE, on $label ($home) -> $json (its log: $log)" >&2
        extra=()
        [[ "$MODE" == smoke ]] && extra=(smoke)
        # Serial GC: after System.gc() the heap is compacted; soft references cleared at every GC.
        if ! "$home/bin/java" -XX:+UseSerialGC -XX:SoftRefLRUPolicyMSPerMB=0 "${SELF_ATTACH[@]}" -cp "$JAR" \
             io.jlivepatch.bench.MemoryCost "$json" "${extra[@]}" 2> "$log"; then
          tail -n 30 "$log" >&2
          echo "run.sh: MemoryCost failed on $label" >&2
          status=1
          break 2
        fi
        files+=("$json")
        ;;
      *) echo "run.sh: unknown part '$part': use callcost, change, toggle, startup, memory, shadow, guard" >&2; exit 2 ;;
    esac
    echo "run.sh: $part on $label took $((SECONDS - t0)) s" >&2
  done
  if [[ "$MODE" != smoke && ${#files[@]} -gt 0 ]] && command -v python3 > /dev/null; then
    python3 "$HERE/summarize.py" "${files[@]}" || true
  fi
done
echo "run.sh: $MODE took $((SECONDS - started)) s in all" >&2
exit "$status"
