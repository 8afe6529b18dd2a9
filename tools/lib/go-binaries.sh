# Shared by the scripts that build real test parts from Go modules (tools/k8s/build.sh,
# tools/charts/build.sh): the cache folder outside the checkout, the stamp that ties cached binaries
# to the inputs that made them, the Go version check, the module download and the atomic move into
# place. A script sets these and then calls go_binaries_main "$@":
#   label      prefix of its messages ("k8s")
#   module     the Go module whose version names the cache folder ("k8s.io/kubernetes")
#   title      what is built, for messages ("Kubernetes"); the version is appended
#   binaries   the files the cache folder must hold
#   build_into a function that builds every binary into the folder given as $1 (with $version set)
# The binaries land in ${TETHER_CACHE:-~/.cache/tether}/<label>/<version>/, and a second run with the
# same go.mod, go.sum and scripts does no work.
#
# Usage of such a script: <script> [--print-dir]
#   --print-dir   print the binaries' folder on stdout (for scripts), building first if needed;
#                 progress still goes to stderr

say() { echo "$label: $*" >&2; }
fail() { echo "$label: error: $*" >&2; exit 1; }

go_binaries_main() {
  local print_dir=false
  [[ "${1:-}" == "--print-dir" ]] && print_dir=true
  version=$(awk -v m="$module" '$1 == m { print $2; exit }' "$here/go.mod")
  [[ -n "$version" ]] || fail "no $module version in $here/go.mod"
  local cache_root=${TETHER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tether}
  local dir="$cache_root/$label/$version"
  # The stamp ties the cached binaries to the exact inputs that made them.
  local stamp
  stamp=$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)

  if go_binaries_complete "$dir" "$stamp"; then
    say "$title $version: up to date in $dir"
    $print_dir && echo "$dir"
    return 0
  fi

  local need have
  need=$(awk '$1 == "go" { print $2 }' "$here/go.mod")
  command -v go >/dev/null 2>&1 || fail "Go is not installed or not on PATH. Install Go $need or newer (https://go.dev/dl/) and run this again."
  have=$(go env GOVERSION | sed 's/^go//')
  if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]]; then
    fail "$title $version needs Go $need or newer, but 'go' is $have. Install a newer Go and run this again."
  fi

  say "building $title $version (${binaries[*]}) with $(go env GOVERSION) into $dir"
  say "a cold build downloads the modules and compiles for minutes; later runs reuse the caches"
  local start=$SECONDS
  cd "$here"
  # Never let Go fetch a different toolchain behind our back; the check above explains a mismatch.
  export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
  mkdir -p "$cache_root/$label"
  local download_errors
  if ! download_errors=$(go mod download 2>&1); then
    echo "$download_errors" >&2
    fail "could not download the Go modules from GOPROXY=$(go env GOPROXY). Check that the module proxy is reachable (or set GOPROXY to one that is) and run this again."
  fi

  go_binaries_tmp="$dir.tmp.$$"
  rm -rf "$go_binaries_tmp"
  mkdir -p "$go_binaries_tmp"
  trap 'rm -rf "$go_binaries_tmp"' EXIT
  build_into "$go_binaries_tmp"
  echo "$stamp" > "$go_binaries_tmp/.stamp"
  go_binaries_complete "$go_binaries_tmp" "$stamp" || fail "the build did not make every one of: ${binaries[*]}"
  rm -rf "$dir"
  mv "$go_binaries_tmp" "$dir"
  trap - EXIT

  say "built in $((SECONDS - start)) s:"
  local b
  for b in "${binaries[@]}"; do say "  $dir/$b"; done
  $print_dir && echo "$dir"
  return 0
}

go_binaries_complete() {
  [[ -f "$1/.stamp" && "$(cat "$1/.stamp")" == "$2" ]] || return 1
  local b
  for b in "${binaries[@]}"; do [[ -x "$1/$b" ]] || return 1; done
}
