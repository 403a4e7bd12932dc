"""A plain reference of the sentence prior's pooled category cosine, for the tests to hold
:meth:`classifiers.business.encoder.SentenceEncoder.category_cosines` to."""

from __future__ import annotations

import numpy as np

from classifiers.business.encoder import FACET_POOLING_TEMPERATURE, SentenceEncoder


def own_cosines(encoder: SentenceEncoder, label: int, vector: np.ndarray) -> np.ndarray:
    """The cosines of ``vector`` with category ``label``'s prototype, then its facets'."""
    own = [encoder.prototypes[label] @ vector]
    own += [
        facet @ vector
        for facet, j in zip(encoder.facet_prototypes, encoder.facet_labels, strict=True)
        if j == label
    ]
    return np.array(own, dtype=np.float64)


def pooled_cosine(encoder: SentenceEncoder, label: int, vector: np.ndarray) -> float:
    """:func:`own_cosines` pooled the slow way: log of the mean of exp(t x cosine), over t."""
    t = FACET_POOLING_TEMPERATURE
    return float(np.log(np.mean(np.exp(t * own_cosines(encoder, label, vector)))) / t)
