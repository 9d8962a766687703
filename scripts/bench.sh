#!/usr/bin/env bash
# npm run bench: toolchain, dependencies and build, then bench/run.ts (writes bench/RESULTS.md);
# `bash scripts/bench.sh <name>` (npm run bench:ceilings, bench:console, bench:profile, bench:engine-profile) runs bench/<name>.ts instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
. scripts/env.sh
bash scripts/npm-install.sh
npm run --silent build
exec node --import tsx "bench/${1:-run}.ts"
