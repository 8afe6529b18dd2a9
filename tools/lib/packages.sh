# Sourced by tools/test.sh and tools/demo.sh: installs the Debian packages that are missing, and
# refreshes the package index only then. Needs root or sudo only when something is missing.
ensure_packages() {
  local missing=() p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    echo "all present: $*"
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "missing Debian packages ${missing[*]} and not root: install them and run again" >&2; return 1; }
    sudo="sudo"
  fi
  echo "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
