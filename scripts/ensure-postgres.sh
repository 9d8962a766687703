#!/usr/bin/env bash
# The API tests run a throwaway PostgreSQL cluster from Debian's server binaries; install them when
# they are missing (as root, from Debian's packages). Prints the folder of initdb and pg_ctl.
set -euo pipefail
find_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/initdb && -x $dir/pg_ctl ]] && { echo "$dir"; return 0; }
  done
  return 1
}
if bindir=$(find_bindir); then
  echo "$bindir"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "tenancy: PostgreSQL server binaries are missing; install Debian's postgresql-15 package" >&2
  exit 1
fi
echo "tenancy: installing postgresql-15 from Debian's packages for the API tests" >&2
apt-get update >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 >&2
find_bindir
