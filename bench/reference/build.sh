#!/usr/bin/env bash
# Builds the reference programs the benchmarks measure Tether against (Go, standard library only,
# so nothing is downloaded). They land in a cache folder outside the checkout,
#   ${TETHER_CACHE:-~/.cache/tether}/bench-reference/<hash of the sources>/
# and a second run with the same sources does no work.
#
# Usage: bench/reference/build.sh [--print-dir]
#   --print-dir   print the programs' folder on stdout (for scripts), building first if needed
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { echo "bench-reference: $*" >&2; }
fail() { echo "bench-reference: error: $*" >&2; exit 1; }

programs=(two-hop-proxy)
cache_root=${TETHER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tether}
stamp=$( (cd "$here" && find . -type f \( -name '*.go' -o -name go.mod -o -name build.sh \) | sort | xargs cat) | sha256sum | cut -c1-16)
dir="$cache_root/bench-reference/$stamp"

built=true
for p in "${programs[@]}"; do [[ -x "$dir/$p" ]] || built=false; done
if ! $built; then
  command -v go >/dev/null 2>&1 || fail "Go is not installed or not on PATH; install Go (https://go.dev/dl/) and run this again."
  say "building ${programs[*]} with $(go env GOVERSION) into $dir"
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  for p in "${programs[@]}"; do
    (cd "$here" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$tmp/$p" "./$p")
  done
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
fi
$built && say "${programs[*]} up to date in $dir"
[[ "${1:-}" == "--print-dir" ]] && echo "$dir"
exit 0
