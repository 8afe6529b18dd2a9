#!/usr/bin/env bash
# Builds the reference programs the benchmarks measure Tether against, with the machine's Go:
#   two-hop-proxy      two TLS hops of Go's reverse proxy (standard library only)
#   cli-utils-applier  the GitLab agent's engine, sigs.k8s.io/cli-utils (module of its own, pinned by go.sum)
#   flux-ssa-applier   Flux's engine, github.com/fluxcd/pkg/ssa (module of its own, pinned by go.sum)
# The two engines pin different k8s.io releases, hence a module each; their dependencies come from
# the Go module proxy, like tools/k8s. The programs land in a cache folder outside the checkout,
#   ${TETHER_CACHE:-~/.cache/tether}/bench-reference/<hash of the sources>/
# and a second run with the same sources does no work.
#
# Usage: bench/reference/build.sh [--print-dir]
#   --print-dir   print the programs' folder on stdout (for scripts), building first if needed
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { echo "bench-reference: $*" >&2; }
fail() { echo "bench-reference: error: $*" >&2; exit 1; }

programs=(two-hop-proxy cli-utils-applier flux-ssa-applier)
cache_root=${TETHER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tether}
stamp=$( (cd "$here" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name build.sh \) | sort | xargs cat) | sha256sum | cut -c1-16)
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
    # A program with a go.mod of its own is its own module; the others belong to this folder's.
    module_dir="$here"; target="./$p"
    [[ -f "$here/$p/go.mod" ]] && { module_dir="$here/$p"; target=.; }
    if ! (cd "$module_dir" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0 \
        go build -trimpath -ldflags "-s -w" -o "$tmp/$p" "$target"); then
      fail "could not build $p; a first build downloads its modules from GOPROXY=$(go env GOPROXY), which must be reachable"
    fi
  done
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
fi
$built && say "${programs[*]} up to date in $dir"
[[ "${1:-}" == "--print-dir" ]] && echo "$dir"
exit 0
