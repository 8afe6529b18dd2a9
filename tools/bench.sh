#!/usr/bin/env bash
# Runs Tether's benchmarks against the real control plane: tools/bench.sh [benchmark-name ...]
# With no names it runs them all; see README's "Benchmarks" section for what each measures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TETHER_K8S_DIR=$(tools/k8s/build.sh --print-dir)
TETHER_CHARTS_DIR=$(tools/charts/build.sh --print-dir)
# The reference programs some benchmarks compare Tether with (Go, standard library only).
TETHER_BENCH_REFERENCE_DIR=$(bench/reference/build.sh --print-dir)
export TETHER_K8S_DIR TETHER_CHARTS_DIR TETHER_BENCH_REFERENCE_DIR
mvn -B -ntp -q install -DskipTests -pl bench -am
mvn -B -ntp -q dependency:build-classpath -pl bench -Dmdep.outputFile=target/classpath.txt
# A JVM of its own, not Maven's: the server and agent measured here run in it, and sharing the
# build tool's JVM made the proxy's latency more than twice what it is in a JVM of its own.
cd bench
# Compiler threads that stay: the benchmarks read their CPU time, which an ending thread takes with it.
# tether.jar: server replicas (agents with TETHER_BENCH_REPLICAS) run as `java -jar` processes of the cli's runnable jar.
exec java -XX:-UseDynamicNumberOfCompilerThreads -Dtether.bench.workdir=target/bench -Dtether.jar=../cli/target/tether.jar -cp "target/classes:$(cat target/classpath.txt)" dev.tether.bench.Benchmarks "$@"
