"""How the word vectors read a word their vocabulary lacks: compound, prefix, log prefix."""

from __future__ import annotations

import numpy as np

from classifiers.business.semantic import SemanticVectors


def _vectors() -> SemanticVectors:
    vocab = ["##s", "code", "education", "educate", "educator", "l", "wage", "x", "zip", "zipper"]
    return SemanticVectors(
        vocab, np.eye(len(vocab), dtype=np.float32), ["a"], np.eye(1, len(vocab), dtype=np.float32)
    )


def test_a_known_word_is_itself() -> None:
    v = _vectors()
    assert v.rows("wage") == [v.index["wage"]]
    assert v.rows("l") == [v.index["l"]]


def test_a_compound_is_the_words_that_spell_it() -> None:
    v = _vectors()
    assert v.rows("zipcode") == [v.index["zip"], v.index["code"]]
    assert v.segments("zip") == [] and v.segments("zipx") == []


def test_a_cut_short_word_is_the_shortest_words_it_begins() -> None:
    v = _vectors()
    assert v.rows("educ") == [v.index["educate"], v.index["educator"], v.index["education"]]
    assert v.completions("ed") == []  # too short to say which word
    vec = v.word("educ")
    assert vec is not None and np.isclose(vec.sum(), 1.0) and vec[v.index["education"]] > 0


def test_a_one_letter_prefix_before_a_word_is_dropped() -> None:
    v = _vectors()
    assert v.rows("lwage") == [v.index["wage"]]
    assert v.rows("xcode") == [v.index["code"]]
    assert v.rows("lzip") == v.pieces("lzip")  # "zip" is too short a rest to trust


def test_anything_else_is_its_word_pieces() -> None:
    v = _vectors()
    assert v.rows("wages") == [v.index["wage"], v.index["##s"]]
    assert v.word("qq") is None
