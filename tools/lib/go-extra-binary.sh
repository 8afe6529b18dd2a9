# Builds one more program from a Go module of its own into a folder that tools/lib/go-binaries.sh
# filled (sourced after it: uses its say and fail), with a stamp of its own: changing that module
# rebuilds only this program, never the folder's other binaries, whose stamp does not cover it.
#
#   go_extra_binary <cache folder> <module folder> <binary name>
#
# The stamp (<cache folder>/.stamp-<binary>) covers the module's go.mod, go.sum and Go files and
# this script; a second run with the same inputs does no work.

go_extra_binary() {
  local dir=$1 src=$2 binary=$3 stamp
  stamp=$( (cd "$src" && cat go.mod go.sum $(find . -name '*.go' -not -name '*_test.go' | LC_ALL=C sort)) \
    | cat - "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
  if [[ -x "$dir/$binary" && -f "$dir/.stamp-$binary" && "$(cat "$dir/.stamp-$binary")" == "$stamp" ]]; then
    say "$binary: up to date in $dir"
    return 0
  fi
  local need have
  need=$(awk '$1 == "go" { print $2 }' "$src/go.mod")
  command -v go >/dev/null 2>&1 || fail "Go is not installed or not on PATH. Install Go $need or newer (https://go.dev/dl/) and run this again."
  have=$(go env GOVERSION | sed 's/^go//')
  if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]]; then
    fail "$binary needs Go $need or newer, but 'go' is $have. Install a newer Go and run this again."
  fi
  say "building $binary with $(go env GOVERSION) into $dir"
  local start=$SECONDS tmp="$dir/.$binary.tmp.$$"
  if ! (
    cd "$src"
    # As go-binaries.sh: no toolchain switch behind our back, go.sum as committed, a static binary.
    export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
    if ! errors=$(go mod download 2>&1); then
      echo "$errors" >&2
      fail "could not download the Go modules of $binary from GOPROXY=$(go env GOPROXY). Check that the module proxy is reachable (or set GOPROXY to one that is) and run this again."
    fi
    go build -trimpath -ldflags "-s -w" -o "$tmp" .
  ); then
    rm -f "$tmp"
    fail "could not build $binary from $src (see above)"
  fi
  # Moved into place whole, so a test starting it meanwhile never finds half a binary.
  mv -f "$tmp" "$dir/$binary"
  echo "$stamp" > "$dir/.stamp-$binary"
  say "built $dir/$binary in $((SECONDS - start)) s"
}
