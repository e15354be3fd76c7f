#!/usr/bin/env bash
# A walk by hand, as an operator new to jlivepatch would make it: a tiny service of a thread pool
# (benchmarks/walks/pool-app: 2 clients submit tasks to a ThreadPoolExecutor and check every answer, a
# java.util.Timer ticks, one pool worker runs Consumer.loop for good), and patches of methods some thread is
# always inside:
#   1. ThreadPoolExecutor.getTask, the JDK method the pool's idle workers are always inside: refused
#      (NOT_PATCHABLE, README "The rules"), and the refusal must say what to do instead;
#   2. Consumer.loop, the task that never returns to runWorker: 'load --wait' exits 3 naming the worker,
#      status names it, disable while stuck ends at once (the transition reverses), enable again, force;
#   3. then a second worker enters Consumer.loop after the force, so it runs the replacement for good:
#      'unload --wait' exits 3 naming that worker, inside the replacement, and force ends it, unregister;
#   4. Work.answer, which the pool's tasks call and return from: load and unload as usual;
#   5. where the JDK has its sources (lib/src.zip), java.util.TimerThread.mainLoop, the JDK method the
#      Timer's thread is always inside, outside the refused packages: a patch 'jlivepatch build' makes from
#      the JDK's class files and Timer.java changed; 'load --wait' exits 3 naming the thread, disable
#      while stuck, enable, force, unload (exit 3), force, unregister.
# Not run by CI; README "The consistency model" says what these show.
#
# Usage: benchmarks/walks/pool-always-inside.sh
# JAVA_HOME chooses the JDK (else java on PATH). Needs the build (mvn -B -o -q install -DskipTests).
# Prints every command and its output, then one line: walk: ... served=<n> failed=<n> problems=<n>.
# Exit status 0 when nothing went wrong, 1 otherwise. Leaves no process behind; KEEP=1 keeps the work directory.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AGENT="$ROOT/agent/target/jlivepatch-agent.jar"
CORE="$(ls "$ROOT"/core/target/jlivepatch-core-*.jar 2>/dev/null | grep -v sources | head -1)"
SRC="$ROOT/benchmarks/walks/pool-app"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAVAC="${JAVA_HOME:+$JAVA_HOME/bin/}javac"
JAR="${JAVA_HOME:+$JAVA_HOME/bin/}jar"
for f in "$AGENT" "$CORE"; do
  [ -f "$f" ] || { echo "missing $f: build first (mvn -B -o -q install -DskipTests)" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/pool-walk.XXXXXX")"
app=""
cleanup() {
  [ -n "$app" ] && kill -9 "$app" 2>/dev/null && wait "$app" 2>/dev/null
  [ "${KEEP:-0}" = 1 ] && echo "work directory kept: $work" || rm -rf "$work"
}
trap cleanup EXIT
problems=0
problem() { echo "PROBLEM: $*"; problems=$((problems + 1)); }
last=""; rc=0
jlp() { echo "\$ jlivepatch $*"; last="$("$JAVA" -jar "$AGENT" "$@" 2>&1)"; rc=$?
  echo "$last" | sed 's/^/    /'; echo "    (exit $rc)"; }
expect() { # expect <exit code> <what>
  [ "$rc" = "$1" ] || problem "$2: exit $rc, expected $1"; }
has() { # has <text> <what>
  echo "$last" | grep -qF -- "$1" || problem "$2: no '$1' in the output"; }

# The two builds: the new one's Consumer.loop and Work.answer differ (3x instead of 2x).
mkdir -p "$work/old" "$work/new" "$work/newsrc/pool" "$work/p1/classes"
"$JAVAC" --release 17 -d "$work/old" "$SRC"/pool/*.java || exit 2
cp "$SRC"/pool/*.java "$work/newsrc/pool/"
sed -i 's|consumed.incrementAndGet();|consumed.addAndGet(1);|' "$work/newsrc/pool/Consumer.java"
sed -i 's|return 2 \* x;|return 3 * x;|' "$work/newsrc/pool/Work.java"
"$JAVAC" --release 17 -d "$work/new" "$work/newsrc/pool"/*.java || exit 2
jlp build --old "$work/old" --new "$work/new" --include pool.Consumer --name fix-consumer -o "$work/fix-consumer.jar"
expect 0 "build fix-consumer"
jlp build --old "$work/old" --new "$work/new" --include pool.Work --name fix-work -o "$work/fix-work.jar"
expect 0 "build fix-work"
# A hand-written patch of the JDK method the idle workers are always inside (README "Patch JARs").
mkdir -p "$work/p1/fix"
cat > "$work/p1/fix/GetTaskFix.java" <<'EOF'
package fix;

import io.jlivepatch.Replaces;
import java.util.concurrent.ThreadPoolExecutor;

public final class GetTaskFix {
    @Replaces(target = "java.util.concurrent.ThreadPoolExecutor", method = "getTask", descriptor = "()Ljava/lang/Runnable;")
    public static Runnable getTask(ThreadPoolExecutor self) {
        throw new IllegalStateException("never loaded");
    }
}
EOF
"$JAVAC" --release 17 -cp "$CORE" -d "$work/p1/classes" "$work/p1/fix/GetTaskFix.java" || exit 2
printf 'Livepatch-Name: fix-gettask\nLivepatch-Description: getTask\nLivepatch-Class: fix.GetTaskFix\n' > "$work/p1/manifest"
"$JAR" cfm "$work/fix-gettask.jar" "$work/p1/manifest" -C "$work/p1/classes" . || exit 2

cmd=("$JAVA" -XX:+IgnoreUnrecognizedVMOptions -XX:+EnableDynamicAgentLoading -cp "$work/old" pool.Main "$work/counts")
echo "\$ ${cmd[*]}"
"${cmd[@]}" > "$work/app.log" 2>&1 &
app=$!
for _ in $(seq 300); do [ -s "$work/counts" ] && break; sleep 0.1; done
[ -s "$work/counts" ] || { cat "$work/app.log"; problem "the app did not start"; exit 1; }
echo "app pid $app ($("$JAVA" -version 2>&1 | head -1)): $(cat "$work/counts")"
counts() { echo "app: $(cat "$work/counts")"; }
counted() { # the app rewrites the file every 200 ms: a read may find it empty
  local c; for _ in 1 2 3 4 5; do c="$(cat "$work/counts")"; [ -n "$c" ] && break; sleep 0.05; done; echo "$c"; }
ticking() { # the timer and the consumer go on, the clients are served
  local before after; before="$(counted)"; sleep 1; after="$(counted)"
  [ "$before" != "$after" ] || problem "$1: the app stopped serving ($after)"; echo "app ($1): $after"; }

# 1. The JDK method the idle workers are always inside.
jlp load "$app" "$work/fix-gettask.jar"
expect 1 "load of ThreadPoolExecutor.getTask"
has "NOT_PATCHABLE" "load of ThreadPoolExecutor.getTask"
has "instead" "the refusal of ThreadPoolExecutor.getTask (what to do)"
# README: a JAR the command's own check refuses does not even load jlivepatch into the target.
grep -q '^jlivepatch: appending' "$work/app.log" && problem "the refused load loaded jlivepatch into the app"
jlp status "$app"
has "jlivepatch not loaded" "status after the refusal"
ticking "after the refused load"

# 2. The task that never returns to runWorker.
jlp load --wait 5 "$app" "$work/fix-consumer.jar"
expect 3 "load of Consumer.loop"
has "waiting for:" "load of Consumer.loop"
has "in pool.Consumer.loop" "load of Consumer.loop"
has "jlivepatch force $app fix-consumer" "load of Consumer.loop"
jlp status "$app"
has "[enabled, in transition]" "status while stuck"
has "waiting: thread 'pool-worker-1'" "status while stuck"
ticking "stuck"
jlp disable --wait 5 "$app" fix-consumer
expect 0 "disable while stuck"
has "unpatching complete" "disable while stuck"
jlp enable --wait 3 "$app" fix-consumer
expect 3 "enable while stuck"
jlp force "$app" fix-consumer
expect 0 "force"
jlp status "$app"
has "[enabled, forced]" "status after force"
ticking "forced"

# 3. A second worker enters Consumer.loop now: the replacement, for good.
touch "$work/counts.more"
sleep 1
jlp unload --wait 5 "$app" fix-consumer
expect 3 "unload with a worker inside the replacement"
has "in pool.Consumer.loop" "unload with a worker inside the replacement"
jlp status "$app"
ticking "unpatching stuck"
jlp force "$app" fix-consumer
expect 0 "force of the unpatching"
jlp unregister "$app" fix-consumer
expect 0 "unregister after force"
jlp status "$app"
has "no patches registered" "status after unregister"
has "forced, then unregistered" "status after unregister"

# 4. A method the pool's tasks call and return from.
jlp load "$app" "$work/fix-work.jar"
expect 0 "load of Work.answer"
jlp unload "$app" fix-work
expect 0 "unload of Work.answer"
ticking "after Work.answer"

# 5. A JDK method outside the refused packages that the Timer's thread is always inside.
SRCZIP="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.home = //p')/lib/src.zip"
if command -v unzip > /dev/null && unzip -q -o "$SRCZIP" 'java.base/java/util/Timer.java' -d "$work/jdksrc" 2>/dev/null; then
  mkdir -p "$work/jdkold/java/util" "$work/jdknew"
  cat > "$work/Extract.java" <<'EOF'
import java.net.URI;
import java.nio.file.*;

public class Extract {
    public static void main(String[] a) throws Exception {
        FileSystem fs = FileSystems.getFileSystem(URI.create("jrt:/"));
        Path util = fs.getPath("modules", "java.base", "java", "util");
        for (Path p : Files.newDirectoryStream(util, "{*Timer*,TaskQueue}.class")) {
            Files.copy(p, Path.of(a[0], "java", "util", p.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
EOF
  "$JAVA" "$work/Extract.java" "$work/jdkold" || problem "the JDK's Timer class files not read"
  # The change: mainLoop never calls queue.wait(0), which waits for good (a harmless one for the walk).
  sed -i 's|queue.wait(executionTime - currentTime);|queue.wait(Math.max(1, executionTime - currentTime));|' \
    "$work/jdksrc/java.base/java/util/Timer.java"
  "$JAVAC" --patch-module java.base="$work/jdksrc/java.base" -d "$work/jdknew" "$work/jdksrc/java.base/java/util/Timer.java" \
    || problem "Timer.java does not compile"
  jlp build --old "$work/jdkold" --new "$work/jdknew" --include java.util.TimerThread --name fix-timer -o "$work/fix-timer.jar"
  expect 0 "build fix-timer"
  jlp load --wait 5 "$app" "$work/fix-timer.jar"
  expect 3 "load of TimerThread.mainLoop"
  has "thread 'ticker'" "load of TimerThread.mainLoop"
  has "in java.util.TimerThread.mainLoop" "load of TimerThread.mainLoop"
  jlp status "$app"
  has "waiting: thread 'ticker'" "status while TimerThread.mainLoop is stuck"
  ticking "TimerThread.mainLoop stuck"
  jlp disable --wait 5 "$app" fix-timer
  expect 0 "disable of fix-timer while stuck"
  jlp enable --wait 3 "$app" fix-timer
  expect 3 "enable of fix-timer while stuck"
  jlp force "$app" fix-timer
  expect 0 "force of fix-timer"
  ticking "TimerThread.mainLoop forced"
  jlp unload --wait 3 "$app" fix-timer
  expect 3 "unload of fix-timer (the ticker still in mainLoop)"
  jlp force "$app" fix-timer
  expect 0 "force of fix-timer's unpatching"
  jlp unregister "$app" fix-timer
  expect 0 "unregister of fix-timer"
  ticking "at the end"
else
  command -v unzip > /dev/null || echo "(no unzip on PATH: the TimerThread.mainLoop step is left out)"
  command -v unzip > /dev/null && echo "(no java/util/Timer.java in $SRCZIP: the TimerThread.mainLoop step is left out)"
fi

read -r served failed _ < <(counted | tr ' ' '\n' | sed 's/.*=//' | tr '\n' ' ')
kill -TERM "$app"; wait "$app" 2>/dev/null; app=""
echo "--- app log: WARNING and SEVERE lines, client errors"
grep -A1 -n 'WARNING\|SEVERE\|client:' "$work/app.log" | cut -c1-400 | sed 's/^/    /'
grep -q 'SEVERE' "$work/app.log" && problem "SEVERE in the app's log"
[ "$failed" = 0 ] || problem "$failed client calls failed"
echo "walk: pool-always-inside $("$JAVA" -version 2>&1 | head -1): served=$served failed=$failed problems=$problems (${SECONDS} s)"
[ "$problems" = 0 ]
