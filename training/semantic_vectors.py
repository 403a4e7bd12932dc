"""Distil all-MiniLM-L6-v2 into static word vectors: ``training/data/semantic_vectors.npz``.

``python -m training.semantic_vectors`` (the ``training`` extra plus the model wheel, see
:mod:`training.minilm`; a few minutes on one core). Like model2vec: every lower-case word
piece of the model's vocabulary (``[a-z]+`` and ``##[a-z]+``; no digits, punctuation or
scripts a column name tokenised by :func:`classifiers.business.features.name_tokens` never
holds) is embedded alone (``[CLS] piece [SEP]``, mean-pooled, unit length), the rows are
centred and reduced by PCA to :data:`DIMENSIONS`, and stored as int8 with a scale per row.
Each category's prototype is the mean vector of its taxonomy name, description and keywords
(:func:`static_prototypes`).

``make train`` copies the committed file (it needs neither the model nor torch) into
``models/artifacts/business-semantic.npz``. Equal inputs give
equal bytes on one machine (one BLAS thread; :func:`classifiers.business.semantic.to_bytes`).
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifiers.business.features import name_tokens
from classifiers.business.semantic import SemanticVectors, to_bytes
from classifiers.business.taxonomy import Taxonomy, load_taxonomy

DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "semantic_vectors.npz"
#: PCA dimensions kept (of 384): enough for cosines with eleven prototypes, small on disk.
DIMENSIONS = 128
_PIECE = re.compile(r"(##)?[a-z]+")


def static_prototypes(vectors: SemanticVectors, taxonomy: Taxonomy) -> np.ndarray:
    """One unit vector per category, in the space of an object's words.

    The static vectors' mean of the category's name, description and keyword words. Pure.

    :raises ValueError: a category has no known word.
    """
    rows = []
    for c in taxonomy.categories:
        words = name_tokens(f"{c.name} {c.description} {' '.join(c.keywords)}")
        vec = vectors.text([(w, 1.0) for w in words])
        if vec is None:
            raise ValueError(f"category {c.name}: no word of its description is known")
        rows.append(vec)
    return np.array(rows, dtype=np.float32)


def artifact_bytes(data: bytes, taxonomy: Taxonomy | None = None) -> bytes:
    """The ``business-semantic.npz`` artifact; equal inputs give equal bytes.

    The vectors file's word vectors with the taxonomy's prototypes (:func:`static_prototypes`).

    :raises ValueError: the vectors file is malformed, or a category has no known word.
    """
    tax = taxonomy if taxonomy is not None else load_taxonomy()
    vectors = SemanticVectors.from_bytes(data)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["labels"] = np.array(tax.names)
    arrays["prototypes"] = static_prototypes(vectors, tax)
    return to_bytes(arrays)


def quantise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``x`` as int8 codes and a float32 scale per row (max-abs / 127). Pure."""
    scale = np.abs(x).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    codes = np.clip(np.rint(x / scale[:, None]), -127, 127).astype(np.int8)
    return codes, scale


def distil(model_dir: Path | None = None, dimensions: int = DIMENSIONS) -> dict[str, np.ndarray]:
    """The arrays of the vectors file (see the module doc).

    :raises training.minilm.ModelFilesError: the model is not installed.
    Side effects: loads the model (90 MB) and runs it on about 26,500 pieces.
    """
    from training.minilm import MiniLM

    model = MiniLM(model_dir)
    pieces = sorted((t, i) for t, i in model.vocab.items() if _PIECE.fullmatch(t))
    cls_id, sep_id = model.vocab["[CLS]"], model.vocab["[SEP]"]
    rows = [
        model.embed_ids([[cls_id, i, sep_id] for _, i in pieces[s : s + 256]])
        for s in range(0, len(pieces), 256)
    ]
    full = np.concatenate(rows).astype(np.float64)
    mean = full.mean(axis=0)
    # PCA by SVD of the centred rows; the sign of each component is fixed (largest loading
    # positive) so that equal inputs give equal bytes.
    _, _, vt = np.linalg.svd(full - mean, full_matrices=False)
    basis = vt[:dimensions]
    signs = np.sign(basis[np.arange(dimensions), np.abs(basis).argmax(axis=1)])
    basis = basis * signs[:, None]
    reduced = (full - mean) @ basis.T
    codes, scales = quantise(reduced)
    arrays = {
        "vocab": np.array([t.encode("ascii") for t, _ in pieces]),
        "codes": codes,
        "scales": scales,
        "mean": np.zeros(dimensions, dtype=np.float32),
        "labels": np.array(["none"]),
        "prototypes": np.zeros((1, dimensions), dtype=np.float32),
    }
    return arrays


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build and write the file (:func:`training.minilm.build_command`).

    :returns: 0, or 1 when the model is not installed.
    Side effects: writes ``--out``.
    """
    from training.minilm import build_command

    return build_command(
        argv,
        __doc__,
        DEFAULT_OUT,
        lambda model_dir: artifact_bytes(to_bytes(distil(model_dir))),
        "semantic_vectors",
    )


if __name__ == "__main__":
    sys.exit(main())
