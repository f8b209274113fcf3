#!/usr/bin/env bash
# Set up, then mint a generated sample archive's DOIs against the bundled DataCite emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/heratio-doi demo "$@"
