"""Shared ground of the models: the strict base model and the field types of rulesets and submissions.

The bottom of the model layer (docs/architecture.md): :mod:`.ruleset`, :mod:`.submission`
and :mod:`.findings` build on it. Numbers arrive as :class:`~decimal.Decimal` (TOML floats
are parsed through their text), and money carries its unit (元 or 万元) explicitly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from perfscore.errors import KeyedValueError

Comparison = Literal[">=", "<=", "=", "qualitative"]
MoneyUnit = Literal["元", "万元"]
FundSource = Literal["fiscal", "carry_over", "other", "unspecified"]

MONEY_UNITS_IN_YUAN: dict[str, Decimal] = {"元": Decimal(1), "万元": Decimal(10000)}
#: (a row's money unit, the library's) → the factor between them: the one conversion a
#: submission may ask for, checked at load and applied when scoring
MONEY_FACTORS: dict[tuple[str, str], Decimal] = {("元", "万元"): Decimal("0.0001"), ("万元", "元"): Decimal(10000)}

#: figures stay below 10^15 (15 digits before the point) ...
_WHOLE_LIMIT = Decimal(10) ** 15
#: ... and have at most 6 decimal places (trailing zeros aside)
_MICRO = Decimal("0.000001")


#: the Decimal of each int and positive float figure met (what :func:`checked_figure` makes
#: of it, already checked), so that the values a batch repeats (weights, targets, rates)
#: are made and checked once: a dict look-up instead of repr, Decimal and two comparisons.
#: Two tables, since 10 and 10.0 are one key but two Decimals (10, 10.0); positive floats
#: only, since 0.0 and -0.0 are too. Each is cleared when full.
_INT_FIGURES: dict[int, Decimal] = {}
_FLOAT_FIGURES: dict[float, Decimal] = {}
_FIGURES_KEPT = 4096
#: the bound of _WHOLE_LIMIT for an int, and for a float (a float below 1e15 has a
#: shortest text below 10^15, since that text reads back as the float)
_WHOLE_INT = 10**15
_WHOLE_FLOAT = 1e15


def checked_figure(value: Any) -> Any:
    """A submission's number, checked before pydantic makes it a Decimal.

    TOML tells numbers from strings, so "280" in quotes is a typo to report, not to guess
    at. Bounds are checked here with Decimal arithmetic in one call: pydantic's
    ``max_digits``/``decimal_places`` cost two Python calls a figure (docs/performance.md).
    The two kinds a parsed file holds come first: a whole number (no places to check) and
    a float already met (:data:`_FLOAT_FIGURES`); every other value takes the full path.
    """
    kind = type(value)
    if kind is int:
        figure = _INT_FIGURES.get(value)
        if figure is not None:
            return figure
        if -_WHOLE_INT < value < _WHOLE_INT:
            figure = Decimal(value)
            if len(_INT_FIGURES) >= _FIGURES_KEPT:
                _INT_FIGURES.clear()
            _INT_FIGURES[value] = figure
            return figure
    elif kind is float:
        figure = _FLOAT_FIGURES.get(value)
        if figure is not None:
            return figure
        figure = _checked_figure(value)
        if 0.0 < value < _WHOLE_FLOAT:  # (checked above: a figure within bounds)
            if len(_FLOAT_FIGURES) >= _FIGURES_KEPT:
                _FLOAT_FIGURES.clear()
            _FLOAT_FIGURES[value] = figure
        return figure
    return _checked_figure(value)


def _checked_figure(value: Any) -> Any:
    """:func:`checked_figure` for any value."""
    if isinstance(value, str):
        raise KeyedValueError("a number is expected here, not text in quotes", "number_in_quotes")
    if isinstance(value, float):  # numpy's float64 too
        value = Decimal(repr(float(value)))  # what pydantic does with a float: its shortest text
    elif isinstance(value, int) and not isinstance(value, bool):  # bools are pydantic's to refuse
        value = Decimal(int(value))
    if isinstance(value, Decimal) and value.is_finite():  # inf and nan are pydantic's to refuse
        if abs(value) >= _WHOLE_LIMIT:
            raise KeyedValueError("Decimal input should have no more than 15 digits before the decimal point", "too_many_digits")
        if value != value.quantize(_MICRO):
            raise KeyedValueError("Decimal input should have no more than 6 decimal places", "too_many_decimals")
    return value


#: A figure of a submission: never negative (counts, money, hours and rates are not), at
#: most 15 digits before the point and 6 after, so no input can overflow the arithmetic.
Figure = Annotated[Decimal, Field(ge=0), BeforeValidator(checked_figure)]
Count = Annotated[int, Field(strict=True, ge=0)]


class Strict(BaseModel):
    """Base: frozen, unknown keys are errors, Decimal stays Decimal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

