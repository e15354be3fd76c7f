# Sourced by the benchmark scripts (run.sh, toggle-jit.sh, footprint.sh): which JDKs to run on.
#
#   bench_homes   sets HOMES: the default JDK (JAVA_HOME, else java on the PATH), then
#                 /usr/lib/jvm/temurin-25-jdk-amd64 when it exists and is another JDK;
#                 BENCH_JDKS=default for the default JDK only, BENCH_JDKS="/jdk/a /jdk/b" for those.
#   jdk_feature   the feature version of a Java home: 17, 25, ...

JDK25=/usr/lib/jvm/temurin-25-jdk-amd64

bench_homes() {
  local default_home
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    default_home="$JAVA_HOME"
  else
    default_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  fi
  if [[ "${BENCH_JDKS:-}" == default ]]; then
    HOMES=("$default_home")
  elif [[ -n "${BENCH_JDKS:-}" ]]; then
    read -r -a HOMES <<< "$BENCH_JDKS"
  else
    HOMES=("$default_home")
    if [[ -x "$JDK25/bin/java" && "$(readlink -f "$JDK25")" != "$(readlink -f "$default_home")" ]]; then
      HOMES+=("$JDK25")
    fi
  fi
}

jdk_feature() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = //p' | head -n 1
}
