#!/usr/bin/env bash
# Builds the benchmark module and runs every scenario against raw OkHttp, side by side.
#
#   bench/run.sh            full run (15–20 minutes on 2 busy cores); writes docs/performance.md
#   bench/run.sh --quick    short smoke run; writes bench/target/performance-quick.md
#   bench/run.sh --only 1,4 some scenarios; writes bench/target/performance-partial.md
#   bench/run.sh --scale    adds scenario 8: 19,000 idle streams in one JVM, an outage, and the
#                           projection to 100,000 (another 10-20 minutes; JDK 25)
#
# Exits with status 1 when a regression gate misses: scenario 1's CPU per message, manager over
# raw OkHttp, above 1.03 (bench/run.sh --only 1 runs just that).
#
# JDK17_HOME and JDK25_HOME choose the JDKs of the idle-footprint runs (scenario 3); the harness
# itself runs on JDK17_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."

JDK17_HOME=${JDK17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
JDK25_HOME=${JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

out=docs/performance.md
command="bench/run.sh"
for arg in "$@"; do
  case "$arg" in
    --quick) out=bench/target/performance-quick.md; command="bench/run.sh --quick" ;;
    --only) out=bench/target/performance-partial.md ;;
  esac
done

# 10,000 sockets per process, plus jars and pipes.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "==> open files limit: $(ulimit -n); ephemeral ports: $(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo unknown)"

echo "==> building (-Pbench)"
JAVA_HOME="$JDK17_HOME" ./mvnw -B -q -Pbench -DskipTests package

# Child JVMs load classes from the jar for the whole run: give this run a copy of its own, so that
# a rebuild meanwhile does not change the code under measurement.
jar="bench/target/run-$$.jar"
cp bench/target/benchmarks.jar "$jar"
trap 'rm -f "$jar"' EXIT

mkdir -p "$(dirname "$out")"
echo "==> running scenarios; results go to $out"
echo "==> load average at the start: $(cat /proc/loadavg)"
"$JDK17_HOME/bin/java" -Xms1g -Xmx4g \
  -Dbench.jdk17="$JDK17_HOME" -Dbench.jdk25="$JDK25_HOME" \
  -jar "$jar" --out "$out" --command "$command" "$@"
