"""PIL parity fixture for RGBImage.drawingText (LoupeImage's FreeType text drawing).

Writes Tests/LoupeImageTests/Fixtures/text_drawing.json: for each case, a word drawn with
PIL's ImageDraw.text in black on a white image with DejaVu Sans Bold, and what the Swift test
compares, since PIL places the baseline differently and bytes are not expected to match:

  ink_box     [left, top, right, bottom) of the pixels that are not 255 (right/bottom exclusive)
  total_ink   sum over those pixels of 255 - value, on the grey image

Both layout engines are recorded: "basic" is FreeType alone, like Loupe, but PIL 9.4 adds the
kern table's pixel deltas to advances kept in 1/64 pixel, so its kerning is 64 times too small
(AVATAR shows it); "raqm" shapes with HarfBuzz and kerns from GPOS.

Run from the repository root with Debian's Python (PIL 9.4 on FreeType 2.12, python3-pil):

    /usr/bin/python3 Scripts/parity/text_drawing.py
"""

import json
import os

import PIL
from PIL import Image, ImageDraw, ImageFont, features

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "LoupeImageTests", "Fixtures", "text_drawing.json")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
CASES = [
    # (text, pixel size, image width, image height)
    ("iPod", 40, 200, 80),
    ("typographic", 24, 200, 60),
    # Kerning pairs (A-V, V-A, A-T, T-A): the font's kern table and GPOS both have them.
    ("AVATAR", 40, 260, 80),
]
ENGINES = {"basic": ImageFont.Layout.BASIC, "raqm": ImageFont.Layout.RAQM}


def measure(image):
    """The ink box and total ink of a grey image drawn black on white."""
    width, height = image.size
    values = image.load()
    left, top, right, bottom, total = width, height, 0, 0, 0
    for y in range(height):
        for x in range(width):
            v = values[x, y]
            if v != 255:
                left, top = min(left, x), min(top, y)
                right, bottom = max(right, x + 1), max(bottom, y + 1)
                total += 255 - v
    return [left, top, right, bottom], total


def main():
    cases = []
    for text, size, width, height in CASES:
        for engine, layout in ENGINES.items():
            if layout == ImageFont.Layout.RAQM and not features.check("raqm"):
                continue
            font = ImageFont.truetype(FONT, size, layout_engine=layout)
            image = Image.new("L", (width, height), 255)
            # The middle of the image, anchored at the middle of the text's line box.
            ImageDraw.Draw(image).text((width // 2, height // 2), text, font=font, fill=0, anchor="mm")
            box, total = measure(image)
            cases.append(
                {"text": text, "pixel_size": size, "width": width, "height": height, "engine": engine, "ink_box": box, "total_ink": total}
            )
    fixture = {
        "generator": "Scripts/parity/text_drawing.py",
        "pil": PIL.__version__,
        "freetype": features.version("freetype2"),
        "font": FONT,
        "cases": cases,
    }
    with open(OUT, "w") as f:
        head = json.dumps({k: v for k, v in fixture.items() if k != "cases"}, indent=1)[:-2]
        rows = ",\n  ".join(json.dumps(case) for case in cases)
        f.write(f'{head},\n "cases": [\n  {rows}\n ]\n}}\n')
    for case in cases:
        print(case["text"], case["engine"], case["ink_box"], case["total_ink"])


if __name__ == "__main__":
    main()
