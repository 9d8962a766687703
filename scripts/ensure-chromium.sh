#!/usr/bin/env bash
# The console's browser tests and screenshots drive Debian's chromium through playwright-core (no
# browser download); install it when it is missing (as root, from Debian's packages). Prints its path.
set -euo pipefail
if path=$(command -v chromium); then
  echo "$path"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "tenancy: chromium is missing; install Debian's chromium package" >&2
  exit 1
fi
echo "tenancy: installing chromium from Debian's packages for the console tests" >&2
apt-get update >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2
command -v chromium
