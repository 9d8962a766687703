#!/usr/bin/env bash
# The GitOps step for an organisation declared with tenancy. Portable: any CI runs it the same way.
#
#   pipeline.sh preview   on a pull request: pulumi preview under the tenancy policy pack; fails on
#                         mandatory violations; writes a change summary (Markdown)
#   pipeline.sh up        on the main branch: pulumi up under the same policy pack
#
# Environment:
#   TENANCY_ENDPOINT   the control plane the provider talks to (required)
#   TENANCY_TOKEN      a token allowed to change the organisation; or, instead:
#   TENANCY_TOKEN_OUTPUT  the stack output holding the pipeline's own ApiToken (e.g. pipelineToken),
#                      read from the state at each run, so a rotated token is picked up by itself
#   PULUMI_BACKEND_URL                where the stack's state lives, plus the backend's own settings
#                                     (e.g. PULUMI_CONFIG_PASSPHRASE for a passphrase-encrypted stack)
#   PROGRAM_DIR    the Pulumi program (default: the working directory)
#   STACK          the stack (default: org)
#   POLICY_PACK    the policy pack folder (default: tenancy's policies/, from the program's node_modules)
#   SUMMARY_FILE   where the summary goes (default: $GITHUB_STEP_SUMMARY, else tenancy-summary.md)
set -euo pipefail

mode=${1:-}
case $mode in
  preview | up) ;;
  *)
    echo "usage: $0 preview|up" >&2
    exit 2
    ;;
esac
: "${TENANCY_ENDPOINT:?set TENANCY_ENDPOINT to the control plane (https://…)}"
program_dir=${PROGRAM_DIR:-$PWD}
stack=${STACK:-org}
if [[ -z ${TENANCY_TOKEN:-} && -n ${TENANCY_TOKEN_OUTPUT:-} ]]; then
  TENANCY_TOKEN=$(pulumi stack output "$TENANCY_TOKEN_OUTPUT" --show-secrets --cwd "$program_dir" --stack "$stack" --non-interactive)
  export TENANCY_TOKEN
fi
: "${TENANCY_TOKEN:?set TENANCY_TOKEN (or TENANCY_TOKEN_OUTPUT) to a token allowed to change the organisation}"
policy_pack=${POLICY_PACK:-$program_dir/node_modules/tenancy/policies}
summary=${SUMMARY_FILE:-${GITHUB_STEP_SUMMARY:-tenancy-summary.md}}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

common=(--cwd "$program_dir" --stack "$stack" --policy-pack "$policy_pack" --non-interactive --color never)
pulumi stack select --create "$stack" --cwd "$program_dir" --non-interactive >/dev/null
status=0
if [[ $mode == preview ]]; then
  pulumi preview --diff "${common[@]}" >"$log" 2>&1 || status=$?
else
  pulumi up --yes --skip-preview "${common[@]}" >"$log" 2>&1 || status=$?
fi
cat "$log"

# The summary: outcome, the change counts and the policy results, as pulumi printed them.
{
  echo "## tenancy $mode: $([[ $status -eq 0 ]] && echo passed || echo "failed (exit $status)")"
  echo
  echo '```'
  sed -n '/^Resources:/,/^$/p; /^Policies:/,/^$/p; /^Policy Packs run:/,/^$/p' "$log"
  grep -E '\[(mandatory|advisory|remediate)\]' "$log" | sed 's/^ *//' | head -50 || true
  grep -E '^\s*error:' "$log" | head -20 || true
  echo '```'
} >>"$summary"
exit "$status"
