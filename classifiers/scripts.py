"""Which writing system a character is in: Han, Hangul, kana or other (pure).

Chinese, Japanese and Korean are written in scripts where one character is a whole syllable
(``王`` is a family name). The CJK name and address readers (``classifiers/pii/cjk_*.py``)
and the person mask (:mod:`classifiers.masking`) ask this module.
"""

from __future__ import annotations


def cjk_script(ch: str) -> str:
    """The script of ``ch``: ``"han"``, ``"hangul"``, ``"kana"`` or ``"other"``.

    Han: CJK ideographs and ``々`` (as in ``佐々木``); Hangul: syllables; kana: hiragana and
    katakana. Pure.
    """
    code = ord(ch)
    if 0x4E00 <= code <= 0x9FFF or code == 0x3005:
        return "han"
    if 0xAC00 <= code <= 0xD7A3:
        return "hangul"
    if 0x3040 <= code <= 0x30FF:
        return "kana"
    return "other"


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is a CJK ideograph, a Hangul syllable or kana. Pure."""
    return cjk_script(ch) != "other"
