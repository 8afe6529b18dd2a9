#!/usr/bin/env bash
# Runs Tether's benchmarks against the real control plane: tools/bench.sh [benchmark-name ...]
# With no names it runs them all; see README's "Benchmarks" section for what each measures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TETHER_K8S_DIR=$(tools/k8s/build.sh --print-dir)
export TETHER_K8S_DIR
mvn -B -ntp -q install -DskipTests -pl bench -am
mvn -B -ntp -q exec:java -pl bench -Dexec.args="$*"
