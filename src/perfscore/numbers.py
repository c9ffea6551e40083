"""The one place a number becomes text: money, rates, scores, counts and quoted figures.

Everything perfscore prints or writes passes its numbers through here, so that one figure
reads the same in the score table, the explanation, the report and a finding. Arithmetic
(rounding, Decimal contexts) is :mod:`perfscore.arithmetic`'s; this module only decides how
a computed value is written: 2 decimals for money and rates, rounded half up; counts as
integers; money in the submission's own money unit (元 or 万元), never re-scaled by a caller.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, localcontext

from perfscore.arithmetic import HUNDRED, ONE, quantize
from perfscore.messages import DEFAULT_LANGUAGE, catalogue, message
from perfscore.models import MONEY_UNITS_IN_YUAN, Quantity

#: how an absent value is written in every table and text
DASH = "—"

#: units whose figures are written with two decimals; the rest are counts
TWO_DECIMAL_UNITS = frozenset({"万元", "元", "%", "元/人", "元/人次", "元/户", "元/小时", "万元/人", "万元/户", "小时/户", "月/人", "件/人"})


def percent(ratio: Decimal | None, places: int = 2) -> str:
    """A ratio as a percentage: Decimal('1.1') → '110.00%'."""
    if ratio is None:
        return DASH
    return f"{quantize(ratio * HUNDRED, places)}%"


def plain(value: Decimal | None, places: int = 2) -> str:
    """A score or amount with fixed decimals: '25.00'; a dash when absent."""
    if value is None:
        return DASH
    return str(quantize(value, places))


def figure(value: Decimal | None) -> str:
    """A reported figure as the unit wrote it: integers without decimals, others normalised."""
    if value is None:
        return DASH
    if value == value.to_integral_value():
        return str(value.quantize(ONE))
    return format(value.normalize(), "f")


def quantity_text(quantity: Quantity, lang: str = DEFAULT_LANGUAGE) -> str:
    """99户 · 110.00% · 522.59万元 · 436.92元/人次: the way a Chinese report writes numbers.

    No space between a number and its unit, as 自评报告 write them; money and rates with
    2 decimals, counts as integers (a count that is not whole keeps 2 decimals). In English
    the unit is a word after a space, singular for one ("205 people", "1 household"), as
    the catalogue's ``units`` say; a hedged figure ("60余") puts its qualifier where the
    language does. It never fails: finding texts are filled when first read, outside the
    plugin that made them.
    """
    value, unit = quantity.value, quantity.unit
    if isinstance(value, str):
        hedge = _split_hedge(value)
        if hedge is not None:
            number, qualifier = hedge
            return hedged(number, qualifier, unit, lang)
        return f"{value}{unit_text(unit, None, lang)}"
    return f"{_number_text(value, unit)}{unit_text(unit, value, lang)}"


def _number_text(value: Decimal, unit: str) -> str:
    places = 2 if unit in TWO_DECIMAL_UNITS or value != value.to_integral_value() else 0
    # room for every digit before the point, however large the (finite) value
    with localcontext(prec=max(28, value.adjusted() + places + 2)):
        return str(quantize(value, places))


def unit_text(unit: str, value: Decimal | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A unit of measure as ``lang`` writes it after a number (人 → " people", " person"
    for one); a unit the catalogue does not list is written as given."""
    key = f"units.{unit}"
    known = catalogue()
    if not unit or key not in known:
        return unit
    if value == ONE and f"{key}.one" in known:
        key += ".one"
    return message(key, lang)


def unit_name(unit: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A (money) unit named on its own: 万元 → "10,000 yuan" in English ("Amounts in …")."""
    key = f"units.{unit}.name"
    return message(key, lang) if key in catalogue() else unit


#: the qualifiers a report hedges a figure with, and whether each stands before the number
_QUALIFIERS_BEFORE = ("约", "近")
_QUALIFIERS_AFTER = ("以上", "余")


def _split_hedge(text: str) -> tuple[Decimal, str] | None:
    """"60余" → (60, "余"), "约79" → (79, "约"); None for any other text."""
    for qualifier in _QUALIFIERS_BEFORE:
        if text.startswith(qualifier):
            number = _decimal(text[len(qualifier):])
            return None if number is None else (number, qualifier)
    for qualifier in _QUALIFIERS_AFTER:
        if text.endswith(qualifier):
            number = _decimal(text[: -len(qualifier)])
            return None if number is None else (number, qualifier)
    return None


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def in_money_unit(value_in_yuan: Decimal, money_unit: str, places: int = 2) -> Decimal:
    """An amount held in 元, expressed in ``money_unit`` and rounded: the value tables hold."""
    return quantize(value_in_yuan / MONEY_UNITS_IN_YUAN[money_unit], places)


def in_yuan(value: Decimal, money_unit: str) -> Decimal:
    """An amount written in ``money_unit`` (元 or 万元), in 元."""
    return value * MONEY_UNITS_IN_YUAN[money_unit]


def money(value_in_yuan: Decimal | None, money_unit: str, *, unit_separator: str | None = None) -> str:
    """An amount held in 元, written in ``money_unit`` with 2 decimals: '97.00'.

    With ``unit_separator`` the unit follows: '97.00万元' (``""``) or '97.00 万元' (``" "``).
    """
    if value_in_yuan is None:
        return DASH
    text = str(in_money_unit(value_in_yuan, money_unit))
    return text if unit_separator is None else f"{text}{unit_separator}{money_unit}"


def money_text(value_in_yuan: Decimal | None, money_unit: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """An amount held in 元, with its unit as ``lang`` writes it: '977.58万元', '977.58 ten-thousand yuan'."""
    if value_in_yuan is None:
        return DASH
    return str(in_money_unit(value_in_yuan, money_unit)) + unit_text(money_unit, None, lang)


def money_quantity(value_in_yuan: Decimal, money_unit: str) -> Quantity:
    """An amount held in 元 as evidence, in the submission's own money unit."""
    return Quantity(value=value_in_yuan / MONEY_UNITS_IN_YUAN[money_unit], unit=money_unit)


def money_factor(from_unit: str, to_unit: str) -> Decimal:
    """What one ``from_unit`` is in ``to_unit`` (元 → 万元: 0.0001; 万元 → 元: 10000).

    For arithmetic that must stay unrounded, such as the amounts finding rules compare in
    万元: a figure written in ``from_unit`` times this factor is the figure in ``to_unit``.
    """
    return MONEY_UNITS_IN_YUAN[from_unit] / MONEY_UNITS_IN_YUAN[to_unit]


def unrounded_in_money_unit(value_in_yuan: Decimal, money_unit: str) -> Decimal:
    """An amount held in 元, expressed in ``money_unit`` without rounding (for arithmetic;
    :func:`in_money_unit` rounds, as tables hold it)."""
    return value_in_yuan / MONEY_UNITS_IN_YUAN[money_unit]


def whole(value: int) -> str:
    """A whole number — a rank, a year, a count of rows, files or findings — as digits: '12'.

    No grouping and no decimals, as tables and notes write counts (the batch table's cells).
    """
    return str(value)


#: the quantum and rounding of :func:`table_cell`, bound once (the cell is a hot path);
#: decimal's rounding modes are these strings (decimal.ROUND_HALF_UP == "ROUND_HALF_UP")
_CELL_QUANTUM = Decimal("0.01")
_CELL_ROUNDING = "ROUND_HALF_UP"


def table_cell(value: Decimal | int | str | None) -> str:
    """A cell of a large table: a Decimal as :func:`plain` writes it ('25.00'), an integer as
    :func:`whole` does, a name as it is, a dash when absent.

    One call per cell with the rounding inlined, because a province's batch table has
    hundreds of thousands of cells (docs/performance.md): the same text as plain and whole.
    """
    if value is None:
        return DASH
    if isinstance(value, Decimal):
        return str(value.quantize(_CELL_QUANTUM, _CELL_ROUNDING))
    return str(value)


def as_written(value: Decimal | int | None) -> str:
    """A number exactly as it was written or computed, without re-rounding: a rule's setting
    (a weight of ``20.0`` stays '20.0'), a deduction, a score already rounded by the rules,
    a count. Explanations quote them so; an absent value reads 'None', as they always have."""
    return str(value)


#: how a target's comparison is written before it (a qualitative or unknown one is not)
COMPARISON_SYMBOLS = {">=": "≥", "<=": "≤", "=": "="}


def bound(comparison: str, quantity: Quantity, lang: str = DEFAULT_LANGUAGE) -> str:
    """A target with its comparison, as a report writes it: '≥90.00%', '≤436.92元/人次'.

    A comparison without a symbol (qualitative, or one a plugin added) writes the figure bare.
    """
    return COMPARISON_SYMBOLS.get(comparison, "") + quantity_text(quantity, lang)


def in_percent(ratio: Decimal, places: int = 2) -> Decimal:
    """A ratio as a rounded percentage value, Decimal('1.1') → Decimal('110.00'): what JSON holds."""
    return quantize(ratio * HUNDRED, places)


def hedged(value: Decimal | None, qualifier: str | None, unit: str = "", lang: str = DEFAULT_LANGUAGE) -> str:
    """A reported figure with the qualifier a report hedged it with, where the language puts
    it: 约 and 近 before the number ("约79人"), 余 and 以上 after the number and 余 before
    the unit ("60余次", never "60次余"); in English "more than 60 times". Without ``unit``
    the figure stands alone ("60余"), as evidence quotes it."""
    number = figure(value) if unit not in TWO_DECIMAL_UNITS or value is None else _number_text(value, unit)
    suffix = unit_text(unit, value, lang)
    if qualifier is None:
        return number + suffix
    key = f"qualifiers.{qualifier}"
    if key not in catalogue():
        return number + qualifier + suffix
    return message(key, lang, number=number, unit=suffix)


_CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一, 105 → 一百零五: as （一）（二）… are written."""
    if n <= 0:
        raise ValueError(f"item numbers start at 1, not {n}")
    if n < 10:
        return _CHINESE_DIGITS[n]
    if n < 20:
        return "十" + (_CHINESE_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CHINESE_DIGITS[n // 10] + "十" + (_CHINESE_DIGITS[n % 10] if n % 10 else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return _CHINESE_DIGITS[hundreds] + "百"
    if rest < 10:
        return _CHINESE_DIGITS[hundreds] + "百零" + _CHINESE_DIGITS[rest]
    tail = chinese_numeral(rest)
    return _CHINESE_DIGITS[hundreds] + "百" + ("一" + tail if tail.startswith("十") else tail)


def signed_figure(value: Decimal) -> str:
    """A difference as a figure with its sign when negative: 8 → '8', -1.5 → '−1.5'."""
    text = figure(abs(value))
    return f"−{text}" if value < 0 else text


def signed(value: Decimal) -> str:
    """Points added or taken away, always with their sign: '+2.00', '-1.50' (a review adjustment)."""
    text = plain(value)
    return text if text.startswith("-") else f"+{text}"


def moment(value: datetime.datetime) -> str:
    """A stored time as the log shows it: UTC to the second, '2026-12-03 10:15:00 UTC'."""
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def coordinate(value: float) -> str:
    """A position or length in a drawing (an SVG chart), to a tenth of a pixel: 12.5 → '12.5'."""
    return f"{value:.1f}"
