"""Decimal arithmetic, decided once.

Scores and money are :class:`decimal.Decimal`, never float, so a number printed twice
is the same number on every run and machine. Rounding is half-up to a ruleset-chosen
number of places (published tables round to 2), applied at the points the rules name:
each indicator score, the budget score, and each total.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

_QUANTUMS = {places: Decimal(1).scaleb(-places) for places in range(0, 9)}

ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
}


def quantize(value: Decimal, places: int = 2, rounding: str = "half_up") -> Decimal:
    """Round ``value`` to ``places`` decimals with the named rounding mode."""
    return value.quantize(_QUANTUMS[places], rounding=ROUNDING_MODES[rounding])
