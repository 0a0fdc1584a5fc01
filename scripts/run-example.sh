#!/usr/bin/env bash
# Set up, build mcusim and the bundled example firmware, and run it on the MAX32660.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release >&2
make -s -C firmware BOARD=max32660 >&2
exec .build/release/mcusim run --board max32660 firmware/build/max32660/hello.elf "$@"
