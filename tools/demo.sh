#!/usr/bin/env bash
# The README's main job: install dependencies, build, and run the complete sample into $1
# (default: a new temporary directory), ending with verify.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh build
dir=${1:-$(mktemp -d /tmp/ceremony-demo.XXXXXX)}
build/cli/ceremony demo "$dir"
