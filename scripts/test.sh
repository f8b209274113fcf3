#!/usr/bin/env bash
# Set up, then run every check CI runs: lint, format, types, the code location, the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== ruff" && ruff check heratio_doi_pipelines heratio_doi_pipelines_tests benchmarks
ruff format --check heratio_doi_pipelines heratio_doi_pipelines_tests benchmarks
echo "== mypy" && mypy heratio_doi_pipelines
echo "== dagster definitions validate"
tmp_home=$(mktemp -d)
DAGSTER_HOME="$tmp_home" dagster definitions validate -w workspace.yaml
rm -rf "$tmp_home"
echo "== pytest"
exec pytest "$@"
