#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), runs every test suite, then builds and runs the
# examples against an installed copy (scripts/examples.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
(cd build && ctest --output-on-failure)
bash scripts/examples.sh
