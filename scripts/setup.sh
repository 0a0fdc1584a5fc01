#!/usr/bin/env bash
# Installs what mcusim needs on a Debian/Ubuntu machine that has only the Swift toolchain:
# the C libraries it links (Unicorn, libelf, Capstone), pkg-config, and the Arm GCC + newlib
# that builds firmware. Uses sudo when not root. Safe to run repeatedly.
set -euo pipefail

packages=(libunicorn-dev libelf-dev libcapstone-dev pkg-config make gcc-arm-none-eabi libnewlib-arm-none-eabi)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "mcusim setup: installing ${missing[*]}" >&2
    if [[ $(id -u) -eq 0 ]]; then sudo=(); else sudo=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# The TensorFlow Lite interpreter, the independent reference for the model tests: a private
# virtual environment inside the checkout (git-ignored), with the NumPy 1.x it was built for.
venv="$(cd "$(dirname "$0")/.." && pwd)/.venv-reference"
if ! "$venv/bin/python" -c "import tflite_runtime.interpreter" 2>/dev/null; then
    echo "mcusim setup: installing the TFLite reference interpreter into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "numpy<2" "tflite-runtime==2.14.0" >&2
fi
