"""A plain PyTorch BERT for the sentence-encoder parity and benchmark scripts.

Debian 12's torch 1.13 cannot run a current `transformers`, so this module re-implements what
`SentenceTransformer("all-MiniLM-L6-v2").encode(..., normalize_embeddings=True)` computes, from
the model's safetensors and Hugging Face's BertModel definition: word + position + token-type
embeddings and LayerNorm; per layer, multi-head self-attention with an additive padding mask
(torch.finfo(float32).min, as transformers), a dense projection + residual + LayerNorm, a GELU
(erf) feed-forward + residual + LayerNorm; then mean pooling over the attention mask and L2
normalisation (F.normalize, eps 1e-12). Only Debian's torch and numpy are needed.
"""

import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    """The tensors of a safetensors file (F32 and I64 only), by key."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    dtypes = {"F32": np.float32, "I64": np.int64}
    out = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        out[key] = torch.from_numpy(array.copy())
    return out


class SentenceBERT(torch.nn.Module):
    """ids [B, T] (int64) and mask [B, T] (int64) -> unit vectors [B, hidden]."""

    def __init__(self, state_dict, layers=6, heads=12, eps=1e-12):
        super().__init__()
        self.sd = state_dict
        self.layers, self.heads, self.eps = layers, heads, eps

    def forward(self, ids, mask):
        sd, eps, heads = self.sd, self.eps, self.heads
        batch, length = ids.shape
        width = sd["embeddings.word_embeddings.weight"].shape[1]
        size = width // heads

        def norm(x, prefix):
            return F.layer_norm(x, (width,), sd[prefix + ".weight"], sd[prefix + ".bias"], eps=eps)

        def dense(x, prefix):
            return F.linear(x, sd[prefix + ".weight"], sd[prefix + ".bias"])

        def split(x):
            return x.reshape(batch, length, heads, size).permute(0, 2, 1, 3)

        x = (sd["embeddings.word_embeddings.weight"][ids]
             + sd["embeddings.position_embeddings.weight"][:length][None]
             + sd["embeddings.token_type_embeddings.weight"][0])
        x = norm(x, "embeddings.LayerNorm")
        additive = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q, k, v = (split(dense(x, p + "attention.self." + name)) for name in ("query", "key", "value"))
            scores = q @ k.transpose(-1, -2) / math.sqrt(size) + additive
            mixed = (scores.softmax(-1) @ v).permute(0, 2, 1, 3).reshape(batch, length, width)
            attended = norm(dense(mixed, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            hidden = F.gelu(dense(attended, p + "intermediate.dense"))
            x = norm(dense(hidden, p + "output.dense") + attended, p + "output.LayerNorm")
        weights = mask[..., None].to(torch.float32)
        pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return F.normalize(pooled, p=2, dim=1)


def embed(state_dict, sequences):
    """Unit vectors of token-id sequences, padded to the longest, as a list of lists."""
    length = max(len(s) for s in sequences)
    ids = torch.zeros(len(sequences), length, dtype=torch.long)
    mask = torch.zeros(len(sequences), length, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence)
        mask[row, : len(sequence)] = 1
    with torch.no_grad():
        return SentenceBERT(state_dict)(ids, mask).tolist()
