#!/usr/bin/env bash
# Set up, then start the Dagster UI (dg dev) on the demo settings with the bundled DataCite
# emulator running, so runs launched from the UI reach a DataCite. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" VIRTUAL_ENV="$PWD/.venv"
exec heratio-doi ui "$@"
