"""Ruleset models: the indicator library, weights, scoring settings, finding rules and wording.

The *load* stage's output for a ruleset (``extends`` already merged, plugin indicators
added); read by every later stage. Frozen and strict about unknown keys, so a typo in a
ruleset is an error at its key path rather than a silently ignored setting.
"""

from __future__ import annotations

import json

import re
from decimal import Decimal
from typing import Any, Callable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from perfscore.models.base import Comparison, FundSource, Strict



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


_EVERY_FUND_SOURCE: tuple[FundSource, ...] = ("fiscal", "carry_over", "other", "unspecified")


class BudgetRules(Strict):
    """预算执行率 scoring: score = weight × min(rate, cap), rounded to ``places``."""

    counted_sources: list[FundSource] = Field(default_factory=lambda: list(_EVERY_FUND_SOURCE))
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

    @field_validator("tiers")
    @classmethod
    def _no_overlap(cls, tiers: list[Tier]) -> list[Tier]:
        # a row's tier decides its score range: two tiers claiming the same scores would make
        # that range ambiguous. Touching ends (0.6 and 0.6) are how published tiers are written.
        ordered = sorted(tiers, key=lambda tier: (tier.min, tier.max))
        for lower, upper in zip(ordered, ordered[1:]):
            if upper.min < lower.max:
                raise ValueError(f"tiers {lower.id!r} ({lower.min}–{lower.max}) and {upper.id!r} ({upper.min}–{upper.max}) overlap")
        return tiers


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
    #: the wording of one item that stands for several findings of this id (issue 14,
    #: docs/report.md "One item a kind"): optional; without it the report lists them plainly
    group_title: str | None = None
    group_title_en: str | None = None
    group_item: str | None = None
    group_item_en: str | None = None
    group_problem: str | None = None
    group_problem_en: str | None = None
    group_improvement: str | None = None
    group_improvement_en: str | None = None
    source: str = "ruleset"

    @model_validator(mode="after")
    def _placeholders_declared(self) -> FindingTemplate:
        declared = set(self.evidence)
        for field_name in ("title", "title_en", "problem", "problem_en", "improvement", "improvement_en", *GROUP_FIELDS):
            for name in _PLACEHOLDER.findall(getattr(self, field_name) or ""):
                if not _PLAIN_NAME.match(name):
                    raise ValueError(f"{field_name}: placeholder {{{name}}} is not a plain name")
                if name not in declared | GROUP_PLACEHOLDERS.get(field_name.removesuffix("_en"), frozenset()):
                    raise ValueError(f"{field_name}: placeholder {{{name}}} is not in evidence {sorted(declared)}")
        given = [name for name in GROUP_FIELDS if getattr(self, name) is not None]
        needed = [name for name in GROUP_FIELDS if not name.startswith("group_improvement")]
        if given and any(getattr(self, name) is None for name in needed):
            raise ValueError(f"group wording needs all of {needed} (given: {given})")
        return self


#: a template's optional wording for several findings of one id in one item
GROUP_FIELDS = tuple(f"group_{part}{suffix}" for part in ("title", "item", "problem", "improvement") for suffix in ("", "_en"))
#: what the narrative supplies to the group wording besides the evidence (of the first finding,
#: or for group_item of each): the number of findings, the listed items, the projects' names
GROUP_PLACEHOLDERS = {
    "group_title": frozenset({"count"}),
    "group_item": frozenset({"project"}),
    "group_problem": frozenset({"count", "items"}),
    "group_improvement": frozenset({"count", "projects"}),
}


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
                # quoted as TOML quotes a key, so that a key of spaces or symbols reads as one
                problems.append(f"methods.{json.dumps(comparison, ensure_ascii=False)}: not a comparison (>=, <=, =, qualitative)")
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
        index: dict[str, IndicatorDef] = self.derived("indicator_index", lambda rules: {indicator.id: indicator for indicator in rules.indicators})
        return index

    @property
    def tier_index(self) -> dict[str, Tier]:
        """Qualitative tiers by id and by Chinese name, as rows may name them either way."""
        index: dict[str, Tier] = self.derived("tier_index", lambda rules: {key: tier for tier in rules.qualitative.tiers for key in (tier.id, tier.name)})
        return index

    @property
    def indicator_levels(self) -> list[str]:
        """Level-1 ids that hold indicators, in display order."""
        levels: list[str] = self.derived("indicator_levels", lambda rules: sorted(rules.levels, key=lambda level: (rules.levels[level].order, level)))
        return levels

    def grade_for(self, total: Decimal | None) -> str | None:
        if total is None:
            return None
        best_first: list[GradeBand] = self.derived("grades_best_first", lambda rules: sorted(rules.grades, key=lambda grade_band: grade_band.min, reverse=True))
        for band in best_first:
            if total >= band.min:
                return band.grade
        return self.grades[-1].grade if self.grades else None

    def grade_name_en(self, grade: str | None) -> str | None:
        for band in self.grades:
            if band.grade == grade:
                return band.name_en
        return None

