#!/usr/bin/env bash
# Measures what Scripts/setup.sh and Scripts/setup.sh --dev install on a fresh Debian 12:
# makes a minimal bookworm chroot with debootstrap (plus python3, git and a C compiler, as a
# machine that builds Swift has), copies it twice, runs each form of setup.sh in its copy and
# prints the time, the packages added, the download and the disk used. Needs root, debootstrap
# and the network to deb.debian.org; takes a few minutes and about 7 GB in WORK.
#
#   sudo bash Scripts/measure-install.sh [WORK]      (default WORK: /tmp/loupe-install)
#
# setup.sh ends with "swift is not on PATH" in the chroot (no toolchain there): that is expected,
# the measurement is of the packages.
set -euo pipefail
WORK=${1:-/tmp/loupe-install}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$WORK"
if [ ! -d "$WORK/base" ]; then
  debootstrap --variant=minbase --include=ca-certificates,python3,git,gcc,g++,make bookworm "$WORK/base" \
    http://deb.debian.org/debian >"$WORK/debootstrap.log"
fi
megabytes() { du -sm --exclude=archives "$1" | cut -f1; }   # unmounted; the .deb files counted apart
debs() { find "$1/var/cache/apt/archives" -name '*.deb' -printf '%s\n' | awk '{s += $1} END {printf "%d", s / 1048576}'; }
for form in render dev; do
  rm -rf "${WORK:?}/$form"
  cp -a "$WORK/base" "$WORK/$form"
  cp /etc/resolv.conf "$WORK/$form/etc/resolv.conf"
  cp "$ROOT/Scripts/setup.sh" "$WORK/$form/setup.sh"
  flag=; [ "$form" = dev ] && flag=--dev
  packages=$(chroot "$WORK/$form" dpkg -l | grep -c '^ii')
  size=$(megabytes "$WORK/$form") downloaded=$(debs "$WORK/$form")
  mount -t proc proc "$WORK/$form/proc"
  mount --bind /dev "$WORK/$form/dev"
  start=$(date +%s.%N)
  chroot "$WORK/$form" bash /setup.sh $flag >"$WORK/$form.log" 2>&1 || true
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  umount "$WORK/$form/proc" "$WORK/$form/dev"
  printf '%-6s %6.1f s  %4d packages  %5d MiB downloaded  %5d MiB on disk\n' "setup.sh${flag:+ $flag}" "$seconds" \
    $(($(chroot "$WORK/$form" dpkg -l | grep -c '^ii') - packages)) $(($(debs "$WORK/$form") - downloaded)) \
    $(($(megabytes "$WORK/$form") - size))
done
