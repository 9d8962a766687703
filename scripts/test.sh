#!/usr/bin/env bash
# The whole test suite: toolchain and dependencies, type checking, lint, then every tier
# (test/unit, test/api, test/faults, test/console, test/cluster, test/engine) in one mocha run. Extra arguments go to mocha.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
# shellcheck source=env.sh
. scripts/env.sh
bash scripts/npm-install.sh
echo "tenancy: node $(node --version), $(pulumi version 2>/dev/null | sed 's/^/pulumi /') ($(command -v pulumi))"
echo "tenancy: type checking and lint (eslint, prettier, the layers' arrows, the OpenAPI document)"
npx tsc -p tsconfig.json --noEmit
npx tsc -p console/tsconfig.json
npm run --silent lint
echo "tenancy: the Kubernetes test binaries for test/cluster (built from the Go module proxy when missing)"
bash scripts/toolchain/kubernetes.sh >/dev/null
echo "tenancy: building dist/ for the programs the engine tests run"
npm run --silent build
status=0
npx mocha --parallel --jobs "${TENANCY_TEST_JOBS:-2}" --reporter ./test/reporter.cjs \
  'test/unit/**/*.spec.ts' 'test/api/**/*.spec.ts' 'test/faults/**/*.spec.ts' 'test/console/**/*.spec.ts' 'test/cluster/**/*.spec.ts' 'test/engine/**/*.spec.ts' "$@" || status=$?
echo "tenancy: test suite took $((SECONDS - started)) s"
exit "$status"
