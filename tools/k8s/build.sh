#!/usr/bin/env bash
# Builds the real Kubernetes parts that Tether's tests and benchmarks run against:
# kube-apiserver, kube-controller-manager, etcd, kubectl and kustomize, from their Go modules at the
# versions pinned in tools/k8s/go.mod, into ${TETHER_CACHE:-~/.cache/tether}/k8s/<kubernetes version>/
# (see tools/lib/go-binaries.sh for the cache and its stamp); and beside them tether-testnode, the
# test node that serves exec, attach and port-forward (tools/k8s/testnode: a Go module of its own with
# a stamp of its own, so changing it never rebuilds the Kubernetes binaries).
#
# Usage: tools/k8s/build.sh [--print-dir]
#   --print-dir   print the binaries' folder on stdout (for scripts), building first if needed;
#                 progress still goes to stderr
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
label=k8s
module=k8s.io/kubernetes
title=Kubernetes
binaries=(kube-apiserver kube-controller-manager etcd kubectl kustomize)

build_into() {
  local minor ldflags pkg
  minor=$(echo "$version" | cut -d. -f2)
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  go build -trimpath -ldflags "$ldflags" -o "$1/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl \
    sigs.k8s.io/kustomize/kustomize/v5 \
    go.etcd.io/etcd/server/v3
  # Go names a binary after the path element before a /vN suffix: etcd's server module becomes "server".
  mv "$1/server" "$1/etcd"
}

source "$here/../lib/go-binaries.sh"
source "$here/../lib/go-extra-binary.sh"
dir=$(go_binaries_main --print-dir)
go_extra_binary "$dir" "$here/testnode" tether-testnode
if [[ "${1:-}" == "--print-dir" ]]; then echo "$dir"; fi
