#!/usr/bin/env bash
# Set up and run the whole test suite (real Unicorn, libelf, arm-none-eabi-gcc and newlib).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests >&2
exec swift test --skip-build "$@"
