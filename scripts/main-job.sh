#!/usr/bin/env bash
# The main job: the example organisation (Pulumi.yaml at the root, examples/organisation/) goes up
# against the embedded store in .tenancy/ on a local file:// Pulumi backend, then a preview under
# the policy pack must show no changes and no violations, then the project × domain matrix.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
. scripts/env.sh
bash scripts/npm-install.sh
npm run --silent build
mkdir -p .tenancy/state
export PULUMI_BACKEND_URL="file://$PWD/.tenancy/state"
# The example stack's secrets (Pulumi.dev.yaml) are encrypted with this passphrase; use your own
# passphrase, or a secrets provider, for a real organisation.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-tenancy-example}"
export TENANCY_ENDPOINT="${TENANCY_ENDPOINT:-file://$PWD/.tenancy/store}"
stack=${TENANCY_STACK:-dev}
pulumi stack select --create "$stack" --non-interactive
pulumi up --yes --non-interactive
pulumi preview --policy-pack policies --expect-no-changes --non-interactive
echo
node dist/cli/main.js matrix
