#!/usr/bin/env bash
# Set up, then run every check CI runs: lint, format, types, the code location, the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" VIRTUAL_ENV="$PWD/.venv"
echo "== ruff" && ruff check heratio_doi_pipelines heratio_doi_pipelines_tests benchmarks
ruff format --check heratio_doi_pipelines heratio_doi_pipelines_tests benchmarks
echo "== mypy" && mypy heratio_doi_pipelines
echo "== dg check defs (every definition loads)"
tmp_home=$(mktemp -d)
printf 'telemetry:\n  enabled: false\n' >"$tmp_home/dagster.yaml"
DAGSTER_HOME="$tmp_home" dg check defs
rm -rf "$tmp_home"

# The MariaDB tests start their own server (as the mysql user, on a loopback port, in a
# temporary data directory): only the server binaries are needed. Install Debian's
# mariadb-server package when they are missing, without ever starting its system service.
need_mariadb() {
  [ -z "${HERATIO_TEST_MYSQL_URL:-}" ] || return 1
  local candidate
  for candidate in mariadbd mysqld /usr/sbin/mariadbd /usr/sbin/mysqld; do
    command -v "$candidate" >/dev/null 2>&1 && return 1
  done
  return 0
}
install_mariadb() {
  local sudo="" policy=/usr/sbin/policy-rc.d added_policy="" status=0
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "mariadb-server is missing: install it or set HERATIO_TEST_MYSQL_URL" >&2
      return 0 # the MariaDB tests then fail, saying the same
    }
    sudo=sudo
  fi
  echo "== installing mariadb-server for the MariaDB tests (its service stays stopped)"
  if [ ! -e "$policy" ]; then
    # exit 101: invoke-rc.d and deb-systemd-invoke start no service during the install
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    added_policy=1
  fi
  local install=($sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
    --no-install-recommends mariadb-server)
  if ! "${install[@]}" >/dev/null 2>&1; then
    { $sudo apt-get update -qq >/dev/null && "${install[@]}" >/dev/null; } || status=$?
  fi
  if [ -n "$added_policy" ]; then $sudo rm -f "$policy"; fi
  return "$status"
}
if need_mariadb; then install_mariadb; fi

echo "== pytest"
exec pytest "$@"
