#!/usr/bin/env bash
# Builds kubectl (k8s.io/kubernetes/cmd/kubectl) from the Go module proxy into the cache, when
# missing, and prints its path; only the benchmarks need it (bench/parts/sync.ts compares a cold
# sync with `kubectl apply --server-side`). It reuses the module kubernetes.sh writes, whose replace
# lines pin each k8s.io staging module to the release; kubectl also needs k8s.io/kubectl's own
# dependencies resolved, which `go mod tidy` does here.
set -euo pipefail

kubernetes_version=${TENANCY_KUBERNETES_VERSION:-v1.34.4}
cache=${TENANCY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenancy}
dest="$cache/kubectl-$kubernetes_version/bin/kubectl"
if [[ -x $dest ]]; then
  echo "$dest"
  exit 0
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/kubernetes.sh" >/dev/null
work="$cache/build/kubectl-$kubernetes_version"
mkdir -p "$work" "$(dirname "$dest")"
sed 's#^module .*#module tenancy.dev/toolchain/kubectl-build#' \
  "$cache/build/kubernetes-$kubernetes_version/kubernetes/go.mod" >"$work/go.mod"
printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kubectl"\n' >"$work/tools.go"
echo "tenancy kubectl: building kubectl $kubernetes_version" >&2
(cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 &&
  go build -trimpath -o "$dest.tmp" k8s.io/kubernetes/cmd/kubectl >&2) || {
  echo "tenancy kubectl: building kubectl failed (see above)." >&2
  exit 1
}
mv "$dest.tmp" "$dest"
echo "$dest"
