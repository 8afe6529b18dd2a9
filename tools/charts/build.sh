#!/usr/bin/env bash
# Builds the real chart tooling that Tether's tests and benchmarks run against, from Go modules at
# the versions pinned in tools/charts/go.mod:
#   helm       the Helm CLI (the Helm release helm-java embeds): packages, indexes and pushes test
#              charts, and is the benchmark's `helm template | kubectl apply` reference
#   registry   the CNCF distribution registry: a real OCI registry for oci:// chart sources
# The binaries land in a cache folder outside the checkout,
#   ${TETHER_CACHE:-~/.cache/tether}/charts/<helm version>/
# and a second run with the same go.mod/go.sum does no work.
#
# Usage: tools/charts/build.sh [--print-dir]
#   --print-dir   print the binaries' folder on stdout (for scripts), building first if needed;
#                 progress still goes to stderr
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
print_dir=false
[[ "${1:-}" == "--print-dir" ]] && print_dir=true
say() { echo "charts: $*" >&2; }
fail() { echo "charts: error: $*" >&2; exit 1; }

version=$(awk '$1 == "helm.sh/helm/v3" { print $2; exit }' "$here/go.mod")
[[ -n "$version" ]] || fail "no helm.sh/helm/v3 version in $here/go.mod"
cache_root=${TETHER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tether}
dir="$cache_root/charts/$version"
binaries=(helm registry)
# The stamp ties the cached binaries to the exact inputs that made them.
stamp=$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)

complete() {
  [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" ]] || return 1
  for b in "${binaries[@]}"; do [[ -x "$dir/$b" ]] || return 1; done
}

if complete; then
  say "Helm $version and the registry are up to date in $dir"
  $print_dir && echo "$dir"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "Go is not installed or not on PATH. Install Go $(awk '$1 == "go" { print $2 }' "$here/go.mod") or newer (https://go.dev/dl/) and run this again."
need=$(awk '$1 == "go" { print $2 }' "$here/go.mod")
have=$(go env GOVERSION | sed 's/^go//')
if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]]; then
  fail "Helm $version needs Go $need or newer, but 'go' is $have. Install a newer Go and run this again."
fi

say "building Helm $version and the distribution registry with $(go env GOVERSION) into $dir"
start=$SECONDS
cd "$here"
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
mkdir -p "$cache_root/charts"
if ! download_errors=$(go mod download 2>&1); then
  echo "$download_errors" >&2
  fail "could not download the Go modules from GOPROXY=$(go env GOPROXY). Check that the module proxy is reachable (or set GOPROXY to one that is) and run this again."
fi

tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
# helm version prints what the release's own build stamps into it.
go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$tmp/" \
  helm.sh/helm/v3/cmd/helm \
  github.com/distribution/distribution/v3/cmd/registry
echo "$stamp" > "$tmp/.stamp"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT

say "built in $((SECONDS - start)) s:"
for b in "${binaries[@]}"; do say "  $dir/$b"; done
$print_dir && echo "$dir"
exit 0
