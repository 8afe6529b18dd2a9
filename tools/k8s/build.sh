#!/usr/bin/env bash
# Builds the real Kubernetes parts that Tether's tests and benchmarks run against:
# kube-apiserver, kube-controller-manager, etcd, kubectl and kustomize, from their Go modules at the versions
# pinned in tools/k8s/go.mod. The binaries land in a cache folder outside the checkout,
#   ${TETHER_CACHE:-~/.cache/tether}/k8s/<kubernetes version>/
# and a second run with the same go.mod/go.sum does no work.
#
# Usage: tools/k8s/build.sh [--print-dir]
#   --print-dir   print the binaries' folder on stdout (for scripts), building first if needed;
#                 progress still goes to stderr
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
print_dir=false
[[ "${1:-}" == "--print-dir" ]] && print_dir=true
say() { echo "k8s: $*" >&2; }
fail() { echo "k8s: error: $*" >&2; exit 1; }

version=$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$here/go.mod")
[[ -n "$version" ]] || fail "no k8s.io/kubernetes version in $here/go.mod"
cache_root=${TETHER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tether}
dir="$cache_root/k8s/$version"
binaries=(kube-apiserver kube-controller-manager etcd kubectl kustomize)
# The stamp ties the cached binaries to the exact inputs that made them.
stamp=$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)

complete() {
  [[ -f "$dir/.stamp" && "$(cat "$dir/.stamp")" == "$stamp" ]] || return 1
  for b in "${binaries[@]}"; do [[ -x "$dir/$b" ]] || return 1; done
}

if complete; then
  say "Kubernetes $version binaries are up to date in $dir"
  $print_dir && echo "$dir"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "Go is not installed or not on PATH. Install Go $(awk '$1 == "go" { print $2 }' "$here/go.mod") or newer (https://go.dev/dl/) and run this again."
need=$(awk '$1 == "go" { print $2 }' "$here/go.mod")
have=$(go env GOVERSION | sed 's/^go//')
if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]]; then
  fail "Kubernetes $version needs Go $need or newer, but 'go' is $have. Install a newer Go and run this again."
fi

say "building Kubernetes $version parts (${binaries[*]}) with $(go env GOVERSION) into $dir"
say "a cold build downloads the modules and compiles for several minutes; later runs reuse the caches"
start=$SECONDS
cd "$here"
# Never let Go fetch a different toolchain behind our back; the check above explains a mismatch.
export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
mkdir -p "$cache_root/k8s"
if ! download_errors=$(go mod download 2>&1); then
  echo "$download_errors" >&2
  fail "could not download the Go modules from GOPROXY=$(go env GOPROXY). Check that the module proxy is reachable (or set GOPROXY to one that is) and run this again."
fi

minor=$(echo "$version" | cut -d. -f2)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kubectl \
  sigs.k8s.io/kustomize/kustomize/v5 \
  go.etcd.io/etcd/server/v3
# Go names a binary after the path element before a /vN suffix: etcd's server module becomes "server".
mv "$tmp/server" "$tmp/etcd"
echo "$stamp" > "$tmp/.stamp"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT

say "built in $((SECONDS - start)) s:"
for b in "${binaries[@]}"; do say "  $dir/$b"; done
$print_dir && echo "$dir"
exit 0
