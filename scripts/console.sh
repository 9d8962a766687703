#!/usr/bin/env bash
# Opens the console on the example organisation after the main job (scripts/main-job.sh): serves
# its embedded store at http://127.0.0.1:${TENANCY_CONSOLE_PORT:-7420}/ui/ and prints the token to
# sign in with, the example's own org-admin pipeline token (stack output pipelineToken). Ctrl-C stops
# it. Meanwhile the main job and the CLI go through it, on the folder's socket.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=env.sh
. scripts/env.sh
if [[ ! -d .tenancy/store ]]; then
  echo "tenancy: no example store in .tenancy/store: run bash scripts/main-job.sh first" >&2
  exit 1
fi
export PULUMI_BACKEND_URL="file://$PWD/.tenancy/state"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-tenancy-example}"
token=$(pulumi stack output pipelineToken --show-secrets --stack "${TENANCY_STACK:-dev}")
echo "tenancy: sign in at http://127.0.0.1:${TENANCY_CONSOLE_PORT:-7420}/ui/ with this token:"
echo "  $token"
exec node dist/cli/main.js serve --data .tenancy/store --port "${TENANCY_CONSOLE_PORT:-7420}"
