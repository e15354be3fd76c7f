#!/usr/bin/env bash
# The jlivepatch demo: an HTTP file service with a path-traversal hole runs in a JVM of its own,
# without jlivepatch, under load from concurrent clients. The operator's commands fix it live and
# take the fix off again, and no legitimate request fails:
#
#   java -jar agent/target/jlivepatch-agent.jar load <pid> demo-app/target/jlivepatch-demo-fix-traversal.jar
#   java -jar agent/target/jlivepatch-agent.jar status <pid>
#   java -jar agent/target/jlivepatch-agent.jar unload <pid> fix-traversal
#
# The patch JAR is made by the build, as kpatch-build makes a patch module: Maven compiles the
# service (demo-app/src/main/java, with the bug), makes the fixed build demo-app/target/fixed-classes
# (the same classes, with the fixed source demo-app/src/fixed/java compiled over them), and runs
# jlivepatch build on the two, as this command would:
#   java -jar agent/target/jlivepatch-agent.jar build --old demo-app/target/classes
#     --new demo-app/target/fixed-classes --include 'com.acme.files.*' --name fix-traversal ...
# It prints the changed function and writes demo-app/target/jlivepatch-demo-fix-traversal.jar.
#
# Usage: demo-app/run-demo.sh [--rebuild] [--clients N]
#
# Works from any directory. Builds what the demo needs (core, builder, agent and demo-app: mvn -B -q install
# -DskipTests -pl agent,demo-app -am, in the repository root) when the agent JAR, the demo JAR or the
# patch JAR is missing, or always with --rebuild (or REBUILD=1); MVN names another Maven command.
# Uses $JAVA_HOME/bin/java when JAVA_HOME is set, else java from PATH (a JDK 17 or newer); Maven gets
# the same JAVA_HOME. Takes about 15 s once built, about a minute more with the build.
# Ends the last line with: summary: requests served=<n>, failed requests=<n>, patch load took <ms> ms
# Exit status: 0 when every legitimate request succeeded, the hole was open, closed and open again
# as expected and every jlivepatch command succeeded; 1 when not, or when the build failed; 2 for a
# usage error. Leaves no process behind, also when interrupted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AGENT_JAR="$ROOT/agent/target/jlivepatch-agent.jar"
DEMO_JAR="$ROOT/demo-app/target/jlivepatch-demo.jar"
PATCH_JAR="$ROOT/demo-app/target/jlivepatch-demo-fix-traversal.jar"
MVN="${MVN:-mvn}"

rebuild="${REBUILD:-0}"
demo_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rebuild) rebuild=1 ;;
    -h|--help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0 ;;
    --clients)
      if [ $# -lt 2 ]; then
        echo "run-demo: --clients takes a number from 1 to 64" >&2
        exit 2
      fi
      demo_args+=("$1" "$2")
      shift ;;
    *)
      echo "run-demo: unknown argument: $1 (run-demo.sh --help)" >&2
      exit 2 ;;
  esac
  shift
done

if [ -n "${JAVA_HOME:-}" ]; then
  JAVA="$JAVA_HOME/bin/java"
else
  JAVA="$(command -v java || true)"
fi
if [ -z "$JAVA" ] || [ ! -x "$JAVA" ]; then
  echo "run-demo: no java found: install a JDK 17 or newer, or set JAVA_HOME" >&2
  exit 2
fi

jars=("$AGENT_JAR" "$DEMO_JAR" "$PATCH_JAR")
missing=0
for jar in "${jars[@]}"; do
  [ -f "$jar" ] || missing=1
done
if [ "$rebuild" = 1 ] || [ "$missing" = 1 ]; then
  echo "run-demo: building jlivepatch (mvn -B -q install -DskipTests -pl agent,demo-app -am in $ROOT) ..."
  if ! (cd "$ROOT" && $MVN -B -q install -DskipTests -pl agent,demo-app -am); then
    echo "run-demo: the build failed (Maven's messages are above); fix it, then run this script again" >&2
    exit 1
  fi
  for jar in "${jars[@]}"; do
    if [ ! -f "$jar" ]; then
      echo "run-demo: the build did not produce $jar" >&2
      exit 1
    fi
  done
else
  newer() { [ -n "$(find "${@:2}" -newer "$1" -type f -print -quit 2>/dev/null)" ]; }
  if newer "$AGENT_JAR" "$ROOT/core/src/main" "$ROOT/builder/src/main" "$ROOT/agent/src/main" \
     || newer "$DEMO_JAR" "$ROOT/demo-app/src/main" \
     || newer "$PATCH_JAR" "$ROOT/demo-app/src/main" "$ROOT/demo-app/src/fixed"; then
    echo "run-demo: note: sources changed since the last build; run with --rebuild to use them"
  fi
fi

# The driver (no agent) starts the service JVM, the clients and the jlivepatch commands. It stops
# the service itself, also on SIGTERM (a shutdown hook). Should the driver die without that, the
# service's pid, which it writes to $work/service.pid, lets the trap below stop the service anyway.
work="$(mktemp -d "${TMPDIR:-/tmp}/jlivepatch-demo.XXXXXX")"
demo_pid=""
stop_pid() {
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  if [ -n "$demo_pid" ]; then
    stop_pid "$demo_pid"
  fi
  local service_pid
  service_pid="$(cat "$work/service.pid" 2>/dev/null || true)"
  if [ -n "$service_pid" ]; then
    stop_pid "$service_pid"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# In the background so that the traps run whatever ends this script (bash runs a trap only after
# the foreground command has ended).
"$JAVA" -cp "$DEMO_JAR" com.acme.files.demo.LivePatchDemo \
  --agent-jar "$AGENT_JAR" --patch-jar "$PATCH_JAR" --work-dir "$work" \
  ${demo_args[@]+"${demo_args[@]}"} &
demo_pid=$!
set +e
wait "$demo_pid"
status=$?
set -e
demo_pid=""
exit "$status"
