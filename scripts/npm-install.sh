#!/usr/bin/env bash
# Installs the npm dependencies exactly as package-lock.json says, only when they are missing or the
# lock file changed since the last install. Expects scripts/env.sh to have been sourced.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stamp=node_modules/.tenancy-lock-sha256
want=$( (sha256sum package-lock.json; node --version) | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "tenancy: installing npm dependencies (npm ci)" >&2
  npm ci --no-fund --no-audit >&2
  echo "$want" >"$stamp"
fi
# The repository resolves `tenancy` as an installed dependency, as a user's program does: the
# example program imports it, and the providers it serializes require tenancy/dist/... from the
# program's folder when the engine runs them.
ln -sfn .. node_modules/tenancy
