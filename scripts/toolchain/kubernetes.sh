#!/usr/bin/env bash
# Builds the Kubernetes control plane the cluster tests run (kube-apiserver, kube-controller-manager
# and etcd) from the Go module proxy into the cache, when missing, and prints the folder holding
# them. Progress goes to standard error. The first build takes about ten minutes on two cores.
#   k8s.io/kubernetes v1.34.x, built from a throwaway module that pins each k8s.io staging module
#   (its go.mod replaces them with ./staging/...) to the matching v0.34.x;
#   etcd from go.etcd.io/etcd/server/v3, whose root is the etcd main package.
set -euo pipefail

kubernetes_version=${TENANCY_KUBERNETES_VERSION:-v1.34.4}
etcd_version=${TENANCY_ETCD_VERSION:-v3.6.6}
cache=${TENANCY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenancy}
dest="$cache/kubernetes-$kubernetes_version-etcd-$etcd_version"

say() { echo "tenancy kubernetes: $*" >&2; }
fail() {
  say "$1"
  exit 1
}

if [[ -x $dest/bin/kube-apiserver && -x $dest/bin/kube-controller-manager && -x $dest/bin/etcd ]]; then
  echo "$dest/bin"
  exit 0
fi
command -v go >/dev/null || fail "Go is needed to build the Kubernetes test binaries."

staging_version="v0.${kubernetes_version#v1.}"
work="$cache/build/kubernetes-$kubernetes_version"
mkdir -p "$work/kubernetes" "$work/etcd"
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp/bin"

say "building kube-apiserver and kube-controller-manager $kubernetes_version (staging modules $staging_version)"
mod_file=$(cd "$work/kubernetes" && go mod download -json "k8s.io/kubernetes@$kubernetes_version" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[[ -f $mod_file ]] || fail "the Go module proxy did not serve k8s.io/kubernetes@$kubernetes_version."
{
  echo "module tenancy.dev/toolchain/kubernetes-build"
  echo
  echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$mod_file")"
  echo
  echo "require k8s.io/kubernetes $kubernetes_version"
  echo
  # Each staging module the kubernetes module replaces with a local folder, pinned to its release.
  sed -n 's#^[[:space:]]*\(replace \)\{0,1\}\(k8s.io/[a-z0-9-]*\) => \./staging/src/k8s.io/[a-z0-9-]*$#\2#p' "$mod_file" |
    while read -r module; do echo "replace $module => $module $staging_version"; done
} >"$work/kubernetes/go.mod"
grep -q '^replace k8s.io/api ' "$work/kubernetes/go.mod" || fail "no staging replaces found in $mod_file."
printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n)\n' >"$work/kubernetes/tools.go"
(cd "$work/kubernetes" && GOFLAGS=-mod=mod go mod tidy >&2 &&
  go build -trimpath -o "$dest.tmp/bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2 &&
  go build -trimpath -o "$dest.tmp/bin/kube-controller-manager" k8s.io/kubernetes/cmd/kube-controller-manager >&2) ||
  fail "building the Kubernetes servers failed (see above)."

say "building etcd $etcd_version"
{
  echo "module tenancy.dev/toolchain/etcd-build"
  echo
  echo "go 1.24"
  echo
  echo "require go.etcd.io/etcd/server/v3 $etcd_version"
} >"$work/etcd/go.mod"
printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >"$work/etcd/tools.go"
(cd "$work/etcd" && GOFLAGS=-mod=mod go mod tidy >&2 &&
  go build -trimpath -o "$dest.tmp/bin/etcd" go.etcd.io/etcd/server/v3 >&2) ||
  fail "building etcd failed (see above)."

rm -rf "$dest"
mv "$dest.tmp" "$dest"
say "ready in $dest/bin"
echo "$dest/bin"
