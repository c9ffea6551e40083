"""Finding and area-score models: the contract between the engine and plugins.

Plugins build them, the core validates them, the narrate and table stages read them.
Bilingual texts that come with the data (a finding's wording) are :class:`LocalText` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Literal

from pydantic import Field

from perfscore.models.base import Strict

@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with its unit of measure, as evidence is quoted (e.g. 113.89 %).

    A plain frozen dataclass rather than a pydantic model: a unit's findings make a hundred
    of these, and pydantic still checks them wherever a Finding is validated.
    """

    value: Decimal | str
    unit: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.value, (Decimal, str)) or not isinstance(self.unit, str):
            raise TypeError(f"Quantity(value={self.value!r}, unit={self.unit!r}): value must be a Decimal or str and unit a str (use perfscore.quantity())")
        if isinstance(self.value, Decimal) and not self.value.is_finite():  # could not be written in a report
            raise ValueError(f"Quantity(value={self.value!r}): a finite number is expected")


@dataclass(frozen=True, slots=True)
class LocalText:
    """A text in Chinese and in English."""

    zh: str
    en: str


class DeferredText(LocalText):
    """A :class:`LocalText` whose two texts are made on first read, by ``make() → (zh, en)``.

    Finding wordings and area-score explanations are deferred: a batch that only counts a
    unit's findings and reads its area scores never formats them (a fifth of a unit's
    find stage before; docs/performance.md). It reads, compares and hashes as the
    LocalText it stands for, and pickles and copies as one.
    """

    __slots__ = ("_make", "_texts")
    _make: Callable[[], tuple[str, str]] | None
    _texts: tuple[str, str] | None

    def __init__(self, make: Callable[[], tuple[str, str]] | None = None, zh: str | None = None, en: str | None = None):
        # zh and en given: made already (so that dataclasses.replace works as on a LocalText)
        object.__setattr__(self, "_make", make)
        object.__setattr__(self, "_texts", None if make is not None else (zh, en))

    def _made(self) -> tuple[str, str]:
        texts = self._texts
        if texts is None:
            make = self._make
            assert make is not None  # _make is dropped only once the texts are made
            texts = make()
            object.__setattr__(self, "_texts", texts)
            object.__setattr__(self, "_make", None)  # let the captured evidence go
        return texts

    @property
    def zh(self) -> str:
        return self._made()[0]

    @property
    def en(self) -> str:
        return self._made()[1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LocalText):
            return NotImplemented
        return (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))

    def __repr__(self) -> str:
        return f"LocalText(zh={self.zh!r}, en={self.en!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (LocalText, self._made())


class Finding(Strict):
    """Something a reader of the evaluation should know, with the numbers behind it."""

    id: str
    area: str | None = None
    severity: Literal["info", "warning", "problem"]
    project: str | None = None
    indicator: str | None = None
    evidence: dict[str, Quantity] = Field(default_factory=dict)
    title: LocalText
    problem: LocalText
    improvement: LocalText
    #: the plugin or rule that produced it, filled in by the core
    source: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity for merging duplicates and for stable ordering."""
        return (self.id, self.project or "", self.indicator or "")


SEVERITY_ORDER = {"problem": 0, "warning": 1, "info": 2}


class AreaScore(Strict):
    """An area's score: earned ÷ possible × 100 over the indicators it could assess."""

    area: str
    name: str
    name_en: str
    earned: Decimal
    possible: Decimal
    score: Decimal | None
    indicators: list[str] = Field(default_factory=list)
    explanation: LocalText
    source: str = ""
