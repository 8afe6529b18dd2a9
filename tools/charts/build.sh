#!/usr/bin/env bash
# Builds the real chart tooling that Tether's tests and benchmarks run against, from Go modules at
# the versions pinned in tools/charts/go.mod:
#   helm       the Helm CLI (the Helm release helm-java embeds): packages, indexes and pushes test
#              charts, and is the benchmark's `helm template | kubectl apply` reference
#   registry   the CNCF distribution registry: a real OCI registry for oci:// chart sources
# into ${TETHER_CACHE:-~/.cache/tether}/charts/<helm version>/ (see tools/lib/go-binaries.sh for the
# cache and its stamp).
#
# Usage: tools/charts/build.sh [--print-dir]
#   --print-dir   print the binaries' folder on stdout (for scripts), building first if needed;
#                 progress still goes to stderr
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
label=charts
module=helm.sh/helm/v3
title="Helm and the distribution registry"
binaries=(helm registry)

build_into() {
  # helm version prints what the release's own build stamps into it.
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$1/" \
    helm.sh/helm/v3/cmd/helm \
    github.com/distribution/distribution/v3/cmd/registry
}

source "$here/../lib/go-binaries.sh"
go_binaries_main "$@"
