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


#: South Korea's seventeen first-level divisions, in full (``경상남도``, ``서울특별시``,
#: ``강원특별자치도`` since 2023) and short (``경남``, ``서울``, ``서울시``): how a Korean address
#: opens.
_KO_PROVINCES: Final = frozenset(
    """서울특별시 부산광역시 대구광역시 인천광역시 광주광역시 대전광역시 울산광역시
    세종특별자치시 경기도 강원도 강원특별자치도 충청북도 충청남도 전라북도 전북특별자치도
    전라남도 경상북도 경상남도 제주특별자치도 제주도
    서울 부산 대구 인천 광주 대전 울산 세종 경기 강원 충북 충남 전북 전남 경북 경남 제주
    서울시 부산시 대구시 인천시 광주시 대전시 울산시 세종시""".split()
)
#: Endings of an address's second word: a city, county or district (``원주시``, ``단양군``,
#: ``강남구``).
_KO_LOCALITY: Final = ("시", "군", "구")


def korean_address_head(text: str) -> bool:
    """Whether ``text`` is a Korean address that opens with two divisions. Pure.

    ``서울특별시 강남구 테헤란로 152``: a first-level division (:data:`_KO_PROVINCES`), then a
    city, county or district, and :func:`cjk_address` reads the whole. Korean prose has
    street words (``로`` is a particle) and numbers too, and words ending as divisions do
    (``친구``, ``다시``), but does not open with a province.
    """
    words = text.split(maxsplit=2)
    if len(words) < 3 or words[0] not in _KO_PROVINCES:
        return False
    second = words[1]
    return (
        len(second) >= 2
        and second.endswith(_KO_LOCALITY)
        and all("\uac00" <= ch <= "\ud7a3" for ch in second)
        and bool(cjk_address(text))
    )
