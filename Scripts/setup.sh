#!/usr/bin/env bash
# Installs what Loupe needs on Debian 12, and nothing when it is already there.
#   C libraries: oneDNN, cmark, libpng, TurboJPEG, FreeType, zlib, LAPACKE + OpenBLAS (system-library targets of Package.swift)
#   Fonts: DejaVu (fonts-dejavu-core), whose DejaVuSans-Bold.ttf is the default font for drawing text on images
#   Test oracles: Debian's PyTorch 1.13, torchvision, PIL (Scripts/parity) and real photos
#   (darknet, python3-skimage) for the image and model parity tests; nbformat and Chromium to
#   check rendered notebooks and reports
# Safe to run again; needs root or sudo only when something is missing.
set -euo pipefail

PACKAGES=(libdnnl-dev libcmark-dev libpng-dev libturbojpeg0-dev libfreetype-dev zlib1g-dev liblapacke-dev libopenblas-dev pkg-config python3-torch python3-numpy
          fonts-dejavu-core python3-torchvision python3-pil python3-skimage darknet python3-pip python3-nbformat chromium)
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
