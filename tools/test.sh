#!/usr/bin/env bash
# Tether's test command. On a fresh machine it installs what the tests need (idempotently),
# builds the real Kubernetes parts (cached outside the checkout), then builds Tether and runs
# every test. It prints how long each phase took.
#
# Usage: tools/test.sh [extra Maven arguments, e.g. -pl it -Dtest=KubectlSmokeTest]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)

phases=()
phase_start=$SECONDS
begin() { echo; echo "=== $1"; phase_start=$SECONDS; current=$1; }
end() { phases+=("$(printf '%-28s %5d s' "$current" $((SECONDS - phase_start)))"); }
summary() {
  echo
  echo "=== phase timings"
  for p in "${phases[@]}"; do echo "  $p"; done
}
trap summary EXIT

# --- 1. Debian packages: install only what is missing; refresh the index only then.
begin "packages"
# git (with git daemon) and openssh-server (sshd, never started as a service) for Git fixtures;
# chromium and its driver (with a font) for the web UI's tests; a JDK 17+ and Maven for the build;
# postgresql for the store's tests on PostgreSQL (the testkit runs its own cluster, never the service;
# util-linux's setpriv runs it as the package's postgres user when the tests run as root).
source tools/lib/packages.sh
ensure_packages git openssh-server chromium chromium-driver fonts-dejavu-core maven openjdk-17-jdk-headless ca-certificates procps \
  postgresql util-linux
# sshd run as root wants its privilege separation folder, which only the service would create.
if [[ $(id -u) -eq 0 && ! -d /run/sshd ]]; then
  mkdir -p /run/sshd && chmod 0755 /run/sshd
fi
end

# --- 2. Kubernetes parts from Go modules (a no-op once cached).
begin "kubernetes binaries"
TETHER_K8S_DIR=$(tools/k8s/build.sh --print-dir)
export TETHER_K8S_DIR
end

# --- 2b. Helm CLI and an OCI registry from Go modules, for chart sources (a no-op once cached).
begin "chart tools"
TETHER_CHARTS_DIR=$(tools/charts/build.sh --print-dir)
export TETHER_CHARTS_DIR

end

# --- 3. Build and test everything.
begin "maven verify"
mvn -B -ntp verify "$@"
end

# --- 4. Nothing the tests started may outlive them.
begin "leftover check"
leftovers=$( (pgrep -af "$repo/[^ ]*/target/" | grep -E 'etcd|kube-apiserver|kube-controller-manager|tether-testnode' || true
  pgrep -af 'git-daemon --reuseaddr --listen=127.0.0.1 .*--informative-errors' || true
  pgrep -af 'sshd -D -e -f .*/sshd_config' || true
  pgrep -af 'postgres.*tether-test-postgres' || true
  pgrep -af "$TETHER_CHARTS_DIR/registry serve" || true) | grep -v pgrep || true)
if [[ -n "$leftovers" ]]; then
  echo "test: processes started by the tests are still running:" >&2
  echo "$leftovers" >&2
  exit 1
fi
echo "none"
end
