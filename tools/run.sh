#!/usr/bin/env bash
# Builds the tether jar (when the sources changed) and runs it: tools/run.sh [tether arguments]
# With no arguments it starts a server on 127.0.0.1:8080 with its state in ./tether-data.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jar=cli/target/tether.jar
if [[ ! -f $jar ]] || [[ -n $(find pom.xml */pom.xml */src -newer "$jar" -print -quit 2>/dev/null) ]]; then
  echo "building $jar ..." >&2
  mvn -B -ntp -q install -DskipTests -pl cli -am
fi
if (($# == 0)); then
  set -- server --dev-tls
fi
exec java -jar "$jar" "$@"
