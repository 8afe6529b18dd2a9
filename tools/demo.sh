#!/usr/bin/env bash
# The README's run command. On a fresh machine it installs what is missing (Debian packages, the
# Kubernetes binaries built from Go modules, the Tether build), then runs the demo: a real control
# plane, Git repositories, a server and an agent on this machine. Ctrl-C stops everything.
#
# Usage: tools/demo.sh [--dir DIR] [--http-port PORT] [--agent-port PORT] [--proxy-port PORT] [--help] [--version]
# (--help prints what each option does, once the tools and the build are in place)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source tools/lib/packages.sh
ensure_packages git maven openjdk-17-jdk-headless ca-certificates procps >&2

TETHER_K8S_DIR=$(tools/k8s/build.sh --print-dir)
export TETHER_K8S_DIR

# Rebuild when a source of the demo or of what it runs is newer than its jar.
jar=demo/target/tether-demo.jar
modules=(proto common agent server cli testkit demo)
if [[ ! -f $jar ]] || [[ -n $(find pom.xml "${modules[@]/%//pom.xml}" "${modules[@]/%//src}" -newer "$jar" -print -quit) ]]; then
  echo "demo: building Tether (about a minute when Maven's cache is warm) ..." >&2
  mvn -B -ntp -q install -DskipTests -pl demo -am
fi
exec java -jar "$jar" "$@"
