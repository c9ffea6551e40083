"""Indicator values as 自评表 print them: "≥90户", "约79人", "90%-95%", "2023年12月底", "达到预期".

:func:`parse_value` reads one cell's text into a :data:`Value`: a :class:`Number` (comparator,
qualifier, an exact Decimal, a range's upper bound, a unit), a :class:`DateValue`, a
:class:`Qualitative` text or :class:`NotApplicable`; :func:`format_value` writes a value back
in one canonical form, and parsing that form gives back an equal value. Full-width digits,
points, signs and ％ are read as their ASCII forms; numbers go from text straight to Decimal,
never through float, and keep a submission's bounds (15 digits before the point, 6 after).
A text without any digit is qualitative; a text with digits that is not a value, or a
comparator symbol with no number after it, raises :class:`ValueTextError` (an
:class:`~perfscore.errors.InputError`) saying what was understood and what was expected, and
nothing else is raised for any text. docs/values.md lists every form read. This module
converts nothing: 万元 stays 万元 (with its exact scale in :attr:`Number.yuan_per_unit`), and
a figure becomes report text in :mod:`perfscore.numbers`.
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from perfscore.errors import InputError, KeyedValueError, Parts, Problem, fill

__all__ = [
    "COMPARATOR_WORDS",
    "COUNTING_UNITS",
    "MONEY_UNITS",
    "NOT_APPLICABLE_MARKS",
    "Comparator",
    "DateValue",
    "NotApplicable",
    "Number",
    "Qualifier",
    "Qualitative",
    "UnitKind",
    "Value",
    "ValueTextError",
    "format_value",
    "parse_value",
    "unit_kind",
]


class Comparator(enum.StrEnum):
    """How an actual is compared with a target; the value is the canonical symbol."""

    AT_LEAST = "≥"
    MORE_THAN = ">"
    AT_MOST = "≤"
    LESS_THAN = "<"
    EQUAL = "="


class Qualifier(enum.StrEnum):
    """A hedge on a figure: 约 about, 余 more than (60余次), 近 nearly."""

    ABOUT = "约"
    OVER = "余"
    NEARLY = "近"


#: every way a comparator is written before a figure (symbols after full-width forms are folded)
COMPARATOR_WORDS: dict[str, Comparator] = {
    "≥": Comparator.AT_LEAST, ">=": Comparator.AT_LEAST, "≧": Comparator.AT_LEAST, "⩾": Comparator.AT_LEAST,
    "不低于": Comparator.AT_LEAST, "不少于": Comparator.AT_LEAST, "不小于": Comparator.AT_LEAST,
    "大于等于": Comparator.AT_LEAST, "大于或等于": Comparator.AT_LEAST, "至少": Comparator.AT_LEAST,
    "达到": Comparator.AT_LEAST,
    ">": Comparator.MORE_THAN, "大于": Comparator.MORE_THAN, "高于": Comparator.MORE_THAN,
    "多于": Comparator.MORE_THAN, "超过": Comparator.MORE_THAN,
    "≤": Comparator.AT_MOST, "<=": Comparator.AT_MOST, "≦": Comparator.AT_MOST, "⩽": Comparator.AT_MOST,
    "不高于": Comparator.AT_MOST, "不超过": Comparator.AT_MOST, "不多于": Comparator.AT_MOST,
    "不大于": Comparator.AT_MOST, "小于等于": Comparator.AT_MOST, "小于或等于": Comparator.AT_MOST,
    "至多": Comparator.AT_MOST, "最多": Comparator.AT_MOST, "控制在": Comparator.AT_MOST,
    "<": Comparator.LESS_THAN, "小于": Comparator.LESS_THAN, "低于": Comparator.LESS_THAN,
    "少于": Comparator.LESS_THAN, "不足": Comparator.LESS_THAN, "不满": Comparator.LESS_THAN,
    "=": Comparator.EQUAL, "==": Comparator.EQUAL, "等于": Comparator.EQUAL,
}
#: comparators written after a figure ("90%以上"); 以上/以下/以内 include the figure itself,
#: as 民法典 第1259条 reads them
_SUFFIX_COMPARATORS: dict[str, Comparator] = {
    "以上": Comparator.AT_LEAST, "及以上": Comparator.AT_LEAST,
    "以下": Comparator.AT_MOST, "及以下": Comparator.AT_MOST,
    "以内": Comparator.AT_MOST, "之内": Comparator.AT_MOST, "内": Comparator.AT_MOST,
}
#: a comparator that only says "reach": a suffix after it ("达到90%以上") says which way
_WEAK_PREFIXES = frozenset({"达到"})
_PREFIX_QUALIFIERS = {"约": Qualifier.ABOUT, "大约": Qualifier.ABOUT, "近": Qualifier.NEARLY, "将近": Qualifier.NEARLY, "接近": Qualifier.NEARLY}
_MIDDLE_QUALIFIERS = {"余": Qualifier.OVER, "多": Qualifier.OVER}
_SUFFIX_QUALIFIERS = {"左右": Qualifier.ABOUT}

#: what a not-applicable cell holds
NOT_APPLICABLE_MARKS = frozenset({"/", "／", "\\", "—", "——", "-", "--", "－", "–", "无", "不适用", "N/A", "n/a", "NA"})

#: money units and how many 元 one of them is (exact; nothing here multiplies by it)
MONEY_UNITS: dict[str, Decimal] = {"元": Decimal(1), "千元": Decimal("1E3"), "万元": Decimal("1E4"), "亿元": Decimal("1E8")}
#: units of counts, durations, areas and weights; any of them or of the money units may be
#: divided by one of them ("元/人", "小时/户", "次/年")
COUNTING_UNITS = frozenset(
    "天 日 个工作日 工作日 周 个月 月 季度 年 小时 分钟 学时 课时 "
    "户 户次 人 人次 人日 名 位 个 个次 件 件次 次 项 项次 家 所 场 场次 期 批 批次 册 本 台 台次 辆 套 份 篇 "
    "部 支 组 班 校 处 座 栋 间 条 张 床 种 类 门 节 株 棵 头 只 "
    "亩 公顷 平方米 平方公里 立方米 米 公里 千米 千克 公斤 吨 分 个百分点 百分点 倍".split()
)
_PERCENT_UNITS = {"%": "%", "百分比": "%", "‰": "‰", "千分比": "‰"}
_UNIT_ALIASES = {"㎡": "平方米", "m²": "平方米", "k㎡": "平方公里", "km²": "平方公里", "m³": "立方米"}

UnitKind = Literal["none", "percent", "permille", "money", "count"]

# Full-width and look-alike forms folded before matching (the original text is kept for
# qualitative values and messages).
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        "．": ".", "，": ",", "％": "%", "＋": "+", "－": "-", "～": "~", "〜": "~", "—": "-", "–": "-",
        "＞": ">", "＜": "<", "＝": "=", "﹥": ">", "﹤": "<", "﹦": "=", "／": "/", "\u3000": " ", "\xa0": " ",
    }
)
_HAS_DIGIT = re.compile(r"[0-9]")
_NUMBER = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?"
_UNIT = r"[^0-9\s.,/\-~]{1,8}?(?:/[^0-9\s.,/\-~]{1,8}?)?"


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first (so 不超过 is tried before 超过)."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_PREFIX = rf"(?P<comparator>{_alternatives(COMPARATOR_WORDS)})?\s*(?P<qualifier>{_alternatives(_PREFIX_QUALIFIERS)})?\s*"
_SUFFIX = rf"\s*(?P<suffix_qualifier>{_alternatives(_SUFFIX_QUALIFIERS)})?(?P<suffix>{_alternatives(_SUFFIX_COMPARATORS)})?"
_NUMBER_VALUE = re.compile(
    rf"{_PREFIX}(?P<number>{_NUMBER})\s*(?P<middle>{_alternatives(_MIDDLE_QUALIFIERS)})?\s*(?:(?P<unit>{_UNIT})\s*)??"
    rf"(?:(?:-|~|至|到)\s*(?P<upper>{_NUMBER})\s*(?:(?P<upper_unit>{_UNIT})\s*)??)?{_SUFFIX}"
)
_DATE_PARTS = ("初", "上旬", "中旬", "下旬", "中", "底", "末")
_DATE_RELATIONS = {"前": Comparator.AT_MOST, "之前": Comparator.AT_MOST, "以前": Comparator.AT_MOST, "后": Comparator.AT_LEAST, "之后": Comparator.AT_LEAST, "以后": Comparator.AT_LEAST}
_DATE_VALUE = re.compile(
    rf"(?P<comparator>{_alternatives(COMPARATOR_WORDS)})?\s*(?:(?P<year>[0-9]{{4}})\s*年)?\s*(?:(?P<month>[0-9]{{1,2}})\s*月)?\s*(?:(?P<day>[0-9]{{1,2}})\s*日)?"
    rf"\s*(?P<part>{_alternatives(_DATE_PARTS)})?(?P<relation>{_alternatives(_DATE_RELATIONS)})?(?:完成)?"
)
# Chinese numerals where a figure is expected: "九十户", "百分之九十" are refused rather than
# taken as qualitative texts (which would earn full marks)
_CHINESE_FIGURE = re.compile(rf"(?:{_alternatives(COMPARATOR_WORDS)})?\s*(?:百分之[零〇一二三四五六七八九十百千万两点]+|[零〇一二三四五六七八九十百千万亿两点]+\s*(?:{_alternatives(COUNTING_UNITS | MONEY_UNITS.keys() | _PERCENT_UNITS.keys())})?)\s*")
_STARTS_WITH_SYMBOL = re.compile(r"\s*(?:[≥≧⩾≤≦⩽<>=])")
# pieces for explaining where an unreadable text stops being readable
_LEAD_COMPARATOR = re.compile(rf"\s*({_alternatives(COMPARATOR_WORDS)})")
_LEAD_QUALIFIER = re.compile(rf"\s*({_alternatives(_PREFIX_QUALIFIERS)})")
_LEAD_NUMBER = re.compile(rf"\s*({_NUMBER})")
_LEAD_MIDDLE = re.compile(rf"\s*({_alternatives(_MIDDLE_QUALIFIERS)})")
_LEAD_RANGE = re.compile(rf"(?:-|~|至|到)\s*({_NUMBER})")

#: the longest text read as a figure or date (the longest forms seen are under 30 characters)
_MAX_VALUE_LENGTH = 64
#: figures keep a submission's bounds (models.base.checked_figure)
_MAX_WHOLE_DIGITS = 15
_MAX_DECIMALS = 6


class ValueTextError(InputError):
    """A value's text cannot be read: what was understood, where it stopped, what was expected.

    The one exception :func:`parse_value` raises. It is an
    :class:`~perfscore.errors.InputError` (so a CLI run that lets it through exits 2 with its
    message, not a traceback); a caller that knows the cell or key path adds it with
    :meth:`located`.
    """

    def __init__(self, text: str, understood: tuple[str, ...], rest: str, expected: str, problem: Problem | None = None, *, expected_key: str | None = None, fields: tuple[tuple[str, str], ...] = ()):
        self.text = text
        self.understood = understood
        self.rest = rest
        self.expected = expected
        if problem is None:
            so_far = ", ".join(understood)
            if not so_far and not rest:
                detail, key = "it is empty", "value_empty"
            elif so_far and rest:
                detail, key = f"understood {so_far}, then {rest!r}", "value_understood_then"
            elif so_far:
                detail, key = f"understood {so_far}", "value_understood"
            else:
                detail, key = f"nothing understood at {rest!r}", "value_nothing_understood"
            # what was understood, each piece in the user's language (errors.value_read_*)
            pieces: Parts = [_understood_piece(piece) for piece in understood]
            problem = Problem(f"cannot read the value {text!r}: {detail}", expected=expected, key=key, expected_key=expected_key, fields=fill(text=repr(text), rest=repr(rest), understood=pieces) + fields)
        super().__init__(problem)

    def located(self, file: str | None, location: str | None) -> ValueTextError:
        """The same error with its file and location (a cell address or key path) filled in."""
        return ValueTextError(self.text, self.understood, self.rest, self.expected, replace(self.problems[0], file=file, location=location))


#: the words _read_before and _unreadable put before what they understood, and their entries
_UNDERSTOOD_WORDS = (("range to ", "value_read_range"), ("comparator ", "value_read_comparator"), ("qualifier ", "value_read_qualifier"), ("number ", "value_read_number"), ("unit ", "value_read_unit"))


def _understood_piece(piece: str) -> tuple[str, dict[str, object]]:
    """One understood piece ("number 90") as its catalogue entry and value."""
    if piece == "a date":
        return "value_read_date", {}
    for word, key in _UNDERSTOOD_WORDS:
        if piece.startswith(word):
            return key, {"value": piece.removeprefix(word)}
    return "value_read_other", {"value": piece}


@lru_cache(maxsize=512)
def unit_kind(unit: str) -> UnitKind | None:
    """What a canonical unit measures ("元/人" is money), or None for a unit not read here."""
    if unit == "":
        return "none"
    if unit == "%":
        return "percent"
    if unit == "‰":
        return "permille"
    numerator, slash, denominator = unit.partition("/")
    if slash and (denominator not in COUNTING_UNITS and denominator not in MONEY_UNITS):
        return None
    if numerator in MONEY_UNITS:
        return "money"
    if numerator in COUNTING_UNITS:
        return "count"
    return None


@lru_cache(maxsize=512)
def _canonical_unit(written: str) -> str | None:
    """The unit as written, made canonical ("百分比" → "%", "㎡" → "平方米"), or None if unknown."""
    written = written.replace(" ", "")
    if written in _PERCENT_UNITS:
        return _PERCENT_UNITS[written]
    numerator, slash, denominator = written.partition("/")
    unit = _UNIT_ALIASES.get(numerator, numerator) + (slash + _UNIT_ALIASES.get(denominator, denominator) if slash else "")
    return unit if unit_kind(unit) not in (None, "none", "percent", "permille") else None


def _is_qualitative_text(text: str) -> bool:
    """Whether :func:`parse_value` reads ``text`` as qualitative (the rule docs/values.md gives)."""
    folded = text.translate(_FOLD).strip()
    return (
        bool(folded)
        and folded not in NOT_APPLICABLE_MARKS
        and not _HAS_DIGIT.search(folded)
        and not _STARTS_WITH_SYMBOL.match(folded)
        and not (len(folded) <= _MAX_VALUE_LENGTH and _CHINESE_FIGURE.fullmatch(folded))
    )


@dataclass(frozen=True, slots=True)
class Number:
    """A figure: ``comparator qualifier number unit`` ("≥90户", "约79人"), or a range with ``upper``.

    A range ("90%-95%") has no comparator and no qualifier; both bounds share the unit.
    """

    number: Decimal
    unit: str = ""
    comparator: Comparator | None = None
    qualifier: Qualifier | None = None
    upper: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.number.is_finite() or self.number.is_signed():
            raise ValueError(f"a figure is a finite number not below 0, not {self.number}")
        if self.upper is not None:
            if not self.upper.is_finite() or self.upper < self.number:
                raise ValueError(f"a range's upper bound {self.upper} is below its lower bound {self.number}")
            if self.comparator is not None or self.qualifier is not None:
                raise ValueError("a range has no comparator and no qualifier")
        if unit_kind(self.unit) is None:
            raise ValueError(f"unknown unit {self.unit!r}")

    @property
    def kind(self) -> UnitKind:
        """What the unit measures: none, percent, permille, money or count."""
        kind = unit_kind(self.unit)
        assert kind is not None  # checked when made
        return kind

    @property
    def yuan_per_unit(self) -> Decimal | None:
        """How many 元 one of the (numerator) unit is, exactly: 1E4 for 万元 and 万元/户; None if not money."""
        return MONEY_UNITS.get(self.unit.partition("/")[0])


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date or deadline: "2023年12月底", "12月31日前" (``comparator`` ≤ for 前, ≥ for 后).

    ``part`` is the part of the month or year named: 初, 上旬, 中旬, 下旬, 中, 底 or 末.
    """

    year: int | None = None
    month: int | None = None
    day: int | None = None
    part: str | None = None
    comparator: Comparator | None = None

    def __post_init__(self) -> None:
        if self.year is not None and not 1000 <= self.year <= 9999:
            raise KeyedValueError(f"year {self.year} is not written with 4 digits", "date_year_digits", fill(year=self.year))
        if self.month is not None and not 1 <= self.month <= 12:
            raise KeyedValueError(f"there is no month {self.month}", "date_no_month", fill(month=self.month))
        if self.day is not None:
            if self.month is None:
                raise KeyedValueError("a day needs its month", "date_day_needs_month")
            try:
                datetime.date(self.year if self.year is not None else 2000, self.month, self.day)  # 2000: a leap year
            except ValueError:
                raise KeyedValueError(f"there is no day {self.day} in month {self.month}", "date_no_day", fill(day=self.day, month=self.month)) from None
        if self.part is not None and (self.part not in _DATE_PARTS or self.day is not None):
            raise KeyedValueError(f"{self.part!r} is not a part of a month or year (one of {', '.join(_DATE_PARTS)})", "date_part", fill(part=repr(self.part), known=", ".join(_DATE_PARTS)))
        if self.month is None and (self.year is None or self.part is None):
            raise KeyedValueError("a date names a month, or a year and a part of it (2023年底)", "date_incomplete")
        if self.year is None and self.day is None and self.part is None:
            raise KeyedValueError("a month alone is a duration, not a date: name its day, its part or its year", "date_month_alone")


@dataclass(frozen=True, slots=True)
class Qualitative:
    """A qualitative statement ("达到预期", "效果明显"): a text with no figure in it."""

    text: str

    def __post_init__(self) -> None:
        if self.text != self.text.strip() or not _is_qualitative_text(self.text):
            raise ValueError(f"{self.text!r} does not read back as a qualitative text")


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """A cell marked as not applicable ("/", "—", "-", "无"); ``mark`` is what it held."""

    mark: str = "/"

    def __post_init__(self) -> None:
        if self.mark not in NOT_APPLICABLE_MARKS:
            raise ValueError(f"{self.mark!r} is not a not-applicable mark")


Value = Number | DateValue | Qualitative | NotApplicable

_EXPECTED = "a value such as ≥90户, 约79人, 90%-95%, 2023年12月底, a text without figures (达到预期) or / for not applicable"
_EXPECTED_UNIT = "a unit (%, ‰, 元, 万元, 亿元, 户, 人, 人次, 个工作日, 元/人 … docs/values.md lists them) or 以上/以下/以内/左右 or a range's second figure"


def parse_value(text: str) -> Value:
    """One cell's text as a value; raises :class:`ValueTextError`, and only it, when unreadable."""
    folded = text.translate(_FOLD).strip()
    if not folded:
        raise ValueTextError(text, (), "", "a value; an empty cell is no value (write / when not applicable)", expected_key="expected_value_not_empty")
    if folded in NOT_APPLICABLE_MARKS:  # the marks' folded forms are in it too
        mark = text.strip()
        return NotApplicable(mark if mark in NOT_APPLICABLE_MARKS else folded)
    if not _HAS_DIGIT.search(folded):
        if _STARTS_WITH_SYMBOL.match(folded):
            raise _unreadable(text, folded)
        if len(folded) <= _MAX_VALUE_LENGTH and _CHINESE_FIGURE.fullmatch(folded):
            raise ValueTextError(text, (), text.strip(), "a figure written in digits (90户, 90%), not in Chinese numerals", expected_key="expected_digits")
        return Qualitative(text.strip())
    if len(folded) > _MAX_VALUE_LENGTH:  # no value is this long; the matchers never see such texts
        raise ValueTextError(text, (), f"{text.strip()[:20]}…", f"a value of at most {_MAX_VALUE_LENGTH} characters, or a text without figures", expected_key="expected_value_length", fields=fill(most=_MAX_VALUE_LENGTH))
    match = _NUMBER_VALUE.fullmatch(folded)
    if match is not None:
        unit, upper_unit = match.group(5, 7)
        # an unknown "unit" may be the rest of a date (2023年底) or of a sentence
        if (unit is None or _canonical_unit(unit) is not None) and (upper_unit is None or _canonical_unit(upper_unit) is not None):
            return _number(text, match)
    match = _DATE_VALUE.fullmatch(folded)
    if match is not None and (match["month"] or match["part"]):
        return _date(text, match)
    raise _unreadable(text, folded)


def _figure(text: str, written: str, understood: tuple[str, ...]) -> Decimal:
    """The Decimal a figure's text writes, within a submission's bounds."""
    digits = written.replace(",", "") if "," in written else written
    whole, _, decimals = digits.partition(".")
    if len(whole) > _MAX_WHOLE_DIGITS and len(whole.lstrip("0")) > _MAX_WHOLE_DIGITS:
        raise ValueTextError(text, understood, written, f"a figure with at most {_MAX_WHOLE_DIGITS} digits before the point", expected_key="expected_whole_digits", fields=fill(most=_MAX_WHOLE_DIGITS))
    if len(decimals) > _MAX_DECIMALS and len(decimals.rstrip("0")) > _MAX_DECIMALS:
        raise ValueTextError(text, understood, written, f"a figure with at most {_MAX_DECIMALS} decimal places", expected_key="expected_decimals", fields=fill(most=_MAX_DECIMALS))
    return Decimal(digits)


#: the parts of a figure's match in reading order, with the word an error message uses
_PARTS = (("comparator", "comparator"), ("qualifier", "qualifier"), ("number", "number"), ("middle", "qualifier"), ("unit", "unit"), ("upper", "range to"), ("upper_unit", "unit"), ("suffix_qualifier", "qualifier"), ("suffix", "comparator"))


def _read_before(match: re.Match[str], part: str) -> tuple[str, ...]:
    """What an error message says was understood: the matched parts before ``part``."""
    understood = []
    for name, label in _PARTS:
        if name == part:
            break
        if match[name]:
            understood.append(f"{label} {match[name]}")
    return tuple(understood)


def _number(text: str, match: re.Match[str]) -> Number:
    prefix, before, written, middle, unit_written, upper_written, upper_unit_written, after, suffix = match.groups()  # in _PARTS order
    number = _figure(text, written, ()) if len(written) < _MAX_WHOLE_DIGITS else _figure(text, written, _read_before(match, "number"))
    unit = _canonical_unit(unit_written) if unit_written else ""
    if upper_unit_written:
        upper_unit = _canonical_unit(upper_unit_written)
        if unit and upper_unit != unit:
            raise ValueTextError(text, _read_before(match, "upper_unit"), upper_unit_written, f"the same unit on both bounds of a range ({unit})", expected_key="expected_same_unit", fields=fill(unit=unit))
        unit = upper_unit
    assert unit is not None  # parse_value matched only known units
    qualifier = None
    if before or middle or after:
        qualifiers = [word for word in (before, middle, after) if word]
        if len(qualifiers) > 1:
            raise ValueTextError(text, _read_before(match, "suffix"), "".join(qualifiers), "at most one of 约, 余, 近, 左右", expected_key="expected_one_qualifier")
        qualifier = _PREFIX_QUALIFIERS.get(qualifiers[0]) or _MIDDLE_QUALIFIERS.get(qualifiers[0]) or _SUFFIX_QUALIFIERS[qualifiers[0]]
    comparator = COMPARATOR_WORDS[prefix] if prefix else None
    if suffix:
        following = _SUFFIX_COMPARATORS[suffix]
        if comparator is not None and comparator is not following and prefix not in _WEAK_PREFIXES:
            raise ValueTextError(text, _read_before(match, "suffix"), suffix, f"one comparator: {prefix} ({comparator}) before the figure disagrees with {suffix} ({following}) after it", expected_key="expected_one_comparator", fields=fill(prefix=prefix, comparator=comparator, suffix=suffix, following=following))
        comparator = following
    upper = None
    if upper_written is not None:
        if comparator is not None or qualifier is not None:
            raise ValueTextError(text, _read_before(match, "upper"), f"-{upper_written}", "a range (90%-95%) without a comparator or 约/余/近", expected_key="expected_plain_range")
        upper = _figure(text, upper_written, _read_before(match, "upper"))
        if upper < number:
            raise ValueTextError(text, _read_before(match, "upper"), upper_written, f"a range's upper bound not below its lower bound {written}", expected_key="expected_range_order", fields=fill(lower=written))
    return Number(number, unit, comparator, qualifier, upper)


def _date(text: str, match: re.Match[str]) -> DateValue:
    relation = _DATE_RELATIONS.get(match["relation"] or "")
    prefix = COMPARATOR_WORDS.get(match["comparator"] or "")
    if prefix is not None and relation is not None and prefix is not relation:
        raise ValueTextError(text, (f"comparator {match['comparator']}",), match["relation"], f"one comparator: {match['comparator']} disagrees with {match['relation']}", expected_key="expected_one_date_comparator", fields=fill(comparator=match["comparator"], relation=match["relation"]))
    year, month, day = (int(match[key]) if match[key] else None for key in ("year", "month", "day"))
    try:
        return DateValue(year, month, day, match["part"], relation or prefix)
    except ValueError as error:
        detail = (error.key, dict(error.fields)) if isinstance(error, KeyedValueError) else ("value_read_other", {"value": str(error)})
        raise ValueTextError(text, ("a date",), text.strip(), f"a real date: {error}", expected_key="expected_real_date", fields=fill(detail=[detail])) from None


def _unreadable(text: str, folded: str) -> ValueTextError:
    """The error for a text with a figure (or a comparator symbol) that is not a value: how far it reads."""
    understood: tuple[str, ...] = ()
    position = 0
    for pattern, label in ((_LEAD_COMPARATOR, "comparator"), (_LEAD_QUALIFIER, "qualifier"), (_LEAD_NUMBER, "number"), (_LEAD_MIDDLE, "qualifier")):
        lead = pattern.match(folded, position)
        if lead is not None:
            understood += (f"{label} {lead[1]}",)
            position = lead.end()
        elif label == "number":
            return ValueTextError(text, understood, folded[position:].strip(), "a number" if understood else _EXPECTED, expected_key="expected_a_number" if understood else "expected_value")
    rest, unit = _lead_unit(folded[position:].strip())
    if unit:
        understood += (f"unit {unit}",)
    separator = _LEAD_RANGE.match(rest)
    if separator is not None:
        understood += (f"range to {separator[1]}",)
        rest, unit = _lead_unit(rest[separator.end():].strip())
        if unit:
            understood += (f"unit {unit}",)
    return ValueTextError(text, understood, rest, _EXPECTED_UNIT, expected_key="expected_unit")


def _lead_unit(rest: str) -> tuple[str, str]:
    """The longest known unit at the start of ``rest``: (what follows it, the unit) or (rest, "")."""
    for length in range(min(len(rest), 8), 0, -1):
        canonical = _canonical_unit(rest[:length])
        if canonical is not None:
            return rest[length:].strip(), canonical
    return rest, ""


def format_value(value: Value) -> str:
    """A value in its canonical text: "≥90户", "约79人", "60余次", "90%-95%", "2023年12月底前", "达到预期"."""
    if isinstance(value, Number):
        number = format(value.number, "f")
        if value.upper is not None:
            return f"{number}{value.unit}-{format(value.upper, 'f')}{value.unit}"
        comparator = value.comparator.value if value.comparator is not None else ""
        if value.qualifier is Qualifier.OVER:
            return f"{comparator}{number}余{value.unit}"
        qualifier = value.qualifier.value if value.qualifier is not None else ""
        return f"{comparator}{qualifier}{number}{value.unit}"
    if isinstance(value, DateValue):
        text = "".join(f"{field}{word}" for field, word in ((value.year, "年"), (value.month, "月"), (value.day, "日")) if field is not None) + (value.part or "")
        if value.comparator is Comparator.AT_MOST:
            return f"{text}前"
        if value.comparator is Comparator.AT_LEAST:
            return f"{text}后"
        return f"{value.comparator.value if value.comparator is not None else ''}{text}"
    if isinstance(value, Qualitative):
        return value.text
    return value.mark
