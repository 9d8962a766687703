#!/usr/bin/env bash
# npm run bench: toolchain, dependencies and build, then bench/run.ts (writes bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
. scripts/env.sh
bash scripts/npm-install.sh
npm run --silent build
exec node --import tsx bench/run.ts
