"""Validated input models: rulesets and unit submissions.

These are the *load* stage's output. They are pydantic v2 models, frozen and strict about
unknown keys, so a typo in a TOML file is an error at its key path rather than a silently
ignored setting. Numbers arrive as :class:`~decimal.Decimal` (TOML floats are parsed
through their text), and money carries its unit (元 or 万元) explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Callable, Literal, Mapping

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

Comparison = Literal[">=", "<=", "=", "qualitative"]
MoneyUnit = Literal["元", "万元"]
FundSource = Literal["fiscal", "carry_over", "other", "unspecified"]

#: Chinese labels of the fund sources (资金来源), as tables print them.
FUND_SOURCE_NAMES: dict[str, tuple[str, str]] = {
    "fiscal": ("财政拨款", "fiscal appropriation"),
    "carry_over": ("上年结转", "carry-over"),
    "other": ("其他资金", "other funds"),
    "unspecified": ("未分列", "not split by source"),
}

MONEY_UNITS_IN_YUAN: dict[str, Decimal] = {"元": Decimal(1), "万元": Decimal(10000)}

#: figures stay below 10^15 (15 digits before the point) ...
_WHOLE_LIMIT = Decimal(10) ** 15
#: ... and have at most 6 decimal places (trailing zeros aside)
_MICRO = Decimal("0.000001")


def _figure(value: Any) -> Any:
    """A submission's number, checked before pydantic makes it a Decimal.

    TOML tells numbers from strings, so "280" in quotes is a typo to report, not to guess
    at. Bounds are checked here with Decimal arithmetic in one call: pydantic's
    ``max_digits``/``decimal_places`` cost two Python calls a figure (docs/performance.md).
    """
    if isinstance(value, str):
        raise ValueError("a number is expected here, not text in quotes")
    if isinstance(value, float):  # numpy's float64 too
        value = Decimal(repr(float(value)))  # what pydantic does with a float: its shortest text
    elif isinstance(value, int) and not isinstance(value, bool):  # bools are pydantic's to refuse
        value = Decimal(int(value))
    if isinstance(value, Decimal) and value.is_finite():  # inf and nan are pydantic's to refuse
        if abs(value) >= _WHOLE_LIMIT:
            raise ValueError("Decimal input should have no more than 15 digits before the decimal point")
        if value != value.quantize(_MICRO):
            raise ValueError("Decimal input should have no more than 6 decimal places")
    return value


#: A figure of a submission: never negative (counts, money, hours and rates are not), at
#: most 15 digits before the point and 6 after, so no input can overflow the arithmetic.
Figure = Annotated[Decimal, Field(ge=0), BeforeValidator(_figure)]
Count = Annotated[int, Field(strict=True, ge=0)]


class Strict(BaseModel):
    """Base: frozen, unknown keys are errors, Decimal stays Decimal."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- rulesets


class RulesetMeta(Strict):
    id: str
    name: str
    name_en: str | None = None
    version: str
    description: str | None = None
    extends: list[str] = Field(default_factory=list)


class Level2Def(Strict):
    name: str
    name_en: str


class Level1Def(Strict):
    name: str
    name_en: str
    level2: dict[str, Level2Def] = Field(default_factory=dict)
    order: int = 0


class BudgetRules(Strict):
    """预算执行率 scoring: score = weight × min(rate, cap), rounded to ``places``."""

    counted_sources: list[FundSource] = Field(default_factory=lambda: ["fiscal", "carry_over", "other", "unspecified"])
    basis: Literal["all", "own_level"] = "all"
    cap: Decimal = Field(default=Decimal(1), gt=0)
    places: int = Field(default=2, ge=0, le=4)
    reason_below: Decimal = Field(default=Decimal("0.9"), ge=0)
    reason_above: Decimal = Field(default=Decimal(1), ge=0)


class OverCompletionRules(Strict):
    """What happens when actual ÷ target reaches ``threshold`` on a higher-is-better row."""

    threshold: Decimal = Field(default=Decimal("1.3"), gt=0)
    action: Literal["cap", "require_reason", "reduce"] = "require_reason"
    #: with action = "reduce": points lost per unit of completion past the threshold, as a share of weight
    reduce_factor: Decimal = Field(default=Decimal(1), ge=0)


class Tier(Strict):
    id: str
    name: str
    name_en: str
    min: Decimal = Field(ge=0, le=1)
    max: Decimal = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Tier:
        if self.min > self.max:
            raise ValueError(f"tier {self.id}: min {self.min} is above max {self.max}")
        return self


class QualitativeRules(Strict):
    tiers: list[Tier]


class Band(Strict):
    """One band of banded points: completion ≥ ``min`` earns ``share`` of the weight."""

    min: Decimal = Field(ge=0)
    share: Decimal = Field(ge=0, le=1)


class DeductionRule(Strict):
    """扣分: ``points`` per ``step`` of shortfall (≥) or excess (≤), never below ``floor``."""

    step: Decimal = Field(gt=0)
    points: Decimal = Field(gt=0)
    floor: Decimal = Field(default=Decimal(0), ge=0)


class GradeBand(Strict):
    grade: str
    name_en: str
    min: Decimal


class ArithmeticRules(Strict):
    places: int = Field(default=2, ge=0, le=4)
    rounding: Literal["half_up", "half_even", "down", "up"] = "half_up"


class IndicatorDef(Strict):
    """One entry of the indicator library (指标库)."""

    id: str
    name: str
    name_en: str
    area: str
    level1: str
    level2: str
    unit: str
    comparison: Comparison
    default_weight: Decimal = Field(default=Decimal(1), gt=0)
    method: str | None = None
    bands: list[Band] | None = None
    deduction: DeductionRule | None = None
    #: a unit with a project in this area must report this indicator
    required: bool = False
    source: str = "ruleset"


class AreaDef(BaseModel):
    """A work area (业务领域). Extra keys are the area plugin's settings (thresholds, minimums)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    name_en: str

    @model_validator(mode="after")
    def _settings_are_scalars(self) -> AreaDef:
        # A table or list here is almost always a TOML scoping slip (a key written after
        # [areas.x] that was meant for the top level), so it is refused rather than kept.
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, (dict, list)):
                raise ValueError(f"area setting {key!r} must be a number, string or boolean; a table or list here usually means a key was written under [areas.…] by mistake")
        return self

    def setting(self, key: str, default: Any = None) -> Any:
        return (self.model_extra or {}).get(key, default)


class FindingRule(Strict):
    """A declarative finding rule (``[[findings]]``); evaluated by the find stage's sandbox."""

    id: str
    scope: Literal["unit", "project", "indicator"] = "project"
    when: str
    severity: Literal["info", "warning", "problem"] = "warning"
    area: str | None = None
    template: str | None = None
    evidence: dict[str, str] = Field(default_factory=dict)


_PLACEHOLDER = re.compile(r"{([^{}]*)}")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FindingTemplate(Strict):
    """The wording of one finding id, with ``{name}`` placeholders filled from its evidence.

    Placeholders must be plain names listed in ``evidence``: no attribute access, no
    indexing, no format specs, so a template can never reach into Python objects.
    """

    evidence: list[str] = Field(default_factory=list)
    title: str
    title_en: str
    problem: str
    problem_en: str
    improvement: str
    improvement_en: str
    source: str = "ruleset"

    @model_validator(mode="after")
    def _placeholders_declared(self) -> FindingTemplate:
        declared = set(self.evidence)
        for field_name in ("title", "title_en", "problem", "problem_en", "improvement", "improvement_en"):
            for name in _PLACEHOLDER.findall(getattr(self, field_name)):
                if not _PLAIN_NAME.match(name):
                    raise ValueError(f"{field_name}: placeholder {{{name}}} is not a plain name")
                if name not in declared:
                    raise ValueError(f"{field_name}: placeholder {{{name}}} is not in evidence {sorted(declared)}")
        return self


class NarrativeRules(Strict):
    max_chars: int | None = Field(default=None, gt=0)


class Ruleset(Strict):
    """A fully resolved ruleset: ``extends`` already merged."""

    ruleset: RulesetMeta
    levels: dict[str, Level1Def]
    weights: dict[str, Decimal]
    budget: BudgetRules = BudgetRules()
    over_completion: OverCompletionRules = OverCompletionRules()
    methods: dict[str, str] = Field(
        default_factory=lambda: {">=": "ratio", "<=": "lower_linear", "=": "equal", "qualitative": "qualitative"}
    )
    qualitative: QualitativeRules
    missing_targets: Literal["zero", "assessable"] = "zero"
    not_applicable_redistribute: bool = False
    grades: list[GradeBand]
    arithmetic: ArithmeticRules = ArithmeticRules()
    combine: Literal["budget_weighted", "mean"] = "budget_weighted"
    indicators: list[IndicatorDef] = Field(default_factory=list)
    areas: dict[str, AreaDef] = Field(default_factory=dict)
    findings: list[FindingRule] = Field(default_factory=list)
    templates: dict[str, FindingTemplate] = Field(default_factory=dict)
    narrative: NarrativeRules = NarrativeRules()
    #: sha256 of the resolved rules, filled in by the loader
    fingerprint: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Ruleset:
        problems: list[str] = []
        unknown = set(self.weights) - set(self.levels) - {"budget", "indicators"}
        if unknown:
            problems.append(f"weights: unknown level-1 ids {sorted(unknown)}; known: budget, indicators, {sorted(self.levels)}")
        fixed = [level for level in self.levels if level in self.weights]
        if "indicators" in self.weights and fixed:
            problems.append("weights: give either a pooled 'indicators' weight or per-level weights, not both")
        negative = sorted(level for level, weight in self.weights.items() if weight < 0)
        if negative:
            problems.append(f"weights: {negative} are negative; a weight is 0 or more")
        total = sum(self.weights.values(), Decimal(0))
        if total != 100:
            problems.append(f"weights: first-level weights add up to {total}, expected 100")
        seen: set[str] = set()
        for position, indicator in enumerate(self.indicators):
            where = f"indicators[{position}]"
            if indicator.id in seen:
                problems.append(f"{where}.id: duplicate indicator id {indicator.id!r}")
            seen.add(indicator.id)
            level1 = self.levels.get(indicator.level1)
            if level1 is None:
                problems.append(f"{where}.level1: {indicator.level1!r} is not a level in [levels] ({', '.join(sorted(self.levels))})")
            elif indicator.level2 not in level1.level2:
                problems.append(f"{where}.level2: {indicator.level2!r} is not a level-2 category of {indicator.level1}")
            if indicator.area not in self.areas:
                problems.append(f"{where}.area: {indicator.area!r} is not an area in [areas]")
        for comparison in self.methods:
            if comparison not in (">=", "<=", "=", "qualitative"):
                problems.append(f"methods.{comparison}: not a comparison (>=, <=, =, qualitative)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Ruleset:
        """A copy, whose derived values are built again from its own rules."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("_derived", None)
        return copied

    def derived(self, key: str, build: Callable[[Ruleset], Any]) -> Any:
        """A value computed from these rules once and kept with them (the model is frozen,
        so it can never go stale): lookup tables, compiled finding rules."""
        try:  # the hot path: built already (a few lookups per row of every unit)
            return self.__dict__["_derived"][key]
        except KeyError:
            cache = self.__dict__.setdefault("_derived", {})
            value = cache[key] = build(self)
            return value

    def indicator(self, indicator_id: str) -> IndicatorDef | None:
        return self.indicator_index.get(indicator_id)

    @property
    def indicator_index(self) -> dict[str, IndicatorDef]:
        return self.derived("indicator_index", lambda rules: {indicator.id: indicator for indicator in rules.indicators})

    @property
    def tier_index(self) -> dict[str, Tier]:
        """Qualitative tiers by id and by Chinese name, as rows may name them either way."""
        return self.derived("tier_index", lambda rules: {key: tier for tier in rules.qualitative.tiers for key in (tier.id, tier.name)})

    @property
    def indicator_levels(self) -> list[str]:
        """Level-1 ids that hold indicators, in display order."""
        return self.derived("indicator_levels", lambda rules: sorted(rules.levels, key=lambda level: (rules.levels[level].order, level)))

    def grade_for(self, total: Decimal | None) -> str | None:
        if total is None:
            return None
        for band in self.derived("grades_best_first", lambda rules: sorted(rules.grades, key=lambda grade_band: grade_band.min, reverse=True)):
            if total >= band.min:
                return band.grade
        return self.grades[-1].grade if self.grades else None

    def grade_name_en(self, grade: str | None) -> str | None:
        for band in self.grades:
            if band.grade == grade:
                return band.name_en
        return None


# --------------------------------------------------------------------------- submissions


class UnitInfo(Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    year: int = Field(strict=True, ge=2000, le=2100)
    money_unit: MoneyUnit = "万元"
    region: str | None = None
    synthetic: bool = False
    source: str | None = None


class StatedTotals(Strict):
    """Totals as the unit's own report states them (the 合计 row), checked against the parts."""

    budget: Figure | None = None
    spending: Figure | None = None
    own_level_budget: Figure | None = None
    own_level_spending: Figure | None = None
    projects_budgeted: Count | None = None
    projects_spent: Count | None = None
    work_funds_spending: Figure | None = None
    special_funds_spending: Figure | None = None


class FundLine(Strict):
    """One funds line (资金来源): budget and spending, and of each the unit's own-level share (区级资金)."""

    source: FundSource = "unspecified"
    budget: Figure
    spending: Figure
    own_level_budget: Figure | None = None
    own_level_spending: Figure | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _own_within_total(self) -> FundLine:
        if self.own_level_budget is not None and self.own_level_budget > self.budget:
            raise ValueError(f"own_level_budget {self.own_level_budget} exceeds budget {self.budget}")
        return self


class BudgetItem(Strict):
    """A component of a project's budget as the report lists it (资金用途)."""

    name: str
    amount: Figure


class IndicatorRow(Strict):
    """A level-3 row of the 绩效自评表: target, actual, weight, and the unit's own account."""

    indicator: str
    name: str | None = None
    target: Figure | None = None
    comparison: Comparison | None = None
    unit: str | None = None
    actual: Figure | None = None
    weight: Figure | None = None
    tier: str | None = None
    self_score: Figure | None = None
    description: str | None = None
    reason: str | None = None
    not_applicable: bool = False
    deduction: Annotated[Decimal, Field(gt=0), BeforeValidator(_figure)] | None = None
    deduction_reason: str | None = None
    qualifier: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _deduction_has_reason(self) -> IndicatorRow:
        if self.deduction is not None and not (self.deduction_reason or "").strip():
            raise ValueError("a deduction (扣减分数) needs a deduction_reason")
        return self


class OutputRow(Strict):
    """An output the unit reports without an annual target (no 年度指标值)."""

    indicator: str
    actual: Figure
    unit: str | None = None
    #: how the report qualifies the figure: 约 (about), 近 (nearly), 余/以上 (more than)
    qualifier: Literal["约", "近", "余", "以上"] | None = None
    note: str | None = None


class Project(Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    type: str | None = None
    purpose: str | None = None
    area: str | None = None
    money_unit: MoneyUnit | None = None
    funds: list[FundLine] = Field(min_length=1)
    budget_items: list[BudgetItem] = Field(default_factory=list)
    level1_weights: dict[str, Figure] | None = None
    indicators: list[IndicatorRow] = Field(default_factory=list)
    outputs: list[OutputRow] = Field(default_factory=list)
    #: the unit's explanation of an execution rate outside the expected range
    execution_reason: str | None = None

    @field_validator("indicators")
    @classmethod
    def _unique_rows(cls, rows: list[IndicatorRow]) -> list[IndicatorRow]:
        seen: set[str] = set()
        for row in rows:
            if row.indicator in seen:
                raise ValueError(f"indicator {row.indicator!r} appears twice in this project")
            seen.add(row.indicator)
        return rows


class Submission(Strict):
    """One unit's annual self-evaluation: the unit, its projects, and the totals it states."""

    format: Literal["perfscore-submission/1"] = "perfscore-submission/1"
    ruleset: str | None = None
    unit: UnitInfo
    stated: StatedTotals | None = None
    projects: list[Project] = Field(min_length=1)

    @field_validator("projects")
    @classmethod
    def _unique_projects(cls, projects: list[Project]) -> list[Project]:
        seen: set[str] = set()
        for project in projects:
            if project.id in seen:
                raise ValueError(f"project id {project.id!r} appears twice")
            seen.add(project.id)
        return projects

    def money_unit_of(self, project: Project) -> str:
        return project.money_unit or self.unit.money_unit


# --------------------------------------------------------------------------- findings and areas
# These are the contract between the engine and plugins: plugins build them, the core
# validates them, the narrate and tabulate stages read them.


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

    def __init__(self, make: Callable[[], tuple[str, str]] | None = None, zh: str | None = None, en: str | None = None):
        # zh and en given: made already (so that dataclasses.replace works as on a LocalText)
        object.__setattr__(self, "_make", make)
        object.__setattr__(self, "_texts", None if make is not None else (zh, en))

    def _made(self) -> tuple[str, str]:
        texts = self._texts
        if texts is None:
            texts = self._make()
            object.__setattr__(self, "_texts", texts)
            object.__setattr__(self, "_make", None)  # let the captured evidence go
        return texts

    @property  # type: ignore[override]
    def zh(self) -> str:
        return self._made()[0]

    @property  # type: ignore[override]
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
