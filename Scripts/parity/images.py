"""PIL / torchvision parity fixtures for LoupeImage.

Writes into Tests/LoupeImageTests/Fixtures/:

  decode/*.png, decode/*.jpg   small images covering every PNG layout (bit depths 1-16, grey,
                               grey+alpha, palette with tRNS, RGB, RGBA, Adam7 interlace, all
                               five row filters, several IDAT chunks, gAMA/sRGB/iCCP chunks
                               that PIL ignores, an eXIf chunk) and JPEG variants (4:4:4,
                               4:2:2, 4:2:0, progressive, grey, CMYK, EXIF orientations 1-8 in
                               both byte orders)
  decode.json                  for each: the RGB pixels PIL gives for
                               ImageOps.exif_transpose(Image.open(f)).convert("RGB")
  bad/*                        inputs that must be rejected (declared sizes beyond the limits,
                               a text file named .jpg)
  photos/*.png                 small crops of real photos (Debian darknet and scikit-image)
  resize.json                  torchvision Resize / CenterCrop results (uint8 pixels) and
                               ToTensor + Normalize(ImageNet) results for those crops
  photos.json                  summaries (CRC-32 of the bytes, channel means, sampled pixels)
                               of full-size photos through the ImageNet pipeline and CLIP's
                               bicubic Resize(224)+CenterCrop(224), checked by the Swift tests
                               only when the photo exists on the machine
  resample/*.png, resample.json  bicubic (and bilinear) PIL resizes of synthetic images: up,
                               down by non-integer factors, mixed, 1-pixel-wide, hard edges that
                               overshoot 0..255; expected outputs as PNGs, plus a 640x480 crop of
                               Notebooks/images/dog.jpg to a 224 shorter side (CRC-32 and samples)
  clip.json                    Notebooks/images/dog.jpg through OpenAI CLIP's / open_clip's
                               torchvision transform: the uint8 picture's CRC-32 and the
                               ToTensor+Normalize value of every (channel, byte), which with the
                               picture gives every element of torchvision's tensor

Deterministic: fixed seeds, no time stamps; rerunning gives identical files.
Run from the repository root with Debian's Python (PIL 9.4, torchvision 0.14):

    /usr/bin/python3 Scripts/parity/images.py
"""

import io
import json
import os
import struct
import warnings
import zlib

import numpy as np
import PIL
import torch
import torchvision
from PIL import Image, ImageOps
from torchvision import transforms as T

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "LoupeImageTests", "Fixtures")
GENERATOR = "Scripts/parity/images.py"
DARKNET = "/usr/share/darknet/data"
SKIMAGE = os.path.join(os.path.dirname(__import__("skimage.data").data.__file__))
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
NOTEBOOK_DOG = os.path.join(ROOT, "Notebooks", "images", "dog.jpg")
INTERPOLATION = {"bilinear": T.InterpolationMode.BILINEAR, "bicubic": T.InterpolationMode.BICUBIC}


def path(*parts):
    p = os.path.join(OUT, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write_json(name, value):
    with open(path(name), "w") as f:
        json.dump(value, f, separators=(",", ":"))
        f.write("\n")


def rgb_pixels(im):
    """Flat list of RGB bytes, row-major."""
    return list(np.asarray(im.convert("RGB"), dtype=np.uint8).reshape(-1).tolist())


def pil_decode(file):
    """What LoupeImage's default decoding must give: upright RGB."""
    with Image.open(file) as im:
        return ImageOps.exif_transpose(im).convert("RGB")


# ---------------------------------------------------------------- a PNG writer with full control

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pack_row(samples, bit_depth):
    """One row of samples (ints) as bytes for the given bit depth."""
    if bit_depth == 16:
        return b"".join(struct.pack(">H", int(v)) for v in samples)
    if bit_depth == 8:
        return bytes(int(v) for v in samples)
    per_byte = 8 // bit_depth
    out = bytearray()
    for i in range(0, len(samples), per_byte):
        byte = 0
        group = samples[i:i + per_byte]
        for j, v in enumerate(group):
            byte |= int(v) << (8 - bit_depth * (j + 1))
        out.append(byte)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp, first_filter):
    """Filters each packed row with types cycling 0..4, so every filter is exercised."""
    out = bytearray()
    prior = bytes(len(rows[0])) if rows else b""
    for i, row in enumerate(rows):
        ftype = (first_filter + i) % 5
        f = bytearray()
        for x, v in enumerate(row):
            a = row[x - bpp] if x >= bpp else 0
            b = prior[x]
            c = prior[x - bpp] if x >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
            f.append((v - pred) & 0xFF)
        out.append(ftype)
        out += f
        prior = row
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def make_png(samples, bit_depth, color_type, *, interlace=False, palette=None, trns=None,
             before_idat=(), after_idat=(), idat_size=97):
    """A PNG from an (h, w, channels) array of samples, with cycling row filters."""
    h, w, channels = samples.shape
    bpp = max(1, channels * bit_depth // 8)
    if interlace:
        raw = b""
        for p, (x0, y0, dx, dy) in enumerate(ADAM7):
            sub = samples[y0::dy, x0::dx]
            if sub.shape[0] == 0 or sub.shape[1] == 0:
                continue
            rows = [pack_row(sub[y].reshape(-1), bit_depth) for y in range(sub.shape[0])]
            raw += filter_rows(rows, bpp, p)
    else:
        rows = [pack_row(samples[y].reshape(-1), bit_depth) for y in range(h)]
        raw = filter_rows(rows, bpp, 0)
    data = zlib.compress(raw, 9)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, int(interlace)))
    for kind, payload in before_idat:
        out += chunk(kind, payload)
    if palette is not None:
        out += chunk(b"PLTE", bytes(int(v) for v in palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    for i in range(0, len(data), idat_size):
        out += chunk(b"IDAT", data[i:i + idat_size])
    for kind, payload in after_idat:
        out += chunk(kind, payload)
    return out + chunk(b"IEND", b"")


def tiff_orientation(value, big_endian=False, type_code=3):
    """A minimal TIFF structure (as in EXIF) whose first IFD holds only Orientation."""
    e = ">" if big_endian else "<"
    head = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    if type_code == 3:
        field = struct.pack(e + "H", value) + b"\0\0"
    else:
        field = struct.pack(e + "I", value)
    return head + struct.pack(e + "H", 1) + struct.pack(e + "HHI", 0x0112, type_code, 1) + field + struct.pack(e + "I", 0)


# ---------------------------------------------------------------- decode fixtures

def decode_fixtures():
    rng = np.random.default_rng(20240601)
    w, h = 13, 9
    cases = []

    def add(name, data, note):
        with open(path("decode", name), "wb") as f:
            f.write(data)
        im = pil_decode(path("decode", name))
        cases.append({"file": "decode/" + name, "note": note, "width": im.width, "height": im.height,
                      "pixels": rgb_pixels(im)})
        return im

    def rand(shape, high):
        return rng.integers(0, high, size=shape, endpoint=True)

    # Greyscale at every depth; the 16-bit ones straddle 255 to show PIL's clipping.
    for depth in (1, 2, 4, 8):
        add(f"grey{depth}.png", make_png(rand((h, w, 1), 2 ** depth - 1), depth, 0), f"{depth}-bit grey")
    add("grey8_trns.png", make_png(rand((h, w, 1), 255), 8, 0, trns=struct.pack(">H", 7)),
        "8-bit grey with a tRNS colour (ignored)")
    grey16 = rand((h, w, 1), 65535)
    grey16[0::2, :, 0] = rand((len(range(0, h, 2)), w), 400)
    im = add("grey16.png", make_png(grey16, 16, 0), "16-bit grey: PIL opens mode I and clips to 0..255")
    assert np.array_equal(np.asarray(im)[:, :, 0], np.minimum(grey16[:, :, 0], 255)), "PIL's 16-bit grey is not a clip"

    ga8 = rand((h, w, 2), 255)
    add("greyalpha8.png", make_png(ga8, 8, 4), "8-bit grey+alpha: alpha dropped")
    ga16 = rand((h, w, 2), 65535)
    im = add("greyalpha16.png", make_png(ga16, 16, 4), "16-bit grey+alpha: high byte")
    assert np.array_equal(np.asarray(im)[:, :, 0], ga16[:, :, 0] >> 8)
    add("greyalpha16_interlaced.png", make_png(ga16, 16, 4, interlace=True), "16-bit grey+alpha, Adam7")

    palette = rand(256 * 3, 255)
    add("palette8_trns.png", make_png(rand((h, w, 1), 255), 8, 3, palette=palette, trns=bytes(rand(200, 255).tolist())),
        "8-bit palette with tRNS (alpha dropped)")
    add("palette4.png", make_png(rand((h, w, 1), 15), 4, 3, palette=palette[:48]), "4-bit palette")
    add("palette1_interlaced.png", make_png(rand((h, w, 1), 1), 1, 3, palette=palette[:6], interlace=True),
        "1-bit palette, Adam7")
    add("palette2_trns_interlaced.png",
        make_png(rand((h, w, 1), 3), 2, 3, palette=palette[:12], trns=b"\x00\x80", interlace=True),
        "2-bit palette with tRNS, Adam7")

    rgb8 = rand((h, w, 3), 255)
    add("rgb8.png", make_png(rgb8, 8, 2), "8-bit RGB")
    add("rgb8_interlaced.png", make_png(rgb8, 8, 2, interlace=True), "8-bit RGB, Adam7")
    add("rgb8_trns.png", make_png(rgb8, 8, 2, trns=struct.pack(">HHH", *rgb8[0, 0])),
        "8-bit RGB with a tRNS colour that occurs (not composited)")
    gamma_chunks = [(b"gAMA", struct.pack(">I", 100000)),
                    (b"cHRM", struct.pack(">8I", 31270, 32900, 64000, 33000, 30000, 60000, 15000, 6000)),
                    (b"iCCP", b"junk profile\0\0" + zlib.compress(b"not a real ICC profile" * 4))]
    add("rgb8_gamma.png", make_png(rgb8, 8, 2, before_idat=gamma_chunks), "8-bit RGB with gAMA 1.0, cHRM, iCCP (ignored)")
    rgb16 = rand((h, w, 3), 65535)
    im = add("rgb16.png", make_png(rgb16, 16, 2), "16-bit RGB: high byte")
    assert np.array_equal(np.asarray(im), rgb16 >> 8)
    add("rgb16_srgb.png", make_png(rgb16, 16, 2, before_idat=[(b"sRGB", b"\0")]), "16-bit RGB with an sRGB chunk (ignored)")
    add("rgb16_gamma_interlaced.png",
        make_png(rgb16, 16, 2, interlace=True, before_idat=[(b"gAMA", struct.pack(">I", 45455))]),
        "16-bit RGB with gAMA, Adam7")

    rgba8 = rand((h, w, 4), 255)
    rgba8[0, :, 3] = 0
    add("rgba8.png", make_png(rgba8, 8, 6), "8-bit RGBA, some alpha 0: colour kept")
    rgba16 = rand((h, w, 4), 65535)
    rgba16[0::3, :, 3] = 65535
    rgba16[1, :, 3] = 0
    rgba16[2, ::2, 3] = 65535 - rand(len(range(0, w, 2)), 300)
    im = add("rgba16.png", make_png(rgba16, 16, 6), "16-bit RGBA, opaque rows 0,3,6 (exact), transparent row 1")
    assert np.array_equal(np.asarray(im), rgba16[:, :, :3] >> 8)
    add("rgba16_interlaced.png", make_png(rgba16, 16, 6, interlace=True), "16-bit RGBA, Adam7")

    add("rgb8_exif6.png", make_png(rgb8, 8, 2, after_idat=[(b"eXIf", tiff_orientation(6))]),
        "8-bit RGB with an eXIf chunk after the image data: orientation 6")

    # PIL-written files, the way most PNGs in the wild look.
    photo = Image.open(os.path.join(SKIMAGE, "chelsea.png")).convert("RGB").crop((200, 60, 231, 80))
    buf = io.BytesIO()
    photo.save(buf, "PNG")
    add("pil_rgb.png", buf.getvalue(), "PIL-written RGB")
    buf = io.BytesIO()
    photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=37).save(buf, "PNG", transparency=3)
    add("pil_palette_transparency.png", buf.getvalue(), "PIL-written adaptive palette, index 3 transparent")

    # JPEG: chroma subsampling, progressive, grey, CMYK, every EXIF orientation.
    jw, jh = 37, 23
    yy, xx = np.mgrid[0:jh, 0:jw]
    smooth = np.stack([xx * 255 // (jw - 1), yy * 255 // (jh - 1), (xx + yy) * 255 // (jw + jh - 2)], axis=-1)
    base = Image.fromarray(np.clip(smooth + rng.integers(-40, 40, size=smooth.shape), 0, 255).astype(np.uint8), "RGB")
    for label, sub in (("444", 0), ("422", 1), ("420", 2)):
        buf = io.BytesIO()
        base.save(buf, "JPEG", quality=90, subsampling=sub)
        add(f"rgb{label}.jpg", buf.getvalue(), f"JPEG 4:{label[1]}:{label[2]}")
    buf = io.BytesIO()
    base.save(buf, "JPEG", quality=85, progressive=True)
    add("progressive.jpg", buf.getvalue(), "progressive JPEG, 4:2:0")
    buf = io.BytesIO()
    base.convert("L").save(buf, "JPEG", quality=90)
    add("grey.jpg", buf.getvalue(), "greyscale JPEG")
    buf = io.BytesIO()
    cmyk = Image.fromarray(rng.integers(0, 255, size=(jh, jw, 4), endpoint=True).astype(np.uint8), "CMYK")
    cmyk.save(buf, "JPEG", quality=90)
    add("cmyk.jpg", buf.getvalue(), "CMYK JPEG (Adobe marker, inverted)")

    # A small asymmetric picture, so every orientation gives a different result.
    arrow = np.zeros((7, 12, 3), dtype=np.uint8)
    arrow[:, :, 0] = np.arange(12) * 20
    arrow[:, :, 1] = (np.arange(7) * 35)[:, None]
    arrow[0, 0] = [255, 255, 255]
    arrow_im = Image.fromarray(arrow, "RGB")
    for value in range(1, 9):
        buf = io.BytesIO()
        arrow_im.save(buf, "JPEG", quality=95, exif=b"Exif\0\0" + tiff_orientation(value))
        add(f"orientation{value}.jpg", buf.getvalue(), f"EXIF orientation {value}, little-endian")
    for value in (3, 6, 8):
        buf = io.BytesIO()
        arrow_im.save(buf, "JPEG", quality=95, exif=b"Exif\0\0" + tiff_orientation(value, big_endian=True))
        add(f"orientation{value}_big_endian.jpg", buf.getvalue(), f"EXIF orientation {value}, big-endian")
    buf = io.BytesIO()
    arrow_im.save(buf, "JPEG", quality=95, exif=b"Exif\0\0" + tiff_orientation(6, type_code=4))
    add("orientation6_long.jpg", buf.getvalue(), "EXIF orientation 6 stored as LONG")

    write_json("decode.json", {"generator": GENERATOR, "pil": PIL.__version__, "cases": cases})
    return cases


def bad_fixtures():
    """Inputs whose headers declare more pixels than Loupe decodes, and a text file named .jpg."""
    small = make_png(np.zeros((2, 2, 3), dtype=np.int64), 8, 2)
    ihdr = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    with open(path("bad", "huge_side.png"), "wb") as f:
        f.write(small[:8] + chunk(b"IHDR", ihdr) + small[8 + 25:])
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    with open(path("bad", "huge_area.png"), "wb") as f:
        f.write(small[:8] + chunk(b"IHDR", ihdr) + small[8 + 25:])
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buf, "JPEG", quality=90)
    jpeg = bytearray(buf.getvalue())
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", 40000, 40000)  # height, width
    with open(path("bad", "huge_side.jpg"), "wb") as f:
        f.write(jpeg)
    with open(path("bad", "text.jpg"), "w") as f:
        f.write("This is a text file, not a JPEG.\n")


# ---------------------------------------------------------------- resize / crop / tensor fixtures

def pipeline_transform(steps):
    ops = []
    for step in steps:
        if step["op"] == "resize":
            size = step["size"]
            mode = INTERPOLATION[step.get("interpolation", "bilinear")]
            ops.append(T.Resize(size if isinstance(size, int) else tuple(size), interpolation=mode))
        elif step["op"] == "center_crop":
            ops.append(T.CenterCrop(tuple(step["size"])))
        else:
            raise ValueError(step)
    return T.Compose(ops)


def exact_float32(v):
    """The float32 value as the shortest decimal of its double, which parses back exactly."""
    return float(np.float32(v))


def resize_fixtures():
    crops = [
        ("chelsea_97x131.png", os.path.join(SKIMAGE, "chelsea.png"), (150, 60, 247, 191)),
        ("dog_131x97.png", os.path.join(DARKNET, "dog.jpg"), (120, 180, 251, 277)),
        ("coffee_128x96.png", os.path.join(SKIMAGE, "coffee.png"), (250, 120, 378, 216)),
    ]
    pipelines = [
        ("Resize(64)", [{"op": "resize", "size": 64}]),
        ("Resize((40, 30))", [{"op": "resize", "size": [40, 30]}]),
        ("Resize((33, 97))", [{"op": "resize", "size": [33, 97]}]),
        ("Resize(80)+CenterCrop(64)", [{"op": "resize", "size": 80}, {"op": "center_crop", "size": [64, 64]}]),
        ("Resize((40, 30))+CenterCrop((45, 27)) (pads)", [{"op": "resize", "size": [40, 30]}, {"op": "center_crop", "size": [45, 27]}]),
        ("Resize((40, 30))+CenterCrop((36, 25)) (round half even)",
         [{"op": "resize", "size": [40, 30]}, {"op": "center_crop", "size": [36, 25]}]),
    ]
    extra = {
        "chelsea_97x131.png": [
            ("Resize((140, 50)) (mixed up/down)", [{"op": "resize", "size": [140, 50]}]),
            ("Resize((150, 110)) (upscale)", [{"op": "resize", "size": [150, 110]}]),
        ],
        "dog_131x97.png": [("Resize((48, 65)) (halve)", [{"op": "resize", "size": [48, 65]}])],
        "coffee_128x96.png": [("Resize(7)", [{"op": "resize", "size": 7}])],
    }
    cases, tensors = [], []
    for name, source, box in crops:
        crop = pil_decode(source).crop(box)
        crop.save(path("photos", name), "PNG")
        reloaded = Image.open(path("photos", name)).convert("RGB")
        assert rgb_pixels(reloaded) == rgb_pixels(crop)
        for label, steps in pipelines + extra.get(name, []):
            out = pipeline_transform(steps)(reloaded)
            cases.append({"name": f"{name} {label}", "source": "photos/" + name, "pipeline": steps,
                          "width": out.width, "height": out.height, "pixels": rgb_pixels(out)})
        steps = [{"op": "resize", "size": 60}, {"op": "center_crop", "size": [48, 48]}]
        t = T.Compose([pipeline_transform(steps), T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])(reloaded)
        tensors.append({"name": f"{name} Resize(60)+CenterCrop(48)+ToTensor+Normalize(ImageNet)",
                        "source": "photos/" + name, "pipeline": steps, "mean": IMAGENET_MEAN, "std": IMAGENET_STD,
                        "shape": [1] + list(t.shape), "data": [exact_float32(v) for v in t.reshape(-1).tolist()]})
    write_json("resize.json", {"generator": GENERATOR, "pil": PIL.__version__, "torchvision": torchvision.__version__,
                               "cases": cases, "tensors": tensors})


# ---------------------------------------------------------------- full photos, summarised

def summary(im, rng, samples=300):
    a = np.asarray(im, dtype=np.uint8)
    ys = rng.integers(0, im.height, size=samples)
    xs = rng.integers(0, im.width, size=samples)
    return {"width": im.width, "height": im.height, "crc32": zlib.crc32(a.tobytes()),
            "channel_means": [float(a[:, :, c].mean()) for c in range(3)],
            "samples": [[int(x), int(y)] + a[y, x].tolist() for x, y in zip(xs, ys)]}


def photo_fixtures():
    photos = [os.path.join(DARKNET, n) for n in ("dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg", "kite.jpg", "person.jpg")]
    photos += [os.path.join(SKIMAGE, n) for n in ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "motorcycle_left.png")]
    imagenet = [{"op": "resize", "size": 256}, {"op": "center_crop", "size": [224, 224]}]
    exact = [{"op": "resize", "size": [224, 224]}]
    entries = []
    for p in photos:
        if not os.path.exists(p):
            continue
        rng = np.random.default_rng(zlib.crc32(os.path.basename(p).encode()))
        decoded = pil_decode(p)
        entry = {"path": p, "decoded": summary(decoded, rng, samples=100), "pipelines": []}
        for label, steps in (("Resize(256)+CenterCrop(224)", imagenet), ("Resize((224, 224))", exact)):
            out = pipeline_transform(steps)(decoded)
            entry["pipelines"].append(dict(name=label, pipeline=steps, **summary(out, rng)))
        t = T.Compose([pipeline_transform(imagenet), T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])(decoded)
        idx = rng.integers(0, t.numel(), size=100)
        flat = t.reshape(-1)
        entry["tensor"] = {"pipeline": imagenet, "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "shape": [1] + list(t.shape),
                           "channel_means": [float(t[c].double().mean()) for c in range(3)],
                           "samples": [[int(i), exact_float32(flat[i])] for i in idx]}
        out = pipeline_transform(CLIP_PIPELINE)(decoded)
        entry["pipelines"].append(dict(name="Resize(224, bicubic)+CenterCrop(224)", pipeline=CLIP_PIPELINE, **summary(out, rng, 100)))
        entries.append(entry)
    write_json("photos.json", {"generator": GENERATOR, "pil": PIL.__version__, "torchvision": torchvision.__version__,
                               "photos": entries})


# ---------------------------------------------------------------- bicubic resampling and CLIP's transform

CLIP_PIPELINE = [{"op": "resize", "size": 224, "interpolation": "bicubic"}, {"op": "center_crop", "size": [224, 224]}]


def resample_sources(rng):
    """Small synthetic pictures: noisy gradients, hard edges, 1-pixel-wide strips."""
    yy, xx = np.mgrid[0:23, 0:37]
    smooth = np.stack([xx * 7, yy * 11, 255 - (xx + yy) * 4], axis=-1)
    noisy = np.clip(smooth + rng.integers(-60, 60, size=smooth.shape), 0, 255).astype(np.uint8)
    # Hard edges: 5-pixel black/white checks, saturated colour bars, a one-pixel white line,
    # a diagonal. The bicubic kernel's negative lobes overshoot 0..255 at every one of them.
    yy, xx = np.mgrid[0:40, 0:50]
    edges = np.where((((xx // 5) + (yy // 5)) % 2 == 0)[..., None], 255, 0).repeat(3, axis=-1)
    edges[:, 30:40] = [255, 0, 0]
    edges[:, 40:45] = [0, 0, 255]
    edges[20, :] = 255
    edges[(xx + yy) % 17 == 0] = [0, 255, 0]
    column = rng.integers(0, 256, size=(23, 1, 3))
    column[5:9] = 255
    column[9:12] = 0
    return {
        "noise_37x23.png": noisy,
        "edges_50x40.png": edges.astype(np.uint8),
        "column_1x23.png": column.astype(np.uint8),
        "row_23x1.png": column.transpose(1, 0, 2).astype(np.uint8),
    }


def overshoots(im, size):
    """Whether the unclipped bicubic resize (PIL's float mode, no rounding) leaves 0..255."""
    for band in im.split():
        out = np.asarray(band.convert("F").resize(size, Image.BICUBIC))
        if out.min() < -0.5 or out.max() > 255.5:
            return True
    return False


def resample_fixtures():
    rng = np.random.default_rng(20261204)
    sources = resample_sources(rng)
    for name, array in sources.items():
        Image.fromarray(array, "RGB").save(path("resample", name), "PNG")
    # (source, [height, width] or shorter side, filters, must the unclipped result overshoot?)
    plan = [
        ("noise_37x23.png", [11, 16], ("bicubic", "bilinear"), False),  # down by 2.3125 x 2.09
        ("noise_37x23.png", [61, 90], ("bicubic", "bilinear"), False),  # up by 2.43 x 2.65
        ("noise_37x23.png", [40, 9], ("bicubic",), False),  # narrower and taller
        ("noise_37x23.png", [1, 1], ("bicubic", "bilinear"), False),  # every pixel in one
        ("noise_37x23.png", 17, ("bicubic",), False),  # shorter side: 27x17 (int(27.35))
        ("edges_50x40.png", [179, 224], ("bicubic", "bilinear"), True),  # up by 4.48 x 4.475
        ("edges_50x40.png", [17, 23], ("bicubic",), True),  # down by 2.17 x 2.35
        ("edges_50x40.png", [40, 73], ("bicubic",), True),  # only the horizontal pass
        ("edges_50x40.png", [31, 50], ("bicubic",), True),  # only the vertical pass
        ("column_1x23.png", [11, 1], ("bicubic", "bilinear"), True),  # 1 pixel wide, down
        ("column_1x23.png", [50, 5], ("bicubic", "bilinear"), True),  # 1 pixel wide, up both ways
        ("row_23x1.png", [3, 40], ("bicubic",), True),  # 1 pixel tall, up
    ]
    cases = []
    for name, size, filters, overshoot in plan:
        source = Image.open(path("resample", name)).convert("RGB")
        assert rgb_pixels(source) == list(sources[name].reshape(-1))
        for interpolation in filters:
            steps = [{"op": "resize", "size": size, "interpolation": interpolation}]
            out = pipeline_transform(steps)(source)
            if interpolation == "bicubic" and overshoot:
                assert overshoots(source, out.size), f"{name} -> {out.size} does not exercise the clipping"
            label = f"{size[0]}x{size[1]}" if isinstance(size, list) else f"short{size}"
            expected = f"resample/{name[:-4]}_{label}_{interpolation}.png"
            out.save(path(expected), "PNG")
            cases.append({"name": f"{name} Resize({size}, {interpolation})", "source": "resample/" + name, "pipeline": steps,
                          "width": out.width, "height": out.height, "crc32": zlib.crc32(np.asarray(out).tobytes()),
                          "expected": expected})
    # A real photo: a 640x480 crop of the notebook dog to a 224 shorter side, 298x224 (int(298.67)).
    crop = pil_decode(NOTEBOOK_DOG).crop((64, 48, 704, 528))
    steps = [{"op": "resize", "size": 224, "interpolation": "bicubic"}]
    out = pipeline_transform(steps)(crop)
    assert out.size == (298, 224) and 224 * 640 / 480 == 298.6666666666667
    photo = dict(name="Notebooks/images/dog.jpg crop(64, 48, 704, 528) Resize(224, bicubic)", source="Notebooks/images/dog.jpg",
                 crop=[64, 48, 640, 480], pipeline=steps, **summary(out, rng))
    write_json("resample.json", {"generator": GENERATOR, "pil": PIL.__version__, "torchvision": torchvision.__version__,
                                 "cases": cases, "photo": photo})


def clip_fixture():
    """Notebooks/images/dog.jpg through CLIP's transform, every tensor element recoverable."""
    decoded = pil_decode(NOTEBOOK_DOG)
    picture = pipeline_transform(CLIP_PIPELINE)(decoded)
    normalize = T.Compose([T.ToTensor(), T.Normalize(CLIP_MEAN, CLIP_STD)])
    tensor = normalize(picture)
    # openai/CLIP's clip._transform and open_clip's image_transform (resize_mode "shortest"), spelled out.
    reference = T.Compose([T.Resize(224, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(224), T.ToTensor(),
                           T.Normalize(CLIP_MEAN, CLIP_STD)])(decoded)
    assert torch.equal(tensor, reference)
    # ToTensor and Normalize act on each element alone: a table of the 3 x 256 values they give
    # (from a 256x1 picture holding every byte) reproduces the whole tensor from the picture.
    ramp = Image.fromarray(np.arange(256, dtype=np.uint8)[None, :, None].repeat(3, axis=-1), "RGB")
    table = normalize(ramp)[:, 0, :]
    bytes_ = torch.from_numpy(np.asarray(picture).astype(np.int64)).permute(2, 0, 1)
    assert torch.equal(torch.gather(table, 1, bytes_.reshape(3, -1)).reshape(tensor.shape), tensor)
    rng = np.random.default_rng(224)
    flat = tensor.reshape(-1)
    idx = rng.integers(0, flat.numel(), size=200)
    write_json("clip.json", {
        "generator": GENERATOR, "pil": PIL.__version__, "torchvision": torchvision.__version__,
        "source": "Notebooks/images/dog.jpg", "pipeline": CLIP_PIPELINE, "mean": CLIP_MEAN, "std": CLIP_STD,
        "picture": summary(picture, rng, 100),
        "shape": [1] + list(tensor.shape),
        "channel_means": [float(tensor[c].double().mean()) for c in range(3)],
        "table": [[exact_float32(v) for v in row] for row in table.tolist()],
        "samples": [[int(i), exact_float32(flat[i])] for i in idx]})


if __name__ == "__main__":
    torch.set_num_threads(1)
    # PIL warns that palette transparency is dropped by convert("RGB"); dropping it is the point.
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    decode_fixtures()
    bad_fixtures()
    resize_fixtures()
    photo_fixtures()
    resample_fixtures()
    clip_fixture()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote fixtures to {os.path.relpath(OUT, ROOT)} ({total / 1e6:.2f} MB)")
