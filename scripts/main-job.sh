#!/usr/bin/env bash
# The main job: the example organisation (Pulumi.yaml at the root) goes up against the embedded
# store in .tenancy/, on a local file:// Pulumi backend in .tenancy/state.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
. scripts/env.sh
bash scripts/npm-install.sh
npm run --silent build
mkdir -p .tenancy/state
export PULUMI_BACKEND_URL="file://$PWD/.tenancy/state"
# The local backend encrypts stack secrets with this passphrase; set your own for real use.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-tenancy-example}"
stack=${TENANCY_STACK:-dev}
pulumi stack select --create "$stack" --non-interactive
pulumi up --yes --non-interactive
