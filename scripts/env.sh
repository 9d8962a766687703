# shellcheck shell=bash
# Source this file (`. scripts/env.sh`) to put a supported Node.js and the pinned Pulumi CLI, with its
# Node language host and dynamic-provider launcher, first on PATH. Whatever is missing is installed
# into $TENANCY_CACHE (default ~/.cache/tenancy) by scripts/toolchain/install.sh; the first build of
# the CLI takes several minutes, later calls only check the cache.

tenancy_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if ! tenancy_paths=$(bash "$tenancy_root/scripts/toolchain/install.sh"); then
  echo "tenancy: the toolchain is not ready (see the messages above); PATH is unchanged." >&2
  unset tenancy_root tenancy_paths
  return 1 2>/dev/null || exit 1
fi
# install.sh prints the folders to put first on PATH, one per line, on its standard output.
while IFS= read -r tenancy_dir; do
  case ":$PATH:" in
    *":$tenancy_dir:"*) ;;
    *) PATH="$tenancy_dir:$PATH" ;;
  esac
done <<<"$tenancy_paths"
export PATH
# Nothing in tenancy's workflows needs the Pulumi Cloud or its update check.
export PULUMI_SKIP_UPDATE_CHECK=true
unset tenancy_root tenancy_paths tenancy_dir
