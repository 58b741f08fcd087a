#!/usr/bin/env bash
# The README's test command: install dependencies, build, run every unit and end-to-end test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh build
ctest --test-dir build --output-on-failure -j "$(nproc)"
