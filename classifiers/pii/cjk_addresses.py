"""Street addresses written in Chinese, Japanese or Korean characters.

The address shapes of :mod:`classifiers.pii.profile` read Latin street words and house
numbers (``12 Main St``, ``Hauptstraße 5``); ``中山路123号``, ``東京都港区六本木6丁目10番1号``
and ``서울특별시 강남구 테헤란로 152`` have neither. :func:`cjk_address` reads such a value by
its markers: a street or block word (路, 街, 号, 丁目, 番地, 로, 길 ...) with a number, an
administrative division (省, 市, 区, 県, 특별시, 구 ...) or a second street word; or two
divisions and a number. Pure; no I/O.
"""

from __future__ import annotations

from typing import Final

from classifiers.scripts import is_cjk

#: Street, block and building words.
_STREET: Final = tuple(
    """路 街 道 巷 弄 号 號 段 樓 楼 座 丁目 番地 番 棟 室 로 길 거리 번길 번지 호""".split()
)
#: Administrative divisions.
_DIVISION: Final = tuple(
    """省 市 县 縣 区 區 都 府 県 郡 町 村 镇 鎮 乡 鄉 自治区
    특별시 광역시 도 시 군 구 읍 면 동 리""".split()
)
_MIN_CHARS: Final = 4
_MAX_CHARS: Final = 80


def cjk_address(text: str) -> bool | None:
    """Whether ``text`` reads as a street address in CJK characters.

    ``None`` when it holds no CJK character (or is too short or long to say); else whether
    it has a street word and, besides, a digit, an administrative division or a second
    street word, or two divisions and a digit. Pure.
    """
    value = text.strip()
    if len(value) < _MIN_CHARS or len(value) > _MAX_CHARS or value.isascii():
        return None
    if not any(is_cjk(ch) for ch in value):
        return None
    streets = sum(value.count(word) for word in _STREET)
    divisions = sum(1 for word in _DIVISION if word in value)
    digits = any(ch.isdigit() for ch in value)
    if not streets:
        # ``경상남도 천안시 동남구 개포232가 164``: divisions down to the block, a number.
        return divisions >= 2 and digits
    return streets >= 2 or digits or divisions >= 1


#: Endings of the first two words of a Korean address: a province or metropolitan city
#: (``경상남도``, ``서울특별시``), then a city, county or district (``원주시``, ``단양군``,
#: ``강남구``).
_KO_PROVINCE: Final = ("도", "시")
_KO_LOCALITY: Final = ("시", "군", "구")


def korean_address_head(text: str) -> bool:
    """Whether ``text`` is a Korean address that opens with two divisions. Pure.

    ``서울특별시 강남구 테헤란로 152``: a province or metropolitan city, then a city, county
    or district, and :func:`cjk_address` reads the whole. Korean prose has street words
    (``로`` is a particle) and numbers too, but does not open so.
    """
    words = text.split()
    if len(words) < 3:
        return False
    first, second = words[0], words[1]
    return (
        len(first) >= 2
        and len(second) >= 2
        and first.endswith(_KO_PROVINCE)
        and second.endswith(_KO_LOCALITY)
        and all("\uac00" <= ch <= "\ud7a3" for ch in first + second)
        and bool(cjk_address(text))
    )
