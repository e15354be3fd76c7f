#!/usr/bin/env bash
# README's worked example "Log4Shell in log4j-core 2.14.1, from one source file", run end to end:
# a service on log4j-core 2.14.1 logs "${jndi:ldap://127.0.0.1:1389/exploit}" every second while 4
# worker threads log such a string too (as a busy service's requests would); a tiny LDAP listener on
# 127.0.0.1:1389 counts the service's connections. The script edits JndiLookup.java as README does,
# runs jlivepatch build --source, then load, status, disable and unload, and shows that the service
# connects before the load and not after it, that it connects again once the patch is disabled, and
# that no request failed.
#
# Usage: demo-app/log4shell/run-log4shell.sh [--signed] [--dir DIR]
#   --signed  makes a signing key and a trust store (README's "Signed patches"), starts the service
#             with -javaagent:...=truststore=<store>,audit=<file>, shows the unsigned patch refused
#             (UNTRUSTED), loads the signed one, and prints the audit file
#   --dir     the scratch directory (default: a new one under /tmp, kept, its path printed)
# Needs log4j-core-2.14.1.jar, log4j-core-2.14.1-sources.jar and log4j-api-2.14.1.jar from Maven
# Central, looked for in LOG4J_DIR or else the local Maven repository (~/.m2/repository), and
# agent/target/jlivepatch-agent.jar (mvn -B -q package -DskipTests; AGENT_JAR names another).
# Not run by CI (CI has no log4j 2.14.1). Uses $JAVA_HOME/bin/java, javac, keytool when JAVA_HOME is
# set, else those on PATH (and openssl with --signed). Takes about 30 s, more on a busy machine.
# Exit status 0 when every step gave what README says, 1 when not, 2 for a usage error or a missing
# file. Leaves no process behind.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AGENT_JAR="${AGENT_JAR:-$ROOT/agent/target/jlivepatch-agent.jar}"
M2="${HOME}/.m2/repository/org/apache/logging/log4j"

signed=0
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --signed) signed=1 ;;
    --dir) [ $# -ge 2 ] || { echo "run-log4shell: --dir takes a directory" >&2; exit 2; }; dir="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run-log4shell: unknown argument: $1 (run-log4shell.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

BIN="${JAVA_HOME:+$JAVA_HOME/bin/}"
JAVA="${BIN}java"
find_jar() { # name, Maven directory
  local f
  for f in "${LOG4J_DIR:-/nonexistent}/$1" "$M2/$2/2.14.1/$1"; do
    [ -f "$f" ] && { echo "$f"; return; }
  done
  echo "run-log4shell: $1 not found in LOG4J_DIR or $M2/$2/2.14.1 (mvn dependency:get -Dartifact=org.apache.logging.log4j:$2:2.14.1${3:-})" >&2
  exit 2
}
CORE="$(find_jar log4j-core-2.14.1.jar log4j-core)"
SOURCES="$(find_jar log4j-core-2.14.1-sources.jar log4j-core :jar:sources)"
API="$(find_jar log4j-api-2.14.1.jar log4j-api)"
[ -f "$AGENT_JAR" ] || { echo "run-log4shell: no $AGENT_JAR: build it with mvn -B -q package -DskipTests" >&2; exit 2; }

[ -n "$dir" ] || dir="$(mktemp -d /tmp/log4shell.XXXXXX)"
mkdir -p "$dir"
cd "$dir"
cp "$CORE" "$SOURCES" "$API" .
echo "run-log4shell: working in $dir with $("$JAVA" -version 2>&1 | head -1)"

pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "run-log4shell: FAILED: $*" >&2; exit 1; }
jlivepatch() { # prints the command as README writes it, then runs it
  local shown="\$ jlivepatch" a
  for a in "$@"; do
    case "$a" in *" "*) shown+=" \"$a\"" ;; *) shown+=" $a" ;; esac
  done
  echo "$shown"
  "$JAVA" -jar "$AGENT_JAR" "$@"
}
now() { date +%s%3N; }
connections() { # from (ms), to (ms): the listener's connections in [from, to)
  awk -v a="$1" -v b="$2" '$2 == "connection" && $1 >= a && $1 < b { n++ } END { print n + 0 }' listener.log
}
since() { # from (ms), at least n: has the listener seen n connections since then?
  test "$(connections "$1" 9999999999999)" -ge "$2"
}
wait_for() { # what, seconds, command...
  local what="$1" limit=$(( $(date +%s) + $2 )); shift 2
  until "$@"; do
    [ "$(date +%s)" -lt "$limit" ] || fail "$what did not happen within the time it was given"
    sleep 0.2
  done
}

# the fix, as README shows it
rm -rf org
unzip -q log4j-core-2.14.1-sources.jar org/apache/logging/log4j/core/lookup/JndiLookup.java
SRC=org/apache/logging/log4j/core/lookup/JndiLookup.java
awk '{ print } /final String jndiName = convertJndiName\(key\);/ {
  print "        if (jndiName != null) { // CVE-2021-44228: message lookups must never reach JNDI"
  print "            LOGGER.warn(LOOKUP, \"JNDI lookup of [{}] refused (CVE-2021-44228 live patch)\", jndiName);"
  print "            return null;"
  print "        }" }' "$SRC" > JndiLookup.java.new
mv JndiLookup.java.new "$SRC"
grep -q "CVE-2021-44228 live patch" "$SRC" || fail "the edit of $SRC did not apply"

jlivepatch build --old log4j-core-2.14.1.jar --source "$SRC" \
    --classpath log4j-api-2.14.1.jar --name fix-log4shell \
    --description "CVE-2021-44228: JndiLookup refuses every lookup" -o fix-log4shell.jar
agent_args=()
if [ "$signed" = 1 ]; then
  rm -f signing.p12 patch-signer.cer patch-signers.jks jlivepatch-audit.jsonl
  export PATCH_STOREPASS="$(openssl rand -hex 16)"
  "${BIN}keytool" -genkeypair -alias patch-signer -dname "CN=Acme Patch Signer,O=Acme" -keyalg EC -groupname secp256r1 \
      -validity 730 -keystore signing.p12 -storepass:env PATCH_STOREPASS
  "${BIN}keytool" -exportcert -alias patch-signer -keystore signing.p12 -storepass:env PATCH_STOREPASS -file patch-signer.cer
  "${BIN}keytool" -importcert -noprompt -alias patch-signer -file patch-signer.cer -keystore patch-signers.jks -storetype JKS \
      -storepass "$(openssl rand -hex 16)"
  jlivepatch build --old log4j-core-2.14.1.jar --source "$SRC" \
      --classpath log4j-api-2.14.1.jar --name fix-log4shell \
      --description "CVE-2021-44228: JndiLookup refuses every lookup" -o fix-log4shell-signed.jar \
      --sign signing.p12 --alias patch-signer --storepass-env PATCH_STOREPASS
  agent_args=("-javaagent:$AGENT_JAR=truststore=$dir/patch-signers.jks,audit=$dir/jlivepatch-audit.jsonl")
fi

# the listener and the service
"$JAVA" "$HERE/Listener.java" > listener.log 2>&1 &
pids+=($!)
listener=$!
listening() {
  kill -0 "$listener" 2>/dev/null || fail "the listener did not start (is 127.0.0.1:1389 taken?): $(cat listener.log)"
  grep -q listening listener.log
}
wait_for "the listener's start" 30 listening
mkdir -p classes
# -XX:+EnableDynamicAgentLoading: JDK 21 and later warn of a dynamically loaded agent without it (README)
"${BIN}javac" -cp log4j-api-2.14.1.jar -d classes "$HERE/Log4ShellService.java"
"$JAVA" -XX:+EnableDynamicAgentLoading "${agent_args[@]}" \
    -cp classes:log4j-core-2.14.1.jar:log4j-api-2.14.1.jar Log4ShellService > service.log 2> service.err &
service=$!
pids+=("$service")
wait_for "4 connections from the service" 30 since 0 4

if [ "$signed" = 1 ]; then
  set +e
  jlivepatch load "$service" fix-log4shell.jar
  rc=$?
  set -e
  [ "$rc" = 1 ] || fail "the unsigned patch's load exited $rc, not 1 (refused)"
  patch=fix-log4shell-signed.jar
else
  patch=fix-log4shell.jar
fi

t0=$(now)
jlivepatch load "$service" "$patch"
t1=$(now)
sleep 4
t2=$(now)
before=$(connections $((t0 - 4000)) "$t0")
during=$(connections "$t0" "$t1")
after=$(connections "$t1" "$t2")
echo "connections to 127.0.0.1:1389: $before in the 4 s before the load, $after in the $(( (t2 - t1) / 1000 )) s after it" \
     "($during while the command ran, $((t1 - t0)) ms)"
[ "$before" -ge 3 ] || fail "the service connected $before times in the 4 s before the load, not about 4"
[ "$after" = 0 ] || fail "the service connected $after times after the load"

jlivepatch status "$service"
t3=$(now)
jlivepatch disable "$service" fix-log4shell
wait_for "a connection after the disable" 10 since "$t3" 1
echo "disabled: the service connects again ($(connections "$t3" 9999999999999) connection(s) since)"
jlivepatch unload "$service" fix-log4shell
log="$(jlivepatch status "$service" --log)"
echo "$log"
logged() { # the time (ms) of the audit log's first line holding this text
  local line
  line="$(grep -m1 -F "$1" <<< "$log")" || fail "the audit log has no line with '$1'"
  line="${line#"${line%%[! ]*}"}"
  date -d "${line%% *}" +%s%3N
}
patched=$(logged "ok (patching complete)")
disabled=$(logged " disable fix-log4shell by ")
closed=$(connections "$patched" "$disabled")
echo "from the end of the patching transition to the disable ($(( (disabled - patched) / 1000 )) s): $closed connection(s)"
[ "$closed" = 0 ] || fail "the service connected $closed times while the patch was enabled"

kill "$service"
wait "$service" || true
summary="$(grep '^summary:' service.log || true)"
echo "service: $summary"
case "$summary" in
  *", failed requests=0") ;;
  *) fail "requests failed: $summary (service.err)" ;;
esac
if [ "$signed" = 1 ]; then
  echo "audit file $dir/jlivepatch-audit.jsonl:"
  cat jlivepatch-audit.jsonl
  operations="$(sed -n 's/^{"time":"[^"]*","operation":"\([a-z-]*\)".*/\1/p' jlivepatch-audit.jsonl | tr '\n' ' ')"
  expected="trust load load transition disable transition unregister "
  [ "$operations" = "$expected" ] || fail "the audit file's operations are '$operations', not '$expected'"
  grep -q '"operation":"load".*"outcome":"refused UNTRUSTED' jlivepatch-audit.jsonl || fail "the audit file has no refused load"
fi
echo "run-log4shell: ok"
