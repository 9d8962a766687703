#!/usr/bin/env bash
# Installs what tenancy needs into the cache when it is missing, and prints the folders to put first
# on PATH (one per line, Pulumi's before Node's). Progress and errors go to standard error.
#   Node.js: the machine's `node` when it is 22 or newer, otherwise Node 24 LTS from the npm registry.
#   Pulumi:  a `pulumi` on PATH whose version is the pin, otherwise the CLI built with Go from the Go
#            module proxy, with tenancy's Node language host and the dynamic-provider launcher.
# The pin is the exact @pulumi/pulumi version in package.json.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
toolchain="$root/scripts/toolchain"
cache=${TENANCY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tenancy}
node_major_min=22
node_install_spec=node@24

say() { echo "tenancy toolchain: $*" >&2; }
fail() {
  say "$1"
  shift
  for line in "$@"; do echo "  $line" >&2; done
  exit 1
}

pulumi_version=$(sed -n 's/^ *"@pulumi\/pulumi": *"\([0-9][0-9.]*\)".*/\1/p' "$root/package.json" | head -n 1)
[[ -n $pulumi_version ]] || fail "package.json must pin @pulumi/pulumi to an exact version (for example \"3.259.0\")."

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local system_node
  system_node=$(command -v node || true)
  if [[ -n $system_node ]] && (($(node_major "$system_node") >= node_major_min)); then
    dirname "$system_node"
    return
  fi
  local prefix="$cache/node24"
  local bin="$prefix/node_modules/node/bin"
  if [[ -x $bin/node ]] && (($(node_major "$bin/node") >= node_major_min)); then
    echo "$bin"
    return
  fi
  command -v npm >/dev/null ||
    fail "Node.js $node_major_min or newer is needed and npm is not available to install it." \
      "Install Node.js 24 LTS from https://nodejs.org/ and run this again."
  say "installing $node_install_spec from the npm registry into $prefix (the machine's node is ${system_node:-missing}${system_node:+ v$("$system_node" -p process.versions.node)})"
  rm -rf "$prefix.tmp"
  mkdir -p "$prefix.tmp"
  npm install --prefix "$prefix.tmp" --no-save --no-package-lock --no-fund --no-audit "$node_install_spec" >&2 ||
    fail "npm could not install $node_install_spec." "Install Node.js 24 LTS from https://nodejs.org/ and run this again."
  rm -rf "$prefix"
  mv "$prefix.tmp" "$prefix"
  say "node $("$bin/node" --version) ready"
  echo "$bin"
}

# The tool folder's name carries a digest of our own host and launcher sources, so a change to them
# builds a fresh folder instead of reusing a stale one.
toolchain_digest() {
  (cd "$toolchain" && cat langhost/go.mod langhost/go.sum langhost/*.go pulumi-resource-pulumi-nodejs) |
    sha256sum | cut -c1-12
}

ensure_pulumi() {
  local existing
  existing=$(command -v pulumi || true)
  if [[ -n $existing ]] && [[ $("$existing" version 2>/dev/null) == "v$pulumi_version" ]] &&
    command -v pulumi-language-nodejs >/dev/null && command -v pulumi-resource-pulumi-nodejs >/dev/null; then
    dirname "$existing"
    return
  fi
  local dest
  dest="$cache/pulumi-v$pulumi_version-$(toolchain_digest)"
  if [[ -x $dest/bin/pulumi && -x $dest/bin/pulumi-language-nodejs && -x $dest/bin/pulumi-resource-pulumi-nodejs ]]; then
    echo "$dest/bin"
    return
  fi
  command -v go >/dev/null ||
    fail "The Pulumi CLI v$pulumi_version is not installed and Go is not available to build it." \
      "Install the official CLI (https://www.pulumi.com/docs/install/) at version v$pulumi_version, or install Go 1.25+ and run this again."
  local langhost_sdk
  langhost_sdk=$(sed -n 's/^[[:space:]]*\(require \)\{0,1\}github.com\/pulumi\/pulumi\/sdk\/v3 \(v[0-9.]*\)$/\2/p' "$toolchain/langhost/go.mod" | head -n 1)
  [[ $langhost_sdk == "v$pulumi_version" ]] ||
    fail "scripts/toolchain/langhost/go.mod requires sdk/v3 $langhost_sdk but package.json pins v$pulumi_version; update one to match."

  say "building the Pulumi CLI v$pulumi_version with Go from the module proxy into $dest (several minutes on first run)"
  local work="$cache/build/pulumi-v$pulumi_version"
  mkdir -p "$work"
  local ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version"
  local mod_file
  mod_file=$(cd "$work" && go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$pulumi_version" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  [[ -f $mod_file ]] ||
    fail "the Go module proxy did not serve github.com/pulumi/pulumi/pkg/v3@v$pulumi_version." \
      "Pin a version it serves in package.json, or install the official CLI at that version."
  # The CLI's go.mod carries replace directives, which `go install mod@version` refuses, so it is
  # built from a throwaway module that requires it and repeats its non-local replaces.
  {
    echo "module tenancy.dev/toolchain/pulumi-build"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$mod_file")"
    echo
    echo "require github.com/pulumi/pulumi/pkg/v3 v$pulumi_version"
    echo
    grep -E '^replace .* => [^.][^ ]* v[^ ]+$' "$mod_file" || true
  } >"$work/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >"$work/tools.go"
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp/bin"
  (cd "$work" && GOFLAGS=-mod=mod go mod tidy >&2 &&
    go build -trimpath -ldflags "$ldflags" -o "$dest.tmp/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2) ||
    fail "building the Pulumi CLI failed (see above)." "Install the official CLI at version v$pulumi_version instead."
  say "building the Node language host"
  (cd "$toolchain/langhost" && go build -trimpath -ldflags "$ldflags" -o "$dest.tmp/bin/pulumi-language-nodejs" . >&2) ||
    fail "building the Node language host failed (see above)."
  install -m 0755 "$toolchain/pulumi-resource-pulumi-nodejs" "$dest.tmp/bin/pulumi-resource-pulumi-nodejs"
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  say "pulumi $("$dest/bin/pulumi" version) ready in $dest/bin"
  echo "$dest/bin"
}

mkdir -p "$cache"
node_bin=$(ensure_node)
# The language host and launcher find node on PATH.
PATH="$node_bin:$PATH"
pulumi_bin=$(ensure_pulumi)
echo "$node_bin"
echo "$pulumi_bin"
